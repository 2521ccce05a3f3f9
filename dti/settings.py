"""Run-time settings, read from the environment when asked for (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Every setting the product reads. `.env.example` lists the same names."""

    data_dir: Path
    out_dir: Path
    database_url: str
    frameworks_dir: Path
    mappings_dir: Path
    inbox_dir: Path
    files_dir: Path
    max_upload_bytes: int
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = _path("DTI_DATA_DIR", PROJECT_ROOT / "data")
        out_dir = _path("DTI_OUT_DIR", PROJECT_ROOT / "out")
        db_url = os.environ.get("DTI_DATABASE_URL") or f"sqlite:///{data_dir / 'warehouse.db'}"
        return cls(
            data_dir=data_dir,
            out_dir=out_dir,
            database_url=db_url,
            frameworks_dir=_path("DTI_FRAMEWORKS_DIR", PROJECT_ROOT / "frameworks"),
            mappings_dir=_path("DTI_MAPPINGS_DIR", PROJECT_ROOT / "mappings"),
            inbox_dir=_path("DTI_INBOX_DIR", data_dir / "inbox"),
            files_dir=_path("DTI_FILES_DIR", data_dir / "files"),
            max_upload_bytes=int(os.environ.get("DTI_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        )


def get_settings() -> Settings:
    return Settings.from_env()
