"""`dti evidence read FILE` as a council member runs it: on a scanned decision it prints the number, date
and type read through OCR, and the verdict against a matching and a mismatching citation."""

from __future__ import annotations

import json

import pytest

from application.cli import main
from tests.evidence_fixtures import document, seed_evidence_world

MATCHING = "Quyết định số 123/QĐ-STP ngày 05/3/2025"
MISMATCHING = "Quyết định số 132/QĐ-STP ngày 05/3/2025"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "quyet-dinh-scan.pdf"
    path.write_bytes(document("decision-scan.pdf"))
    return path


def test_a_scanned_decision_prints_its_number_date_and_type_and_agrees_with_its_citation(capsys, scan):
    code, out, err = run(capsys, "evidence", "read", str(scan), "--citation", MATCHING, "--period", "2025-R3",
                         "--indicator", "A1")
    assert code == 0 and err == ""
    assert "Tệp / file: quyet-dinh-scan.pdf (pdf, 1 trang / pages, OCR 1 trang / pages)" in out
    assert "Số, ký hiệu / number: 123/QĐ-STP" in out
    assert "Ngày / date: 05/03/2025 (Lào Cai)" in out
    assert "Loại văn bản / type: Quyết định" in out
    assert "Người ký / signer: GIÁM ĐỐC Trần Thị Bình" in out
    assert "Kết luận / verdict: Phù hợp / in order (evidence_ok)" in out
    assert "✓ Đúng văn bản được trích dẫn: Phù hợp — Đúng văn bản được trích dẫn: số 123/QĐ-STP, ngày 05/03/2025" in out
    assert "✓ Liên quan đến chỉ số: Phù hợp — Liên quan đến chỉ số A1: có «Ban chỉ đạo» (trích yếu)" in out


def test_a_mismatching_citation_is_flagged_with_both_numbers(capsys, scan):
    code, out, _ = run(capsys, "evidence", "read", str(scan), "--citation", MISMATCHING)
    assert code == 0
    assert "Kết luận / verdict: Không phải văn bản được trích dẫn / not the cited document (evidence_mismatch)" in out
    assert ("✗ Đúng văn bản được trích dẫn: Không phải văn bản được trích dẫn — Văn bản mang số 123/QĐ-STP, khác văn "
            "bản được trích dẫn (132/QĐ-STP ngày 05/03/2025)") in out
    assert "the document is numbered 123/QĐ-STP, not the cited 132/QĐ-STP of 2025-03-05" in out


def test_json_gives_the_same_as_one_object(capsys, scan):
    code, out, _ = run(capsys, "evidence", "read", str(scan), "--citation", MISMATCHING, "--period", "2026-R1",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "evidence_mismatch" and data["ocr"] is True and data["pages"] == 1
    assert data["fields"]["number"]["value"] == "123/QĐ-STP" and data["fields"]["date"]["value"] == "2025-03-05"
    assert data["fields"]["doc_type"]["value"] == "Quyết định" and data["fields"]["signer"]["value"] == "Trần Thị Bình"
    checks = {c["check"]: c for c in data["checks"]}
    assert checks["citation"]["verdict"] == "evidence_mismatch"
    assert checks["period"]["verdict"] == "evidence_out_of_period"
    assert checks["period"]["reason_vi"] == "Văn bản ngày 05/03/2025, trước kỳ 2026-R1 (01/01/2026–31/05/2026)"


def test_with_a_warehouse_the_document_system_is_asked_and_the_reading_is_kept(capsys, scan, warehouse):
    seed_evidence_world(warehouse)
    code, out, _ = run(capsys, "evidence", "read", str(scan), "--citation", MATCHING, "--unit", "D01",
                       "--period", "2025-R3", "--indicator", "A1", "--json")
    data = json.loads(out)
    assert code == 0 and data["cached"] is False and data["framework"] == "default-dept-2025"
    checks = {c["check"]: c for c in data["checks"]}
    assert checks["registered"]["verdict"] == "evidence_ok" and "DOC-0" in checks["registered"]["reason_vi"]
    assert checks["shared"]["verdict"] == "evidence_ok"
    again = json.loads(run(capsys, "evidence", "read", str(scan), "--unit", "D01", "--json")[1])
    assert again["cached"] is True and again["ocr_pages"] == 1  # read once: the second run asked the cache


@pytest.mark.parametrize("argv, message", [
    (["--period", "2025"], "Kỳ đánh giá '2025' không hợp lệ"),
    (["--indicator", "A1"], "--indicator cần --period"),
    (["--period", "2025-R3", "--indicator", "Z9"], "không có chỉ số 'Z9'"),
    (["--citation", "theo kế hoạch"], "Không thấy số, ký hiệu văn bản trong trích dẫn 'theo kế hoạch'"),
    (["--period", "2031-R7"], "Không có bộ chỉ số nào cho kỳ 2031-R7"),
])
def test_bad_options_are_refused_with_a_message_and_no_traceback(capsys, scan, argv, message):
    code, out, err = run(capsys, "evidence", "read", str(scan), *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_an_unknown_unit_and_a_missing_file_are_refused(capsys, scan, warehouse, tmp_path):
    code, _, err = run(capsys, "evidence", "read", str(scan), "--unit", "KHONG-CO")
    assert code == 2 and "Không có đơn vị mã 'KHONG-CO'" in err
    code, _, err = run(capsys, "evidence", "read", str(tmp_path / "khong-co.pdf"))
    assert code == 2 and "Không có tệp" in err
