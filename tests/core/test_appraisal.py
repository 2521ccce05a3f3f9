"""Council decisions move verified points and ranks; four-eyes, phases, locking and evidence rules hold."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from dti import audit
from dti.appraisal.accounts import authenticate, create_user
from dti.appraisal.claims import get_claim
from dti.appraisal.decision_history import decision_state, pending_by_claim
from dti.appraisal.decisions import decide, review_pending
from dti.appraisal.errors import ReviewError
from dti.appraisal.evidence import evidence_download, evidence_for, evidence_snapshot, store_evidence
from dti.warehouse import init_db
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, Decision, EvidenceFile, ExplanationRequest, UnitScore
from tests.review_fixtures import PASSWORD, PERIOD, seed_review, user


@pytest.fixture
def world(warehouse):
    seed_review(warehouse)
    return warehouse


def _decide(url, username, unit, code, action, reason="Có căn cứ", value=None, version=None):
    with session_scope(url) as s:
        row = get_claim(s, PERIOD, unit, code)
        return decide(
            s,
            user(url, username),
            row,
            action,
            reason,
            row.version if version is None else version,
            value=value,
        )


def _score(url, unit) -> UnitScore:
    with session_scope(url) as s:
        return s.get(UnitScore, (unit, PERIOD))


def _claim(url, unit, code) -> ClaimLedgerRow:
    with session_scope(url) as s:
        return s.get(ClaimLedgerRow, (unit, PERIOD, code))


def test_seeded_scores_rank_units_by_verified_points(world):
    assert [
        (_score(world, u).verified_total, _score(world, u).verified_rank) for u in ("D01", "D02", "D03")
    ] == [
        (Decimal("54.0000"), 3),
        (Decimal("55.0000"), 2),
        (Decimal("65.0000"), 1),
    ]
    assert _score(world, "D01").rank_change == 1 - 3
    assert [m["indicator_code"] for m in _score(world, "D01").movers] == ["F12", "F5"]


def test_keep_claim_applies_the_self_value_and_moves_the_rank(world):
    out = _decide(world, "hoidong1", "D01", "F5", "keep_claim", "Đơn vị chứng minh được số liệu")
    assert out.applied and out.decision.status == "effective"
    row = _claim(world, "D01", "F5")
    assert row.verified_value == Decimal("0.99") and row.verified_points == Decimal("40")
    assert row.decision_id == out.decision.id and row.reason.endswith("council_decision")
    d01, d02 = _score(world, "D01"), _score(world, "D02")
    assert d01.verified_total == Decimal("58") and d01.verified_rank == 2 and d01.rank_change == -1
    assert d02.verified_rank == 3
    assert d01.verified_dti == Decimal("0.058")
    # The indicators that still cost D01 points, and the main-index breakdown, follow the decision.
    assert d01.movers == [{"indicator_code": "F12", "points": "-10.50", "outcome": "discrepancy"}]
    assert d01.by_main_index["F"]["verified"] == "58.00" and d01.by_main_index["F"]["max"] == "340.00"


def test_accept_objective_and_set_value(world):
    _decide(world, "hoidong1", "D03", "F5", "set_value", value=Decimal("0.99"))
    assert _claim(world, "D03", "F5").verified_points == Decimal("40")  # 99% ≥ the 98% pass mark
    _decide(world, "hoidong1", "D03", "F5", "accept_objective")
    row = _claim(world, "D03", "F5")
    assert row.verified_value == Decimal("0.95") and row.verified_points == Decimal("38")
    assert _score(world, "D03").verified_total == Decimal("65")


def test_request_evidence_changes_no_value_and_asks_the_unit(world):
    out = _decide(world, "hoidong1", "D02", "F12", "request_evidence", "Cần danh sách văn bản ký số")
    assert out.applied and out.points_after == out.points_before
    assert _claim(world, "D02", "F12").verified_points == Decimal("15")
    with session_scope(world) as s:
        req = s.execute(sa.select(ExplanationRequest)).scalar_one()
    assert (req.unit_code, req.indicator_code, req.message) == ("D02", "F12", "Cần danh sách văn bản ký số")


@pytest.mark.parametrize(
    "kwargs, status, text",
    [
        ({"reason": "   "}, 400, "lý do"),
        ({"action": "delete_everything"}, 400, "không hợp lệ"),
        ({"action": "set_value", "value": Decimal("1.5")}, 400, "0–1"),
        ({"action": "set_value", "value": None}, 400, "Cần nhập giá trị"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_recorded(world, kwargs, status, text):
    args = {"action": "keep_claim", "reason": "Có căn cứ", "value": None} | kwargs
    with pytest.raises(ReviewError) as err:
        _decide(world, "hoidong1", "D01", "F5", args["action"], args["reason"], args["value"])
    assert err.value.status == status and text in err.value.message_vi
    with session_scope(world) as s:
        assert s.query(Decision).count() == 0


def test_only_council_members_decide(world):
    for username in ("canbo", "donvi1", "quantri"):
        with pytest.raises(ReviewError) as err:
            _decide(world, username, "D01", "F5", "keep_claim")
        assert err.value.status == 403


@pytest.mark.parametrize("phase", ["self_assessment", "submitted", "final", "published"])
def test_decisions_only_in_appraisal_or_explanation(warehouse, phase):
    seed_review(warehouse, phase=phase)
    with pytest.raises(ReviewError) as err:
        _decide(warehouse, "hoidong1", "D01", "F5", "keep_claim")
    assert err.value.status == 409 and "giai đoạn" in err.value.message_vi


def test_four_eyes_holds_a_large_change_until_another_member_approves(world):
    # keep_claim on D01/F12 moves 18 → 28.5 points: 10.5 > the default 10.
    out = _decide(world, "hoidong1", "D01", "F12", "keep_claim", "Giữ số liệu đơn vị")
    assert not out.applied and out.decision.status == "pending_approval"
    assert _claim(world, "D01", "F12").verified_points == Decimal("18")
    assert _score(world, "D01").verified_total == Decimal("54")
    # Another decision on the same claim waits for the pending one.
    with pytest.raises(ReviewError) as err:
        _decide(world, "hoidong2", "D01", "F12", "accept_objective")
    assert err.value.status == 409
    version = _claim(world, "D01", "F12").version
    with session_scope(world) as s, pytest.raises(ReviewError) as err:
        review_pending(s, user(world, "hoidong1"), out.decision.id, True, "tự duyệt", version)
    assert err.value.status == 403 and "bốn mắt" in err.value.message_vi
    with session_scope(world) as s:
        assert pending_by_claim(s, PERIOD) == {("D01", "F12"): out.decision.id}
    with session_scope(world) as s:
        approval = review_pending(s, user(world, "hoidong2"), out.decision.id, True, "Đồng ý", version)
    assert approval.applied and approval.decision.approves_id == out.decision.id
    assert _claim(world, "D01", "F12").verified_points == Decimal("28.5")
    assert _score(world, "D01").verified_total == Decimal("64.5")
    with session_scope(world) as s:
        assert pending_by_claim(s, PERIOD) == {}
        assert decision_state(s, s.get(Decision, out.decision.id)) == "approved_later"
        assert audit.verify(s) == []


def test_a_rejected_override_changes_nothing(world):
    out = _decide(world, "hoidong1", "D01", "F12", "keep_claim")
    version = _claim(world, "D01", "F12").version
    with session_scope(world) as s:
        review_pending(s, user(world, "hoidong2"), out.decision.id, False, "Không đủ căn cứ", version)
    assert _claim(world, "D01", "F12").verified_points == Decimal("18")
    # The claim is free again.
    assert _decide(world, "hoidong2", "D01", "F12", "accept_objective").applied


def test_four_eyes_threshold_is_configurable(world, monkeypatch):
    monkeypatch.setenv("DTI_REVIEW_FOUR_EYES_POINTS", "20")
    assert _decide(world, "hoidong1", "D01", "F12", "keep_claim").applied


def test_stale_form_version_is_refused_and_nothing_is_overwritten(world):
    first = _decide(world, "hoidong1", "D01", "F5", "keep_claim", version=1)
    with pytest.raises(ReviewError) as err:
        _decide(world, "hoidong2", "D01", "F5", "accept_objective", version=1)
    assert err.value.status == 409 and "CHƯA được lưu" in err.value.message_vi
    row = _claim(world, "D01", "F5")
    assert row.verified_points == Decimal("40") and row.decision_id == first.decision.id


def test_two_sessions_deciding_at_once_cannot_overwrite_each_other(world):
    """Both reviewers loaded version 1; the second write loses at the database, not just the form check."""
    a_user, b_user = user(world, "hoidong1"), user(world, "hoidong2")
    factory = sa.orm.sessionmaker(bind=sa.create_engine(world), expire_on_commit=False)
    with factory() as sa_, factory() as sb:
        row_a = sa_.get(ClaimLedgerRow, ("D01", PERIOD, "F5"))
        row_b = sb.get(ClaimLedgerRow, ("D01", PERIOD, "F5"))
        assert row_a.version == row_b.version == 1
        decide(sa_, a_user, row_a, "keep_claim", "Giữ", 1)
        sa_.commit()
        with pytest.raises(ReviewError) as err:
            decide(sb, b_user, row_b, "set_value", "Ấn định", 1, value=Decimal("0.5"))
        sb.rollback()
    assert err.value.status == 409
    row = _claim(world, "D01", "F5")
    assert row.verified_value == Decimal("0.99")
    with session_scope(world) as s:
        assert s.query(Decision).count() == 1
        assert audit.verify(s) == []


# --- accounts ------------------------------------------------------------------------------


def test_passwords_are_argon2_hashed_and_checked(warehouse):
    seed_review(warehouse)
    with session_scope(warehouse) as s:
        u = create_user(s, "HoiDong3", "council", "mot-mat-khau-dai")
        assert u.username == "hoidong3" and u.password_hash.startswith("$argon2id$")
        assert "mot-mat-khau-dai" not in u.password_hash
    with session_scope(warehouse) as s:
        assert authenticate(s, "hoidong3", "mot-mat-khau-dai").username == "hoidong3"
        assert authenticate(s, "hoidong3", "sai-mat-khau-roi") is None
        assert authenticate(s, "khong-ton-tai", PASSWORD) is None


@pytest.mark.parametrize(
    "args, text",
    [
        (("x y", "council", "mat-khau-dai-du"), "Tên đăng nhập"),
        (("abc", "boss", "mat-khau-dai-du"), "Vai trò"),
        (("abc", "council", "ngan"), "ít nhất 10"),
        (("abc", "submitter", "mat-khau-dai-du"), "mã đơn vị"),
        (("abc", "submitter", "mat-khau-dai-du", "D99"), "D99"),
        (("hoidong1", "council", "mat-khau-dai-du"), "đã tồn tại"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(world, args, text):
    with session_scope(world) as s, pytest.raises(ReviewError) as err:
        create_user(s, *args)
    assert text in err.value.message_vi


# --- evidence files ------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _xlsx() -> bytes:
    buf = io.BytesIO()
    Workbook().save(buf)
    return buf.getvalue()


SAMPLES = {
    "ke-hoach.pdf": (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    "anh.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
    "anh.JPG": (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
    "bao-cao.docx": (
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "so-lieu.xlsx": (_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "van-ban.odt": (
        _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
        "application/vnd.oasis.opendocument.text",
    ),
}


@pytest.fixture
def open_world(warehouse):
    seed_review(warehouse, phase="explanation")
    return warehouse


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_accepted_evidence_is_stored_content_addressed(open_world, name, tmp_path):
    data, content_type = SAMPLES[name]
    with session_scope(open_world) as s:
        ev = store_evidence(s, user(open_world, "donvi1"), data, name, "D01", PERIOD, "F5")

    sha = hashlib.sha256(data).hexdigest()
    assert ev.sha256 == sha and ev.content_type == content_type and ev.size == len(data)
    stored = tmp_path / "data" / "files" / "evidence" / sha[:2]
    assert [p.read_bytes() for p in stored.iterdir()] == [data]
    assert ev.uploaded_by == "donvi1" and ev.indicator_code == "F5"


@pytest.mark.parametrize(
    "name, data, status, text",
    [
        ("virus.pdf", b"MZ\x90\x00 this is a Windows program", 415, "không phải là loại được nhận"),
        ("ke-hoach.docx", SAMPLES["ke-hoach.pdf"][0], 415, "không khớp nội dung"),
        ("ghi-chu.txt", b"just text", 415, "không phải là loại được nhận"),
        ("rong.pdf", b"", 400, "rỗng"),
        ("la.zip", _zip({"a.txt": b"a"}), 415, "không phải là loại được nhận"),
    ],
)
def test_bad_evidence_is_refused_by_content(open_world, name, data, status, text):
    with session_scope(open_world) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(open_world, "donvi1"), data, name, "D01", PERIOD)
    assert err.value.status == status and text in err.value.message_vi
    with session_scope(open_world) as s:
        assert s.query(EvidenceFile).count() == 0


def test_evidence_over_the_size_limit_is_refused(open_world, monkeypatch):
    monkeypatch.setenv("DTI_MAX_UPLOAD_BYTES", "100")
    data = b"%PDF-1.7\n" + b"0" * 200
    with session_scope(open_world) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(open_world, "donvi1"), data, "lon.pdf", "D01", PERIOD)
    assert err.value.status == 413 and "209" in err.value.message_vi and "100" in err.value.message_vi


@pytest.mark.parametrize("phase", ["appraisal", "final", "published"])
def test_evidence_is_frozen_during_appraisal_and_after_final(warehouse, phase):
    seed_review(warehouse, phase=phase)
    with session_scope(warehouse) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(warehouse, "donvi1"), SAMPLES["ke-hoach.pdf"][0], "a.pdf", "D01", PERIOD)
    assert err.value.status == 409 and "khoá" in err.value.message_vi


def test_a_submitter_cannot_file_evidence_for_another_unit(open_world):
    with session_scope(open_world) as s, pytest.raises(ReviewError) as err:
        store_evidence(s, user(open_world, "donvi1"), SAMPLES["ke-hoach.pdf"][0], "a.pdf", "D02", PERIOD)
    assert err.value.status == 403


def test_the_same_document_can_be_filed_by_two_units_and_is_stored_once(open_world, tmp_path):
    plan = SAMPLES["ke-hoach.pdf"][0]  # e.g. the province's plan, which many units cite
    with session_scope(open_world) as s:
        first = store_evidence(s, user(open_world, "donvi1"), plan, "kh-tinh.pdf", "D01", PERIOD, "F5")
        again = store_evidence(s, user(open_world, "donvi1"), plan, "kh-tinh.pdf", "D01", PERIOD, "F5")
        other = store_evidence(s, user(open_world, "donvi2"), plan, "ke-hoach.pdf", "D02", PERIOD, "F5")
        assert again.id == first.id  # filing the same file twice is one filing
        assert other.id != first.id and other.sha256 == first.sha256 and other.unit_code == "D02"
        assert [f.filename for f in evidence_for(s, "D02", PERIOD)] == ["ke-hoach.pdf"]
        # Each unit downloads its own filing; a file only D02 filed stays D02's.
        assert evidence_download(s, user(open_world, "donvi2"), first.sha256).unit_code == "D02"
        assert evidence_download(s, user(open_world, "donvi1"), first.sha256).unit_code == "D01"
        own = store_evidence(s, user(open_world, "donvi2"), SAMPLES["anh.png"][0], "anh.png", "D02", PERIOD)
        with pytest.raises(ReviewError) as err:
            evidence_download(s, user(open_world, "donvi1"), own.sha256)
        assert err.value.status == 404  # as if it did not exist: no oracle
        assert evidence_download(s, user(open_world, "hoidong1"), own.sha256).unit_code == "D02"
    assert len(list((tmp_path / "data" / "files" / "evidence").rglob("*.pdf"))) == 1  # one copy of the bytes


def test_new_evidence_changes_the_snapshot_a_decision_is_bound_to(open_world):
    with session_scope(open_world) as s:
        before = evidence_snapshot(s, get_claim(s, PERIOD, "D01", "F5"))
    with session_scope(open_world) as s:
        store_evidence(s, user(open_world, "donvi1"), SAMPLES["anh.png"][0], "anh.png", "D01", PERIOD, "F5")
    with session_scope(open_world) as s:
        after = evidence_snapshot(s, get_claim(s, PERIOD, "D01", "F5"))
        unrelated = evidence_snapshot(s, get_claim(s, PERIOD, "D02", "F5"))
    assert before != after
    out = _decide(open_world, "hoidong1", "D01", "F5", "keep_claim")
    assert out.decision.evidence_snapshot == after != unrelated


def test_approval_is_refused_when_evidence_changed_since_the_proposal(open_world):
    out = _decide(open_world, "hoidong1", "D01", "F12", "keep_claim")
    with session_scope(open_world) as s:
        store_evidence(s, user(open_world, "donvi1"), SAMPLES["anh.png"][0], "anh.png", "D01", PERIOD, "F12")
    version = _claim(open_world, "D01", "F12").version
    with session_scope(open_world) as s, pytest.raises(ReviewError) as err:
        review_pending(s, user(open_world, "hoidong2"), out.decision.id, True, "Đồng ý", version)
    assert err.value.status == 409 and "Minh chứng" in err.value.message_vi


def _race(url: str, unit: str) -> list:
    """Two council members press "decide" on the same claim at the same moment, from two threads."""
    engine = sa.create_engine(url)
    factory = sa.orm.sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(2, timeout=20)
    results: list = [None, None]
    plans = [("hoidong1", "keep_claim", None), ("hoidong2", "set_value", Decimal("0.95"))]

    def run(i):
        username, action, value = plans[i]
        decider = user(url, username)
        session = factory()
        try:
            row = session.get(ClaimLedgerRow, (unit, PERIOD, "F5"))
            barrier.wait()
            decide(session, decider, row, action, f"Quyết định của {username}", 1, value=value)
            session.commit()
            results[i] = "ok"
        except ReviewError as exc:
            session.rollback()
            results[i] = exc.status
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    engine.dispose()
    return results


def _check_race(url: str) -> None:
    # First on an empty log, then with a decision already at the head of the chain.
    for number, (unit, kept) in enumerate((("D01", "0.99"), ("D03", "1.00")), start=1):
        results = _race(url, unit)
        assert sorted(map(str, results)) == ["409", "ok"]
        winner = results.index("ok")
        row = _claim(url, unit, "F5")
        assert row.verified_value == Decimal(kept if winner == 0 else "0.95") and row.version > 1
        with session_scope(url) as s:
            decisions = s.query(Decision).order_by(Decision.id).all()
            assert len(decisions) == number and decisions[-1].decided_by == ("hoidong1", "hoidong2")[winner]
            assert audit.verify(s) == []


def test_simultaneous_decisions_on_sqlite_leave_one_winner(world):
    _check_race(world)


@pytest.mark.postgres
def test_simultaneous_decisions_on_postgresql_leave_one_winner(pg_warehouse):
    seed_review(pg_warehouse)
    _check_race(pg_warehouse)


@pytest.mark.mariadb
def test_simultaneous_decisions_on_mariadb_leave_one_winner(mariadb_url, monkeypatch):
    monkeypatch.setenv("DTI_DATABASE_URL", mariadb_url)
    init_db(mariadb_url)
    seed_review(mariadb_url)
    _check_race(mariadb_url)
