"""Every setting the product reads, in one place, each with its default and its meaning; read from the
environment when asked for (never at import time). `.env.example` is this registry written out
(`render_env_example`), and a test keeps the two equal.

The connectors' URLs and secrets are handed to Dagster as `dg.EnvVar(NAME)` so that Dagster resolves
them when a run starts and never shows their values; their names are registered here like any other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as it is written in .env.example; "" = unset (the help says what unset means)
    help: str


def _s(name: str, default: str, help: str) -> Setting:
    return Setting(name, default, help)


# Grouped as .env.example shows them. Order is the file's order.
GROUPS: dict[str, tuple[Setting, ...]] = {
    "core": (
        _s("DTI_DATA_DIR", "", "Folder for the SQLite warehouse, the simulators' data and stored files; default: data/"),
        _s("DTI_OUT_DIR", "", "Folder the reports are written to (report.html, council.xlsx, claim_ledger.csv, "
                              "verified_scores.csv); default: out/"),
        _s("DTI_DATABASE_URL", "", "Warehouse (SQLAlchemy URL); default: sqlite:///$DTI_DATA_DIR/warehouse.db\n"
                                   "Production: postgresql+psycopg2://dti:secret@db-host:5432/dti"),
        _s("DAGSTER_HOME", "", "Dagster instance folder (holds dagster.yaml); `make` uses .dagster_home/; "
                               "`dti sync`/`dti run` record their runs there when set"),
        _s("DAGSTER_PG_URL", "", "PostgreSQL URL for Dagster's run/event/schedule storage when dagster.postgres.yaml "
                                 "is used, scheme postgresql+psycopg2://"),
        _s("DTI_PROVINCE_NAME", "",
           "The province as the council's workbook heads it, e.g. \"Lào Cai\" (→ ỦY BAN NHÂN "
                                    "DÂN TỈNH LÀO CAI); unset: a dotted line to write in by hand"),
    ),
    "frameworks": (
        _s("DTI_FRAMEWORKS_DIR", "", "Folder of framework (index set) YAML files read by `dti framework` and the "
                                     "pipeline; default: frameworks/"),
        _s("DTI_FIRST_PERIOD_YEAR", "2024", "First year the pipeline offers assessment periods (and nightly syncs) "
                                            "for"),
        _s("DTI_LAST_PERIOD_YEAR", "", "Last year the pipeline offers periods for; default: next year, or the year "
                                       "the newest framework takes effect if later (periods have no fixed end)"),
    ),
    "intake": (
        _s("DTI_MAX_UPLOAD_BYTES", "20971520", "Largest self-assessment file accepted, in bytes (default 20 MiB); "
                                               "unpacked .xlsx parts may total 10× this."),
        _s("DTI_INBOX_DIR", "", "Folder the inbox scan (and the Dagster sensor) picks files up from; "
                                "default: $DTI_DATA_DIR/inbox"),
        _s("DTI_FILES_DIR", "", "Content-addressed store of every original file received (sha256-named); "
                                "default: $DTI_DATA_DIR/files"),
        _s("DTI_MAPPINGS_DIR", "", "Declarative column mappings for foreign and historical sheets; default: mappings/"),
    ),
    "evidence": (
        _s("DTI_EVIDENCE_MAX_PAGES", "60", "Pages of one evidence file that are read; later pages are left unread "
                                           "and the file says so"),
        _s("DTI_EVIDENCE_OCR_MAX_PAGES", "12", "Pages of one evidence file without a text layer that go through OCR"),
        _s("DTI_EVIDENCE_PAGE_TIMEOUT_S", "90", "Longest, in seconds, Tesseract may spend on one page"),
        _s("DTI_EVIDENCE_FILE_BUDGET_S", "300", "Longest, in seconds, reading one evidence file may take; a file "
                                                "with no text by then is unreadable (time budget)"),
        _s("DTI_EVIDENCE_RUN_BUDGET_S", "3600", "Longest, in seconds, one run of evidence_reads spends reading new "
                                                "files; the rest are read by the next run"),
        _s("DTI_EVIDENCE_MAX_UNPACKED_BYTES", "67108864", "Largest total a DOCX/XLSX/ODT evidence file may unpack to, "
                                                          "in bytes (default 64 MiB), declared and actual"),
        _s("DTI_TESSERACT_CMD", "tesseract", "The Tesseract OCR program (Debian: tesseract-ocr, with "
                                             "tesseract-ocr-vie for Vietnamese)"),
        _s("DTI_EVIDENCE_OCR_LANG", "vie", "Tesseract language model(s) for scans, e.g. vie or vie+eng"),
    ),
    "connectors": (
        _s("DTI_DVC_BASE_URL", "", "DVC (public-service dossier system) API root, without /api/v1; "
                                   "`dti simulate serve` prints the simulator's"),
        _s("DTI_DVC_TOKEN", "", "Bearer token for the DVC API (a secret: keep it out of git)"),
        _s("DTI_SEC_BASE_URL", "", "SEC (security monitoring console) API root, without /api/v1"),
        _s("DTI_SEC_TOKEN", "", "Bearer token for the SEC API"),
        _s("DTI_SEC_MODE", "api", "How SEC is read: api (paged REST), csv (the console's CSV export over HTTP) or "
                                  "file (exports in a local folder, DTI_SEC_PATH)"),
        _s("DTI_SEC_PATH", "", "With DTI_SEC_MODE=file: the folder holding incidents.csv and inventories.csv (or "
                               ".xlsx) exported from the console, e.g. files an officer was sent"),
        _s("DTI_DOC_DATABASE_URL", "", "DOC (document management system) database, SQLAlchemy URL; a read-only "
                                       "account is enough"),
        _s("DTI_DOC_MAPPING", "qlvb-vn", "Table/column mapping of the DOC vendor schema: qlvb-vn (Vietnamese names), "
                                         "docman-en (English names), another mapping's id or a YAML path"),
        _s("DTI_DVC_MAPPING", "dvc-cong-quoc-gia", "Field mapping of the DVC vendor's API: an id in "
                                                   "DTI_SOURCE_MAPPINGS_DIR or mappings/sources/, or a YAML path"),
        _s("DTI_SEC_MAPPING", "sec-soc", "Field mapping of the SEC console (API and exports): an id or a YAML path"),
        _s("DTI_SOURCE_MAPPINGS_DIR", "", "Folder of the province's own source mappings (YAML), looked in before "
                                          "the shipped mappings/sources/"),
        _s("DTI_HTTP_CONNECT_TIMEOUT", "5", "Seconds to wait for a DVC/SEC connection to open"),
        _s("DTI_HTTP_READ_TIMEOUT", "30", "Seconds to wait for a DVC/SEC response before retrying"),
        _s("DTI_HTTP_MAX_RETRIES", "6", "Retries of one request (429, 5xx, timeouts, truncated bodies) before the "
                                        "source is marked failed"),
        _s("DTI_SOURCE_MAX_WAIT_S", "120", "Cap, in seconds, on the time one pull may spend waiting and failing "
                                           "before the source is marked failed"),
        _s("DTI_HTTP_MAX_RESPONSE_S", "120", "Longest, in seconds, one DVC/SEC response may take to arrive in full "
                                             "(however slowly it trickles)"),
        _s("DTI_HTTP_MAX_BODY_BYTES", "67108864", "Largest DVC/SEC response accepted once decompressed, in bytes "
                                                  "(default 64 MiB): a bigger one fails the pull"),
        _s("DTI_HTTP_PAGE_SIZE", "500", "Records per page asked of the DVC/SEC APIs"),
        _s("DTI_SYNC_CLOCK_SKEW_S", "43200", "A record updated more than this many seconds after the sync's own "
                                            "clock is quarantined, never loaded, and never moves the watermark"),
        _s("DTI_SYNC_COUNT_SLACK", "0", "Records a sync may fall short of the count the source gives for the "
                                        "window before it is judged incomplete"),
        _s("DTI_SOURCE_MAX_PAGES", "100000", "Most pages one pull of one entity may read before it stops as "
                                             "incomplete"),
        _s("DTI_SOURCE_MAX_PULL_S", "7200", "Longest, in seconds, one pull of one entity may take before it stops "
                                            "as incomplete"),
        _s("DTI_HTTP_GZIP", "auto", "Ask the DVC/SEC APIs for gzip bodies: auto (yes, except from a server on this "
                                    "machine), true or false"),
    ),
    "review": (
        _s("DTI_REVIEW_SECRET_KEY", "", "Secret that signs the review app's session cookies; default: generated "
                                        "once into $DTI_DATA_DIR/review-secret.key (0600)"),
        _s("DTI_AUDIT_KEY", "", "Key of the audit log's HMAC chain (32+ characters); default: generated once into "
                                "$DTI_DATA_DIR/audit.key (0600). Keep it, and audit checkpoints, where those who "
                                "can write the warehouse cannot"),
        _s("DTI_REVIEW_FOUR_EYES_POINTS", "10", "A council decision changing verified points by more than this "
                                                "waits for a second council member (four-eyes)"),
        _s("DTI_REVIEW_IDLE_MINUTES", "30", "A review log-in unused this many minutes ends"),
        _s("DTI_REVIEW_SESSION_HOURS", "8", "A review log-in ends this many hours after it began, however active"),
        _s("DTI_REVIEW_LIMIT_STORAGE", "memory://", "Where log-in attempts are counted: memory:// (one server "
                                                    "process) or redis://host:6379 (shared by every process)"),
        _s("DTI_REVIEW_LOGIN_LIMIT", "5 per 15 minutes", "Log-in attempts allowed per account"),
        _s("DTI_REVIEW_CLIENT_LIMIT", "30 per 15 minutes", "Log-in attempts allowed per client address"),
        _s("DTI_REVIEW_HASHING_SLOTS", "2", "Password hashes computed at once (each takes 64 MiB)"),
        _s("DTI_REVIEW_CONNECTION_LIMIT", "100", "Open connections `dti review serve` accepts at once"),
        _s("DTI_REVIEW_SECURE_COOKIE", "false", "Set to true when the review app is served over HTTPS, so the "
                                                "session cookie is only sent over TLS"),
        _s("DTI_REVIEW_PUBLIC_URL", "", "Address people open the review app at (e.g. https://dti.example.gov.vn or "
                                        "http://127.0.0.1:8765); set, each row of report.html and council.xlsx "
                                        "links to its claim page there (unset: no links)"),
    ),
    "metrics": (
        _s("DTI_METRIC_OPEN_PAST_DUE_LATE", "true",
           "Province policy (F5): a dossier not done by the period's end whose due day has come counts as "
           "late (true, the domain's rule); false: it is carried over and left out"),
        _s("DTI_METRIC_BOTNET_AS_INCIDENT", "true",
           "Province policy (E5): a botnet IP still listed past its SLA is a late incident at the "
           "framework's penalty (true, the framework's rule); false: botnet IPs are left out of E5"),
    ),
    "appraisal": (
        _s("DTI_RISK_JUMP_SHARE", "0.25", "A self-score this share of the indicator's maximum above the unit's "
                                          "previous period counts as a jump (risk signal)"),
        _s("DTI_RISK_PEER_Z", "3", "A self-score this many robust deviations (median/MAD) above its peers' counts "
                                   "as an outlier (risk signal)"),
    ),
    "operations": (
        _s("DTI_DEADLINE_LEAD_DAYS", "7", "Days before a round deadline during which the reports are refreshed "
                                          "daily at 06:00"),
        _s("DTI_SMTP_HOST", "", "SMTP relay for alerts (unset: no mail)"),
        _s("DTI_SMTP_PORT", "25", "SMTP port of the relay"),
        _s("DTI_SMTP_FROM", "dti@localhost", "Sender address of alert mails"),
        _s("DTI_SMTP_TO", "", "Recipients of alert mails, comma-separated"),
        _s("DTI_SMTP_USER", "", "SMTP login user (optional)"),
        _s("DTI_SMTP_PASSWORD", "", "SMTP login password (optional)"),
        _s("DTI_SMTP_STARTTLS", "false", "true: upgrade the SMTP connection with STARTTLS"),
        _s("DTI_ALERT_WEBHOOK_URL", "", "URL that receives each alert as a JSON POST (unset: no webhook)"),
    ),
    "provinces": (
        _s("DTI_PROVINCES", "", "Multi-province deployments: province codes, comma-separated (each needs "
                                "DTI_<CODE>_DATABASE_URL etc., below)"),
        _s("DTI_PROVINCE_WORKERS", "", "With DTI_PROVINCES: how many provinces `dti sync` / `dti run` run at once "
                                       "(default: one per core)"),
    ),
    "celery": (
        _s("DTI_EXECUTOR", "multiprocess", "Where a run's steps execute: multiprocess (child processes of the run) "
                                           "or celery (Celery workers, `dti ops celery worker`; docs/operations.md)"),
        _s("DTI_CELERY_CONFIG", "", "The Celery executor's YAML (broker, backend, worker settings); default: "
                                    "dagster.celery.yaml of the project"),
        _s("DTI_CELERY_BROKER", "", "Broker URL overriding the YAML's, e.g. pyamqp://dti:secret@mq-host:5672/dti "
                                    "(every host's workers and runs must name the same broker)"),
        _s("DTI_CELERY_QUEUES", "shared", "shared: every worker takes steps of any province from the `dagster` "
                                          "queue; province: a province's steps go to queue dti-<CODE> and only "
                                          "workers started with that queue take them"),
    ),
}
SETTINGS: dict[str, Setting] = {s.name: s for group in GROUPS.values() for s in group}

# Per province <CODE> of DTI_PROVINCES: DTI_<CODE>_<SUFFIX>.
PROVINCE_SUFFIXES = {
    "DATABASE_URL": "the province's own warehouse (required)",
    "OUT_DIR": "its reports folder (default $DTI_OUT_DIR/<CODE>)",
    "SIM_ROOT": "a folder of generated simulators to read instead of real systems",
    "DVC_BASE_URL": "its DVC API root", "DVC_TOKEN": "its DVC token",
    "DOC_DATABASE_URL": "its document system database",
    "SEC_BASE_URL": "its SEC API root", "SEC_TOKEN": "its SEC token",
}


class SettingError(ValueError):
    """A setting holds a value that cannot be used; the message names it and what was expected."""


def read(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The setting's value (stripped), or its registered default when unset or empty."""
    setting = SETTINGS[name]  # an unregistered name is a bug, not a missing setting
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or setting.default


def read_int(name: str, environ: Mapping[str, str] | None = None, *, default: int | None = None) -> int | None:
    value = read(name, environ)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingError(f"{name}={value!r}: cần một số nguyên / expected a whole number") from None


def read_float(name: str, environ: Mapping[str, str] | None = None) -> float:
    value = read(name, environ)
    try:
        return float(value)
    except ValueError:
        raise SettingError(f"{name}={value!r}: cần một số / expected a number") from None


def read_bool(name: str, environ: Mapping[str, str] | None = None) -> bool:
    value = read(name, environ).lower()
    if value in TRUE:
        return True
    if value in FALSE or not value:
        return False
    raise SettingError(f"{name}={value!r}: cần true hoặc false / expected true or false")


def read_switch(name: str, environ: Mapping[str, str] | None = None) -> bool | None:
    """auto (or unset) → None; otherwise true/false in the usual spellings."""
    value = read(name, environ).lower()
    if value in ("", "auto"):
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingError(f"{name}={value!r}: cần auto, true hoặc false / expected auto, true or false")


def province_setting(code: str, suffix: str, environ: Mapping[str, str] | None = None) -> str:
    """DTI_<CODE>_<SUFFIX> of one province, stripped ("" when unset)."""
    if suffix not in PROVINCE_SUFFIXES:
        raise KeyError(suffix)
    return (os.environ if environ is None else environ).get(f"DTI_{code}_{suffix}", "").strip()


def _path(name: str, default: Path) -> Path:
    value = read(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """The settings most code needs, typed; the rest are read with `read` where they are used."""

    data_dir: Path
    out_dir: Path
    database_url: str
    frameworks_dir: Path
    mappings_dir: Path
    inbox_dir: Path
    files_dir: Path
    max_upload_bytes: int

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = _path("DTI_DATA_DIR", PROJECT_ROOT / "data")
        return cls(
            data_dir=data_dir,
            out_dir=_path("DTI_OUT_DIR", PROJECT_ROOT / "out"),
            database_url=read("DTI_DATABASE_URL") or f"sqlite:///{data_dir / 'warehouse.db'}",
            frameworks_dir=_path("DTI_FRAMEWORKS_DIR", PROJECT_ROOT / "frameworks"),
            mappings_dir=_path("DTI_MAPPINGS_DIR", PROJECT_ROOT / "mappings"),
            inbox_dir=_path("DTI_INBOX_DIR", data_dir / "inbox"),
            files_dir=_path("DTI_FILES_DIR", data_dir / "files"),
            max_upload_bytes=read_int("DTI_MAX_UPLOAD_BYTES"),
        )


def get_settings() -> Settings:
    return Settings.from_env()


def render_env_example() -> str:
    """`.env.example`: every registered setting with its meaning and default."""
    lines = ["# Every setting the DTI verification engine reads, with its default (generated from dti/settings.py).",
             "# Copy to .env and fill in. `dagster dev` loads .env automatically; the `dti` command reads the",
             "# process environment."]
    for group, settings in GROUPS.items():
        lines += ["", f"# --- {group} ---"]
        for s in settings:
            lines += [f"# {line}" for line in s.help.split("\n")]
            lines.append(f"{s.name}={s.default}")
    lines += ["", "# Per province <CODE> listed in DTI_PROVINCES (see docs/operations.md):"]
    lines += [f"#   DTI_<CODE>_{suffix}: {meaning}" for suffix, meaning in PROVINCE_SUFFIXES.items()]
    return "\n".join(lines) + "\n"
