"""Every setting is read in one place, with its default, and `.env.example` lists exactly those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dti.settings import SETTINGS, SettingError, get_settings, read, read_bool, read_int, render_env_example

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dti", "connectors", "simulators", "expectations", "assets", "pipelines", "review", "application")
# Reading the environment anywhere else: os.environ.get / os.getenv / os.environ[...] / environ.get
ENV_READ = re.compile(r"\bos\.getenv\(|\bos\.environ\.get\(|\bos\.environ\[(?!.*\]\s*=[^=])|\benviron\.get\(")
NAMED = re.compile(r"""EnvVar\(\s*["']([A-Z0-9_]+)["']|["'](DTI_[A-Z0-9_]+|DAGSTER_[A-Z_]+)["']""")


def test_env_example_is_the_registry_written_out():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == render_env_example()


def test_only_the_settings_module_reads_the_environment():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "dti" / "settings.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if ENV_READ.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_setting_named_in_the_code_is_registered():
    unknown = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in NAMED.finditer(path.read_text(encoding="utf-8")):
                name = match.group(1) or match.group(2)
                if name.endswith("_") or name == "DTI_SETTINGS":  # a prefix (DTI_<CODE>_…) or Flask's config key
                    continue
                if name not in SETTINGS:
                    unknown.add(f"{path.relative_to(ROOT)}: {name}")
    assert sorted(unknown) == []


def test_defaults_apply_when_unset_and_bad_values_name_the_setting(monkeypatch):
    monkeypatch.delenv("DTI_HTTP_PAGE_SIZE", raising=False)
    assert read_int("DTI_HTTP_PAGE_SIZE") == 500
    assert get_settings().max_upload_bytes == 20 * 1024 * 1024
    monkeypatch.setenv("DTI_HTTP_PAGE_SIZE", "năm trăm")
    with pytest.raises(SettingError, match="DTI_HTTP_PAGE_SIZE='năm trăm'"):
        read_int("DTI_HTTP_PAGE_SIZE")
    monkeypatch.setenv("DTI_SMTP_STARTTLS", "maybe")
    with pytest.raises(SettingError, match="DTI_SMTP_STARTTLS"):
        read_bool("DTI_SMTP_STARTTLS")
    with pytest.raises(KeyError):
        read("DTI_NOT_A_SETTING")
