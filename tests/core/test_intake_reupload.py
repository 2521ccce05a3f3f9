"""Re-uploads keep what they do not replace, and an empty file is refused (issue 21, finding 9): a unit
that sends a correction for three indicators does not lose the other thirty-seven."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dti.intake.service import import_file
from dti.settings import TZ
from dti.warehouse import Warehouse
from dti.warehouse.models import SelfReport, Submission
from expectations.self_reports import check_self_reports
from tests.core import test_intake_native as native
from tests.core.test_intake_native import _fill, _template

units = native.units  # the fixture: two departments in a fresh warehouse


def _import(path, day: int, **kw):
    return import_file(path, wh=Warehouse(), row_checks=check_self_reports,
                       submitted_at=dt.datetime(2025, 6, day, 9, tzinfo=TZ), **kw)


def _current_rows() -> dict[str, str]:
    with Warehouse().session() as s:
        sub = s.scalars(sa.select(Submission).where(Submission.is_current.is_(True))).one()
        return {r.indicator_code: str(r.value) for r in s.scalars(
            sa.select(SelfReport).where(SelfReport.submission_id == sub.id))}


def _partial(tmp_path, codes: dict[str, str]):
    path = tmp_path / "sua.csv"
    lines = ["Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá"]
    lines += [f"SO-A,2025-R1,{code},{value}" for code, value in codes.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_partial_re_upload_carries_forward_what_it_does_not_replace(units, tmp_path):
    full = _import(_fill(_template(tmp_path), tmp_path / "full.xlsx"), 1)
    everything = _current_rows()
    assert full.status == "imported" and len(everything) > 30
    again = _import(_partial(tmp_path, {"D3": "50%", "A2": "3", "ZZ99": "1"}), 2)
    s = again.summary
    assert (s["rows_replaced"], s["rows_added"], s["rows_carried"]) == (2, 0, len(everything) - 2)
    assert s["rows_rejected"] == 1  # ZZ99 is no indicator of the unit's framework: refused and reported
    after = _current_rows()
    assert set(after) == set(everything)  # nothing turned into a missing self-report
    assert after["A2"] == "3.000000" and after["D3"] == "0.500000"
    assert {k: v for k, v in after.items() if k not in ("A2", "D3")} == \
        {k: v for k, v in everything.items() if k not in ("A2", "D3")}


def test_a_complete_replacement_is_an_explicit_choice(units, tmp_path):
    _import(_fill(_template(tmp_path), tmp_path / "full.xlsx"), 1)
    again = _import(_partial(tmp_path, {"D3": "50%", "A2": "3"}), 2, replace_all=True)
    assert again.summary["rows_carried"] == 0
    assert set(_current_rows()) == {"A2", "D3"}


def test_a_file_with_headers_and_no_rows_is_refused_as_empty(units, tmp_path):
    empty = tmp_path / "trong.csv"
    empty.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\n", encoding="utf-8")
    result = _import(empty, 3)
    assert result.status == "rejected" and result.error["code"] == "empty_file"
    assert "trong.csv" in result.error["message_vi"] and "no data rows" in result.error["message_en"]
    with Warehouse().session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
