"""What every page of the review app shares: a warehouse session per request, the log-in guard each
route states its roles with, and small readers of the query string and forms."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import current_app, g, redirect, request, url_for
from sqlalchemy.orm import Session

from dti.appraisal.errors import forbidden
from dti.appraisal.phases import check_period, periods
from dti.settings import Settings
from dti.warehouse.models import MAX_INTEGER


@contextmanager
def db() -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on an error."""
    with current_app.config["WAREHOUSE"].transaction() as s:
        yield s


def settings() -> Settings:
    return current_app.config["DTI_SETTINGS"]


def login_required(*roles: str):
    """Every route states who may use it; the check runs on the server before the view."""

    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and g.user.role not in roles:
                raise forbidden()
            return fn(*args, **kwargs)

        return inner

    return wrap


def period_arg(s: Session) -> str | None:
    """The period the page asks for (?ky=), else the latest one, else None."""
    raw = request.args.get("ky")
    if raw:
        return check_period(raw)
    known = periods(s)
    return known[0] if known else None


def whole_number(raw: str) -> int | None:
    """ASCII digits within an INTEGER column's range (not '²', not 30 digits), else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_INTEGER:
        return None
    return int(raw)


def page_arg() -> int:
    """The page a listing asks for (?trang=, or ?page=), from 1; anything else is the first page."""
    number = whole_number(request.args.get("trang") or request.args.get("page") or "")
    return number if number else 1


def form_int(name: str) -> int | None:
    return whole_number(request.form.get(name, ""))
