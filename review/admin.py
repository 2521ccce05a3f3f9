"""Administration: accounts (create, lock, unlock), moving a period from phase to phase, publishing a
period and reopening a published one (asked by an administrator, approved by a second person)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from dti import publication
from dti.appraisal import accounts
from dti.appraisal.claims import unit_choices
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import check_period, phases_by_period, set_phase
from dti.reports.publish import write_publication
from dti.vocabulary import Phase, Role
from review.web import db, login_required

bp = Blueprint("admin", __name__)


@bp.get("/quan-tri")
@login_required(Role.ADMIN)
def index():
    with db() as s:
        return render_template(
            "admin.html", users=accounts.users(s), phases=phases_by_period(s), units=unit_choices(s),
            publications=publication.listing(s),
            reopenings={p: publication.pending_reopening(s, p) for p in phases_by_period(s)},
        )


@bp.post("/quan-tri/nguoi-dung")
@login_required(Role.ADMIN)
def create_user():
    with db() as s:
        user = accounts.create_user(
            s,
            request.form.get("username", ""),
            request.form.get("role", ""),
            request.form.get("password", ""),
            unit_code=request.form.get("unit") or None,
            full_name=request.form.get("full_name"),
        )
        flash(f"Đã tạo tài khoản '{user.username}' ({Role(user.role).vi})", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/quan-tri/nguoi-dung/<int(max=2147483647):user_id>/trang-thai")
@login_required(Role.ADMIN)
def set_user_active(user_id):
    with db() as s:
        target = accounts.set_active(s, g.user, user_id, request.form.get("active") == "1")
        flash(f"Tài khoản '{target.username}': {'đang hoạt động' if target.active else 'đã khoá'}", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/quan-tri/giai-doan")
@login_required(Role.ADMIN)
def change_phase():
    with db() as s:
        row = set_phase(
            s,
            request.form.get("period", ""),
            request.form.get("phase", ""),
            g.user,
            signed_off=request.form.get("signed_off") == "1",
        )
        flash(f"Kỳ {row.period}: giai đoạn '{Phase(row.phase).vi}'", "ok")
    return redirect(url_for("admin.index"))


def _publication_error(exc: publication.PublicationError) -> ReviewError:
    return ReviewError(exc.message_vi, exc.message_en, 409)


@bp.post("/quan-tri/cong-bo")
@login_required(Role.ADMIN)
def publish():
    try:
        signed_on = dt.date.fromisoformat(request.form.get("signed_on", ""))
    except ValueError as exc:
        raise ReviewError("Ngày ký cần dạng YYYY-MM-DD", "the signing date must look like YYYY-MM-DD") from exc
    with db() as s:
        period = check_period(request.form.get("period", ""))
        try:
            pub = publication.publish(s, period, request.form.get("decision", ""), signed_on,
                                      request.form.get("signer"), g.user.username)
        except publication.PublicationError as exc:
            raise _publication_error(exc) from exc
        except publication.PeriodFrozen as exc:
            raise ReviewError(exc.message_vi, exc.message_en, 409) from exc
        flash(f"Đã công bố kỳ {period} (lần {pub.version}) theo Quyết định {pub.decision_number}", "ok")
    with db() as s:  # once the publication is committed: its outputs, from the frozen copy
        _pub, folder, _written = write_publication(s, period)
    flash(f"Kết quả công bố đã ghi tại {folder} / the publication's outputs are in {folder}", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/quan-tri/mo-lai")
@login_required(Role.ADMIN)
def request_reopening():
    with db() as s:
        period = check_period(request.form.get("period", ""))
        try:
            publication.request_reopening(s, period, request.form.get("reason", ""), g.user.username)
        except publication.PublicationError as exc:
            raise _publication_error(exc) from exc
        flash(f"Đã yêu cầu mở lại kỳ {period}; cần một người thứ hai phê duyệt", "ok")
    return redirect(url_for("admin.index"))


@bp.post("/quan-tri/mo-lai/phe-duyet")
@login_required(Role.ADMIN, Role.COUNCIL)
def approve_reopening():
    with db() as s:
        period = check_period(request.form.get("period", ""))
        try:
            publication.approve_reopening(s, period, g.user.username)
        except publication.PublicationError as exc:
            raise _publication_error(exc) from exc
        flash(f"Kỳ {period} đã mở lại để đính chính; bản công bố cũ vẫn xem được", "ok")
    return redirect(url_for("admin.index"))
