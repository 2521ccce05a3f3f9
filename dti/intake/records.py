"""One row of a self-assessment sheet as intake reads it, and the reasons it was refused or warned
about: each reason names the file, sheet, row, column and value, in Vietnamese and English."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dti.intake.citations import Citation
from dti.text import nfc


@dataclass
class Reason:
    column: str | None
    value: Any
    code: str
    message_vi: str
    message_en: str

    def to_dict(self) -> dict:
        return {"column": self.column, "value": json_value(self.value), "code": self.code,
                "message_vi": self.message_vi, "message_en": self.message_en}


@dataclass
class Record:
    filename: str
    sheet: str | None
    row_number: int
    raw: dict[str, Any]
    columns: dict[str, str]  # field -> header label (or cell address) it was read from
    fields: dict[str, Any] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.sheet or ''}!{self.row_number}"

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def _where(self, column: str | None) -> tuple[str, str]:
        sheet_vi = f", trang '{self.sheet}'" if self.sheet else ""
        sheet_en = f", sheet '{self.sheet}'" if self.sheet else ""
        col_vi = f", cột '{column}'" if column else ""
        col_en = f", column '{column}'" if column else ""
        return (f"Tệp '{self.filename}'{sheet_vi}, dòng {self.row_number}{col_vi}",
                f"File '{self.filename}'{sheet_en}, row {self.row_number}{col_en}")

    def problem(self, fld: str | None, value: Any, code: str, expected_vi: str, expected_en: str,
                *, warning: bool = False) -> Reason:
        column = self.columns.get(fld, fld) if fld else None
        where_vi, where_en = self._where(column)
        shown = "(trống)" if value in (None, "") else str(json_value(value))
        shown_en = "(empty)" if value in (None, "") else str(json_value(value))
        reason = Reason(
            column=column, value=json_value(value), code=code,
            message_vi=f"{where_vi}: giá trị '{shown}' — {expected_vi}",
            message_en=f"{where_en}: value '{shown_en}' — {expected_en}",
        )
        (self.warnings if warning else self.reasons).append(reason)
        return reason


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f") if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return nfc(value)
    return str(value)
