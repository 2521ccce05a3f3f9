"""The decision log is a hash chain: any edit, deletion or reordering is found, and the CLI says which."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from application.cli import main as cli_main
from dti import appraisal as core
from dti import audit
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, Decision
from tests.review_fixtures import PERIOD, seed_review, user


def _decide_three(url: str) -> list[int]:
    """Three effective decisions by the council, as the web app would record them."""
    council = user(url, "hoidong1")
    ids = []
    for unit, code, action in (
        ("D01", "F5", "keep_claim"),
        ("D03", "F5", "accept_objective"),
        ("D02", "F5", "keep_claim"),
    ):
        with session_scope(url) as s:
            row = core.get_claim(s, PERIOD, unit, code)
            out = core.decide(s, council, row, action, f"Lý do cho {unit} {code}", row.version)
            ids.append(out.decision.id)
    return ids


@pytest.fixture
def chained(warehouse):
    seed_review(warehouse)
    return warehouse, _decide_three(warehouse)


def _verify(url):
    with session_scope(url) as s:
        return audit.verify(s)


def test_intact_chain_verifies_and_links_each_row_to_the_previous(chained):
    url, ids = chained
    assert _verify(url) == []
    with session_scope(url) as s:
        rows = s.execute(sa.select(Decision).order_by(Decision.id)).scalars().all()
    assert [r.id for r in rows] == ids
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert cli_main(["audit", "verify"]) == 0


def test_hash_is_stable_for_equal_values_and_changes_with_any_field():
    base = {name: None for name in audit.HASHED_FIELDS} | {
        "id": 1,
        "value": Decimal("0.9"),
        "reason": "Lý do",
        "prev_hash": audit.GENESIS,
    }
    # The database hands back 0.900000 and NFC text; the hash must not care.
    same = base | {"value": Decimal("0.900000"), "reason": "Ly\u0301 do"}
    assert audit.compute_hash(base) == audit.compute_hash(same)
    assert audit.compute_hash(base) != audit.compute_hash(base | {"value": Decimal("0.91")})
    assert audit.compute_hash(base) != audit.compute_hash(base | {"prev_hash": "1" * 64})


def test_an_edited_reason_is_detected_and_named(chained, capsys):
    url, ids = chained
    with session_scope(url) as s:
        s.execute(sa.text("UPDATE decisions SET reason = 'đã sửa' WHERE id = :i"), {"i": ids[1]})
    problems = _verify(url)
    assert {(p.decision_id, p.kind) for p in problems} == {(ids[1], "edited")}
    assert cli_main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"#{ids[1]}" in err and "sửa" in err


def test_an_edited_value_is_detected(chained):
    url, ids = chained
    with session_scope(url) as s:
        s.execute(sa.text("UPDATE decisions SET value = 0.5 WHERE id = :i"), {"i": ids[0]})
    assert (ids[0], "edited") in [(p.decision_id, p.kind) for p in _verify(url)]


def test_an_edited_row_with_a_recomputed_hash_still_breaks_the_chain(chained):
    url, ids = chained
    with session_scope(url) as s:
        row = s.get(Decision, ids[0])
        row.reason = "lý do khác"
        row.hash = audit.compute_hash(audit.decision_fields(row))
    problems = _verify(url)
    assert (ids[1], "broken_chain") in [(p.decision_id, p.kind) for p in problems]


def test_a_deleted_middle_row_breaks_the_chain_at_its_successor(chained):
    url, ids = chained
    with session_scope(url) as s:
        s.execute(sa.text("DELETE FROM decisions WHERE id = :i"), {"i": ids[1]})
    problems = _verify(url)
    kinds = {(p.decision_id, p.kind) for p in problems}
    assert (ids[2], "broken_chain") in kinds
    # The claim that decision changed still cites it.
    assert (ids[1], "missing") in kinds


def test_a_deleted_last_row_is_found_through_the_claim_that_cites_it(chained, capsys):
    url, ids = chained
    with session_scope(url) as s:
        s.execute(sa.text("DELETE FROM decisions WHERE id = :i"), {"i": ids[2]})
    assert {(p.decision_id, p.kind) for p in _verify(url)} == {(ids[2], "missing")}
    assert cli_main(["audit", "verify"]) == 1
    assert f"#{ids[2]}" in capsys.readouterr().err


def test_swapped_rows_are_detected(chained):
    url, ids = chained
    with session_scope(url) as s:
        a, b = s.get(Decision, ids[0]), s.get(Decision, ids[1])
        fields = ("unit_code", "indicator_code", "action", "reason", "hash", "prev_hash", "evidence_snapshot")
        va = {f: getattr(a, f) for f in fields}
        vb = {f: getattr(b, f) for f in fields}
        # Park one hash first: `hash` is unique.
        a.hash = "x" * 64
        s.flush()
        for f in fields:
            setattr(b, f, va[f])
        s.flush()
        for f in fields:
            setattr(a, f, vb[f])
    problems = _verify(url)
    assert {ids[0], ids[1]} <= {p.decision_id for p in problems}


def test_each_decision_is_bound_to_a_stored_evidence_snapshot(chained):
    url, ids = chained
    with session_scope(url) as s:
        d = s.get(Decision, ids[0])
        content = core.snapshot_content(s, d.evidence_snapshot)
        row = s.get(ClaimLedgerRow, (d.unit_code, d.period, d.indicator_code))
    assert content["unit_code"] == d.unit_code and content["indicator_code"] == d.indicator_code
    assert content["self_value"] == "0.990000" and content["record_ids"] == sorted(row.record_ids)


def _chain_on(url: str) -> None:
    from dti.warehouse import init_db

    init_db(url)
    seed_review(url)
    ids = _decide_three(url)
    assert _verify(url) == []
    with session_scope(url) as s:
        s.execute(sa.text("UPDATE decisions SET decided_by = 'kẻ gian' WHERE id = :i"), {"i": ids[0]})
    assert {(p.decision_id, p.kind) for p in _verify(url)} == {(ids[0], "edited")}


@pytest.mark.postgres
def test_chain_round_trips_on_postgresql(pg_url, monkeypatch):
    monkeypatch.setenv("DTI_DATABASE_URL", pg_url)
    _chain_on(pg_url)


@pytest.mark.mariadb
def test_chain_round_trips_on_mariadb(mariadb_url, monkeypatch):
    monkeypatch.setenv("DTI_DATABASE_URL", mariadb_url)
    _chain_on(mariadb_url)
