"""CSV and JSON exports of the ledger and scores: stable column order, stable number formats, so the
same inputs give byte-identical files."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from dti.reconciliation import Claim
from dti.scoring.unit_scores import UnitScoreRow

LEDGER_COLUMNS = [
    "unit_code", "period", "indicator_code", "main_index_code", "source", "measure", "max_points",
    "self_value", "objective_value", "verified_value", "objective_numerator", "objective_denominator",
    "record_count", "difference", "tolerance", "outcome", "direction", "severity", "points_at_stake",
    "self_points", "verified_points", "reason", "reason_vi", "snapshot_id",
]
SCORE_COLUMNS = [
    "unit_code", "period", "framework_id", "unit_type", "max_points", "self_total", "verified_total",
    "self_dti", "verified_dti", "self_rank", "verified_rank", "rank_change", "discrepancies",
    "unverifiable_points", "evidence_only_points", "movers",
    "measured_points", "evidence_points", "provisional_points", "coverage", "ranking_dti", "rank_on_provisional",
]
POINT_FIELDS = {"max_points", "self_points", "verified_points", "points_at_stake", "self_total", "verified_total",
                "unverifiable_points", "evidence_only_points", "measured_points", "evidence_points",
                "provisional_points"}


def fmt(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if name in POINT_FIELDS:
            return f"{value.quantize(Decimal('0.01'))}"
        return f"{value.quantize(Decimal('0.000001'))}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([fmt(c, row.get(c)) for c in columns])
    return buf.getvalue()


def ledger_csv(claims: list[Claim]) -> str:
    rows = sorted((c.as_row() for c in claims), key=lambda r: (r["unit_code"], r["period"], r["indicator_code"]))
    return _csv(rows, LEDGER_COLUMNS)


def scores_csv(scores: list[UnitScoreRow]) -> str:
    rows = sorted((vars(s) for s in scores), key=lambda r: (r["unit_code"], r["period"]))
    return _csv(rows, SCORE_COLUMNS)


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _json_rows(rows: list[dict], columns: list[str]) -> str:
    def value(c, v):
        if v is None or isinstance(v, (list, dict, int)):
            return v
        return fmt(c, v)  # decimals as exact strings, as in the CSV

    data = [{c: value(c, r.get(c)) for c in columns} for r in rows]
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def ledger_json(claims: list[Claim]) -> str:
    """The ledger as JSON, with the drill-down the CSV leaves out: record ids and citation checks."""
    rows = sorted((c.as_row() for c in claims), key=lambda r: (r["unit_code"], r["period"], r["indicator_code"]))
    return _json_rows(rows, [*LEDGER_COLUMNS, "record_ids", "citations", "decision_id"])


def scores_json(scores: list[UnitScoreRow]) -> str:
    rows = sorted((vars(s) for s in scores), key=lambda r: (r["unit_code"], r["period"]))
    return _json_rows(rows, [*SCORE_COLUMNS, "by_main_index"])
