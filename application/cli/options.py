"""Option types for the `dti` parsers: each checks its value while the command line is read, before any
work starts, and refuses a bad one with a bilingual message (argparse then exits 2, without a traceback)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from dti.framework import Period, load_all
from dti.framework.loader import FrameworkError
from simulators.faults import PROFILES
from simulators.generator import SCALES

Bad = argparse.ArgumentTypeError


def scale(text: str) -> str:
    if text not in SCALES:
        raise Bad(
            f"quy mô '{text}' không có; chọn một trong / unknown scale '{text}'; choose one of: "
            f"{', '.join(SCALES)}"
        )
    return text


def fault_profile(text: str) -> str:
    key = text.strip().lower()
    if key not in PROFILES:
        raise Bad(
            f"không có hồ sơ lỗi '{text}' / unknown fault profile '{text}'; có / choose one of: "
            f"{', '.join(sorted(PROFILES))}"
        )
    return key


def period(text: str) -> str:
    """YEAR-R<round>, with a framework valid that year that has that round."""
    try:
        p = Period.parse(text)
    except ValueError as exc:
        raise Bad(str(exc)) from None
    try:
        frameworks = load_all()
    except FrameworkError as exc:
        raise Bad(str(exc)) from None
    valid = [
        fw
        for fw in frameworks.values()
        if fw.valid_from.year <= p.year and (fw.valid_to is None or fw.valid_to.year >= p.year)
    ]
    rounds = sorted({r.round for fw in valid for r in fw.rounds})
    if p.round not in rounds:
        have = ", ".join(str(r) for r in rounds) or "(không có bộ chỉ số nào / no framework)"
        raise Bad(
            f"kỳ {p}: năm {p.year} không có đợt {p.round} (có / rounds: {have}) / period {p}: "
            f"no framework of {p.year} has round {p.round}"
        )
    return str(p)


def port(text: str) -> int:
    number = whole(text)
    if not 0 <= number <= 65535:
        raise Bad(f"cổng {text} nằm ngoài 0–65535 / port {text} is outside 0–65535")
    return number


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Bad(f"'{text}' không phải số nguyên / is not a whole number") from None


def positive_int(text: str) -> int:
    number = whole(text)
    if number < 1:
        raise Bad(f"{text}: cần số nguyên dương / must be a positive whole number")
    return number


def positive_seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise Bad(f"'{text}' không phải số giây / is not a number of seconds") from None
    if not number > 0:
        raise Bad(f"{text}: cần lớn hơn 0 / must be more than 0")
    return number


def fraction(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise Bad(f"'{text}' không phải số / is not a number") from None
    if not 0 < number <= 1:
        raise Bad(f"{text}: cần trong khoảng (0, 1], ví dụ 0.02 / must be in (0, 1], e.g. 0.02")
    return number


def day(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise Bad(f"'{text}' không phải ngày dạng YYYY-MM-DD / is not a date like 2025-12-31") from None


def moment(text: str) -> str:
    """An ISO time with its time zone (kept as text: the job's config takes it so)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Bad(
            f"'{text}' không phải thời điểm ISO, ví dụ 2026-01-06T08:00+07:00 / is not an ISO time such "
            "as 2026-01-06T08:00+07:00"
        ) from None
    if value.tzinfo is None:
        raise Bad(f"'{text}' cần múi giờ, ví dụ +07:00 / needs a time zone such as +07:00")
    return text


def folder(text: str) -> Path:
    """An existing folder."""
    path = Path(text)
    if not path.is_dir():
        raise Bad(f"không có thư mục '{text}' / no such folder")
    return path


def output_folder(text: str) -> Path:
    """A folder to write into: it may not exist yet, but it must not be a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise Bad(f"'{text}' là một tệp, cần thư mục / is a file, a folder is needed")
    return path


def database_url(text: str) -> str:
    """A SQLAlchemy URL whose database driver is installed."""
    try:
        make_url(text).get_dialect()
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise Bad(
            f"'{text}' không phải địa chỉ CSDL dùng được (ví dụ postgresql+psycopg2://user@host/db) / "
            f"is not a usable database URL (such as postgresql+psycopg2://user@host/db): {exc}"
        ) from None
    return text


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise Bad(f"không tìm thấy tệp '{text}' / file not found")
    return path


class Parser(argparse.ArgumentParser):
    """argparse with its errors in both languages and a pointer to --help; exits 2 as argparse does."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi / error: {message}\nXem / see: {self.prog} --help\n")
