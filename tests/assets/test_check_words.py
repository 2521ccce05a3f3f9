"""Data-quality checks read as sentences in both languages, are named by what passing means, and a renamed
check keeps its history."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import sqlalchemy as sa
from alembic import command

from assets.checks import result_text
from dti.warehouse import Warehouse
from dti.warehouse.db import alembic_config
from dti.warehouse.models import CheckResult
from expectations import ledger, raw_sources, scores, self_reports
from expectations.adapter import ERROR, WARN, Check, ExpectationOutcome
from pipelines.definitions import build_definitions

SUITES = {
    "claim_ledger": ledger.CHECKS,
    "verified_scores": scores.CHECKS,
    "self_reports": self_reports.self_report_checks(),
    "raw": [c for suite in raw_sources.SUITES.values() for _e, _b, checks in suite for c in checks],
}


def _every_check() -> list[Check]:
    return [c for checks in SUITES.values() for c in checks]


def test_every_check_says_what_passing_means_in_both_languages():
    for c in _every_check():
        assert c.vi and c.en and c.vi != c.name and c.en != c.name, c.name
        assert any(ch in c.vi for ch in "ăâđêôơưáàảãạéèẻẽẹíìóòỏõọúùủũụýỳ"), (
            c.name,
            c.vi,
        )  # Vietnamese, not English


def test_check_descriptions_in_dagster_are_sentences_not_codes():
    defs = build_definitions()
    specs = [spec for checks in defs.asset_checks or [] for spec in checks.check_specs]
    specs += [spec for a in defs.assets if isinstance(a, dg.AssetsDefinition) for spec in a.check_specs]
    assert specs
    for spec in specs:
        text = spec.description or ""
        assert not text.startswith(("ERROR:", "WARN:")), (spec.name, text)
        assert spec.name not in text, (spec.name, text)
        assert " / " in text, (spec.name, text)  # Vietnamese / English


def test_the_critical_discrepancy_warning_is_named_after_passing():
    names = {c.name: c for c in ledger.CHECKS}
    assert "no_critical_discrepancies" not in names
    check = names["every_discrepancy_below_critical"]
    assert check.severity == WARN


def test_a_failing_result_says_how_many_rows_and_what_it_means():
    failed = ExpectationOutcome("finished_not_before_received", "expect", "x", WARN, False, 1234)
    assert result_text(failed) == (
        "1.234 dòng không đạt điều kiện «Ngày hoàn thành không trước ngày tiếp nhận» / "
        "1,234 rows break the rule “no dossier was finished before it was received”"
    )
    passed = ExpectationOutcome("every_unit_scored", "expect", "x", ERROR, True, 0)
    assert result_text(passed).startswith(
        "Đạt: Mọi đơn vị đều được chấm điểm / passed: every unit has a score"
    )


def test_a_check_without_words_is_refused():
    with pytest.raises(ValueError, match="needs a Vietnamese and English description"):
        Check("some_check", ERROR, lambda E: None)


def test_the_renamed_checks_history_follows_it(sqlite_url):
    wh = Warehouse(sqlite_url).migrate()
    cfg = alembic_config(sqlite_url)
    command.downgrade(cfg, "0003")
    with wh.transaction() as s:
        s.add(
            CheckResult(
                run_id="r1",
                asset="claim_ledger",
                check_name="no_critical_discrepancies",
                partition="2025-R3",
                severity=WARN,
                success=False,
                failing_count=2,
                failing_rows=[],
                checked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )
    command.upgrade(cfg, "head")
    with wh.session() as s:
        names = s.scalars(sa.select(CheckResult.check_name)).all()
    assert names == ["every_discrepancy_below_critical"]
