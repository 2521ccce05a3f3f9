"""Logging in and out, and the signed-in user of each request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from dti.appraisal import accounts, sessions
from dti.vocabulary import Role
from review.security import csrf_token
from review.web import db

bp = Blueprint("auth", __name__)


def load_user() -> None:
    """Put the log-in's user in `g.user`: a revoked, idle or expired log-in, a locked account or a new
    password ends it."""
    g.user = None
    if session.get("sid") is None:
        return
    with db() as s:
        user = sessions.resume(s, session.get("sid"))
        if user is not None and session.get("pwh") != accounts.password_fingerprint(user):
            user = None
    if user is None:
        session.clear()
        return
    g.user = user


def safe_next(target: str | None) -> str:
    """Where to go after log-in: a path on this site, or home. Anything with a scheme, a host, a control
    character or a backslash (which browsers read as a slash) goes home instead."""
    if not target or any(ord(ch) < 0x21 or ch == "\x7f" for ch in target) or "\\" in target:
        return url_for("auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("auth.home")
    return target


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
    wait = current_app.config["LOGIN_LIMITS"].attempt(username, request.remote_addr or "")
    if wait:
        minutes = (wait + 59) // 60
        error = (
            f"Đăng nhập quá nhiều lần; hãy thử lại sau khoảng {minutes} phút "
            f"/ too many log-in attempts; try again in about {minutes} minute(s)"
        )
        return render_template("login.html", error=error), 429
    with db() as s:
        user = accounts.authenticate(s, username, request.form.get("password", ""))
        if user is not None:
            current_app.config["LOGIN_LIMITS"].succeeded(username)
            # A fresh session (and CSRF token) on log-in defeats session fixation.
            session.clear()
            session.permanent = True
            session["sid"] = sessions.open_session(s, user)
            session["pwh"] = accounts.password_fingerprint(user)
            csrf_token()
            return redirect(safe_next(request.args.get("next")))
    error = "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"
    return render_template("login.html", error=error), 401


@bp.post("/dang-xuat")
def logout():
    with db() as s:
        sessions.revoke(s, session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))
