"""Fault-tolerant HTTP for the REST connectors: timeouts, bounded retries with backoff and jitter,
Retry-After, a cap on the total time a source may spend failing, and clear fatal errors."""

from __future__ import annotations

import bisect
import email.utils
import logging
import random
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import requests
import tenacity
import urllib3

from connectors.base import SourceError

log = logging.getLogger("connectors.http")
RETRY_STATUS = {429, 500, 502, 503, 504}


class RetryableBody(Exception):
    """The response arrived but its body is unusable (truncated, short): ask again."""


class _Retry(Exception):
    """One failed attempt worth repeating: what went wrong, when the attempt started, and the server's
    Retry-After if it sent one. `verdict` says which limit ended the retries."""

    def __init__(self, problem: str, started: float, retry_after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.started = started
        self.retry_after = retry_after
        self.verdict = ""


@dataclass
class RetryPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 6  # per request
    max_total_wait_s: float = 120.0  # per pull: time spent waiting and on failed attempts
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    jitter_seed: int | None = None
    max_response_s: float = 120.0  # a whole response, however slowly it trickles in
    max_body_bytes: int = 64 * 1024 * 1024  # a whole response once decompressed: a gzip bomb stops here


@dataclass
class PullStats:
    """What one pull went through; connectors expose the last one as `last_stats` for metadata and tests."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    records: int = 0
    duplicates: int = 0
    expected: int | None = None  # what the source says it holds for the window, when it says
    waited_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SeenKeys:
    """Which records a keyset-paged pull has already handed out, in memory that does not grow with strings.

    Such a source answers in (updated_at, id) order, so a record whose key is past the last one handed
    out is new: it is let through, and only its id's 8-byte hash is kept (5 M records: 40 MB, where a set of
    the ids took ≈650 MB). A record at or before that key is a page served again, a cursor that went back —
    or a source whose order differs from Python's; it counts as seen only if its id's hash was kept, so an
    out-of-order record the pull has not handed out is never dropped."""

    RESORT = 100_000

    def __init__(self):
        self.last = None
        self.hashes = array("q")  # every id handed out, in arrival order
        self.sorted = array("q")  # the hashes as of the last lookup, sorted, for bisect
        self.tail = 0  # how many of `hashes` are in `sorted`

    def new(self, key: tuple, source_id: str) -> bool:
        """Whether the record is new (and from now on seen)."""
        if self.last is None or key > self.last:
            self.last = key
            self.hashes.append(hash(source_id))
            return True
        h = hash(source_id)
        if len(self.hashes) - self.tail > self.RESORT or not self.sorted:
            self.sorted, self.tail = array("q", sorted(self.hashes)), len(self.hashes)
        i = bisect.bisect_left(self.sorted, h)
        if (i < len(self.sorted) and self.sorted[i] == h) or h in self.hashes[self.tail:]:
            return False
        self.hashes.append(h)
        return True


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RetryingClient:
    """One source's session and retry budget for a single pull (one entity)."""

    def __init__(self, system: str, policy: RetryPolicy, headers: dict[str, str],
                 sleep: Callable[[float], None] | None = None, session: requests.Session | None = None):
        self.system = system
        self.policy = policy
        self._cancelled = threading.Event()
        self.sleep = sleep or self._cancelled.wait  # waits like time.sleep, but cancel() ends the wait
        self.session = session or requests.Session()
        self.session.headers.update({"Accept-Encoding": "gzip", "User-Agent": "dti-connector/1", **headers})
        self.rng = random.Random(policy.jitter_seed)
        self.stats = PullStats()

    def close(self) -> None:
        self.session.close()

    def cancel(self) -> None:
        """Stop retrying: a request under way gives up at its next failure or wait instead of retrying."""
        self._cancelled.set()

    def _fatal(self, response: requests.Response, url: str) -> SourceError:
        code = response.status_code
        if code in (401, 403):
            what = ("token sai hoặc hết hạn / token rejected" if code == 401
                    else "không có quyền / access forbidden")
            hint = "kiểm tra biến token của nguồn / check the source's token variable"
        elif code == 404:
            what, hint = "không tìm thấy / not found", "kiểm tra địa chỉ gốc của API / check the API base URL"
        else:
            what, hint = "yêu cầu bị từ chối / request rejected", (response.text or "")[:300]
        return SourceError(self.system, f"HTTP {code} {what} tại / at {url} — {hint}")

    def _check_encoding(self, response: requests.Response) -> None:
        """A body in an encoding this client did not ask for is refused, never decoded: asking for
        identity is how a caller keeps decompression (and its bombs) out of the pull."""
        sent = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        asked = {e.split(";")[0].strip().lower() for e in self.session.headers.get("Accept-Encoding", "").split(",")}
        if sent != "identity" and sent not in asked:
            raise SourceError(self.system, f"máy chủ gửi nội dung mã hoá '{sent}' dù không được yêu cầu tại "
                                           f"{response.url} / the server sent a '{sent}' body it was not asked for "
                                           f"(Accept-Encoding: {self.session.headers.get('Accept-Encoding')})")

    def _backoff(self, attempt: int) -> float:
        base = min(self.policy.backoff_max_s, self.policy.backoff_base_s * (2 ** attempt))
        return base * (0.5 + self.rng.random())  # "equal jitter": spread clients apart, never zero

    def _read_body(self, response: requests.Response, started: float) -> None:
        """Read the body under a total deadline: the read timeout alone only bounds each pause, so a
        server dripping bytes could otherwise hold a pull for ever. Each read takes what has arrived
        (up to 64 KiB, urllib3's read1), so the deadline is checked after every piece however the
        body trickles in, without a Python round per 4 KiB of a large page."""
        deadline = started + self.policy.max_response_s
        read1 = response.raw.read1  # urllib3 2 decodes at most the size asked per call, bombs included
        chunks = []
        size = 0
        try:
            while chunk := read1(65536, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.policy.max_body_bytes:
                    raise SourceError(self.system, f"phản hồi vượt {self.policy.max_body_bytes:,} byte sau giải nén "
                                                   f"tại {response.url} / the response is over "
                                                   f"{self.policy.max_body_bytes:,} bytes once decompressed")
                if time.monotonic() > deadline:
                    raise RetryableBody(f"phản hồi quá chậm / response took longer than "
                                        f"{self.policy.max_response_s:g}s")
        # the errors requests' iter_content turns these into, so the retry loop sees the same
        except urllib3.exceptions.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ConnectionError(exc) from exc
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        response._content = b"".join(chunks)  # what requests itself does once it has read a body
        response._content_consumed = True

    def _attempt(self, url: str, params: dict, parse: Callable[[requests.Response], object]) -> object:
        """One request: the parsed body, or _Retry saying why it is worth asking again."""
        self.stats.requests += 1
        started = time.monotonic()
        try:
            response = self.session.get(url, params=params, stream=True,
                                        timeout=(self.policy.connect_timeout, self.policy.read_timeout))
            with response:
                self._check_encoding(response)
                if response.status_code in RETRY_STATUS:
                    self._read_body(response, started)  # drained, the connection can be reused
                    raise _Retry(f"HTTP {response.status_code}", started,
                                 retry_after_seconds(response.headers.get("Retry-After")))
                if 400 <= response.status_code < 600:
                    raise self._fatal(response, response.url)
                self._read_body(response, started)
                return parse(response)
        except requests.Timeout:
            raise _Retry(f"hết thời gian chờ / timed out (connect {self.policy.connect_timeout}s, read "
                         f"{self.policy.read_timeout}s)", started) from None
        except requests.ConnectionError as exc:
            raise _Retry(f"lỗi kết nối / connection failed: {type(exc).__name__}", started) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise _Retry(f"phản hồi hỏng / broken response: {type(exc).__name__}", started) from None
        except RetryableBody as exc:
            raise _Retry(f"phản hồi không đọc được / unreadable body: {exc}", started) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter."""
        failure = state.outcome.exception()
        if failure.retry_after is not None:
            return failure.retry_after
        return self._backoff(state.attempt_number - 1)

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        """Give up after max_retries retries, or when the next wait would pass the pull's total wait cap."""
        failure = state.outcome.exception()
        spent = self.stats.waited_s + (time.monotonic() - failure.started)
        self.stats.failures.append(failure.problem)
        if state.attempt_number > self.policy.max_retries:
            failure.verdict = f"đã thử {state.attempt_number} lần / gave up after {state.attempt_number} attempts"
        elif spent + (state.upcoming_sleep or 0.0) > self.policy.max_total_wait_s:
            failure.verdict = (f"vượt giới hạn chờ {self.policy.max_total_wait_s:g}s / total wait cap "
                               f"{self.policy.max_total_wait_s:g}s reached")
        elif self._cancelled.is_set():
            failure.verdict = "đã hủy / cancelled"
        else:
            self.stats.waited_s = spent + (state.upcoming_sleep or 0.0)
            return False
        return True

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        failure = state.outcome.exception()
        log.warning("[%s] %s; retrying in %.2fs", self.system, failure.problem, state.upcoming_sleep)
        self.stats.retries += 1

    def get(self, url: str, params: dict, parse: Callable[[requests.Response], object]) -> object:
        """GET and parse, retrying what can be retried (tenacity decides when and how long to wait).
        `parse` raises RetryableBody for a body worth asking again; anything else is final."""
        retrying = tenacity.Retrying(retry=tenacity.retry_if_exception_type(_Retry), wait=self._wait,
                                     stop=self._stop, sleep=self.sleep, before_sleep=self._before_sleep,
                                     reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and self._cancelled.is_set():
                        raise SourceError(self.system, f"không đọc được {url}: đã hủy / cancelled")
                    return self._attempt(url, params, parse)
        except _Retry as failure:
            raise SourceError(self.system, f"không đọc được {url}: {failure.problem}; "
                                           f"{failure.verdict or 'đã hủy / cancelled'}") from None
        raise AssertionError("tenacity ended without an outcome")  # pragma: no cover - reraise=True


class Prefetch:
    """One call run on a daemon thread, so a pull can ask for the next page while it hands out this one."""

    def __init__(self, call: Callable[[], object]):
        self._lock = threading.Lock()
        self._over = False
        self._then: Callable[[], None] | None = None
        self._value: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), name="dti-prefetch", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], object]) -> None:
        try:
            self._value = call()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            self._error = exc
        finally:
            with self._lock:
                self._over, then = True, self._then
            if then is not None:
                then()

    def result(self) -> object:
        """The call's value, or its exception raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def then(self, action: Callable[[], None]) -> None:
        """Run `action` once the call is over (now, if it already is) and drop its result."""
        with self._lock:
            if not self._over:
                self._then = action
                return
        action()


def json_body(response: requests.Response):
    """Parsed JSON, or RetryableBody when the body is cut short or is not JSON at all."""
    try:
        return orjson.loads(response.content)  # UTF-8, as JSON over HTTP is
    except orjson.JSONDecodeError:
        pass  # another encoding, or JSON orjson does not take (NaN, huge integers): the json module decides
    try:
        return response.json()
    except ValueError as exc:
        raise RetryableBody(f"JSON hỏng / invalid JSON ({len(response.content)} bytes): {exc}") from None
    except RecursionError:  # arrays or objects nested beyond the parser's depth: no page looks like that
        raise RetryableBody(f"JSON lồng quá sâu / JSON nested too deep ({len(response.content)} bytes)") from None
