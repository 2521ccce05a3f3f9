"""The verification of one period, step by step: objective metrics, then the claim ledger, then the
verified scores, each stored before the next reads it.

The order is written here once. Each Dagster period asset runs one step; the tests and the bench run
them all with `run_period`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dti.evidence.service import PeriodReads, read_period
from dti.evidence.store import claim_files, claim_verdict, period_verdicts
from dti.framework import load_all
from dti.metrics import MetricValue, compute_metrics
from dti.publication import refuse_if_published
from dti.reconciliation import Claim, build_ledger
from dti.scoring.unit_scores import UnitScoreRow, score_units
from dti.settings import get_settings, read_int
from dti.tabular.load import load_all as load_tabular
from dti.verification.citations import check_citations
from dti.verification.store import (
    apply_decisions,
    load_ledger,
    load_metrics,
    load_self_values,
    record_frameworks,
    store_ledger,
    store_metrics,
    store_scores,
)
from dti.verification.units import UnitSpec, period_units
from dti.vocabulary import Outcome
from dti.warehouse.db import Warehouse


@dataclass
class PeriodRun:
    """What each step of one period's verification produced."""

    period: str
    units: list[UnitSpec] = field(default_factory=list)
    metrics: list[MetricValue] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    scores: list[UnitScoreRow] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    evidence: PeriodReads | None = None


def _open(wh: Warehouse, period: str) -> None:
    """A published period is frozen: no step writes to it (its published copy stays byte for byte)."""
    with wh.session() as s:
        refuse_if_published(s, period)


def measure(wh: Warehouse, run: PeriodRun, *, as_of: dt.datetime | None = None) -> PeriodRun:
    """Objective metrics of every assessed unit, computed from the raw records and stored. The province's
    tabular sources (dti.tabular: exports and queries declared in YAML) are read first, so their metrics stand
    on the rows as they are now."""
    _open(wh, run.period)
    with wh.session() as s:
        run.units = period_units(s, run.period)
    run.info["tabular_loads"] = load_tabular(wh)
    run.metrics = compute_metrics(run.period, run.units, url=wh.url, as_of=as_of)
    store_metrics(wh, run.period, run.metrics)
    return run


def read_evidence(wh: Warehouse, run: PeriodRun, *, as_of: dt.datetime | None = None) -> PeriodRun:
    """The period's new evidence files read (text, fields) and every filing checked against its claim
    (dti.evidence); files left over when the run's time budget is spent wait for the next run."""
    _open(wh, run.period)
    run.evidence = read_period(wh, run.period, files_dir=get_settings().files_dir,
                               budget_s=float(read_int("DTI_EVIDENCE_RUN_BUDGET_S")))
    return run


def add_evidence_verdicts(session, period: str, claims: list[Claim]) -> None:
    """Each evidence-only claim's evidence verdict (its filings' most serious, or missing) as a reason code."""
    by_key = period_verdicts(session, period)
    for c in claims:
        if c.outcome == Outcome.EVIDENCE_ONLY:
            c.reasons.append(str(claim_verdict(claim_files(by_key, c.unit_code, c.indicator_code))))


def reconcile(wh: Warehouse, run: PeriodRun, *, as_of: dt.datetime | None = None) -> PeriodRun:
    """The claim ledger: citations checked, self-reports and stored metrics reconciled, council
    decisions re-applied; stored."""
    _open(wh, run.period)
    frameworks = load_all()
    with wh.session() as s, s.begin():
        citations = check_citations(s, run.period)
        used = {fw.id: fw for _c, _t, fw in period_units(s, run.period, frameworks)}
        record_frameworks(s, sorted(used.values(), key=lambda f: f.id))
    with wh.session() as s:
        run.units = period_units(s, run.period, frameworks)
        run.claims = build_ledger(run.period, run.units, load_self_values(s, run.period), load_metrics(s, run.period))
        add_evidence_verdicts(s, run.period, run.claims)
        decisions = apply_decisions(s, run.period, run.claims, frameworks)
    run.info = {"citations": citations, "decisions_applied": decisions}
    store_ledger(wh, run.period, run.claims)
    return run


def score(wh: Warehouse, run: PeriodRun, *, as_of: dt.datetime | None = None) -> PeriodRun:
    """Verified scores and rankings from the stored ledger; stored."""
    _open(wh, run.period)
    with wh.session() as s:
        run.units = period_units(s, run.period)
        run.claims = load_ledger(s, run.period)
    run.scores = score_units(run.period, run.units, run.claims)
    store_scores(wh, run.period, run.scores)
    return run


# The one order of a period's steps, named after the assets that run them.
PERIOD_STEPS = (("objective_metrics", measure), ("evidence_reads", read_evidence), ("claim_ledger", reconcile),
                ("verified_scores", score))


def run_period(wh: Warehouse, period: str, *, as_of: dt.datetime | None = None) -> PeriodRun:
    """Every step of `period`, in order."""
    run = PeriodRun(period)
    for _name, step in PERIOD_STEPS:
        step(wh, run, as_of=as_of)
    return run
