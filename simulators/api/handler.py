"""The request handling both simulated systems share: bearer-token checks, the faults that replace a
response (401, 404, 429, 503, a slow start), gzip, and sending JSON whole, cut short or in a trickle."""

from __future__ import annotations

import gzip
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from simulators import faults as F
from simulators.api.served import ServedSystem
from simulators.api.wire import BadRequest

DISCONNECTS = (TimeoutError, BrokenPipeError, ConnectionResetError)


class SystemHandler(BaseHTTPRequestHandler):
    """Answers one request for a system; a subclass per system routes it (`route`)."""

    served: ServedSystem  # set on the per-server subclass
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; Nagle would stall each page
    server_version = "DTI-Simulator/1.0"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # keep test output clean; the injector's log says what happened

    def handle(self):
        try:
            super().handle()
        except DISCONNECTS:
            pass  # a client that hung up (after a timeout or a retryable status) is not our problem

    def do_GET(self):  # noqa: N802 - the stdlib's name
        served = self.served
        served.count("requests")
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault = served.injector.decide(served.system, parts.path)
        if fault == F.SLOW:
            served.stop.wait(served.slow_seconds)
        if fault in (F.UNAUTHORIZED,) or self.headers.get("Authorization") != f"Bearer {served.token}":
            return self._error(
                401,
                "token sai hoặc hết hạn / invalid or expired token",
                {"WWW-Authenticate": 'Bearer realm="dti-sim"'},
            )
        if fault == F.NOT_FOUND:
            return self._error(404, f"không có tài nguyên / no such resource: {parts.path}")
        if fault == F.RATE_LIMIT:
            return self._error(
                429, "quá nhiều yêu cầu / too many requests", {"Retry-After": str(served.retry_after)}
            )
        if fault in (F.UNAVAILABLE, F.DOWN):
            return self._error(
                503,
                "hệ thống đang bảo trì / service unavailable",
                {"Retry-After": str(served.retry_after)} if fault == F.DOWN else None,
            )
        try:
            self.route(parts.path, query, fault)
        except BadRequest as exc:
            self._error(400, str(exc))

    def route(self, path: str, query: dict, fault: str | None) -> None:
        raise NotImplementedError

    # --- sending ---

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            use_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "") and len(body) > 256
            if use_gzip:
                # Level 1: most of the saving for a fraction of the CPU (pages are built on the fly).
                body = gzip.compress(body, compresslevel=1, mtime=0)
                self.served.count("gzip")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if use_gzip:
                self.send_header("Content-Encoding", "gzip")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except DISCONNECTS:
            self.close_connection = True  # the client gave up (e.g. its read timeout): nothing to do

    def _send_raw(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        """Exactly these bytes and headers, whatever the client asked for (hostile fault profiles)."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except DISCONNECTS:
            self.close_connection = True

    def _json(
        self,
        status: int,
        payload,
        headers: dict[str, str] | None = None,
        truncate: bool = False,
        trickle: bool = False,
    ) -> bytes:
        """Send `payload` (or, when it is bytes, that already-encoded JSON) as the response body."""
        body = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        )
        if truncate:
            body = body[: max(1, len(body) // 2)]
        if trickle:
            self._trickle(body)
        else:
            self._send(status, body, headers=headers)
        return body

    def _trickle(self, body: bytes, pieces: int = 40) -> None:
        """Send a 200 in small pieces, pausing slow_seconds/10 between them (bounded: `pieces` writes)."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = max(1, len(body) // pieces + 1)
            for i in range(0, len(body), step):
                self.wfile.write(body[i : i + step])
                self.wfile.flush()
                if self.served.stop.wait(self.served.slow_seconds / 10):
                    return
        except DISCONNECTS:
            self.close_connection = True

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.served.count(f"http_{status}")
        self._json(status, {"error": message}, headers=headers)
