"""The council's pages: the discrepancy queue, a claim with everything behind it, decisions, four-eyes
approvals and explanation requests."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from dti.appraisal import claims, decision_history, decisions, evidence, explanations, readings, records, risk
from dti.appraisal.accounts import EXPLANATION_ROLES
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import get_phase, periods
from dti.verification.history import previous_claim
from dti.vocabulary import Action, Role
from review.formatting import fmt_points
from review.web import db, form_int, login_required, page_arg, period_arg

bp = Blueprint("council", __name__)


def _claim_url(period: str, unit: str, indicator: str) -> str:
    return url_for("council.claim", period=period, unit=unit, indicator=indicator)


@bp.get("/hang-doi")
@login_required()
def queue():
    with db() as s:
        period = period_arg(s)
        outcome = request.args.get("ket-qua") or ""
        outcomes = claims.queue_outcomes(outcome)
        # Risk and the sample are the council's working tools, not something a unit is shown.
        assessed = risk.period_risk(s, period) if period and g.user.role != Role.SUBMITTER else None
        rows = claims.queue(s, period, g.user, outcomes, assessed.risks if assessed else None) if period else []
        sample_only = request.args.get("mau") == "1"
        if sample_only and assessed:
            rows = [r for r in rows if (k := assessed.risks.get((r.unit_code, r.indicator_code))) and k.sampled]
        return render_template(
            "queue.html",
            rows=rows,
            risks=assessed.risks if assessed else {},
            sample=assessed.sample if assessed else None,
            previous=assessed.previous if assessed else None,
            sample_only=sample_only,
            names=claims.unit_names(s),
            period=period,
            periods=periods(s),
            outcome=outcome,
            phase=get_phase(s, period) if period else None,
            pending=decision_history.pending_by_claim(s, period) if period else {},
        )


@bp.get("/chi-tieu/<period>/<unit>/<indicator>")
@login_required()
def claim(period, unit, indicator):
    with db() as s:
        row = claims.claim_for(s, g.user, period, unit, indicator)
        history = decision_history.history(s, row)
        return render_template(
            "claim.html",
            row=row,
            before=previous_claim(s, row),
            risk=None if g.user.role == Role.SUBMITTER
            else risk.period_risk(s, row.period).risks.get((row.unit_code, row.indicator_code)),
            unit=claims.find_unit(s, row.unit_code),
            leaf=claims.leaf_of(row),
            phase=get_phase(s, row.period),
            decisions=history,
            states=decision_history.decision_states(s, history),
            pending=decision_history.pending_decision(s, row),
            requests=explanations.explanation_requests(s, row.unit_code, row.period, row.indicator_code),
            readings=readings.claim_readings(s, row),
            drill=records.drill_down(s, row, page_arg()),
            citations=records.citations_for(s, row),
            snapshot=evidence.evidence_snapshot(s, row),
            threshold=decisions.four_eyes_points(),
            can_decide=g.user.role == Role.COUNCIL,
        )


@bp.get("/chi-tieu/<period>/<unit>/<indicator>/ban-ghi.csv")
@login_required()
def claim_records_csv(period, unit, indicator):
    """Every record behind the claim's objective value, as a CSV with a BOM (read from the warehouse as it
    is sent, so a claim over a million records needs no more memory than one over a hundred)."""
    with db() as s:
        row = claims.claim_for(s, g.user, period, unit, indicator)
        key = (row.period, row.unit_code, row.indicator_code)

    def body():
        with db() as s:
            yield from records.records_csv(s, claims.get_claim(s, *key))

    name = f"ban-ghi_{key[1]}_{key[0]}_{key[2]}.csv"
    return Response(stream_with_context(body()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _flash_decision(result: decisions.DecisionResult, action: str) -> None:
    if result.applied and action != Action.REQUEST_EVIDENCE:
        flash(
            f"Đã ghi quyết định #{result.decision.id}: điểm thẩm định {fmt_points(result.points_before)} → "
            f"{fmt_points(result.points_after)}",
            "ok",
        )
    elif result.applied:
        flash(f"Đã ghi quyết định #{result.decision.id} và gửi yêu cầu giải trình cho đơn vị", "ok")
    else:
        flash(
            f"Quyết định #{result.decision.id} thay đổi quá {decisions.four_eyes_points()} điểm: "
            "đang chờ một thành viên Hội đồng khác phê duyệt",
            "warn",
        )


@bp.post("/chi-tieu/<period>/<unit>/<indicator>/quyet-dinh")
@login_required(Role.COUNCIL)
def decide(period, unit, indicator):
    action = request.form.get("action", "")
    value = decisions.parse_value(request.form.get("value")) if action == Action.SET_VALUE else None
    with db() as s:
        row = claims.claim_for(s, g.user, period, unit, indicator)
        result = decisions.decide(
            s,
            g.user,
            row,
            action,
            request.form.get("reason", ""),
            form_int("version"),
            value=value,
            message=request.form.get("message"),
        )
        _flash_decision(result, action)
        target = _claim_url(row.period, row.unit_code, row.indicator_code)
    return redirect(target)


@bp.post("/quyet-dinh/<int(max=2147483647):decision_id>/phe-duyet")
@login_required(Role.COUNCIL)
def approve(decision_id):
    verdict = request.form.get("verdict")
    if verdict not in ("approve", "reject"):
        raise ReviewError("Cần chọn phê duyệt hoặc từ chối", "choose approve or reject")
    with db() as s:
        result = decisions.review_pending(
            s,
            g.user,
            decision_id,
            verdict == "approve",
            request.form.get("reason", ""),
            form_int("version"),
        )
        d = result.decision
        flash(
            f"Đã {'phê duyệt' if verdict == 'approve' else 'từ chối'} quyết định #{decision_id} (#{d.id})",
            "ok",
        )
        target = _claim_url(d.period, d.unit_code, d.indicator_code)
    return redirect(target)


@bp.post("/chi-tieu/<period>/<unit>/<indicator>/yeu-cau-giai-trinh")
@login_required(*EXPLANATION_ROLES)
def request_explanation(period, unit, indicator):
    with db() as s:
        row = claims.claim_for(s, g.user, period, unit, indicator)
        req = explanations.request_explanation(s, g.user, row, request.form.get("message", ""))
        flash(f"Đã gửi yêu cầu giải trình #{req.id} cho đơn vị {row.unit_code}", "ok")
        target = _claim_url(row.period, row.unit_code, row.indicator_code)
    return redirect(target)
