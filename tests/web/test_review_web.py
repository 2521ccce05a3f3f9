"""The review web app through Flask's test client: log-in, roles, CSRF, escaping, locking, phases, files."""

from __future__ import annotations

import hashlib
import io
import re
import types
from decimal import Decimal

import openpyxl
import pytest
from openpyxl import load_workbook

from dti import audit
from dti.appraisal import claims
from dti.intake.template import write_template
from dti.warehouse import Warehouse
from dti.warehouse.db import session_scope
from dti.warehouse.models import (
    ClaimLedgerRow,
    Decision,
    EvidenceFile,
    ExplanationRequest,
    IntakeFile,
    UnitScore,
    User,
)
from review import create_app, units
from review.security import LoginLimits
from tests.review_fixtures import PASSWORD, PERIOD, SCRIPT_NAME, seed_review

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that logs in like a person and picks the CSRF token from the last page."""

    def __init__(self, app, username: str | None = None):
        self.client = app.test_client()
        self.token = None
        if username:
            self.login(username)

    def get(self, path, **kw):
        r = self.client.get(path, **kw)
        m = _TOKEN.search(r.get_data().decode("utf-8", "replace"))
        if m:
            self.token = m.group(1)
        return r

    def post(self, path, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def login(self, username, password=PASSWORD):
        self.get("/dang-nhap")
        return self.post("/dang-nhap", {"username": username, "password": password})


@pytest.fixture
def app(warehouse):
    seed_review(warehouse)
    return create_app(url=warehouse)


def _app(warehouse, phase, signed_off=False):
    seed_review(warehouse, phase=phase, signed_off=signed_off)
    return create_app(url=warehouse)


def _claim(url, unit, code) -> ClaimLedgerRow:
    with session_scope(url) as s:
        return s.get(ClaimLedgerRow, (unit, PERIOD, code))


def _decision_count(url) -> int:
    with session_scope(url) as s:
        return s.query(Decision).count()


# --- log-in and sessions -------------------------------------------------------------------


def test_pages_need_a_log_in(app):
    for path in (
        "/hang-doi",
        f"/chi-tieu/{PERIOD}/D01/F5",
        "/don-vi/D01",
        "/xep-hang",
        "/xuat-excel",
        "/quan-tri",
    ):
        r = app.test_client().get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/dang-nhap"), path


def test_wrong_password_is_refused_and_session_cookie_is_locked_down(app):
    b = Browser(app)
    r = b.login("hoidong1", "sai-mat-khau-roi")
    assert r.status_code == 401 and "Sai tên đăng nhập" in r.get_data(as_text=True)
    r = b.login("hoidong1")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert b.get("/hang-doi").status_code == 200


def test_log_in_redirect_stays_on_site(app):
    b = Browser(app)
    b.get("/dang-nhap")
    r = b.post("/dang-nhap?next=//evil.example/x", {"username": "hoidong1", "password": PASSWORD})
    assert r.headers["Location"] == "/"


def test_deactivated_user_loses_the_open_session(app, warehouse):
    b = Browser(app, "canbo")
    assert b.get("/hang-doi").status_code == 200
    with session_scope(warehouse) as s:
        s.query(User).filter_by(username="canbo").update({"active": False})
    assert b.get("/hang-doi").status_code == 302


def test_security_headers_forbid_scripts_and_framing(app):
    r = Browser(app, "canbo").get("/hang-doi")
    assert "script-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"


# --- CSRF ----------------------------------------------------------------------------------


def test_post_without_or_with_a_foreign_csrf_token_is_refused(app, warehouse):
    b = Browser(app, "hoidong1")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    form = {"action": "keep_claim", "reason": "x", "version": "1"}
    r = b.post(f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", form, csrf=False)
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    other = Browser(app, "hoidong2")
    other.get("/hang-doi")
    r = b.post(f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", form | {"csrf_token": other.token})
    assert r.status_code == 400
    assert _decision_count(warehouse) == 0
    # The log-in form is protected too.
    r = app.test_client().post("/dang-nhap", data={"username": "hoidong1", "password": PASSWORD})
    assert r.status_code == 400


# --- authorization -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/don-vi/D02"),
        ("get", f"/chi-tieu/{PERIOD}/D02/F12"),
        ("get", f"/chi-tieu/{PERIOD}/D99/F12"),
        ("post", f"/chi-tieu/{PERIOD}/D02/F12/quyet-dinh"),
        ("post", f"/chi-tieu/{PERIOD}/D01/F12/quyet-dinh"),
        ("post", f"/chi-tieu/{PERIOD}/D02/F12/yeu-cau-giai-trinh"),
        ("post", "/don-vi/D02/minh-chung"),
        ("get", "/xuat-excel"),
        ("get", "/xep-hang"),
        ("get", "/quan-tri"),
        ("post", "/quan-tri/giai-doan"),
        ("post", "/quan-tri/nguoi-dung"),
        ("post", "/quyet-dinh/1/phe-duyet"),
    ],
)
def test_a_submitter_gets_403_outside_its_own_unit(app, method, path):
    b = Browser(app, "donvi1")
    b.get("/don-vi/D01")
    r = (
        getattr(b, method)(path, {"period": PERIOD, "action": "keep_claim", "reason": "x", "version": "1"})
        if method == "post"
        else b.get(path)
    )
    assert r.status_code == 403, path
    assert "không có quyền" in r.get_data(as_text=True)


def test_a_submitter_sees_only_its_own_unit_in_the_queue(app):
    b = Browser(app, "donvi1")
    page = b.get("/hang-doi").get_data(as_text=True)
    assert "/chi-tieu/2025-R3/D01/F12" in page and "D02" not in page and "D03" not in page
    assert b.get(f"/chi-tieu/{PERIOD}/D01/F5").status_code == 200
    assert "Ghi quyết định" not in b.get(f"/chi-tieu/{PERIOD}/D01/F5").get_data(as_text=True)


def test_a_submitter_cannot_answer_or_download_for_another_unit(warehouse):
    app = _app(warehouse, "explanation")
    staff = Browser(app, "canbo")
    staff.get(f"/chi-tieu/{PERIOD}/D02/F12")
    assert (
        staff.post(
            f"/chi-tieu/{PERIOD}/D02/F12/yeu-cau-giai-trinh", {"message": "Giải trình F12"}
        ).status_code
        == 302
    )
    owner = Browser(app, "donvi2")
    owner.get("/don-vi/D02")
    r = owner.post("/don-vi/D02/minh-chung", {"period": PERIOD, "file": (io.BytesIO(PDF), "kh.pdf")})
    assert r.status_code == 302
    sha = hashlib.sha256(PDF).hexdigest()
    with session_scope(warehouse) as s:
        req_id = s.query(ExplanationRequest).one().id
    intruder = Browser(app, "donvi1")
    intruder.get("/don-vi/D01")
    assert intruder.post(f"/giai-trinh/{req_id}/tra-loi", {"answer": "giả mạo"}).status_code == 403
    assert intruder.get(f"/minh-chung/{sha}").status_code == 404  # the same answer as for no such file
    with session_scope(warehouse) as s:
        assert s.get(ExplanationRequest, req_id).answer is None
    assert owner.get(f"/minh-chung/{sha}").data == PDF


def test_staff_sees_all_and_requests_explanations_but_cannot_decide(app, warehouse):
    b = Browser(app, "canbo")
    page = b.get("/hang-doi").get_data(as_text=True)
    assert all(f"/chi-tieu/2025-R3/{u}/" in page for u in ("D01", "D02", "D03"))
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": "x", "version": "1"}
    )
    assert r.status_code == 403 and _decision_count(warehouse) == 0
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/yeu-cau-giai-trinh", {"message": "Cung cấp danh sách hồ sơ trễ hạn"}
    )
    assert r.status_code == 302
    assert "Cung cấp danh sách hồ sơ trễ hạn" in b.get(f"/chi-tieu/{PERIOD}/D01/F5").get_data(as_text=True)


# --- escaping and parameterised queries ----------------------------------------------------


def test_user_text_is_escaped_everywhere(app):
    b = Browser(app, "hoidong1")
    b.get(f"/chi-tieu/{PERIOD}/D02/F5")
    b.post(
        f"/chi-tieu/{PERIOD}/D02/F5/quyet-dinh",
        {"action": "accept_objective", "reason": '<img src=x onerror="alert(2)">', "version": "1"},
    )
    pages = [
        b.get("/hang-doi").get_data(as_text=True),
        b.get("/xep-hang").get_data(as_text=True),
        b.get("/don-vi/D02").get_data(as_text=True),
        b.get(f"/chi-tieu/{PERIOD}/D02/F5").get_data(as_text=True),
    ]
    for page in pages:
        assert SCRIPT_NAME not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in pages[3]


@pytest.mark.parametrize(
    "path",
    [
        "/hang-doi?ky=2025-R3'%20OR%20'1'='1",
        "/chi-tieu/2025-R3/D01'%20OR%20'1'='1/F5",
        "/chi-tieu/2025-R3/D01/F5'%20OR%201=1--",
        "/hang-doi?ket-qua=discrepancy'%20OR%201=1--",
    ],
)
def test_injection_attempts_find_nothing(app, path):
    r = Browser(app, "canbo").get(path)
    assert r.status_code in (400, 404)
    assert "/chi-tieu/2025-R3/D02/" not in r.get_data(as_text=True)


def test_injection_in_the_username_does_not_log_in(app):
    r = Browser(app).login("' OR '1'='1' --", "' OR '1'='1' --")
    assert r.status_code == 401


# --- decisions through the web -------------------------------------------------------------


def test_decision_changes_the_verified_score_shown(app, warehouse):
    b = Browser(app, "hoidong1")
    page = b.get(f"/chi-tieu/{PERIOD}/D01/F5").get_data(as_text=True)
    assert 'name="version" value="1"' in page
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "keep_claim", "reason": "Đơn vị giải trình hợp lý", "version": "1"},
    )
    assert r.status_code == 302
    page = b.get(r.headers["Location"]).get_data(as_text=True)
    assert "36,00 → 40,00" in page and "Đơn vị giải trình hợp lý" in page
    assert 'data-unit="D01">58,00 / 1000,00' in b.get("/xep-hang").get_data(as_text=True)


def test_a_decision_without_a_reason_is_refused(app, warehouse):
    b = Browser(app, "hoidong1")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    r = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": " ", "version": "1"}
    )
    assert r.status_code == 400 and "lý do" in r.get_data(as_text=True)
    assert _decision_count(warehouse) == 0


def test_two_reviewers_deciding_the_same_claim_get_409_not_an_overwrite(app, warehouse):
    a, b = Browser(app, "hoidong1"), Browser(app, "hoidong2")
    a.get(f"/chi-tieu/{PERIOD}/D01/F5")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    ra = a.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": "A", "version": "1"}
    )
    rb = b.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "set_value", "value": "50%", "reason": "B", "version": "1"},
    )
    assert ra.status_code == 302 and rb.status_code == 409
    text = rb.get_data(as_text=True)
    assert "vừa được người khác cập nhật" in text and "CHƯA được lưu" in text
    row = _claim(warehouse, "D01", "F5")
    assert row.verified_value == Decimal("0.99") and _decision_count(warehouse) == 1


def test_four_eyes_through_the_web(app, warehouse):
    a = Browser(app, "hoidong1")
    a.get(f"/chi-tieu/{PERIOD}/D01/F12")
    r = a.post(
        f"/chi-tieu/{PERIOD}/D01/F12/quyet-dinh", {"action": "keep_claim", "reason": "Giữ", "version": "1"}
    )
    page = a.get(r.headers["Location"]).get_data(as_text=True)
    assert "chờ một thành viên Hội đồng khác phê duyệt" in page
    assert "chờ phê duyệt #" in a.get("/hang-doi").get_data(as_text=True)
    assert "Người đề xuất không tự phê duyệt" in page
    pending_id = int(re.search(r"Quyết định #(\d+) \(", page).group(1))
    b = Browser(app, "hoidong2")
    page = b.get(f"/chi-tieu/{PERIOD}/D01/F12").get_data(as_text=True)
    version = re.search(r'id="approval-form">.*?name="version" value="(\d+)"', page, re.S).group(1)
    r = b.post(
        f"/quyet-dinh/{pending_id}/phe-duyet", {"verdict": "approve", "reason": "Đồng ý", "version": version}
    )
    assert r.status_code == 302
    assert _claim(warehouse, "D01", "F12").verified_points == Decimal("28.5")
    with session_scope(warehouse) as s:
        assert s.get(UnitScore, ("D01", PERIOD)).verified_total == Decimal("64.5")
        assert audit.verify(s) == []


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
    app = _app(warehouse, "explanation")
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


def _filled_form(tmp_path, unit: str) -> bytes:
    path = write_template(Warehouse(), unit, PERIOD, out=tmp_path / f"form-{unit}.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Tự đánh giá"]
    col = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for row in range(8, ws.max_row + 1):
        code, measure = ws.cell(row, 1).value, ws.cell(row, col["Loại giá trị"]).value
        if measure == "Tỷ lệ (%)":
            ws.cell(row, col["Tử số"]).value = 60 if code == "F5" else 45
            ws.cell(row, col["Mẫu số"]).value = 50
        elif measure == "Số lượng":
            ws.cell(row, col["Giá trị tự đánh giá"]).value = "4"
        elif measure == "Mức":
            ws.cell(row, col["Giá trị tự đánh giá"]).value = "2 – Người đứng đầu chủ trì"
        ws.cell(
            row, col["Tài liệu kiểm chứng (số, ký hiệu, ngày)"]
        ).value = "Kế hoạch số 45/KH-UBND ngày 12/3/2025"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.slow
def test_a_unit_uploads_its_form_through_the_real_intake(warehouse, tmp_path):
    app = _app(warehouse, "self_assessment")
    b = Browser(app, "donvi1")
    b.get("/nop-bieu-mau")
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(_filled_form(tmp_path, "D01")), "tu-danh-gia-D01.xlsx")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nhập một phần" in page and "D01 · kỳ 2025-R3" in page
    errors = page[page.index('id="intake-errors"') :]
    assert errors.count("<tr>") == 2 and "Tử số" in errors and "(60)" in errors
    # Another unit's form is refused before anything is imported.
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(_filled_form(tmp_path, "D02")), "tu-danh-gia-D02.xlsx")})
    assert r.status_code == 403 and "chỉ nộp được cho đơn vị D01" in r.get_data(as_text=True)
    with session_scope(warehouse) as s:
        assert s.query(IntakeFile).count() == 1


def test_forms_are_refused_once_appraisal_starts(app, tmp_path):
    b = Browser(app, "donvi1")
    b.get("/nop-bieu-mau")
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(_filled_form(tmp_path, "D01")), "tu-danh-gia-D01.xlsx")})
    assert r.status_code == 409 and "không nhận biểu mẫu" in r.get_data(as_text=True)


# --- public page and export ----------------------------------------------------------------


def test_public_page_only_after_publication_from_the_published_copy(warehouse):
    app = _app(warehouse, "final")
    anon = app.test_client()
    assert anon.get(f"/cong-khai/{PERIOD}").status_code == 404
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    # Moving the phase to "published" by hand is no longer a way to publish.
    r = admin.post("/quan-tri/giai-doan", {"period": PERIOD, "phase": "published"})
    assert r.status_code == 400 and anon.get(f"/cong-khai/{PERIOD}").status_code == 404
    admin.get("/quan-tri")
    r = admin.post("/quan-tri/cong-bo", {"period": PERIOD, "decision": "123/QĐ-UBND", "signed_on": "2026-03-31",
                                         "signer": "Chủ tịch UBND tỉnh"})
    assert r.status_code == 302
    page = anon.get(f"/cong-khai/{PERIOD}").get_data(as_text=True)
    assert "123/QĐ-UBND" in page and "31/03/2026" in page and "Sở Nội vụ" in page and "&lt;script&gt;" in page
    assert "Đăng xuất" not in page and "/chi-tieu/" not in page
    assert "Điểm tự chấm" not in page  # the public sees verified results only
    assert "65,00 / 1000,00" in page
    assert anon.get("/cong-khai/not-a-period").status_code == 404


def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_excel_export_lists_the_claims_and_the_decisions_taken(app):
    council = Browser(app, "hoidong1")
    council.get(f"/chi-tieu/{PERIOD}/D01/F5")
    council.post(
        f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh",
        {"action": "keep_claim", "reason": "Có căn cứ", "version": "1"},
    )
    b = Browser(app, "canbo")
    r1 = b.get(f"/xuat-excel?ky={PERIOD}")
    r2 = b.get(f"/xuat-excel?ky={PERIOD}")
    assert r1.status_code == 200 and "hoi-dong-tham-dinh-2025-R3.xlsx" in r1.headers["Content-Disposition"]
    assert _cells(r1.data) == _cells(r2.data)
    values = {str(v) for _, _, v in _cells(r1.data) if v is not None}
    assert {"D01", "D02", "D03", "F5", "F12"} <= values
    assert "58" in values or "58.0" in values  # D01's verified total after the decision


def test_admin_creates_accounts_through_the_form(app, warehouse):
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    r = admin.post(
        "/quan-tri/nguoi-dung",
        {
            "username": "donvi3",
            "role": "submitter",
            "unit": "D03",
            "password": "mat-khau-moi-dai",
            "full_name": "Văn thư",
        },
    )
    assert r.status_code == 302
    assert Browser(app).login("donvi3", "mat-khau-moi-dai").status_code == 302
    r = admin.post("/quan-tri/nguoi-dung", {"username": "x1", "role": "council", "password": "ngan"})
    assert r.status_code == 400 and "ít nhất 10" in r.get_data(as_text=True)


def test_admin_locks_an_account_and_its_session_ends(app, warehouse):
    unit = Browser(app, "donvi1")
    assert unit.get("/don-vi/D01").status_code == 200
    admin = Browser(app, "quantri")
    admin.get("/quan-tri")
    with session_scope(warehouse) as s:
        ids = {u.username: u.id for u in s.query(User).all()}
    assert admin.post(f"/quan-tri/nguoi-dung/{ids['donvi1']}/trang-thai", {"active": "0"}).status_code == 302
    assert unit.get("/don-vi/D01").status_code == 302
    assert Browser(app).login("donvi1").status_code == 401
    r = admin.post(f"/quan-tri/nguoi-dung/{ids['quantri']}/trang-thai", {"active": "0"})
    assert r.status_code == 409 and "tự khoá" in r.get_data(as_text=True)
    admin.post(f"/quan-tri/nguoi-dung/{ids['donvi1']}/trang-thai", {"active": "1"})
    assert Browser(app).login("donvi1").status_code == 302
    council = Browser(app, "hoidong1")
    council.get("/hang-doi")
    assert (
        council.post(f"/quan-tri/nguoi-dung/{ids['donvi2']}/trang-thai", {"active": "0"}).status_code == 403
    )


def test_an_unexpected_failure_shows_a_plain_page_without_internals(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(claims, "queue", broken)
    r = Browser(app, "canbo").get("/hang-doi")
    text = r.get_data(as_text=True)
    assert r.status_code == 500 and "Lỗi máy chủ" in text and "secret internal detail" not in text


def test_repeated_wrong_passwords_lock_that_username_for_a_while(warehouse):
    seed_review(warehouse)
    app = create_app(url=warehouse, config={"LOGIN_LIMITS": LoginLimits("memory://", "5 per 15 minutes",
                                                                        "100 per minute")})
    b = Browser(app)
    for _ in range(5):
        assert b.login("hoidong1", "sai-mat-khau-roi").status_code == 401
    r = b.login("hoidong1")  # even the right password waits
    assert r.status_code == 429 and "thử lại sau khoảng 15 phút" in r.get_data(as_text=True)
    assert Browser(app).login("hoidong2").status_code == 302  # other accounts are unaffected


def test_every_route_but_log_in_and_the_public_page_refuses_anonymous_visitors(app):
    """A guard for new routes: anything added without a log-in check fails here."""
    open_routes = {"static", "auth.login", "public.results", "auth.home", "auth.logout"}
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in open_routes:
            continue
        values = {
            arg: {"decision_id": 1, "request_id": 1, "user_id": 1, "page": 1}.get(arg, "x") for arg in rule.arguments
        }
        values = {k: (PERIOD if k == "period" else v) for k, v in values.items()}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method)
            assert r.status_code in (302, 400), (method, path, r.status_code)
            if r.status_code == 302:
                assert r.headers["Location"].startswith("/dang-nhap"), path
            checked += 1
    assert checked >= 15
