"""Verified scores and rankings of a period, and the council's Excel workbook of them."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, render_template, send_file

from dti.appraisal.accounts import STAFF_ROLES
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import get_phase, periods
from dti.appraisal.scores import rankings
from dti.reports.excel import write_council_workbook
from review.web import db, login_required, period_arg, settings

bp = Blueprint("scores", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/xep-hang", endpoint="rankings")
@login_required(*STAFF_ROLES)
def rankings_page():
    with db() as s:
        period = period_arg(s)
        return render_template(
            "scores.html",
            rows=rankings(s, period) if period else [],
            period=period,
            periods=periods(s),
            phase=get_phase(s, period) if period else None,
        )


@bp.get("/xuat-excel")
@login_required(*STAFF_ROLES)
def export_excel():
    with db() as s:
        period = period_arg(s)
        if period is None:
            raise ReviewError("Chưa có kỳ đánh giá nào", "there is no period yet", 404)
        out = settings().out_dir / "review"
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            path = Path(tmp) / f"hoi-dong-{period}.xlsx"
            write_council_workbook(s, period, path)
            data = path.read_bytes()
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"hoi-dong-tham-dinh-{period}.xlsx",
    )
