"""Files into the review web app, each only in its phase: evidence uploads (locked during appraisal, size and
type limits), explanation requests answered by the unit with a file, and self-assessment forms, whose
rejected rows are listed on the page (through the real intake too)."""

from __future__ import annotations

import hashlib
import io
import types

import pytest

from dti.warehouse.db import session_scope
from dti.warehouse.models import EvidenceFile, ExplanationRequest, IntakeFile
from review import units
from tests import review_fixtures
from tests.review_fixtures import PDF, PERIOD, Browser, filled_form, review_app

app = review_fixtures.app  # the fixture: the web app over the seeded review world, in appraisal


# --- phases, evidence, intake --------------------------------------------------------------


def test_evidence_upload_is_refused_during_appraisal(app, warehouse):
    b = Browser(app, "donvi1")
    page = b.get("/don-vi/D01").get_data(as_text=True)
    assert "minh chứng đã khoá" in page and 'id="evidence-form"' not in page
    r = b.post("/don-vi/D01/minh-chung", {"period": PERIOD, "file": (io.BytesIO(PDF), "kh.pdf")})
    assert r.status_code == 409 and "khoá" in r.get_data(as_text=True)


def test_admin_opens_explanation_and_the_unit_uploads_and_answers(app, warehouse, tmp_path):
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    assert admin.post("/quan-tri/giai-doan", {"period": PERIOD, "phase": "explanation"}).status_code == 302
    council = Browser(app, "hoidong1")
    council.get(f"/chi-tieu/{PERIOD}/D01/F5")
    council.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {
            "action": "request_evidence",
            "reason": "Thiếu minh chứng",
            "message": "Gửi sổ theo dõi hồ sơ",
            "version": "1",
        },
    )
    unit = Browser(app, "donvi1")
    page = unit.get("/don-vi/D01").get_data(as_text=True)
    assert "Gửi sổ theo dõi hồ sơ" in page
    with session_scope(warehouse) as s:
        req_id = s.query(ExplanationRequest).one().id
    r = unit.post(
        f"/giai-trinh/{req_id}/tra-loi",
        {"answer": "Đính kèm sổ theo dõi", "file": (io.BytesIO(PDF), "so-theo-doi.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    sha = hashlib.sha256(PDF).hexdigest()
    assert (tmp_path / "data" / "files" / "evidence" / sha[:2] / f"{sha}.pdf").read_bytes() == PDF
    with session_scope(warehouse) as s:
        req = s.get(ExplanationRequest, req_id)
        assert (req.answer, req.evidence_sha256, req.answered_by) == ("Đính kèm sổ theo dõi", sha, "donvi1")
        assert [e.unit_code for e in s.query(EvidenceFile).filter_by(sha256=sha)] == ["D01"]
    r = council.get(f"/minh-chung/{sha}")
    assert r.data == PDF and "attachment" in r.headers["Content-Disposition"]
    r = unit.post("/don-vi/D01/minh-chung", {"period": PERIOD, "file": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")})
    assert r.status_code == 415 and "PDF, PNG, JPEG, DOCX, XLSX, ODT" in r.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_a_clear_413(warehouse, monkeypatch):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "1000")
    app = review_app(warehouse, "explanation")
    b = Browser(app, "donvi1")
    b.get("/don-vi/D01")
    r = b.post(
        "/don-vi/D01/minh-chung", {"period": PERIOD, "file": (io.BytesIO(PDF + b"0" * 5000), "lon.pdf")}
    )
    assert r.status_code == 413 and "1,000" in r.get_data(as_text=True)


def test_self_assessment_upload_lists_every_rejected_row(app, monkeypatch):
    """The page shows each reason of each rejected row the intake service returns, escaped."""
    seen = {}

    def import_file(
        path, mapping=None, *, wh=None, row_checks=None, submitted_at=None, uploaded_by=None, unit=None,
        period=None, replace_all=False,
    ):
        seen.update(name=path.name, uploaded_by=uploaded_by, unit=unit)
        return types.SimpleNamespace(
            summary={
                "filename": path.name,
                "status": "partial",
                "rows_read": 3,
                "rows_accepted": 2,
                "rows_rejected": 1,
            },
            already_imported=False,
            rejected_rows=[
                {
                    "sheet": "Biểu 1",
                    "row": 7,
                    "reasons": [
                        {
                            "column": "Giá trị",
                            "value": "<b>abc</b>",
                            "message_vi": "Không phải là số",
                            "message_en": "nan",
                        },
                        {
                            "column": "Mẫu số",
                            "value": "0",
                            "message_vi": "Mẫu số bằng 0",
                            "message_en": "zero",
                        },
                    ],
                }
            ],
        )

    monkeypatch.setattr(units, "import_file", import_file)
    b = Browser(app, "canbo")
    b.get("/nop-bieu-mau")
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(b"a,b\n1,2\n"), "../../tu-danh-gia.csv")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and seen == {"name": "tu-danh-gia.csv", "uploaded_by": "canbo", "unit": None}
    assert "Biểu 1" in page and ">7<" in page and "Không phải là số" in page and "Mẫu số bằng 0" in page
    assert "&lt;b&gt;abc&lt;/b&gt;" in page and "3 / 2 / 1" in page


@pytest.mark.slow
def test_a_unit_uploads_its_form_through_the_real_intake(warehouse, tmp_path):
    app = review_app(warehouse, "self_assessment")
    b = Browser(app, "donvi1")
    b.get("/nop-bieu-mau")
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(filled_form(tmp_path, "D01")), "tu-danh-gia-D01.xlsx")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nhập một phần" in page and "D01 · kỳ 2025-R3" in page
    errors = page[page.index('id="intake-errors"') :]
    assert errors.count("<tr>") == 2 and "Tử số" in errors and "(60)" in errors
    # Another unit's form is refused before anything is imported.
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(filled_form(tmp_path, "D02")), "tu-danh-gia-D02.xlsx")})
    assert r.status_code == 403 and "chỉ nộp được cho đơn vị D01" in r.get_data(as_text=True)
    with session_scope(warehouse) as s:
        assert s.query(IntakeFile).count() == 1


def test_forms_are_refused_once_appraisal_starts(app, tmp_path):
    b = Browser(app, "donvi1")
    b.get("/nop-bieu-mau")
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(filled_form(tmp_path, "D01")), "tu-danh-gia-D01.xlsx")})
    assert r.status_code == 409 and "không nhận biểu mẫu" in r.get_data(as_text=True)
