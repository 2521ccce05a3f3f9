"""Detection accuracy against the generator's answer key (truth.json): how well the ledger tells claims beyond
the tolerance from claims within it, by how far each claim is from the truth.

The answer key's truth is computed from the raw records by a path of its own
(simulators/synthetic/truth.py), not by the metric code, and its claims are spread across the tolerance line
(simulators/synthetic/self_reports.py): honest units round, copy last year, count by another definition;
misreports run from just beyond the tolerance to gross. So the figures can fall short of perfect, and do
when the tolerance or a metric is broken.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from dti.reconciliation import Claim

# Distance from the truth in multiples of the tolerance: (label, upper bound inclusive); the first band is
# within the tolerance (a flag there is a false positive), the others beyond it (a flag there is a detection).
BANDS: list[tuple[str, Decimal | None]] = [
    ("<1×", Decimal(1)),
    ("1–1.5×", Decimal("1.5")),
    ("1.5–3×", Decimal(3)),
    (">3×", None),
]


def _band(distance: Decimal) -> str:
    for label, upper in BANDS:
        if upper is None or distance <= upper:
            return label
    return BANDS[-1][0]


def _distance(t: dict) -> Decimal | None:
    if t.get("distance") is not None:
        return Decimal(t["distance"])
    if t.get("true_value") is None or not t.get("tolerance"):
        return None
    return abs(Decimal(t["claimed_value"]) - Decimal(t["true_value"])) / Decimal(t["tolerance"])


def _rate(hit: int, n: int) -> float | None:
    return round(hit / n, 4) if n else None


def _count(tallies: dict[str, dict[str, int]], key: str, beyond: bool, flagged: bool) -> None:
    tally = tallies.setdefault(key, {"beyond": 0, "detected": 0, "within": 0, "false_positives": 0})
    if beyond:
        tally["beyond"] += 1
        tally["detected"] += flagged
    else:
        tally["within"] += 1
        tally["false_positives"] += flagged


def _rates(tallies: dict[str, dict[str, int]]) -> dict[str, dict]:
    return {
        key: {
            **v,
            "recall": _rate(v["detected"], v["beyond"]),
            "false_positive_rate": _rate(v["false_positives"], v["within"]),
        }
        for key, v in sorted(tallies.items())
    }


def accuracy(claims: list[Claim], truth_path: str | Path) -> dict:
    """Recall on claims beyond the tolerance, false-positive rate on claims within it, overall, per band of
    distance from the tolerance, per source and per kind of indicator (rate, count), with the confusion
    table.

    Only claims the ledger could check count (an unverifiable source is reported apart, not as a miss).
    """
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    by_key = {(c.unit_code, c.indicator_code): c for c in claims}
    bands = {label: {"claims": 0, "flagged": 0} for label, _ in BANDS}
    by_source: dict[str, dict[str, int]] = {}
    by_measure: dict[str, dict[str, int]] = {}
    confusion = {side: {"discrepancy": 0, "verified": 0} for side in ("beyond_tolerance", "within_tolerance")}
    planted = skipped = 0
    missed: list[str] = []
    for t in truth:
        if t["kind"] not in ("planted", "honest") or t.get("beyond_tolerance") is None:
            continue
        claim = by_key.get((t["unit_code"], t["indicator_code"]))
        if claim is None or claim.outcome not in ("verified", "discrepancy"):
            skipped += 1
            continue
        beyond = bool(t["beyond_tolerance"])
        flagged = claim.outcome == "discrepancy"
        confusion["beyond_tolerance" if beyond else "within_tolerance"][claim.outcome] += 1
        distance = _distance(t)
        if distance is not None:
            # the key's own verdict decides the side of the line; the distance only which band beyond it
            band = BANDS[0][0] if not beyond else _band(max(distance, Decimal("1.0000001")))
            bands[band]["claims"] += 1
            bands[band]["flagged"] += flagged
        _count(by_source, t.get("source") or claim.source, beyond, flagged)
        _count(by_measure, t.get("measure") or claim.measure, beyond, flagged)
        if beyond:
            planted += t["kind"] == "planted"
            if not flagged:
                missed.append(f"{t['unit_code']}/{t['indicator_code']}")
    detected = confusion["beyond_tolerance"]["discrepancy"]
    beyond_n = sum(confusion["beyond_tolerance"].values())
    false_pos = confusion["within_tolerance"]["discrepancy"]
    inside = sum(confusion["within_tolerance"].values())
    return {
        "beyond_tolerance": beyond_n,
        "planted_beyond_tolerance": planted,
        "detected": detected,
        "recall": _rate(detected, beyond_n),
        "within_tolerance": inside,
        "false_positives": false_pos,
        "false_positive_rate": _rate(false_pos, inside),
        "by_distance": [
            {
                "band": label,
                "within_tolerance": label == BANDS[0][0],
                **bands[label],
                "false_positive_rate" if label == BANDS[0][0] else "recall": _rate(
                    bands[label]["flagged"], bands[label]["claims"]
                ),
            }
            for label, _ in BANDS
        ],
        "by_source": _rates(by_source),
        "by_measure": _rates(by_measure),
        "confusion": confusion,
        "not_checkable": skipped,
        "missed": sorted(missed)[:20],
    }
