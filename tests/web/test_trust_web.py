"""Issue 21's findings 4–9, replayed over HTTP against the review app: throttling that a look-alike name,
parallel guesses or a spray cannot get round; sessions log-out ends and lifetimes bound; bounded password
hashing; redirects, downloads, uploads and merged units that cannot be turned against the app."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dti.appraisal import accounts
from dti.appraisal.errors import ReviewError
from dti.appraisal.evidence import store_evidence
from dti.warehouse.db import session_scope
from dti.warehouse.models import Unit
from review import create_app
from review.security import LoginLimits
from tests.review_fixtures import PERIOD, Browser, seed_review, user


@pytest.fixture
def app(warehouse):
    seed_review(warehouse)
    return create_app(url=warehouse)


def _lock(app, name="hoidong1"):
    b = Browser(app)
    for _ in range(5):
        assert b.login(name, "sai-mat-khau-roi").status_code == 401
    return b


def test_a_username_dressed_with_an_invisible_character_is_the_same_locked_account(app):
    _lock(app)
    for disguise in ("\ufeffhoidong1", "hoidong1\u200b", " HoiDong1 ", "ｈｏｉｄｏｎｇ１"):
        assert Browser(app).login(disguise).status_code == 429, disguise


def test_a_look_alike_username_still_logs_in_to_its_own_account(app):
    assert Browser(app).login("\ufeffHOIDONG1").status_code == 302


class _Hasher:
    """argon2's hasher with a hook around each password check."""

    def __init__(self, real, around):
        self.real, self.around = real, around

    def verify(self, stored, password):
        return self.around(lambda: self.real.verify(stored, password))

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_forty_parallel_guesses_are_counted_before_any_is_checked(app, monkeypatch):
    checked = []

    def counting(check):
        checked.append(1)
        return check()

    monkeypatch.setattr(accounts, "_hasher", _Hasher(accounts._hasher, counting))

    def guess(i):
        return Browser(app).login("hoidong1", f"doan-sai-{i:04d}").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(guess, range(40)))
    assert len(checked) <= 5  # the limit, however the requests raced
    assert codes.count(429) >= 35


def test_spraying_ten_thousand_usernames_does_not_unlock_an_account(warehouse):
    seed_review(warehouse)
    limits = LoginLimits("memory://", "5 per 15 minutes", "1000000 per minute")
    app = create_app(url=warehouse, config={"LOGIN_LIMITS": limits})
    _lock(app)
    for i in range(10_001):
        limits.attempt(f"khong-ton-tai-{i}", "10.0.0.9")
    assert Browser(app).login("hoidong1").status_code == 429


def test_two_server_processes_sharing_redis_count_one_accounts_guesses_together(redis_url):
    """DTI_REVIEW_LIMIT_STORAGE=redis://…: the limit holds across processes (two stores here, as two
    waitress processes would have), even when forty guesses race across both."""
    first, second = (LoginLimits(redis_url, "5 per 15 minutes", "1000 per minute") for _ in range(2))
    with ThreadPoolExecutor(max_workers=10) as pool:
        waits = list(pool.map(lambda i: (first, second)[i % 2].attempt("HoiDong1", f"10.0.0.{i}"), range(40)))
    assert waits.count(0) == 5  # five guesses went ahead, whichever process took them
    assert second.attempt("\ufeffhoidong1", "10.0.0.99") > 0  # the same account, however it is dressed
    first.succeeded("hoidong1")  # a successful log-in clears the account in the shared store
    assert second.attempt("hoidong1", "10.0.0.99") == 0


def test_a_cookie_copied_before_log_out_no_longer_opens_anything(app):
    b = Browser(app, "canbo")
    assert b.get("/hang-doi").status_code == 200
    stolen = b.client.get_cookie("dti_review").value
    b.get("/hang-doi")
    assert b.post("/dang-xuat").status_code == 302
    thief = app.test_client()
    thief.set_cookie("dti_review", stolen)
    r = thief.get("/hang-doi")
    assert r.status_code == 302 and r.headers["Location"].startswith("/dang-nhap")


@pytest.mark.parametrize("setting", ["DTI_REVIEW_IDLE_MINUTES", "DTI_REVIEW_SESSION_HOURS"])
def test_a_log_in_ends_after_its_idle_time_and_its_absolute_lifetime(app, monkeypatch, setting):
    b = Browser(app, "canbo")
    assert b.get("/hang-doi").status_code == 200
    monkeypatch.setenv(setting, "0")
    time.sleep(1.1)  # whole seconds: the warehouse keeps times to the second
    r = b.get("/hang-doi")
    assert r.status_code == 302 and r.headers["Location"].startswith("/dang-nhap")


def test_parallel_log_ins_hash_at_most_the_allowed_number_of_passwords_at_once(app, monkeypatch):
    monkeypatch.setenv("DTI_REVIEW_HASHING_SLOTS", "2")
    accounts._slots.clear()
    busy, peak, lock = [0], [0], threading.Lock()

    def watched(check):
        with lock:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
        try:
            time.sleep(0.05)
            return check()
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(accounts, "_hasher", _Hasher(accounts._hasher, watched))
    app.config["LOGIN_LIMITS"] = LoginLimits("memory://", "100 per minute", "1000 per minute")
    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(lambda i: Browser(app).login("hoidong2").status_code, range(12)))
    accounts._slots.clear()
    assert codes == [302] * 12 and peak[0] <= 2


@pytest.mark.parametrize("target", ["/hang-doi\r\nSet-Cookie: x=1", "/%09/evil.example", "/\t/evil.example",
                                    "//evil.example", "/\\evil.example", "https://evil.example/", "hang-doi"])
def test_the_next_target_after_log_in_never_leaves_the_site_nor_fails(app, target):
    b = Browser(app)
    b.get("/dang-nhap")
    r = b.client.post("/dang-nhap", query_string={"next": target},
                      data={"username": "canbo", "password": "mat-khau-rat-dai-1", "csrf_token": b.token})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert not location.startswith("//") and "\n" not in location and "\t" not in location
    assert urlsplit(location).netloc in ("", "localhost")  # a path on this site, whatever its text


def test_another_units_evidence_looks_exactly_like_a_missing_one(warehouse):
    from tests.core.test_appraisal import SAMPLES

    seed_review(warehouse, phase="self_assessment")
    app = create_app(url=warehouse)
    with session_scope(warehouse) as s:
        own = store_evidence(s, user(warehouse, "donvi2"), SAMPLES["anh.png"][0], "anh.png", "D02", PERIOD)
        sha = own.sha256
    intruder = Browser(app, "donvi1")
    theirs, missing = intruder.get(f"/minh-chung/{sha}"), intruder.get(f"/minh-chung/{'0' * 64}")
    assert theirs.status_code == missing.status_code == 404


def test_evidence_for_an_indicator_the_unit_does_not_have_is_refused(warehouse):
    from tests.core.test_appraisal import SAMPLES

    seed_review(warehouse, phase="self_assessment")
    with session_scope(warehouse) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(warehouse, "donvi1"), SAMPLES["ke-hoach.pdf"][0], "a.pdf", "D01", PERIOD,
                       indicator_code="<script>ZZ9</script>")
    assert err.value.status == 400 and "không có trong bộ chỉ số" in err.value.message_vi


def test_the_pages_carry_no_inline_style_the_csp_would_block(app):
    r = Browser(app).get("/dang-nhap")
    assert "style=" not in r.get_data(as_text=True) and "unsafe-inline" not in r.headers["Content-Security-Policy"]


def _odt_bomb(declared_lie: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.text" + b" " * (300 * 1024 * 1024))
        if declared_lie:  # the central directory claims a small member
            zf.filelist[0].file_size = 64
    return buf.getvalue()


@pytest.mark.parametrize("declared_lie", [False, True])
def test_an_odt_zip_bomb_is_refused_without_unpacking_it(warehouse, declared_lie):
    import resource

    seed_review(warehouse, phase="self_assessment")
    data = _odt_bomb(declared_lie)
    assert len(data) < 2 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with session_scope(warehouse) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(warehouse, "donvi1"), data, "bom.odt", "D01", PERIOD)
    assert err.value.status in (413, 415)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: under 200 MB more


def test_the_account_of_a_merged_unit_cannot_file_for_anyone(warehouse):
    seed_review(warehouse, phase="self_assessment")
    with session_scope(warehouse) as s:
        s.execute(sa.update(Unit).where(Unit.code == "D01").values(valid_to=dt.date(2025, 6, 30)))
    from tests.core.test_appraisal import SAMPLES

    with session_scope(warehouse) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(warehouse, "donvi1"), SAMPLES["ke-hoach.pdf"][0], "a.pdf", "D01", PERIOD)
    assert err.value.status == 403 and "hết hiệu lực" in err.value.message_vi
    app = create_app(url=warehouse)
    b = Browser(app, "donvi1")
    b.get("/nop-bieu-mau")
    form = ("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\nD01," + PERIOD + ",A2,99\n").encode()
    r = b.post("/nop-bieu-mau", {"file": (io.BytesIO(form), "bieu-mau.csv")}, content_type="multipart/form-data")
    assert r.status_code == 403 and "hết hiệu lực" in r.get_data(as_text=True)
