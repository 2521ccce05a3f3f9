"""What every report shows, gathered once from the warehouse: claims, scores, unit and indicator names."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework import load_all
from dti.freshness import source_freshness
from dti.publication import frozen_rows
from dti.reconciliation import Claim
from dti.reports.decisions import ClaimDecision, latest_decisions
from dti.scoring.unit_scores import UnitScoreRow, count_outcomes
from dti.settings import TZ
from dti.text import code_key
from dti.verification.store import load_ledger, load_scores
from dti.vocabulary import Outcome, Severity
from dti.warehouse.models import Unit


def _severity_rank(code: str | None) -> int:
    return Severity(code).rank if code else len(Severity)


@dataclass
class ReportContext:
    period: str
    claims: list[Claim]
    scores: list[UnitScoreRow]
    unit_names: dict[str, str]
    indicator_names: dict[tuple[str, str], str]
    main_index_names: dict[tuple[str, str], str]
    counts: Counter = field(default_factory=Counter)
    freshness: list[dict] = field(default_factory=list)  # per source: message, fresh, overdue_hours
    as_of: dt.datetime | None = None  # when the report was gathered (freshness is judged then)
    # (unit, indicator) → the claim's latest decision; unit code → unit type (units without a score too)
    decisions: dict[tuple[str, str], ClaimDecision] = field(default_factory=dict)
    unit_types: dict[str, str] = field(default_factory=dict)

    def discrepancies(self) -> list[Claim]:
        rows = [c for c in self.claims if c.outcome == Outcome.DISCREPANCY]
        return sorted(rows, key=lambda c: (-(c.points_at_stake or 0), _severity_rank(c.severity),
                                           code_key(c.unit_code), code_key(c.indicator_code)))

    def decision(self, c: Claim) -> ClaimDecision | None:
        return self.decisions.get((c.unit_code, c.indicator_code))

    def open_queue(self) -> list[Claim]:
        """Discrepancies the council has not settled yet (none decided, evidence asked for, or awaiting a
        second member), largest points at stake first."""
        return [c for c in self.discrepancies() if not ((d := self.decision(c)) and d.settled)]

    def settled(self) -> list[Claim]:
        """Claims a council decision settled, in the order they were decided."""
        rows = [c for c in self.claims if (d := self.decision(c)) and d.settled]
        return sorted(rows, key=lambda c: self.decision(c).decision_id)


def gather(session: Session, period: str, as_of: dt.datetime | None = None) -> ReportContext:
    frozen = frozen_rows(session, period)
    units = list(session.scalars(sa.select(Unit)))
    types = {u.code: u.unit_type for u in units}
    if frozen is not None:  # a published period is shown as it was published
        claims, scores, names = frozen
    else:
        claims, scores = load_ledger(session, period), load_scores(session, period)
        names = {u.code: u.name_vi for u in units}
    frameworks = load_all()
    ind: dict[tuple[str, str], str] = {}
    mains: dict[tuple[str, str], str] = {}
    for fw in frameworks.values():
        for leaf in fw.leaves():
            ind[(fw.id, leaf.code)] = leaf.name_vi
        for m in fw.main_indices():
            mains[(fw.id, m.code)] = m.name_vi
    by_unit: dict[str, list[Claim]] = {}
    for c in claims:
        by_unit.setdefault(c.unit_code, []).append(c)
    for s in scores:  # derived from the ledger by the scores' own rule, so the report never disagrees with it
        count_outcomes(s, by_unit.get(s.unit_code, []), zero=0)
    as_of = as_of or dt.datetime.now(TZ)
    freshness = source_freshness(session, as_of)
    return ReportContext(period, claims, scores, names, ind, mains, Counter(c.outcome for c in claims),
                         freshness,
                         as_of, latest_decisions(session, period), types)
