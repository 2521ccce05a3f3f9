"""The real REST clients against the simulators on 127.0.0.1, with every fault the issue names:
records received must equal the simulator's database exactly — none lost, none twice — and every
unrecoverable fault must end quickly with an error a person can act on."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from connectors.base import SchemaDriftError, SourceError, SourceIncomplete
from connectors.dvc.client import DossierApi
from connectors.http import RetryingClient, RetryPolicy, SeenKeys, json_body, retry_after_seconds
from connectors.sec.client import WIRE_FIELDS, SecurityApi, SecurityCsvExport
from simulators import faults as F
from simulators.in_process import DossierSimulator, SecuritySimulator
from simulators.server import SimulatorServer

FAST = dict(connect_timeout=0.5, read_timeout=0.3, backoff_base_s=0.01, backoff_max_s=0.2, jitter_seed=7,
            max_total_wait_s=5.0)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from simulators.generator import generate

    root = tmp_path_factory.mktemp("province")
    generate(root, seed=11, scale="tiny")
    return root


def _sims(province, faults, **kw):
    return SimulatorServer(province, faults=faults, seed=5, slow_seconds=0.8, retry_after=0, **kw)


def _truth(province):
    dvc, sec = DossierSimulator(db_path=str(province / "dvc.db")), SecuritySimulator(db_path=str(province / "sec.db"))
    return {e: list(dvc.fetch(e)) for e in dvc.entities} | {e: list(sec.fetch(e)) for e in sec.entities}


def test_flaky_dvc_recovers_with_every_record_once(province):
    truth = _truth(province)
    with _sims(province, "flaky") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=50, **FAST)
        procedures = list(api.fetch("procedures"))
        dossiers = list(api.fetch("dossiers"))
        injected = sims.injector.injected("DVC")
    assert set(F.RECOVERABLE) <= set(injected), injected
    assert procedures == truth["procedures"]
    assert dossiers == truth["dossiers"]  # same records, same order, no duplicates
    assert api.last_stats.duplicates > 0  # the repeated page was seen and dropped
    assert api.last_stats.retries >= 6


@pytest.mark.parametrize("cls", [SecurityApi, SecurityCsvExport])
def test_flaky_sec_recovers_with_every_record_once(province, cls):
    truth = _truth(province)
    with _sims(province, "flaky") as sims:
        api = cls(base_url=sims.sec_url, token=sims.token, page_size=3, **FAST)
        got = {e: [] for e in ("incidents", "inventories")}
        for _round in range(10 if cls is SecurityCsvExport else 2):  # the export is one request per pull
            for e in got:
                got[e] = list(api.fetch(e))
                assert got[e] == truth[e]
        injected = set(sims.injector.injected("SEC"))
    assert {F.RATE_LIMIT, F.UNAVAILABLE, F.SLOW, F.TRUNCATED} <= injected


def test_retry_after_is_honoured(province):
    waits: list[float] = []
    with SimulatorServer(province, faults="flaky", seed=5, retry_after=1, slow_seconds=0.8) as sims:
        client = RetryingClient("DVC", RetryPolicy(read_timeout=0.3, backoff_base_s=0.01, jitter_seed=1),
                                {"Authorization": f"Bearer {sims.token}"}, sleep=waits.append)
        for _ in range(12):
            client.get(f"{sims.dvc_url}/api/v1/procedures", {"limit": 5}, json_body)
        log = sims.injector.injected("DVC")
    assert F.RATE_LIMIT in log and F.UNAVAILABLE in log
    assert waits.count(1.0) == log.count(F.RATE_LIMIT) == 1  # the 429 said "Retry-After: 1"
    assert all(w < 0.2 for w in waits if w != 1.0)  # the rest: short jittered backoffs


def test_retry_after_parsing():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("garbage") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now


def test_backoff_jitter_is_seedable():
    a = RetryingClient("DVC", RetryPolicy(jitter_seed=3), {})
    b = RetryingClient("DVC", RetryPolicy(jitter_seed=3), {})
    assert [a._backoff(i) for i in range(5)] == [b._backoff(i) for i in range(5)]
    seq = [RetryingClient("DVC", RetryPolicy(jitter_seed=4, backoff_base_s=1, backoff_max_s=4), {})._backoff(i)
           for i in range(6)]
    assert all(0.5 * min(4, 2 ** i) <= s <= 1.5 * min(4, 2 ** i) for i, s in enumerate(seq))


@pytest.mark.parametrize("profile", ["dvc-down", "dvc-refused"])
def test_dvc_down_fails_fast_within_the_wait_cap(province, profile):
    with SimulatorServer(province, faults=profile, seed=1, retry_after=1) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=50,
                         **{**FAST, "max_total_wait_s": 2.5, "backoff_base_s": 0.2})
        started = time.monotonic()
        with pytest.raises(SourceError) as exc:
            list(api.fetch("dossiers"))
        elapsed = time.monotonic() - started
        sec = SecurityApi(base_url=sims.sec_url, token=sims.token, **FAST)
        assert len(list(sec.fetch("incidents"))) > 0  # the other source is unaffected
    assert elapsed < 4.0
    assert exc.value.system == "DVC"
    message = str(exc.value)
    assert "/api/v1/dossiers" in message and ("2.5s" in message or "attempts" in message)
    assert ("HTTP 503" in message) == (profile == "dvc-down")  # not just "503": the port may hold it


def test_max_retries_bounds_attempts(province):
    with SimulatorServer(province, faults="dvc-down", seed=1, retry_after=0) as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, max_retries=3, **FAST)
        with pytest.raises(SourceError, match="4 attempts"):
            list(api.fetch("procedures"))
        assert api.last_stats.requests == 4
        assert sims.stats("DVC")["requests"] == 4


def test_wrong_token_is_fatal_at_once(province):
    with _sims(province, "none") as sims:
        api = DossierApi(base_url=sims.dvc_url, token="expired", **FAST)
        with pytest.raises(SourceError, match="token sai hoặc hết hạn / token rejected"):
            list(api.fetch("dossiers"))
        assert api.last_stats.requests == 1  # no retries on a 401
        sec = SecurityCsvExport(base_url=sims.sec_url, token="expired", **FAST)
        with pytest.raises(SourceError, match="HTTP 401"):
            list(sec.fetch("incidents"))


@pytest.mark.parametrize("profile,match", [("auth-401", "HTTP 401"), ("gone-404", "HTTP 404 không tìm thấy")])
def test_other_4xx_are_fatal_with_the_url(province, profile, match):
    with _sims(province, profile) as sims:
        api = SecurityApi(base_url=sims.sec_url, token=sims.token, **FAST)
        with pytest.raises(SourceError, match=match) as exc:
            list(api.fetch("incidents"))
        assert "/api/v1/incidents" in str(exc.value)
        assert api.last_stats.requests == 1


def test_json_nested_beyond_the_parsers_depth_is_a_source_error_that_says_so(province):
    with _sims(province, "deep-json") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=50, **FAST)
        with pytest.raises(SourceError, match="JSON lồng quá sâu / JSON nested too deep"):
            list(api.fetch("dossiers"))


def test_a_cursor_that_goes_back_ends_the_pull_as_incomplete_quickly(province):
    """Every record may have arrived, but a source whose cursor loops cannot be trusted to have ended:
    the pull is incomplete (the sync then moves no watermark), never a silent success."""
    truth = _truth(province)
    got = []
    with _sims(province, "endless-cursor") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=200, **FAST)
        started = time.monotonic()
        with pytest.raises(SourceIncomplete) as exc:
            got.extend(api.fetch("dossiers"))
    assert time.monotonic() - started < 10
    assert exc.value.reason in ("cursor_stalled", "records_repeated") and exc.value.entity == "dossiers"
    assert got == truth["dossiers"]  # what arrived before arrived once


def test_endless_empty_pages_are_bounded(province):
    with _sims(province, "endless-empty") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=500, max_empty_pages=4, **FAST)
        with pytest.raises(SourceError, match="empty pages in a row"):
            list(api.fetch("dossiers"))
        assert api.last_stats.pages <= 3 + 5
        sec = SecurityApi(base_url=sims.sec_url, token=sims.token, page_size=10, **FAST)
        with pytest.raises(SourceError, match="no new records"):
            list(sec.fetch("incidents"))


def test_max_pages_bounds_pagination(province):
    with _sims(province, "none") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=10, max_pages=5, **FAST)
        with pytest.raises(SourceError, match="more than 5 pages"):
            list(api.fetch("dossiers"))


@pytest.mark.parametrize("profile", ["schema-rename", "schema-missing"])
@pytest.mark.parametrize("system,entity,field", [("DVC", "dossiers", "NgayTiepNhan"),
                                                 ("DVC", "procedures", "MaTTHC"),
                                                 ("SEC", "incidents", "detected_at"),
                                                 ("CSV", "inventories", "workstations")])
def test_schema_drift_names_the_field(province, profile, system, entity, field):
    with _sims(province, profile) as sims:
        if system == "DVC":
            api = DossierApi(base_url=sims.dvc_url, token=sims.token, **FAST)
        else:
            cls = SecurityApi if system == "SEC" else SecurityCsvExport
            api = cls(base_url=sims.sec_url, token=sims.token, **FAST)
        with pytest.raises(SchemaDriftError) as exc:
            list(api.fetch(entity))
    assert exc.value.field == field
    assert f"'{field}'" in str(exc.value) and "missing or renamed" in str(exc.value)
    if profile == "schema-rename" and system != "CSV":
        assert "unexpected fields" in str(exc.value)  # the new name is shown, to help fix the mapping


def test_unknown_enum_value_is_drift(province, monkeypatch):
    from simulators import server

    monkeypatch.setitem(server.DVC_VALUES, "status", {"done": "XONG"})
    with _sims(province, "none") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, **FAST)
        with pytest.raises(SchemaDriftError, match="TrangThai") as exc:
            list(api.fetch("dossiers"))
    assert "unknown value" in str(exc.value)


def test_unit_filter_and_since(province):
    truth = _truth(province)["dossiers"]
    since = truth[900]["updated_at"]
    unit = truth[900]["unit_code"]
    with _sims(province, "none") as sims:
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=100, **FAST)
        got = list(api.fetch("dossiers", since, unit=[unit]))
    assert got == [r for r in truth if r["updated_at"] >= since and r["unit_code"] == unit]


def test_a_trickling_response_is_cut_off_and_retried(province):
    truth = _truth(province)
    with SimulatorServer(province, faults="trickle", seed=1, slow_seconds=2.0) as sims:
        # each pause (0.2 s) is shorter than the read timeout, so only the total deadline can catch it
        api = DossierApi(base_url=sims.dvc_url, token=sims.token, page_size=100,
                         **{**FAST, "read_timeout": 0.5, "max_response_s": 0.6})
        started = time.monotonic()
        got = list(api.fetch("dossiers"))
        assert sims.injector.injected("DVC") == [F.TRICKLE]
    assert got == truth["dossiers"]
    assert time.monotonic() - started < 5
    assert any("longer than 0.6s" in f for f in api.last_stats.failures)


def test_seen_keys_drop_repeats_and_keep_unseen_records_out_of_order(monkeypatch):
    """The keyset order decides what is new; a record at or before the last key is dropped only if its id
    was handed out, so a source ordering ids differently from Python loses nothing."""
    monkeypatch.setattr(SeenKeys, "RESORT", 3)  # the sorted copy is rebuilt along the way
    seen = SeenKeys()
    keys = [((1, f"D-{i:03d}"), f"D-{i:03d}") for i in range(10)]
    assert all(seen.new(k, sid) for k, sid in keys)
    assert not any(seen.new(k, sid) for k, sid in keys[:4])  # a cursor that went back to the start
    assert not seen.new(*keys[-1])  # the last page served again
    assert seen.new((0, "Z-1"), "Z-1")  # behind the last key but never handed out: kept
    assert not seen.new((0, "Z-1"), "Z-1")  # and from then on seen
    assert seen.new((1, "D-100"), "D-100") and seen.new((2, "D-000"), "D-000")  # D-000 updated: a newer version
    assert len(seen.hashes) == 13


class _CsvExport(http.server.BaseHTTPRequestHandler):
    """A SEC console whose CSV export is broken in the way the test's `body`/`count` say."""

    body: bytes = b""
    count: str | None = None

    def do_GET(self):  # noqa: N802 - the http.server hook's name
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        if self.count is not None:
            self.send_header("X-Total-Count", self.count)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


HEADER = ",".join(WIRE_FIELDS["incidents"].values()).encode()


@pytest.mark.parametrize("body, count, match", [
    (HEADER + b"\n\xff\xfe broken\n", "1", "không phải UTF-8 / byte .* is not UTF-8"),
    (HEADER + b'\n"unclosed' + b"x" * 200_000 + b'"\n', "1", "CSV hỏng / broken CSV"),
    (HEADER + b"\n", "a few", "X-Total-Count 'a few' không phải số đếm"),
    (HEADER + b"\n", "-3", "X-Total-Count '-3' không phải số đếm"),
], ids=["not-utf8", "field-over-the-csv-limit", "count-not-a-number", "count-negative"])
def test_a_broken_csv_export_is_a_source_error_naming_what_is_wrong(body, count, match):
    handler = type("Export", (_CsvExport,), {"body": body, "count": count})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = SecurityCsvExport(base_url=f"http://127.0.0.1:{server.server_port}", token="t", **FAST)
        with pytest.raises(SourceError, match=match):
            list(api.fetch("incidents"))
    finally:
        server.shutdown()
        server.server_close()
