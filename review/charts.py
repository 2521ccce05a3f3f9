"""Charts drawn as SVG on the server (the pages run no scripts and allow no inline styles): the waterfall of a
unit's verified score from its previous period to this one."""

from __future__ import annotations

from decimal import Decimal

from review.formatting import fmt_points

WIDTH, LABEL, ROW = 560, 190, 22


def waterfall_rows(bars: list[dict]) -> list[dict]:
    """Rows of the SVG waterfall: each bar's y, x and width in the plot and its class (total, up, down)."""
    if not bars:
        return []
    values = [Decimal(v) for b in bars for v in (b["start"], b["end"])]
    low, high = min(min(values), Decimal(0)), max(values)
    span = (high - low) or Decimal(1)
    plot = WIDTH - LABEL - 70

    def x(v: Decimal) -> int:
        return LABEL + int((v - low) * plot / span)

    rows = []
    for i, b in enumerate(bars):
        start, end = Decimal(b["start"]), Decimal(b["end"])
        total = i in (0, len(bars) - 1)
        delta = end - start
        rows.append({
            "label": b["label"], "y": i * ROW, "x": x(min(start, end)), "w": max(1, abs(x(end) - x(start))),
            "cls": "total" if total else ("up" if delta > 0 else "down"),
            "text": fmt_points(end) if total else ("+" if delta > 0 else "") + fmt_points(delta),
            "tx": max(x(start), x(end)) + 4,
        })
    return rows


def waterfall_height(rows: list[dict]) -> int:
    return len(rows) * ROW + 4
