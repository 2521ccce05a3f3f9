"""The floor plan holds: the import contracts in pyproject.toml pass on the tree, and they do catch a
core module that reaches up into a framework or a higher layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dti", "connectors", "simulators", "expectations", "assets", "pipelines", "review", "application")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    # --no-cache: a cached graph of another tree must never answer for this one.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, timeout=300)


def test_the_import_contracts_hold_on_the_tree():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("line, broken", [
    ("import dagster", "The domain core imports no framework"),
    ("from assets import resources", "Layers"),
    ("import review", "Layers"),
])
def test_a_core_module_reaching_up_breaks_a_contract(tree_copy, line, broken):
    target = tree_copy / "dti" / "text.py"
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # a violation planted by the test\n",
                      encoding="utf-8")
    done = _lint_imports(tree_copy)
    assert done.returncode != 0
    assert broken in done.stdout and "BROKEN" in done.stdout


def test_two_top_level_packages_importing_each_other_break_the_layers(tree_copy):
    target = tree_copy / "connectors" / "base.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nimport simulators  # planted by the test\n",
                      encoding="utf-8")
    done = _lint_imports(tree_copy)
    assert done.returncode != 0
    assert "Layers" in done.stdout and "BROKEN" in done.stdout
