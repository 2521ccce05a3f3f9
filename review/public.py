"""The public page of a period's verified results, open to everyone once the period is published."""

from __future__ import annotations

from flask import Blueprint, render_template

from dti.appraisal.phases import check_period, published_phase
from dti.appraisal.scores import rankings
from review.web import db

bp = Blueprint("public", __name__)


@bp.get("/cong-khai/<period>")
def results(period):
    period = check_period(period)
    with db() as s:
        phase = published_phase(s, period)
        return render_template(
            "public.html", rows=rankings(s, period), period=period, phase=phase, public=True
        )
