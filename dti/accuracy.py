"""Detection accuracy against the generator's planted misreports (the ground truth in truth.json)."""

from __future__ import annotations

import json
from pathlib import Path

from dti.reconciliation import Claim


def accuracy(claims: list[Claim], truth_path: str | Path) -> dict:
    """Recall on planted misreports beyond tolerance; false-positive rate on claims within tolerance.

    Only claims the ledger could check count (an unverifiable source is reported apart, not as a miss).
    """
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
    by_key = {(c.unit_code, c.indicator_code): c for c in claims}
    planted = detected = inside = false_pos = skipped = 0
    missed: list[str] = []
    for t in truth:
        if t["kind"] not in ("planted", "honest") or t.get("beyond_tolerance") is None:
            continue
        claim = by_key.get((t["unit_code"], t["indicator_code"]))
        if claim is None or claim.outcome not in ("verified", "discrepancy"):
            skipped += 1
            continue
        if t["beyond_tolerance"]:
            planted += 1
            if claim.outcome == "discrepancy":
                detected += 1
            else:
                missed.append(f"{t['unit_code']}/{t['indicator_code']}")
        else:
            inside += 1
            false_pos += claim.outcome == "discrepancy"
    return {
        "planted_beyond_tolerance": planted, "detected": detected,
        "recall": round(detected / planted, 4) if planted else None,
        "within_tolerance": inside, "false_positives": false_pos,
        "false_positive_rate": round(false_pos / inside, 4) if inside else None,
        "not_checkable": skipped, "missed": sorted(missed)[:20],
    }
