"""The public page of a period's verified results, open to everyone once the period is published."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from dti import publication
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import check_period
from review.web import db, whole_number

bp = Blueprint("public", __name__)


@bp.get("/cong-khai/<period>")
def results(period):
    """The published copy, never the live tables: `?ban=N` reads an earlier publication of the period."""
    period = check_period(period)
    with db() as s:
        wanted = whole_number(request.args.get("ban", ""))
        pub = publication.current(s, period) if wanted is None else None
        if wanted is not None or pub is None:
            try:
                pub, rows = publication.version_rows(s, period, wanted or 0)
            except publication.PublicationError as exc:
                raise ReviewError("Kết quả kỳ này chưa được công bố", "these results are not published", 404) from exc
        else:
            rows = publication.frozen_scores(s, period)
        return render_template("public.html", rows=rows, period=period, pub=pub, public=True)
