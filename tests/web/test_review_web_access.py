"""The review web app's guard rails, through Flask's test client: log-in and sessions, CSRF, who may see and
do what (roles, own unit only), escaping and parameterised queries, account management and log-in lock-out,
a plain error page, and no route open to anonymous visitors. Decisions are in test_review_web_decisions.py,
uploads and phases in test_review_web_uploads.py."""

from __future__ import annotations

import hashlib
import io

import pytest

from dti.appraisal import claims
from dti.warehouse.db import session_scope
from dti.warehouse.models import ExplanationRequest, User
from review import create_app
from review.security import LoginLimits
from tests import review_fixtures
from tests.review_fixtures import (
    PASSWORD,
    PDF,
    PERIOD,
    SCRIPT_NAME,
    Browser,
    decision_count,
    review_app,
    seed_review,
)

app = review_fixtures.app  # the fixture: the web app over the seeded review world, in appraisal


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
    assert decision_count(warehouse) == 0
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
    app = review_app(warehouse, "explanation")
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
    assert r.status_code == 403 and decision_count(warehouse) == 0
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


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("method, path, form", [
    ("get", f"/chi-tieu/{PERIOD}/D01/F5?trang={HUGE}", None),
    ("get", f"/chi-tieu/{PERIOD}/D01/F5?trang=%C2%B2", None),  # '²' is a digit to str.isdigit, not to int()
    ("get", f"/cong-khai/{PERIOD}?ban={HUGE}", None),
    ("get", f"/minh-chung/{'0' * 64}/trang-{HUGE}.png", None),
    ("post", f"/quyet-dinh/{HUGE}/phe-duyet", {"verdict": "approve", "reason": "x", "version": "1"}),
    ("post", f"/quan-tri/nguoi-dung/{HUGE}/trang-thai", {"active": "0"}),
    ("post", f"/giai-trinh/{HUGE}/tra-loi", {"answer": "x"}),
    ("post", f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "keep_claim", "reason": "x", "version": HUGE}),
    ("post", f"/chi-tieu/{PERIOD}/D01/F5/quyet-dinh", {"action": "set_value", "value": "1e999999", "reason": "x",
                                                        "version": "1"}),
])
def test_numbers_out_of_any_range_are_refused_not_a_server_error(app, method, path, form):
    b = Browser(app, "quantri" if "quan-tri" in path else "hoidong1")
    b.get(f"/chi-tieu/{PERIOD}/D01/F5")
    r = b.get(path) if method == "get" else b.post(path, form)
    assert r.status_code in (200, 400, 403, 404, 409), r.status_code  # a page or a refusal, never a 500


def test_injection_in_the_username_does_not_log_in(app):
    r = Browser(app).login("' OR '1'='1' --", "' OR '1'='1' --")
    assert r.status_code == 401


# --- accounts, lock-out, errors, the route guard ---------------------------------------------


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
