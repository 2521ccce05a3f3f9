"""The units' self-assessments: claimed values (honest, or a planted misreport), evidence citations
that the document system may or may not confirm, and the answer key rows that say which is which."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from dti.framework import Framework
from dti.scoring import score_leaf
from simulators.synthetic.doc import DOC_ISSUERS
from simulators.synthetic.seeded import quantize, rng_for

PLAN_KINDS = [("Kế hoạch", "KH"), ("Quyết định", "QĐ"), ("Chỉ thị", "CT"), ("Báo cáo", "BC")]
# (the citation's text in the self-report, the document written to the document system or None)
Citation = tuple[str, dict | None]


def _tolerance(fw: Framework, leaf, objective: Decimal) -> Decimal:
    tol = fw.tolerance_for(leaf)
    return max(tol.abs, tol.rel * abs(objective))


# How units fill in a verifiable indicator, with the share of claims each way (they add up to 1). The honest
# ways are the mistakes people make without meaning to — some land beyond the tolerance, and the ledger is
# right to flag them; misreports are meant, from just beyond the tolerance to gross. "edge" claims sit within
# 15 % of the tolerance on either side, so the line itself is tested.
STYLES: list[tuple[str, float]] = [
    ("exact", 0.30),  # the figure the records give
    ("rounded", 0.12),  # rounded to a whole percent
    ("last_year", 0.08),  # last year's figure copied over
    ("other_definition", 0.08),  # counted by another reasonable definition (e.g. all dossiers, not received)
    ("window", 0.06),  # a slightly different window (to 30/11, or from the first dossier's date)
    ("edge", 0.14),  # 0.85–1.15 × the tolerance away, either side
    ("misreport", 0.22),  # beyond the tolerance: a band drawn from MISREPORT_BANDS
]
# Misreport distance in multiples of the tolerance: just beyond, clearly beyond, gross.
MISREPORT_BANDS = [(1.02, 1.5), (1.5, 3.0), (3.0, 8.0)]


def _style(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for name, share in STYLES:
        acc += share
        if roll < acc:
            return name
    return STYLES[-1][0]


def _shift(style: str, tol: Decimal, rng: random.Random, better: int) -> Decimal:
    """The claim's distance from the truth, signed (+: what the unit would like better)."""
    if style == "other_definition":
        return tol * Decimal(rng.uniform(0.2, 1.6)) * rng.choice((-1, 1))
    if style == "window":
        return tol * Decimal(rng.uniform(0.1, 0.9)) * rng.choice((-1, 1))
    if style == "edge":
        return tol * Decimal(rng.uniform(0.85, 1.15)) * rng.choice((-1, 1))
    lo, hi = rng.choice(MISREPORT_BANDS)
    sign = better if rng.random() < 0.8 else -better  # most misreports flatter the unit
    return tol * Decimal(rng.uniform(lo, hi)) * sign


def _plant(leaf, fw: Framework, truth: Decimal, rng: random.Random) -> tuple[Decimal, str, str]:
    """(claimed value, kind, style) for a verifiable leaf: honest ("exact", "rounded", …, possibly beyond the
    tolerance as honest mistakes are) or a planted misreport."""
    tol = _tolerance(fw, leaf, truth)
    better = -1 if leaf.method is not None and leaf.method.kind == "deduction" else 1
    style = _style(rng)
    kind = "planted" if style == "misreport" else "honest"
    if style == "exact":
        return (quantize(truth) if leaf.measure == "rate" else Decimal(int(truth))), kind, style
    if leaf.measure == "rate":
        if style == "rounded":
            return quantize(truth, "0.01"), kind, style
        if style == "last_year":
            claimed = truth + Decimal(rng.uniform(-0.06, 0.03)) * better
        else:
            claimed = truth + _shift(style, tol, rng, better)
        if claimed > 1 or claimed < 0:  # a share cannot leave [0, 1]: the unit errs the other way
            claimed = truth - (claimed - truth)
        return quantize(min(Decimal(1), max(Decimal(0), claimed))), kind, style
    # counts: whole numbers, a tolerance of at least 1
    if style == "rounded":
        return Decimal(int(truth)), kind, style
    if style == "last_year":
        shift = Decimal(rng.randint(-2, 2))
    else:
        shift = _shift(style, tol, rng, better)
    rounding = ROUND_CEILING if style == "misreport" else ROUND_HALF_UP
    step = int(abs(shift).to_integral_value(rounding=rounding))
    if style == "misreport":
        step = max(step, int(tol) + 1)  # a whole number beyond the tolerance
    claimed = int(truth) + (step if shift >= 0 else -step)
    if claimed < 0:
        claimed = int(truth) + step
    return Decimal(claimed), kind, style


def _evd_value(leaf, rng: random.Random) -> Decimal:
    """A claimed value no system of record can check."""
    if leaf.measure == "tier":
        return Decimal(
            rng.choice([t.level for t in leaf.method.tiers] + [max(t.level for t in leaf.method.tiers)])
        )
    if leaf.measure == "count":
        top = max((s.at_least for s in (leaf.method.steps or [])), default=Decimal(5))
        return Decimal(rng.randint(0, int(top) + 1))
    if leaf.measure == "bool":
        return Decimal(int(rng.random() < 0.8))
    return quantize(Decimal(rng.uniform(0.55, 1.0)))


def _citation(unit: dict, leaf, year: int, rng: random.Random, n: int) -> Citation:
    name, kind = rng.choice(PLAN_KINDS)
    issuer = DOC_ISSUERS.get(unit["unit_type"], "UBND")
    number = str(rng.randint(10, 999)) + (f"{n}" if rng.random() < 0.3 else "")
    day = dt.date(year, rng.randint(1, 11), rng.randint(1, 28))
    style = rng.random()
    if style < 0.5:
        text = f"{name} số {number}/{kind}-{issuer} ngày {day.day}/{day.month}/{day.year} về {leaf.name_vi.lower()}"
    else:
        text = f"{number}/{kind}-{issuer}  -  {day:%d/%m/%Y}"
    doc = {
        "number": number,
        "doc_type": kind,
        "doc_date": day,
        "summary": f"{name} về {leaf.name_vi.lower()}",
    }
    fate = rng.random()
    if fate < 0.12:
        return text, None  # cited but not in the document system
    if fate < 0.2:
        doc = dict(doc, doc_date=day + dt.timedelta(days=rng.randint(3, 40)))  # the date does not match
    return text, doc


def unit_citations(unit: dict, fw: Framework, year: int, seed: int) -> dict[str, Citation]:
    """{leaf code: citation} for the leaves of `fw` that ask `unit` for evidence."""
    cites: dict[str, Citation] = {}
    for n, leaf in enumerate(fw.leaves()):
        if leaf.evidence_vi and fw.applies(leaf, unit["unit_type"]):
            cites[leaf.code] = _citation(unit, leaf, year, rng_for(seed, "cite", unit["code"], leaf.code), n)
    return cites


def self_assessments(
    units: list[dict],
    fws: dict[str, Framework],
    truth_values: dict,
    citations: dict,
    *,
    seed: int,
    period: str,
    missing_rate: float,
) -> tuple[list[dict], list[dict]]:
    """(self-reports, answer key rows) for the current `units`: a row per applicable leaf, a few left
    out (missing), the verifiable ones honest or misreported against `truth_values`."""
    self_reports: list[dict] = []
    answer_key: list[dict] = []
    for unit in units:
        fw = fws[unit["code"]]
        rng = rng_for(seed, "claims", unit["code"])
        for leaf in fw.leaves():
            if not fw.applies(leaf, unit["unit_type"]):
                continue
            if rng.random() < missing_rate:
                answer_key.append({"unit_code": unit["code"], "indicator_code": leaf.code, "kind": "missing"})
                continue
            record, keys = _claim(
                unit, fw, leaf, rng, truth_values, citations[unit["code"]].get(leaf.code), period
            )
            self_reports.append(record)
            answer_key += keys
    return self_reports, answer_key


def _claim(
    unit: dict,
    fw: Framework,
    leaf,
    rng: random.Random,
    truth_values: dict,
    cite: Citation | None,
    period: str,
) -> tuple[dict, list[dict]]:
    """One self-report row and what the answer key says about it."""
    keys: list[dict] = []
    record = {
        "unit_code": unit["code"],
        "period": period,
        "framework_id": fw.id,
        "indicator_code": leaf.code,
        "value": None,
        "evidence_text": None,
    }
    if leaf.source != "EVD" and leaf.metric:
        true = truth_values.get((unit["code"], leaf.metric))
        if true is None:
            value, kind, style = _evd_value(leaf, rng), "no_source_data", None
        else:
            value, kind, style = _plant(leaf, fw, true, rng)
        tol = _tolerance(fw, leaf, true) if true is not None else None
        keys.append(
            {
                "unit_code": unit["code"],
                "indicator_code": leaf.code,
                "source": leaf.source,
                "measure": leaf.measure,
                "kind": kind,
                "style": style,
                "true_value": str(quantize(true, "0.000001")) if true is not None else None,
                "claimed_value": str(value),
                "tolerance": str(quantize(tol, "0.000001")) if tol is not None else None,
                # how far the claim is from the truth, in tolerances (1 = on the line)
                "distance": str(quantize(abs(value - true) / tol, "0.0001")) if tol else None,
                "beyond_tolerance": (abs(value - true) > tol) if true is not None else None,
            }
        )
    else:
        value = _evd_value(leaf, rng)
    record["value"] = str(value)
    if cite:
        record["evidence_text"] = cite[0]
        keys.append(
            {
                "unit_code": unit["code"],
                "indicator_code": leaf.code,
                "kind": "citation",
                "citation_in_doc_system": cite[1] is not None,
            }
        )
    points = score_leaf(leaf, value)
    record["self_points"] = str(quantize(points, "0.01")) if points is not None else None
    return record, keys
