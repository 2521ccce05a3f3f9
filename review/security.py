"""Web security pieces of the review app: the secret key, CSRF tokens and their check on every form,
response headers, and the limits on log-in attempts."""

from __future__ import annotations

import secrets
import time

import limits
import limits.storage
import limits.strategies
from flask import g, request, session

from dti.appraisal.accounts import normalise_username
from dti.audit.sealed import secret_file
from dti.settings import Settings, read
from review.errors import error_page

CSRF_FIELD = "csrf_token"


def secret_key(settings: Settings) -> str:
    """DTI_REVIEW_SECRET_KEY, else a key generated once and kept under data_dir with mode 0600."""
    configured = read("DTI_REVIEW_SECRET_KEY")
    if configured:
        return configured
    return secret_file(settings.data_dir / "review-secret.key", lambda: secrets.token_urlsafe(48))


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


class LoginLimits:
    """Log-in attempts counted per account (its normalised name) and per client address, in a store that
    parallel requests cannot race (each attempt is one atomic hit: the in-process memory store, or Redis
    when several processes serve the app). Every attempt counts; a successful log-in clears its account."""

    def __init__(self, storage_uri: str, per_account: str, per_client: str):
        self.storage = limits.storage.storage_from_string(storage_uri)
        self.window = limits.strategies.MovingWindowRateLimiter(self.storage)
        self.per_account = limits.parse(per_account)
        self.per_client = limits.parse(per_client)

    @classmethod
    def from_settings(cls) -> LoginLimits:
        return cls(read("DTI_REVIEW_LIMIT_STORAGE"), read("DTI_REVIEW_LOGIN_LIMIT"), read("DTI_REVIEW_CLIENT_LIMIT"))

    def attempt(self, username: str, client: str) -> int:
        """Count one attempt; 0 when it may go ahead, else the seconds until the account or client may try."""
        account = normalise_username(username)
        allowed = [self.window.hit(self.per_account, "login-account", account),
                   self.window.hit(self.per_client, "login-client", client or "?")]
        if all(allowed):
            return 0
        waits = [self.window.get_window_stats(limit, scope, key).reset_time - time.time()
                 for ok, limit, scope, key in zip(allowed, (self.per_account, self.per_client),
                                                  ("login-account", "login-client"), (account, client or "?"),
                                                  strict=True) if not ok]
        return max(1, int(max(waits)))

    def succeeded(self, username: str) -> None:
        self.storage.clear(self.per_account.key_for("login-account", normalise_username(username)))
