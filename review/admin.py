"""Administration: accounts (create, lock, unlock) and moving a period from phase to phase."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from dti.appraisal import accounts
from dti.appraisal.claims import unit_choices
from dti.appraisal.phases import phases_by_period, set_phase
from dti.vocabulary import Phase, Role
from review.web import db, login_required

bp = Blueprint("admin", __name__)


@bp.get("/quan-tri")
@login_required(Role.ADMIN)
def index():
    with db() as s:
        return render_template(
            "admin.html", users=accounts.users(s), phases=phases_by_period(s), units=unit_choices(s)
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


@bp.post("/quan-tri/nguoi-dung/<int:user_id>/trang-thai")
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
