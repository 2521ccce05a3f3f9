"""What every report shows, gathered once from the warehouse: claims, scores, unit and indicator names."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti import publication
from dti.formatting import percent
from dti.framework import load_all
from dti.framework.model import Policy
from dti.freshness import all_sources_freshness
from dti.publication import frozen_rows
from dti.reconciliation import Claim
from dti.reports.decisions import ClaimDecision, latest_decisions
from dti.scoring.changes import UnitChange, explain_changes
from dti.scoring.unit_scores import UnitScoreRow, count_outcomes
from dti.settings import TZ, read
from dti.text import code_key
from dti.verification.history import previous_period
from dti.verification.store import load_ledger, load_scores
from dti.vocabulary import Outcome, Severity
from dti.warehouse.models import Publication, Unit

PROVISIONAL_MARK = "tạm"
PROVISIONAL_LEGEND = (
    "«tạm»: hạng dựa trên điểm tạm tính (chỉ số chưa kiểm chứng được hoặc minh chứng chưa được kiểm tra); "
    "không tính các điểm này thì hạng sẽ khác / the rank rests on provisional points: without them it would "
    "differ"
)


def policy_words(policy: Policy) -> str:
    """How the verified ranking counts provisional points, in words (Vietnamese, then English)."""
    if policy.provisional_points == "exclude":
        return "Hạng thẩm định không tính điểm tạm tính / the verified ranking leaves provisional points out"
    if policy.provisional_points == "discount":
        share = percent(policy.provisional_discount, 0)
        return (f"Hạng thẩm định chỉ tính {share} điểm tạm tính / the verified ranking counts provisional "
                f"points at {share} of their value")
    return ("Hạng thẩm định tính đủ điểm tạm tính cho đến khi Hội đồng bác bỏ / the verified ranking counts "
            "provisional points in full until the council rejects them")


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
    # framework id → how its verified ranking counts provisional points, in words
    policies: dict[str, str] = field(default_factory=dict)
    # the latest earlier period with a ledger, its claims and scores (empty when there is none)
    previous_period: str | None = None
    previous_claims: list[Claim] = field(default_factory=list)
    previous_scores: list[UnitScoreRow] = field(default_factory=list)
    # where the review app is reached (DTI_REVIEW_PUBLIC_URL): set, each row links to its claim page there
    link_base: str | None = None

    def claim_url(self, c: Claim) -> str | None:
        """The claim's page in the review app, or None when the app's address is not set."""
        if not self.link_base:
            return None
        parts = (quote(p, safe="") for p in (c.period, c.unit_code, c.indicator_code))
        return f"{self.link_base}/chi-tieu/" + "/".join(parts)

    def changes(self) -> dict[str, UnitChange]:
        """{unit: its change of verified score and rank since the previous period, by indicator}."""
        return explain_changes(self.scores, self.claims, self.previous_scores, self.previous_claims)

    def policy_lines(self) -> list[str]:
        """The ranking policy of each framework scored (its id named when there are several)."""
        used = sorted({s.framework_id for s in self.scores} & set(self.policies))
        if len(used) == 1:
            return [self.policies[used[0]]]
        return [f"{fw}: {self.policies[fw]}" for fw in used]

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


def _period_rows(session: Session, period: str, units: list[Unit], pub: Publication | None):
    """A period's claims, scores, unit names and, when published, its source table then: as `pub` froze them
    (a published period is shown as it was published), else from the stored ledger (source table None)."""
    if pub is not None:
        return frozen_rows(pub)
    return load_ledger(session, period), load_scores(session, period), {u.code: u.name_vi for u in units}, None


def gather(session: Session, period: str, as_of: dt.datetime | None = None,
           pub: Publication | None = None) -> ReportContext:
    """Everything the reports show. A published period (or `pub`, one of its publications) is shown as it
    was published: its frozen rows, the decisions and the source table of that moment."""
    units = list(session.scalars(sa.select(Unit)))
    types = {u.code: u.unit_type for u in units}
    pub = pub or publication.current(session, period)
    claims, scores, names, frozen_sources = _period_rows(session, period, units, pub)
    before = previous_period(session, period)
    before_claims, before_scores = ([], []) if before is None else \
        _period_rows(session, before, units, publication.current(session, before))[:2]
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
    if pub is not None:
        as_of, freshness = pub.published_at.astimezone(TZ), frozen_sources
        decisions = latest_decisions(session, period, before=publication.first_decision_after(session, pub))
    else:
        as_of = as_of or dt.datetime.now(TZ)
        freshness = all_sources_freshness(session, as_of)
        decisions = latest_decisions(session, period)
    policies = {fw.id: policy_words(fw.policy) for fw in frameworks.values()}
    return ReportContext(period, claims, scores, names, ind, mains, Counter(c.outcome for c in claims),
                         freshness, as_of, decisions, types, policies,
                         before, before_claims, before_scores,
                         (read("DTI_REVIEW_PUBLIC_URL") or "").rstrip("/") or None)
