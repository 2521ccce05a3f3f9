"""Logging in and out, and the signed-in user of each request."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from dti.appraisal import accounts
from dti.vocabulary import Role
from review.security import LoginThrottle, csrf_token
from review.web import db

bp = Blueprint("auth", __name__)


def load_user() -> None:
    """Put the session's user in `g.user`; a password change or a lock ends every open session of it."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    with db() as s:
        user = accounts.session_user(s, uid, session.get("pwh"))
    if user is None:
        session.clear()
        return
    g.user = user


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("auth.home")


@bp.get("/")
def home():
    if g.user is None:
        return redirect(url_for("auth.login"))
    if g.user.role == Role.SUBMITTER:
        return redirect(url_for("units.unit", unit=g.user.unit_code))
    if g.user.role == Role.ADMIN:
        return redirect(url_for("admin.index"))
    return redirect(url_for("council.queue"))


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", error=None), 200
    username = request.form.get("username", "")
    throttle: LoginThrottle = current_app.config["LOGIN_THROTTLE"]
    wait = throttle.wait_seconds(username)
    if wait:
        minutes = (wait + 59) // 60
        error = (
            f"Đăng nhập sai quá nhiều lần; hãy thử lại sau khoảng {minutes} phút "
            f"/ too many failed log-ins; try again in about {minutes} minute(s)"
        )
        return render_template("login.html", error=error), 429
    with db() as s:
        user = accounts.authenticate(s, username, request.form.get("password", ""))
        if user is not None:
            throttle.succeeded(username)
            # A fresh session (and CSRF token) on log-in defeats session fixation.
            session.clear()
            session.permanent = True
            session["uid"] = user.id
            session["pwh"] = accounts.password_fingerprint(user)
            csrf_token()
            return redirect(_safe_next(request.args.get("next")))
    throttle.failed(username)
    error = "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"
    return render_template("login.html", error=error), 401


@bp.post("/dang-xuat")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
