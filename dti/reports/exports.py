"""CSV, Excel and JSON exports of the ledger and scores: stable column order, stable number formats, so the
same inputs give byte-identical files. The CSVs start with a UTF-8 BOM, so Excel on Windows opens the
Vietnamese text as it is; the .xlsx files carry the same columns and values for those who would rather
open a workbook."""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dti.cells import put
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
    "self_grade", "verified_grade",
]
BOM = "\ufeff"
POINT_FIELDS = {"max_points", "self_points", "verified_points", "points_at_stake", "self_total", "verified_total",
                "unverifiable_points", "evidence_only_points", "measured_points", "evidence_points",
                "provisional_points"}


def fmt(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # Half up on the exact value, as docs/frameworks.md promises (8.965015 → 8.97).
        if name in POINT_FIELDS:
            return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"
        return f"{value.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP)}"
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
    return _csv(ledger_rows(claims), LEDGER_COLUMNS)


def scores_csv(scores: list[UnitScoreRow]) -> str:
    return _csv(score_rows(scores), SCORE_COLUMNS)


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_csv(path: Path, text: str) -> Path:
    """A CSV for people: UTF-8 with a BOM (Excel reads BOM-less UTF-8 as the ANSI code page); read it back
    with encoding "utf-8-sig"."""
    return write_text(path, BOM + text)


def _cell(name: str, value):
    """The CSV's value as a typed cell with the same digits: decimals as numbers, lists and dicts as JSON."""
    if value is None:
        return None, None
    if isinstance(value, Decimal):
        return Decimal(fmt(name, value)), "#,##0.00" if name in POINT_FIELDS else "0.000000"
    if isinstance(value, (list, dict)):
        return fmt(name, value), None
    return value, None


def table_workbook(rows: list[dict], columns: list[str], sheet: str) -> Workbook:
    """One sheet: the CSV's header and rows, numbers as numbers, a frozen header and a filter."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(columns, start=1):
            value, number_format = _cell(name, row.get(name))
            cell = put(ws, r, c, value)
            if number_format:
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows), 1) + 1}"
    for c, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(len(name) + 2, 40))
    return wb


def ledger_rows(claims: list[Claim]) -> list[dict]:
    rows = (c.as_row() for c in claims)
    return sorted(rows, key=lambda r: (r["unit_code"], r["period"], r["indicator_code"]))


def score_rows(scores: list[UnitScoreRow]) -> list[dict]:
    return sorted((vars(s) for s in scores), key=lambda r: (r["unit_code"], r["period"]))


def ledger_workbook(claims: list[Claim]) -> Workbook:
    return table_workbook(ledger_rows(claims), LEDGER_COLUMNS, "claim_ledger")


def scores_workbook(scores: list[UnitScoreRow]) -> Workbook:
    return table_workbook(score_rows(scores), SCORE_COLUMNS, "verified_scores")


def _json_rows(rows: list[dict], columns: list[str]) -> str:
    def value(c, v):
        if v is None or isinstance(v, (list, dict, int)):
            return v
        return fmt(c, v)  # decimals as exact strings, as in the CSV

    data = [{c: value(c, r.get(c)) for c in columns} for r in rows]
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def ledger_json(claims: list[Claim]) -> str:
    """The ledger as JSON, with the drill-down the CSV leaves out: record ids and citation checks."""
    return _json_rows(ledger_rows(claims), [*LEDGER_COLUMNS, "record_ids", "citations", "decision_id"])


def scores_json(scores: list[UnitScoreRow]) -> str:
    return _json_rows(score_rows(scores), [*SCORE_COLUMNS, "by_main_index"])
