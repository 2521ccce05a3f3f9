"""What a unit's own upload of a self-assessment form must respect before the intake imports it: the
form names only that unit, and only periods that still take self-assessments."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dti.appraisal.accounts import require_current_unit
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import check_period, forms_open, get_phase
from dti.intake.extract import Extracted, extract
from dti.intake.readers import FileRejected, read_file
from dti.intake.service import choose_mapping
from dti.settings import Settings
from dti.text import clean
from dti.vocabulary import Phase
from dti.warehouse.models import User


def _named(extracted: Extracted, field: str) -> set[str]:
    """Every value the form gives a field, in its header cells or on its rows."""
    header = extracted.header_values or {}
    values = [header.get(field)] + [r.fields.get(field) for r in extracted.records]
    return {clean(str(v)) for v in values if v}


def check_form_scope(session: Session, path: Path, data: bytes, unit: str, settings: Settings,
                     user: User | None = None) -> None:
    """A unit may only file its own form, only while the unit is current, and only while its period still
    takes self-assessments."""
    if user is not None:
        require_current_unit(session, user)
    try:
        workbook = read_file(path, data, max_bytes=settings.max_upload_bytes)
        extracted = extract(workbook, choose_mapping(workbook, path.name), path.name)
    except FileRejected:
        return  # the intake refuses it again, with its own message, and keeps the record
    others = sorted(u for u in _named(extracted, "unit_code") if u != unit)
    if others:
        raise ReviewError(
            f"Biểu mẫu ghi mã đơn vị {', '.join(others)}; tài khoản của bạn chỉ nộp được cho đơn vị {unit}",
            f"the form names unit {', '.join(others)}; your account may only file for unit {unit}",
            403,
        )
    for text in sorted(p for p in _named(extracted, "period") if p):
        try:
            period = check_period(text)
        except ReviewError:
            continue  # the intake reports the malformed period on its row
        phase = get_phase(session, period).phase
        if not forms_open(phase):
            raise ReviewError(
                f"Kỳ {period} đang ở giai đoạn '{Phase.label(phase)}': không nhận biểu mẫu tự đánh giá",
                f"period {period} is in phase '{phase}': self-assessment forms are closed",
                409,
            )
