"""The units' self-assessments: claimed values (honest, or a planted misreport), evidence citations
that the document system may or may not confirm, and the answer key rows that say which is which."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

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


def _plant(leaf, fw: Framework, truth: Decimal, rng: random.Random) -> tuple[Decimal, str]:
    """A claimed value for a verifiable leaf: honest (within tolerance) or a planted misreport."""
    tol = _tolerance(fw, leaf, truth)
    lower_is_better = leaf.method is not None and leaf.method.kind == "deduction"
    if leaf.measure == "rate":
        roll = rng.random()
        if roll < 0.18:
            claimed = truth + tol * Decimal(rng.uniform(2.5, 8))  # claims better than the records show
            if claimed > 1:
                claimed = truth - tol * Decimal(rng.uniform(2.5, 6))
            if claimed < 0:
                return quantize(truth), "honest"
            return quantize(claimed), "planted"
        if roll < 0.22:
            claimed = truth - tol * Decimal(rng.uniform(2.5, 6))
            if claimed < 0:
                return quantize(truth), "honest"
            return quantize(claimed), "planted"
        noise = tol * Decimal(rng.uniform(-0.45, 0.45))
        return quantize(min(Decimal(1), max(Decimal(0), truth + noise))), "honest"
    # counts: the claim is a whole number
    roll = rng.random()
    if roll < 0.2:
        shift = int(tol) + rng.randint(2, 4)
        if lower_is_better:
            if truth - shift >= 0:
                return Decimal(int(truth) - shift), "planted"
            return Decimal(int(truth) + shift), "planted"
        return Decimal(int(truth) + shift), "planted"
    return Decimal(int(truth)), "honest"


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
            value, kind = _evd_value(leaf, rng), "no_source_data"
        else:
            value, kind = _plant(leaf, fw, true, rng)
        tol = _tolerance(fw, leaf, true) if true is not None else None
        keys.append(
            {
                "unit_code": unit["code"],
                "indicator_code": leaf.code,
                "kind": kind,
                "true_value": str(quantize(true, "0.000001")) if true is not None else None,
                "claimed_value": str(value),
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
