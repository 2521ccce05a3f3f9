"""Issue 21, replayed: four eyes on the claim (not the step), and an audit trail that survives someone
with database access — every tampering the issue lists is caught by `dti audit verify`, with the first
bad entry named, and an untouched trail passes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from application.cli import main as cli_main
from dti import audit, publication
from dti.appraisal.claims import get_claim
from dti.appraisal.decisions import decide, review_pending
from dti.settings import get_settings
from dti.warehouse.db import session_scope
from dti.warehouse.models import AuditEntry, BlobStore, ClaimLedgerRow, Decision, PeriodPhase
from tests.review_fixtures import PERIOD, seed_review, user


@pytest.fixture
def world(warehouse):
    seed_review(warehouse)
    return warehouse


def _decide(url, who, unit, code, action, value=None):
    with session_scope(url) as s:
        row = get_claim(s, PERIOD, unit, code)
        return decide(s, user(url, who), row, action, "Có căn cứ", row.version, value=value)


def _points(url, unit, code) -> Decimal:
    with session_scope(url) as s:
        return s.get(ClaimLedgerRow, (unit, PERIOD, code)).verified_points


def test_four_eyes_counts_the_change_since_the_first_decision_not_each_step(world):
    # D01/F12 stands at 18 of 30 points (0.60). A jump to 30 needs a second member; it is rejected.
    big = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("1"))
    assert big.decision.status == "pending_approval" and _points(world, "D01", "F12") == Decimal("18")
    with session_scope(world) as s:
        row = get_claim(s, PERIOD, "D01", "F12")
        review_pending(s, user(world, "hoidong2"), big.decision.id, False, "Chưa đủ căn cứ", row.version)
    # The same member now walks there in steps of at most 10 points: 18 → 28 is within the threshold …
    first = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("0.9333333"))
    # 30 × 0.9333333 = 27.999999 points, kept exactly (28.00 on paper), no longer rounded to 4 decimals
    assert first.applied and _points(world, "D01", "F12") == Decimal("27.999999")
    # … but 28 → 30 is 12 points from where the council started: it waits for a second member.
    second = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("1"))
    assert not second.applied and second.decision.status == "pending_approval"
    assert _points(world, "D01", "F12") == Decimal("27.999999")
    # While it waits, no single member can decide on that claim at all.
    with pytest.raises(Exception, match="chờ thành viên thứ hai"):
        _decide(world, "hoidong2", "D01", "F12", "set_value", Decimal("0.95"))


def test_after_a_reopening_four_eyes_counts_from_what_was_published(world, monkeypatch):
    """A reopened period's correction is measured against the published value, not the council's first
    decision of the round before: 28 → 30 after publication is 2 points, not 12. Everything happens within
    one second here (the clock is held still): what is before or after the publication is the audit log's
    order, not the clock's."""
    still = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    for module in (audit, audit.chain):
        monkeypatch.setattr(module, "utc_now", lambda: still)
    first = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("0.9333333"))  # 18 → 28, applied
    assert first.applied
    with session_scope(world) as s:
        phase = s.get(PeriodPhase, PERIOD)
        phase.phase, phase.signed_off = "final", True
        publication.publish(s, PERIOD, "123/QĐ-UBND", dt.date(2026, 3, 31), None, "quantri")
        publication.request_reopening(s, PERIOD, "Sai số liệu F12", "quantri")
        publication.approve_reopening(s, PERIOD, "hoidong2")
    after = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("1"))
    assert after.applied and _points(world, "D01", "F12") == Decimal("30")
    # … and walking away from the published 28 in small steps still reaches a second member: 30 → 22 is 6
    # points from the published value, 22 → 14 would be 14
    step = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("0.7333333"))
    assert step.applied
    walk = _decide(world, "hoidong1", "D01", "F12", "set_value", Decimal("0.4666667"))
    assert not walk.applied and walk.decision.status == "pending_approval"


def _three_decisions(url) -> list[int]:
    return [_decide(url, "hoidong1", unit, "F5", action).decision.id
            for unit, action in (("D01", "keep_claim"), ("D03", "accept_objective"), ("D02", "keep_claim"))]


def _problems(url, point=None):
    with session_scope(url) as s:
        return audit.verify(s, checkpoint=point)


@pytest.fixture
def trail(world):
    ids = _three_decisions(world)
    with session_scope(world) as s:
        point = audit.checkpoint(s)
    assert _problems(world, point) == []
    return world, ids, point


def test_an_edited_decision_with_its_chain_recomputed_by_the_projects_own_code_is_caught(trail):
    url, ids, point = trail
    with session_scope(url) as s:
        rows = s.scalars(sa.select(Decision).order_by(Decision.id)).all()
        rows[1].reason = "lý do đã bị sửa"
        prev = rows[0].hash
        for row in rows[1:]:  # re-chain every hash after it, as dti.audit itself would
            row.prev_hash = prev
            row.hash = audit.compute_hash(audit.decision_fields(row))
            prev = row.hash
    problems = _problems(url, point)
    assert problems and problems[0].decision_id == ids[1] and problems[0].kind == "edited"
    assert "niêm phong" in problems[0].message_vi


def test_deleting_the_last_decision_and_clearing_the_ledgers_reference_is_caught(trail):
    url, ids, point = trail
    with session_scope(url) as s:
        s.execute(sa.update(ClaimLedgerRow).where(ClaimLedgerRow.decision_id == ids[2]).values(decision_id=None))
        s.execute(sa.delete(Decision).where(Decision.id == ids[2]))
    assert (ids[2], "missing") in {(p.decision_id, p.kind) for p in _problems(url)}


def test_a_truncated_log_is_caught_against_the_checkpoint(trail):
    url, ids, point = trail
    with session_scope(url) as s:  # everything about the last decision removed, as a careful intruder would
        s.execute(sa.update(ClaimLedgerRow).where(ClaimLedgerRow.decision_id == ids[2]).values(decision_id=None))
        s.execute(sa.delete(Decision).where(Decision.id == ids[2]))
        s.execute(sa.delete(AuditEntry).where(AuditEntry.subject == f"decision:{ids[2]}"))
    assert _problems(url) == []  # consistent in itself: this is what a checkpoint kept outside is for
    problems = _problems(url, point)
    assert [p.kind for p in problems] == ["truncated"] and problems[0].seq == point["seq"]


def test_a_re_chained_log_is_caught_without_the_key(trail):
    url, ids, point = trail
    with session_scope(url) as s:
        entries = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
        victim = entries[1]
        payload = json.loads(victim.payload)
        payload["reason"] = "đã sửa"
        victim.payload = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        # A MAC recomputed with a guessed key is still wrong.
        victim.mac = audit.sealed.mac_of(b"k" * 32, victim.seq, victim.kind, victim.subject, victim.payload,
                                         victim.prev_mac)
    problems = _problems(url, point)
    assert problems and problems[0].kind == "forged" and problems[0].seq == 2


def test_a_replaced_evidence_snapshot_blob_is_read_and_caught(trail):
    url, ids, point = trail
    with session_scope(url) as s:
        sha = s.get(Decision, ids[0]).evidence_snapshot
        s.get(BlobStore, sha).data = b"{}"
    assert (ids[0], "blob") in {(p.decision_id, p.kind) for p in _problems(url, point)}


def test_a_ledger_value_edited_behind_the_councils_back_is_caught(trail):
    url, ids, point = trail
    with session_scope(url) as s:
        s.execute(sa.update(ClaimLedgerRow).where(ClaimLedgerRow.decision_id == ids[0])
                  .values(verified_value=Decimal("0.5")))
    assert (ids[0], "ledger") in {(p.decision_id, p.kind) for p in _problems(url, point)}


def test_a_forged_checkpoint_is_refused(trail):
    url, _ids, point = trail
    assert [p.kind for p in _problems(url, {**point, "seq": point["seq"] - 1})] == ["checkpoint"]


def test_the_cli_writes_a_checkpoint_and_verifies_against_it(trail, tmp_path, capsys):
    url, ids, _point = trail
    kept = tmp_path / "outside" / "checkpoint.json"
    assert cli_main(["audit", "checkpoint", "--out", str(kept)]) == 0
    assert cli_main(["audit", "verify", "--checkpoint", str(kept)]) == 0
    assert "toàn vẹn" in capsys.readouterr().out
    with session_scope(url) as s:
        s.execute(sa.text("UPDATE decisions SET value = 0.1 WHERE id = :i"), {"i": ids[0]})
    assert cli_main(["audit", "verify", "--checkpoint", str(kept)]) == 1
    assert f"#{ids[0]}" in capsys.readouterr().err.split("\n")[0]


def test_the_audit_key_lives_outside_the_warehouse_with_owner_only_access(trail, tmp_path):
    key = get_settings().data_dir / "audit.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("decision, signer, said", [
    ("1" * 129, None, "Số quyết định dài 129 ký tự, tối đa 128"),
    ("123/QĐ-UBND", "Chủ tịch " * 40, "Người ký dài 359 ký tự, tối đa 255"),
    ("\u200b \u00a0", None, "Cần số quyết định công bố"),  # invisible characters are no number
])
def test_a_publication_with_a_decision_number_or_signer_that_does_not_fit_is_refused_clearly(world, decision,
                                                                                             signer, said):
    with session_scope(world) as s:
        phase = s.get(PeriodPhase, PERIOD)
        phase.phase, phase.signed_off = "final", True
        with pytest.raises(publication.PublicationError, match=said):
            publication.publish(s, PERIOD, decision, dt.date(2026, 3, 31), signer, "quantri")


def test_a_different_audit_key_is_named_as_the_likely_cause_before_any_tampering(trail, tmp_path, capsys,
                                                                                monkeypatch):
    kept = tmp_path / "checkpoint.json"
    assert cli_main(["audit", "checkpoint", "--out", str(kept)]) == 0
    monkeypatch.setenv("DTI_AUDIT_KEY", "k" * 40)  # the key in use is not the one that sealed the log
    assert cli_main(["audit", "verify", "--checkpoint", str(kept)]) == 1
    first = capsys.readouterr().err.split("\n")[0]
    assert "khoá nhật ký đang dùng" in first and "is probably not the key that sealed the log" in first


def test_a_checkpoint_of_a_new_empty_warehouse_is_written_and_verifies(tmp_path, capsys):
    kept = tmp_path / "checkpoint.json"
    assert cli_main(["audit", "checkpoint", "--out", str(kept)]) == 0  # no warehouse yet: no traceback
    assert cli_main(["audit", "verify", "--checkpoint", str(kept)]) == 0  # an empty log was not "truncated"
    forged = {**json.loads(kept.read_text(encoding="utf-8")), "signature": "0" * 64}
    kept.write_text(json.dumps(forged), encoding="utf-8")
    assert cli_main(["audit", "verify", "--checkpoint", str(kept)]) == 1
    assert "không hợp lệ" in capsys.readouterr().err
