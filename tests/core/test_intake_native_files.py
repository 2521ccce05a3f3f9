"""Native self-assessment files once they arrive: a new submission supersedes the old and history is
kept, late submissions are accepted and flagged, re-imports report the earlier result as it stands now,
old unit codes are filed under the successor; unsafe, broken, oversize or unrecognised files are refused
(not crashed on), mappings read other layouts; the inbox moves files and never deletes."""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from application.cli import main
from dti.intake.service import scan_inbox
from dti.warehouse import Warehouse
from expectations.self_reports import check_self_reports
from tests.core import test_intake_native as native
from tests.core.test_intake_native import DATA, VN, _import

units = native.units  # the fixture: two departments in a fresh warehouse


# --- versions, rounds, deadlines ----------------------------------------------------------------


def _csv(tmp_path, name, value, unit="SO-A", period="2025-R1") -> Path:
    path = tmp_path / name
    path.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\n"
                    f"{unit},{period},D3,{value}\n", encoding="utf-8")
    return path


def test_new_submission_supersedes_and_history_is_kept(units, tmp_path):
    from dti.intake.store import history
    from dti.warehouse import session_scope

    first = _import(_csv(tmp_path, "a.csv", "80%"), submitted_at=dt.datetime(2025, 6, 10, 9, tzinfo=VN))
    second = _import(_csv(tmp_path, "b.csv", "85%"), submitted_at=dt.datetime(2025, 6, 12, 9, tzinfo=VN))
    # a file that arrives late in the queue but was sent earlier does not replace the newer one
    third = _import(_csv(tmp_path, "c.csv", "82%"), submitted_at=dt.datetime(2025, 6, 11, 9, tzinfo=VN))
    other_round = _import(_csv(tmp_path, "d.csv", "90%", period="2025-R2"),
                          submitted_at=dt.datetime(2025, 6, 12, 9, tzinfo=VN))
    ids = [r.summary["submissions"][0]["id"] for r in (first, second, third)]
    with session_scope() as s:
        subs = history(s, "SO-A", "2025-R1")
        state = {x.id: (x.is_current, x.superseded_by) for x in subs}
    assert [x.id for x in subs] == [ids[0], ids[2], ids[1]]
    assert state == {ids[0]: (False, ids[1]), ids[1]: (True, None), ids[2]: (False, ids[1])}
    assert third.summary["submissions"][0]["is_current"] is False
    assert other_round.summary["submissions"][0]["is_current"] is True  # another round, another period


@pytest.mark.parametrize(
    ("sent", "late"),
    [
        (dt.datetime(2025, 6, 15, 23, 59, tzinfo=VN), False),
        (dt.datetime(2025, 6, 15, 17, 30, tzinfo=dt.UTC), True),  # already 16/6 in Hà Nội
        (dt.datetime(2025, 7, 1, 8, 0, tzinfo=VN), True),
    ],
)
def test_late_submissions_are_accepted_and_flagged(units, tmp_path, sent, late):
    from dti.warehouse import session_scope
    from dti.warehouse.models import Submission

    result = _import(_csv(tmp_path, "late.csv", "80%"), submitted_at=sent)
    assert result.rows_accepted == 1
    info = result.summary["submissions"][0]
    assert (info["is_late"], info["deadline"]) == (late, "2025-06-15")
    with session_scope() as s:
        assert s.scalars(select(Submission)).one().is_late is late


# --- refused files --------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "code", "message_en"),
    [
        ("form.xlsm", b"PK\x03\x04whatever", "macro_workbook",
         "'form.xlsm' is a macro-enabled workbook (.xlsm); save it as a plain .xlsx"),
        ("form.xlsx", _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>",
                            "xl/vbaProject.bin": b"\x00" * 10}), "macro_workbook",
         "'form.xlsx' contains macros (vbaProject.bin); save it as a plain .xlsx"),
        ("form.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "unsupported_format",
         "the .xls format of 'form.xls' is not supported; save it as .xlsx or .csv"),
        ("bomb.xlsx", _zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b"\x00" * 30_000_000}),
         "zip_bomb", None),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip file at all", "malformed_workbook", None),
        ("bad-xml.xlsx", _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<oops"}),
         "malformed_workbook", None),
    ],
)
def test_unsafe_or_broken_files_are_refused_not_crashed(units, tmp_path, capsys, name, data, code, message_en):
    path = tmp_path / name
    path.write_bytes(data)
    rc = main(["intake", "import", str(path), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 2
    assert summary["status"] == "rejected" and summary["error"]["code"] == code
    if message_en:
        assert summary["error"]["message_en"] == message_en
    from dti.warehouse import session_scope
    from dti.warehouse.models import IntakeFile

    with session_scope() as s:  # kept, with the reason, so nothing is lost
        row = s.get(IntakeFile, summary["file_id"])
        assert row.status == "rejected" and Path(row.stored_path).read_bytes() == data


def test_files_over_the_size_limit_are_refused_before_reading(units, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "100")
    path = _csv(tmp_path, "big.csv", "80%" + " " * 200)
    assert main(["intake", "import", str(path)]) == 2
    size = path.stat().st_size
    assert capsys.readouterr().err.strip() == (
        f"Lỗi / error: tệp 'big.csv' có dung lượng {size:,} byte, vượt giới hạn 100 byte (DTI_MAX_UPLOAD_BYTES) "
        f"/ 'big.csv' is {size:,} bytes, over the 100-byte limit (DTI_MAX_UPLOAD_BYTES)")


def test_unknown_headers_are_refused_with_the_mappings_tried(units, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = _import(path)
    assert result.error["code"] == "headers_not_found"
    assert "commune-sheet-2025" in result.error["message_en"] and "dti-template" in result.error["message_en"]


# --- inbox ----------------------------------------------------------------------------------------


def test_scan_inbox_moves_files_and_never_deletes(units, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = _csv(inbox, "good.csv", "80%")
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 broken")
    results = scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports)
    assert sorted(r.filename for r in results) == ["broken.xlsx", "good.csv"]
    assert not good.exists()
    assert (inbox / "processed" / "good.csv").exists()
    assert (inbox / "rejected" / "broken.xlsx").exists()
    note = (inbox / "rejected" / "broken.xlsx.error.txt").read_text(encoding="utf-8")
    assert "không phải sổ tính .xlsx hợp lệ" in note
    _csv(inbox, "good.csv", "80%")  # the same file sent again
    again = scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports)
    assert again[0].already_imported
    assert (inbox / "processed" / "good.1.csv").exists()


def test_mapping_by_path_with_dates_and_decomposed_text(units, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import SelfReport

    nfd = unicodedata.normalize("NFD", "Kế hoạch số 45/KH-UBND")
    path = tmp_path / "old.csv"
    path.write_text("Đơn vị;Chỉ tiêu;Kết quả;Văn bản;Ngày văn bản\n"
                    f"SO-A;D3;85,5%;{nfd};12/03/2025\n"
                    "SO-A;E5;1.234;;31/02/2025\n", encoding="utf-8")
    result = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert (result.summary["mapping"], result.rows_accepted) == ("historical-test", 1)
    [reason] = result.rejected_rows[0]["reasons"]
    assert reason["message_vi"] == ("Tệp 'old.csv', dòng 3, cột 'Ngày văn bản': giá trị '31/02/2025' — "
                                    "cần một ngày hợp lệ dạng ngày/tháng/năm, ví dụ 05/08/2025")
    with session_scope() as s:
        rep = s.scalars(select(SelfReport)).one()
    assert rep.value == Decimal("0.855") and rep.period == "2025-R1"
    assert rep.extra["evidence_date"] == "2025-03-12"
    assert rep.evidence_text == "Kế hoạch số 45/KH-UBND" == unicodedata.normalize("NFC", nfd)


def test_a_file_refused_as_a_whole_can_be_retried_with_a_mapping(units, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("Đơn vị;Chỉ tiêu;Kết quả\nSO-A;D3;85,5%\n", encoding="utf-8")
    first = _import(path)
    assert first.error["code"] == "headers_not_found"
    second = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert not second.already_imported and second.rows_accepted == 1 and second.error is None
    third = _import(path, mapping=str(DATA / "historical-mapping.yaml"))
    assert third.already_imported and third.rows_accepted == 1


def test_inbox_command(units, tmp_path, monkeypatch, capsys):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("DTI_INBOX_DIR", str(inbox))
    inbox.mkdir()
    _csv(inbox, "sent.csv", "80%")
    assert main(["intake", "inbox", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert (summary["filename"], summary["rows_accepted"], summary["status"]) == ("sent.csv", 1, "imported")
    assert (inbox / "processed" / "sent.csv").exists()


def test_old_unit_code_after_a_merger_is_filed_under_the_successor(units, tmp_path):
    from dti.warehouse import session_scope
    from dti.warehouse.models import Submission, Unit, UnitLink

    with session_scope() as s:
        s.add(Unit(code="SO-OLD", name_vi="Sở cũ", unit_type="dept_tthc", province_code="83",
                   valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2025, 6, 30)))
        s.add(UnitLink(predecessor_code="SO-OLD", successor_code="SO-A", effective=dt.date(2025, 7, 1),
                       reason="sáp nhập"))
    result = _import(_csv(tmp_path, "old-code.csv", "80%", unit="SO-OLD"))
    assert result.rows_accepted == 1
    assert result.summary["warnings_by_code"] == {"unit_code_resolved": 1}
    with session_scope() as s:
        assert s.scalars(select(Submission)).one().unit_code == "SO-A"


def test_uploads_keep_the_units_file_name(units, tmp_path):
    tmp = tmp_path / "upload-3f9a.tmp"
    tmp.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\nSO-A,2025-R1,D3,150%\n", encoding="utf-8")
    result = _import(tmp, filename="../Phiếu SO-A.csv", uploaded_by="canbo1")
    assert result.summary["filename"] == "Phiếu SO-A.csv" and result.summary["uploaded_by"] == "canbo1"
    assert result.summary["stored_path"].endswith(f"{result.file_id}.csv")
    assert result.rejected_rows[0]["reasons"][0]["message_vi"].startswith("Tệp 'Phiếu SO-A.csv', dòng 2")


def test_inbox_leaves_files_that_may_still_be_copying(units, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fresh = _csv(inbox, "copying.csv", "80%")
    assert scan_inbox(inbox, wh=Warehouse(), row_checks=check_self_reports, settle_seconds=60) == []
    assert fresh.exists()


def test_reimport_reports_the_earlier_result_as_it_stands_now(units, tmp_path):
    first = _import(_csv(tmp_path, "v1.csv", "150%"))
    assert first.rows_rejected == 1
    good = _import(_csv(tmp_path, "v2.csv", "80%"), submitted_at=dt.datetime(2025, 6, 2, tzinfo=VN))
    newer = _import(_csv(tmp_path, "v3.csv", "81%"), submitted_at=dt.datetime(2025, 6, 3, tzinfo=VN))
    again = _import(tmp_path / "v2.csv")
    assert again.already_imported
    assert again.summary["submissions"][0]["is_current"] is False
    assert again.summary["submissions"][0]["superseded_by"] == newer.summary["submissions"][0]["id"]
    assert good.summary["submissions"][0]["is_current"] is True  # what it was at the time
    again_bad = _import(tmp_path / "v1.csv")
    assert again_bad.rejected_rows == first.rejected_rows


def test_workbook_unpacking_past_ten_times_the_limit_is_refused(units, tmp_path, monkeypatch):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "20000")
    path = tmp_path / "swelling.xlsx"
    path.write_bytes(_zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * 900_000}))
    result = _import(path)
    assert result.error["code"] == "zip_bomb"
    assert result.error["message_en"] == (
        "'swelling.xlsx' expands to 900,004 bytes, over the 200,000-byte limit")
