"""Spreadsheet cells written as data. openpyxl stores any text that starts with '=' as a formula, so a unit
name, a council member's reason or a value a unit typed could run as one when the workbook is opened:
every workbook the product writes puts its text through `put`, which keeps such text as text."""

from __future__ import annotations


def put(ws, row: int, column: int, value):
    """Write a cell; text that starts with '=' stays text, never a formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell
