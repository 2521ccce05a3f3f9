"""Web security pieces of the review app: the secret key, CSRF tokens and their check on every form,
response headers, and the log-in throttle."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from flask import g, request, session

from dti.settings import Settings, read
from review.errors import error_page

CSRF_FIELD = "csrf_token"


def secret_key(settings: Settings) -> str:
    """DTI_REVIEW_SECRET_KEY, else a key generated once and kept under data_dir with mode 0600."""
    configured = read("DTI_REVIEW_SECRET_KEY")
    if configured:
        return configured
    path = Path(settings.data_dir) / "review-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def csrf_token() -> str:
    """The session's CSRF token (created on first use); forms carry it in a hidden field."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_valid(submitted: str | None) -> bool:
    expected = session.get(CSRF_FIELD)
    return bool(expected and submitted) and secrets.compare_digest(str(expected), str(submitted))


def check_csrf():
    """Refuse any state-changing request whose form does not carry the session's CSRF token."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not csrf_valid(request.form.get(CSRF_FIELD)):
        return error_page(
            400,
            "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Hãy tải lại trang và thử lại.",
            "the session expired or the form is invalid (missing CSRF token). Reload the page and try again.",
        )
    return None


HEADERS = {
    # The app needs no script at all; forbidding it makes an escaping slip far less harmful.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # A signed-in page may show what the public must not see again from a shared browser's cache.
    if g.get("user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


class LoginThrottle:
    """After `limit` failed log-ins for one username within `window` seconds, refuse it for the rest
    of the window. In memory: one review server process is the deployment this app targets."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait_seconds(self, username: str) -> int:
        """Seconds until this username may try again; 0 when it may try now."""
        key = username.strip().lower()
        with self._lock:
            now = self.clock()
            failures = self._recent(key, now)
            if len(failures) < self.limit:
                return 0
            return max(1, int(failures[-self.limit] + self.window - now))

    def failed(self, username: str) -> None:
        key = username.strip().lower()
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            # Bound memory when someone sprays random usernames.
            if len(self._failures) > 10_000:
                self._failures.clear()

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.strip().lower(), None)
