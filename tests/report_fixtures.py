"""A report context of any size, built in memory: `units` units × the 40 leaves of default-dept-2025, with
codes whose natural order differs from their text order (000.00.9 < 000.00.10) and distinct Vietnamese
names."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from dti.framework import load_all
from dti.reconciliation import Claim
from dti.reports.context import ReportContext, policy_words
from dti.scoring.unit_scores import UnitScoreRow, count_outcomes
from dti.settings import TZ

PERIOD = "2025-R3"
PREVIOUS = "2024-R3"
AS_OF = dt.datetime(2026, 1, 6, 8, 30, tzinfo=TZ)
FIRST = [
    "An",
    "Bình",
    "Cao",
    "Đông",
    "Gia",
    "Hòa",
    "Kim",
    "Long",
    "Minh",
    "Nam",
    "Phú",
    "Quang",
    "Sơn",
    "Tân",
    "Thạch",
    "Vĩnh",
    "Xuân",
    "Yên",
    "Lạc",
    "Ngọc",
]
SECOND = [
    "Hưng",
    "Thịnh",
    "Phước",
    "Lộc",
    "Tiến",
    "Thành",
    "Mỹ",
    "Hải",
    "Khánh",
    "Trung",
    "Điền",
    "Giang",
    "Lâm",
    "Nghĩa",
    "Quý",
    "Sang",
    "Toàn",
    "Uyên",
    "Vượng",
    "Bảo",
]
OUTCOMES = [
    "verified",
    "verified",
    "discrepancy",
    "verified",
    "unverifiable",
    "evidence_only",
    "discrepancy",
    "verified",
    "missing_self_report",
    "verified",
]
SEVERITIES = ["critical", "high", "medium", "low"]


def unit_code(i: int) -> str:
    return f"000.00.{i + 1}.H33"


def unit_name(i: int) -> str:
    return f"Xã {FIRST[i % len(FIRST)]} {SECOND[(i // len(FIRST)) % len(SECOND)]}"


def _claim(fw, leaf, unit: str, n: int) -> Claim:
    outcome = OUTCOMES[n % len(OUTCOMES)]
    rate = leaf.measure == "rate"
    self_value = Decimal(str(round(0.5 + (n % 50) / 100, 4))) if rate else Decimal(n % 30)
    objective = (
        None
        if outcome in ("unverifiable", "evidence_only", "missing_self_report")
        else (self_value - Decimal("0.1") if rate and outcome == "discrepancy" else self_value)
    )
    self_points = (leaf.max_points * Decimal((n * 7) % 100) / 100).quantize(Decimal("0.01"))
    verified_points = self_points - Decimal(n % 13) if outcome == "discrepancy" else self_points
    verified_points = max(verified_points, Decimal(0))
    severity = SEVERITIES[n % 4] if outcome == "discrepancy" else None
    stake = self_points - verified_points if outcome == "discrepancy" else None
    return Claim(
        unit,
        PERIOD,
        leaf.code,
        fw.id,
        fw.main_index_of(leaf.code).code,
        leaf.source or "EVD",
        leaf.measure or "count",
        leaf.max_points,
        outcome,
        self_value=self_value,
        self_points=self_points,
        objective_value=objective,
        objective_numerator=Decimal(n % 97) if objective is not None else None,
        objective_denominator=Decimal(97) if objective is not None else None,
        tolerance=Decimal("0.02"),
        direction="over" if outcome == "discrepancy" else None,
        severity=severity,
        points_at_stake=stake,
        verified_value=objective if objective is not None else self_value,
        verified_points=verified_points,
        reasons=[
            {
                "verified": "within_tolerance",
                "discrepancy": "over_reported",
                "unverifiable": "source_failed",
                "evidence_only": "no_system_of_record",
                "missing_self_report": "missing_self_report",
            }[outcome]
        ],
    )


def _rank(scores: list[UnitScoreRow]) -> None:
    """Ranks by total; a verified rank that would differ without provisional points is marked so."""
    for key, rank in (("self_total", "self_rank"), ("verified_total", "verified_rank")):
        for n, s in enumerate(sorted(scores, key=lambda s: (-getattr(s, key), s.unit_code)), start=1):
            setattr(s, rank, n)
    bare = sorted(scores, key=lambda s: (-(s.verified_total - s.provisional_points), s.unit_code))
    for n, s in enumerate(bare, start=1):
        s.rank_change = s.self_rank - s.verified_rank
        s.ranking_dti = s.verified_dti
        s.rank_on_provisional = n != s.verified_rank


def _scores(fw, claims: list[Claim], period: str) -> list[UnitScoreRow]:
    by_unit: dict[str, list[Claim]] = {}
    for c in claims:
        by_unit.setdefault(c.unit_code, []).append(c)
    scores = []
    for code, mine in by_unit.items():
        self_total = sum((c.self_points or 0 for c in mine), Decimal(0))
        verified_total = sum((c.verified_points or 0 for c in mine), Decimal(0))
        row = UnitScoreRow(code, period, fw.id, "dept_tthc", Decimal(1000), self_total, verified_total,
                           self_total / 1000, verified_total / 1000)
        count_outcomes(row, mine)
        scores.append(row)
    _rank(scores)
    return scores


def big_context(units: int = 300) -> ReportContext:
    """`units` × 40 claims (300 units: 12,000 rows), scores ranked by verified total."""
    fw = load_all()["default-dept-2025"]
    leaves = fw.leaves()
    claims = []
    for i in range(units):
        code = unit_code(i)
        mine = [_claim(fw, leaf, code, i * len(leaves) + j) for j, leaf in enumerate(leaves)]
        claims += mine
    scores = _scores(fw, claims, PERIOD)
    names = {unit_code(i): unit_name(i) for i in range(units)}
    indicator_names = {(fw.id, leaf.code): leaf.name_vi for leaf in leaves}
    mains = {(fw.id, m.code): m.name_vi for m in fw.main_indices()}
    return ReportContext(
        PERIOD, claims, scores, names, indicator_names, mains, Counter(c.outcome for c in claims), [], AS_OF,
        policies={fw.id: policy_words(fw.policy)},
    )


def previous_shift(n: int) -> Decimal:
    """How many points more the n-th claim of a unit had in the previous period (negative: fewer)."""
    return Decimal((n * 3) % 7 - 3)


def with_previous(ctx: ReportContext) -> ReportContext:
    """`ctx` with a previous period: each claim's verified points shifted by previous_shift (never below
    0), and the last unit new this period (no previous score)."""
    fw = load_all()["default-dept-2025"]
    codes = sorted({c.unit_code for c in ctx.claims}, key=lambda u: int(u.split(".")[2]))
    before = []
    for n, c in enumerate(c for c in ctx.claims if c.unit_code != codes[-1]):
        points = max((c.verified_points or Decimal(0)) + previous_shift(n), Decimal(0))
        before.append(Claim(c.unit_code, PREVIOUS, c.indicator_code, c.framework_id, c.main_index_code,
                            c.source, c.measure, c.max_points, c.outcome, self_points=c.self_points,
                            verified_points=points))
    ctx.previous_period = PREVIOUS
    ctx.previous_claims = before
    ctx.previous_scores = _scores(fw, before, PREVIOUS)
    return ctx
