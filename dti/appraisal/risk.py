"""Risk-based review of the claims no system confirms (evidence-only and unverifiable): plausibility signals,
a risk score with its reasons, the queue's priority (points at stake × risk) and a proposed sample.

The rule, written once here and in docs/review.md:
- Signals, each with a strength in [0, 1] and a weight: a jump of the self-score against the unit's previous
  period (from DTI_RISK_JUMP_SHARE of the indicator's maximum; full strength at twice that), an outlier against
  peers of the same framework and unit type (robust z = (x − median) ÷ (1.4826 × MAD) from DTI_RISK_PEER_Z;
  full strength 3 deviations further; at least 5 peers), the unit over-reporting measured indicators of the
  same main index (strength = the share of them found over-reported), a cited document missing from the
  document system or dated otherwise, no citation at all, and the automatic reading of the claim's evidence
  files (dti.evidence) finding a problem (strength from dti.evidence.store.risk: unreadable or not the cited
  document 1, missing 0.9, …, in order 0).
- Risk = 1 − Π(1 − weight × strength): independent reasons add up, none alone exceeds its weight.
- Priority = points at stake × risk; points at stake are the points standing on the claim (its self-score) for
  evidence-only and unverifiable claims, and the ledger's points at stake (risk 1: the records show it) for
  discrepancies.
- Sample: in each stratum (framework, main index), n = ⌈√N⌉ of its N risk-scored claims, at least one: the
  first ⌈n/2⌉ by priority, the rest drawn at random with a seed from the period, so a low-risk claim can still
  be picked and the same ledger always proposes the same sample.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.evidence.store import risk as evidence_risk
from dti.settings import read_float
from dti.text import code_key
from dti.verification.history import previous_period
from dti.vocabulary import EVIDENCE_VERDICTS, Direction, EvidenceVerdict, Outcome, Reason, RiskSignal
from dti.warehouse.models import ClaimLedgerRow, Unit

WEIGHTS = {
    RiskSignal.JUMP: 0.6,
    RiskSignal.PEER_OUTLIER: 0.5,
    RiskSignal.OVER_REPORTS_NEARBY: 0.6,
    RiskSignal.CITATION_PROBLEM: 0.9,
    RiskSignal.NO_CITATION: 0.4,
    RiskSignal.EVIDENCE_PROBLEM: 0.9,
}
SCORED = (Outcome.EVIDENCE_ONLY, Outcome.UNVERIFIABLE)
MEASURED = (Outcome.VERIFIED, Outcome.DISCREPANCY)
MIN_PEERS = 5
ZERO = Decimal("0")


@dataclass(frozen=True)
class Signal:
    code: RiskSignal
    strength: float  # 0..1
    detail: str  # Vietnamese, with the figures behind it

    @property
    def label(self) -> str:
        return self.code.vi


@dataclass
class Risk:
    """One claim's risk: its score, the signals behind it, its priority in the queue, and whether the proposed
    sample holds it."""

    unit_code: str
    indicator_code: str
    score: float = 0.0
    signals: list[Signal] = field(default_factory=list)
    stake: Decimal = ZERO
    priority: float = 0.0
    sampled: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.unit_code, self.indicator_code


@dataclass(frozen=True)
class Sample:
    """The proposed in-depth sample and what it leaves out, so the council knows what it did not look at."""

    scored: int
    picked: int
    left_claims: int
    left_points: Decimal
    rule: str = "⌈√N⌉ mỗi nhóm chỉ số, nửa theo ưu tiên, nửa ngẫu nhiên / ⌈√N⌉ per main index, half by priority"


def _points(value) -> float:
    return float(value or 0)


def combine(signals: Iterable[Signal]) -> float:
    """1 − Π(1 − weight × strength), rounded to 3 decimals so ties and orders are the same everywhere."""
    keep = 1.0
    for s in signals:
        keep *= 1.0 - WEIGHTS[s.code] * max(0.0, min(1.0, s.strength))
    return round(1.0 - keep, 3)


def jump_signal(row, previous) -> Signal | None:
    """The self-score rose by DTI_RISK_JUMP_SHARE of the maximum or more since the unit's previous period."""
    if previous is None or previous.self_points is None or row.self_points is None or not row.max_points:
        return None
    share = read_float("DTI_RISK_JUMP_SHARE")
    rise = _points(row.self_points - previous.self_points) / _points(row.max_points)
    if share <= 0 or rise < share:
        return None
    detail = (f"kỳ {previous.period}: {_fmt(previous.self_points)} điểm → kỳ này {_fmt(row.self_points)} "
              f"(tối đa {_fmt(row.max_points)})")
    return Signal(RiskSignal.JUMP, min(1.0, rise / (2 * share)), detail)


def peer_spread(values: Sequence[float]) -> tuple[float, float]:
    """(median, robust spread) of peers' shares: 1.4826 × MAD, or the mean absolute deviation when over half of
    the peers sit on the median (MAD 0); 0 when they are all equal."""
    med = statistics.median(values)
    deviations = [abs(v - med) for v in values]
    spread = 1.4826 * statistics.median(deviations)
    if spread == 0:
        spread = statistics.fmean(deviations)
    return med, spread


def peer_signal(row, peers: Sequence[float]) -> Signal | None:
    """The self-score's share of the maximum sits DTI_RISK_PEER_Z robust deviations or more above its peers'."""
    if row.self_points is None or not row.max_points or len(peers) < MIN_PEERS:
        return None
    med, spread = peer_spread(peers)
    if spread == 0:
        return None
    x = _points(row.self_points) / _points(row.max_points)
    z = (x - med) / spread
    threshold = read_float("DTI_RISK_PEER_Z")
    if z < threshold:
        return None
    detail = f"{x:.0%} số điểm tối đa, các đơn vị cùng loại (trung vị) {med:.0%}; lệch {z:.1f} lần độ phân tán"
    return Signal(RiskSignal.PEER_OUTLIER, min(1.0, (z - threshold) / 3 + 1 / 3), detail)


def nearby_signal(measured: Sequence) -> Signal | None:
    """The unit over-reports measured indicators of the same main index: strength = the share over-reported."""
    if not measured:
        return None
    over = [m for m in measured if m.outcome == Outcome.DISCREPANCY and m.direction == Direction.OVER]
    if not over:
        return None
    codes = ", ".join(sorted((m.indicator_code for m in over), key=code_key))
    return Signal(RiskSignal.OVER_REPORTS_NEARBY, len(over) / len(measured),
                  f"{len(over)}/{len(measured)} chỉ tiêu đo được cùng nhóm tự đánh giá cao hơn hệ thống: {codes}")


def citation_signals(row) -> list[Signal]:
    """A cited document missing or dated otherwise in the document system; or nothing cited at all."""
    citations = list(row.citations or [])
    if not citations:
        return [Signal(RiskSignal.NO_CITATION, 1.0, "không có số/ký hiệu văn bản nào trong cột tài liệu kiểm chứng")]
    bad = [c for c in citations if c.get("status") in ("not_found", "date_mismatch")]
    if not bad:
        return []
    codes = {"not_found": Reason.CITATION_NOT_FOUND.vi, "date_mismatch": Reason.CITATION_DATE_MISMATCH.vi}
    detail = "; ".join(f"{c.get('raw', '')}: {codes[c['status']].lower()}" for c in bad)
    return [Signal(RiskSignal.CITATION_PROBLEM, 1.0, detail)]


def evidence_signal(row) -> Signal | None:
    """The evidence reading's verdict on the claim's files (a reason code on the ledger), weighted by how much
    it says about the claim (dti.evidence.store.risk); none when the files are in order."""
    found = [code for code in (r.split(":")[0] for r in (row.reason or "").split(";")) if code in EVIDENCE_VERDICTS]
    if not found:
        return None
    verdict = EvidenceVerdict(found[0])
    strength = evidence_risk(verdict)
    return Signal(RiskSignal.EVIDENCE_PROBLEM, strength, verdict.vi) if strength > 0 else None


def _fmt(points) -> str:
    return f"{Decimal(points).quantize(Decimal('0.01'))}".replace(".", ",")


def assess(rows: Sequence, unit_types: dict[str, str], previous: dict[tuple[str, str], object]) -> dict:
    """{(unit, indicator): Risk} for every claim of the period's ledger `rows` a council decides on.

    `unit_types` gives each unit's type (its peer group within a framework); `previous` the unit's claims of
    its previous period by (unit, indicator), empty when there is none.
    """
    peers: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    measured: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        if r.self_points is not None and r.max_points and r.outcome not in (Outcome.NOT_APPLICABLE,):
            peers[(r.framework_id, unit_types.get(r.unit_code, ""), r.indicator_code)].append(
                _points(r.self_points) / _points(r.max_points))
        if r.outcome in MEASURED:
            measured[(r.unit_code, r.main_index_code)].append(r)
    out: dict[tuple[str, str], Risk] = {}
    for r in rows:
        if r.outcome == Outcome.DISCREPANCY:
            stake = Decimal(r.points_at_stake or 0)
            out[(r.unit_code, r.indicator_code)] = Risk(r.unit_code, r.indicator_code, 1.0, [], stake, float(stake))
            continue
        if r.outcome not in SCORED:
            continue
        group = peers[(r.framework_id, unit_types.get(r.unit_code, ""), r.indicator_code)]
        found = [
            jump_signal(r, previous.get((r.unit_code, r.indicator_code))),
            peer_signal(r, group),
            nearby_signal(measured.get((r.unit_code, r.main_index_code), [])),
            *(citation_signals(r) if r.outcome == Outcome.EVIDENCE_ONLY else []),
            evidence_signal(r),
        ]
        signals = [s for s in found if s is not None]
        stake = Decimal(r.self_points or 0)
        score = combine(signals)
        out[(r.unit_code, r.indicator_code)] = Risk(r.unit_code, r.indicator_code, score, signals, stake,
                                                    round(float(stake) * score, 4))
    return out


def _draw_order(period: str, risk: Risk) -> str:
    return hashlib.sha256(f"{period}|{risk.unit_code}|{risk.indicator_code}".encode()).hexdigest()


def by_priority(risks: Iterable[Risk]) -> list[Risk]:
    """Highest priority first; then points at stake, unit and indicator code (a total, stable order)."""
    return sorted(risks, key=lambda k: (-k.priority, -k.stake, k.unit_code, code_key(k.indicator_code)))


def propose_sample(period: str, rows: Sequence, risks: dict[tuple[str, str], Risk]) -> Sample:
    """Mark the proposed sample on `risks` (stratified by framework and main index) and say what it leaves."""
    strata: dict[tuple[str, str], list[Risk]] = defaultdict(list)
    for r in rows:
        risk = risks.get((r.unit_code, r.indicator_code))
        if risk is not None and r.outcome in SCORED:
            strata[(r.framework_id, r.main_index_code)].append(risk)
    picked = scored = 0
    left_points = ZERO
    for key in sorted(strata, key=lambda k: (k[0], code_key(k[1]))):
        members = by_priority(strata[key])
        n = min(len(members), max(1, math.ceil(math.sqrt(len(members)))))
        top = math.ceil(n / 2)
        rest = sorted(members[top:], key=lambda k: _draw_order(period, k))
        for risk in [*members[:top], *rest[: n - top]]:
            risk.sampled = True
        scored += len(members)
        picked += n
        left_points += sum((m.stake for m in members if not m.sampled), ZERO)
    return Sample(scored, picked, scored - picked, left_points)


@dataclass(frozen=True)
class PeriodRisk:
    """The risk of every claim of a period the council decides on, the sample, and the period compared with."""

    risks: dict[tuple[str, str], Risk]
    sample: Sample
    previous: str | None


def period_risk(session: Session, period: str) -> PeriodRisk:
    """Risks and the proposed sample of a period's ledger, read from the warehouse."""
    rows = list(session.execute(select(ClaimLedgerRow).where(ClaimLedgerRow.period == period)).scalars())
    types = dict(session.execute(select(Unit.code, Unit.unit_type)).all())
    before = previous_period(session, period)
    prior = {}
    if before is not None:
        prior = {(r.unit_code, r.indicator_code): r for r in session.execute(
            select(ClaimLedgerRow).where(ClaimLedgerRow.period == before)).scalars()}
    risks = assess(rows, types, prior)
    sample = propose_sample(period, rows, risks)
    return PeriodRisk(risks, sample, before)
