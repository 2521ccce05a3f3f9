"""HTTP simulators of the DVC and SEC systems of record, serving a generated province over loopback.

DVC speaks a national-portal style REST/JSON API (Vietnamese field names, cursor paging, Bearer
token, gzip); SEC a SOC-console style API (page/size paging) plus a CSV export. Both can misbehave
on purpose through a fault profile (simulators.faults) so the real clients can be tested.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import gzip
import io
import json
import os
import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from dti.settings import TZ
from simulators import faults as F

DEFAULT_TOKEN = "dti-sim-token"
MAX_LIMIT = 1000

# The national-portal names DVC uses on the wire, per column of the simulator's tables. Written out
# here, not imported from the client: the simulator plays the external system, so a client that
# expects a wrong name must fail against it.
DVC_FIELDS = {
    "procedures": {
        "source_id": "Id", "unit_code": "MaDonVi", "procedure_code": "MaTTHC", "name_vi": "TenTTHC",
        "service_level": "MucDo", "fee_applies": "CoPhi", "updated_at": "NgayCapNhat", "deleted": "DaXoa",
    },
    "dossiers": {
        "source_id": "Id", "unit_code": "MaDonVi", "dossier_code": "MaHoSo", "procedure_code": "MaTTHC",
        "channel": "KenhNop", "service_level": "MucDo", "received_at": "NgayTiepNhan", "due_at": "NgayHenTra",
        "finished_at": "NgayKetThuc", "status": "TrangThai", "has_digitised": "CoSoHoa",
        "e_result": "KetQuaDienTu", "paid_online": "ThanhToanTrucTuyen", "fee_applies": "CoPhi",
        "vneid": "XacThucVNeID", "synced_portal": "DongBoCongQG", "components_total": "SoThanhPhan",
        "components_reused": "SoThanhPhanTaiSuDung", "satisfaction": "HaiLong", "updated_at": "NgayCapNhat",
        "deleted": "DaXoa",
    },
}
DVC_VALUES = {
    "service_level": {"full": "ToanTrinh", "partial": "MotPhan", "info": "CungCapThongTin"},
    "status": {"processing": "DangXuLy", "paused": "TamDungBoSung", "done": "DaTraKetQua", "rejected": "TuChoi"},
}
DVC_BOOLS = {"fee_applies", "deleted", "has_digitised", "e_result", "paid_online", "vneid", "synced_portal"}
SEC_FIELDS = {
    "incidents": {"source_id": "id", "unit_code": "org_unit", "detected_at": "detected_at", "severity": "severity",
                  "category": "category", "resolved_at": "resolved_at", "sla_hours": "sla_hours",
                  "updated_at": "updated_at", "deleted": "deleted"},
    "inventories": {"source_id": "id", "unit_code": "org_unit", "as_of": "as_of", "workstations": "workstations",
                    "managed_endpoints": "managed_endpoints", "systems": "systems",
                    "monitored_systems": "monitored_systems", "updated_at": "updated_at", "deleted": "deleted"},
}
SEC_BOOLS = {"deleted"}
# The schema-drift faults: which wire field each entity loses or renames.
DRIFT = {"procedures": ("MaTTHC", "MaThuTuc"), "dossiers": ("NgayTiepNhan", "NgayNhanHoSo"),
         "incidents": ("detected_at", "detection_time"), "inventories": ("workstations", "workstation_count")}


class BadRequest(Exception):
    pass


def encode_cursor(updated_at: str, source_id: str, page: int) -> str:
    raw = json.dumps([updated_at, source_id, page], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated_at, source_id, page = json.loads(raw)
        return str(updated_at), str(source_id), int(page)
    except (ValueError, TypeError, binascii.Error):
        raise BadRequest(f"cursor không hợp lệ / invalid cursor: {cursor!r}") from None


def _since_text(value: str | None) -> str:
    """The simulator stores local ISO text; a client may send any offset."""
    if not value:
        return ""
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"updated_since không phải ISO 8601 / not ISO 8601: {value!r}") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=TZ)
    return ts.astimezone(TZ).isoformat(timespec="seconds")


class _Sim:
    """Shared state of one system's server: its database, faults, token and counters."""

    def __init__(self, system: str, db_path: Path, injector: F.FaultInjector, token: str, retry_after: int,
                 slow_seconds: float, stop: threading.Event):
        self.system = system
        self.db_path = db_path
        self.injector = injector
        self.token = token
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.stop = stop
        self.lock = threading.Lock()
        self.last_body: dict[tuple, bytes] = {}  # per query stream: the page a REPEAT fault serves again
        self.stats: dict[str, int] = {"requests": 0, "gzip": 0}
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        """This handler thread's read-only connection (a client's keep-alive connection is one thread),
        kept between requests so SQLite's page cache stays warm; opened again if the file was replaced.
        Each query runs in its own read transaction, so changes written meanwhile are seen."""
        inode = os.stat(self.db_path).st_ino
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.inode != inode:
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: the index and table pages a pass revisits
            conn.execute("PRAGMA mmap_size=268435456")
            self._local.conn, self._local.inode = conn, inode
        return conn

    def count(self, key: str) -> None:
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def query(self, entity: str, since: str, units: list[str], keyset: tuple[str, str] | None,
              limit: int | None, offset: int = 0, columns: str = "*") -> list:
        """Rows as dicts, or with `columns` given as tuples of those columns (SQL expressions)."""
        sql = f"SELECT {columns} FROM {entity} WHERE updated_at >= ?"
        # The keyset is a lower bound too: without it SQLite walks the index from `since` on every page.
        params: list = [max(since, keyset[0]) if keyset is not None else since]
        if units:
            sql += f" AND unit_code IN ({','.join('?' * len(units))})"
            params += units
        if keyset is not None:
            sql += " AND (updated_at, source_id) > (?, ?)"  # a row value, so SQLite walks the index
            params += [keyset[0], keyset[1]]
        sql += " ORDER BY updated_at, source_id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        cursor = self.connect().cursor()
        if columns == "*":
            cursor.row_factory = sqlite3.Row
        try:
            rows = cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
        return [dict(r) for r in rows] if columns == "*" else rows

    def total(self, entity: str, since: str, units: list[str]) -> int:
        sql = f"SELECT COUNT(*) FROM {entity} WHERE updated_at >= ?"
        params: list = [since]
        if units:
            sql += f" AND unit_code IN ({','.join('?' * len(units))})"
            params += units
        return self.connect().execute(sql, params).fetchone()[0]


def _wire(row: dict, fields: dict[str, str], bools: set[str], values: dict[str, dict[str, str]]) -> dict:
    out = {}
    for column, name in fields.items():
        value = row[column]
        if column in bools and value is not None:
            value = bool(value)
        if column in values and value is not None:
            value = values[column].get(value, value)
        out[name] = value
    return out


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_sql(entity: str, fields: dict[str, str], bools: set[str], values: dict[str, dict[str, str]],
              fault: str | None) -> str:
    """A SQL expression giving each row as the JSON object _wire would make, built by SQLite itself:
    pages are assembled from these strings without a Python dict per record. The drift faults
    rename or drop a field here, as _drift does for the CSV export."""
    old, new = DRIFT.get(entity, ("", ""))
    parts = []
    for column, name in fields.items():
        col = f'"{column}"'
        if column in bools:
            expr = f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN json('true') ELSE json('false') END"
        elif column in values:
            cases = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(v)}" for k, v in values[column].items())
            expr = f"CASE {col} {cases} ELSE {col} END" if cases else col
        else:
            expr = col
        if name == old and fault == F.MISSING:
            continue
        if name == old and fault == F.RENAME:
            name = new
        parts.append(f"{_sql_text(name)}, {expr}")
    return f"json_object({', '.join(parts)})"


def _json_rows(objects) -> bytes:
    """A JSON array from already-encoded objects."""
    return ("[" + ",".join(objects) + "]").encode("utf-8")


def _drift(items: list[dict], entity: str, fault: str | None) -> list[dict]:
    if fault not in (F.RENAME, F.MISSING):
        return items
    old, new = DRIFT[entity]
    out = []
    for item in items:
        item = dict(item)
        value = item.pop(old, None)
        if fault == F.RENAME:
            item[new] = value
        out.append(item)
    return out


class _Handler(BaseHTTPRequestHandler):
    sim: _Sim  # set on the per-server subclass
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; Nagle would stall each page
    server_version = "DTI-Simulator/1.0"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # keep test output clean; the injector's log says what happened

    def handle(self):
        try:
            super().handle()
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # a client that hung up (after a timeout or a retryable status) is not our problem

    # --- plumbing ---

    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        try:
            use_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "") and len(body) > 256
            if use_gzip:
                # Level 1: most of the saving for a fraction of the CPU (pages are built on the fly).
                body = gzip.compress(body, compresslevel=1, mtime=0)
                self.sim.count("gzip")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if use_gzip:
                self.send_header("Content-Encoding", "gzip")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout): nothing to do

    def _json(self, status: int, payload, headers: dict[str, str] | None = None, truncate: bool = False,
              trickle: bool = False) -> bytes:
        """Send `payload` (or, when it is bytes, that already-encoded JSON) as the response body."""
        body = payload if isinstance(payload, bytes) else \
            json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
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
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                if self.sim.stop.wait(self.sim.slow_seconds / 10):
                    return
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.sim.count(f"http_{status}")
        self._json(status, {"error": message}, headers=headers)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.sim.count("requests")
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault = self.sim.injector.decide(self.sim.system, parts.path)
        if fault == F.SLOW:
            self.sim.stop.wait(self.sim.slow_seconds)
        if fault in (F.UNAUTHORIZED,) or self.headers.get("Authorization") != f"Bearer {self.sim.token}":
            return self._error(401, "token sai hoặc hết hạn / invalid or expired token",
                               {"WWW-Authenticate": 'Bearer realm="dti-sim"'})
        if fault == F.NOT_FOUND:
            return self._error(404, f"không có tài nguyên / no such resource: {parts.path}")
        if fault == F.RATE_LIMIT:
            return self._error(429, "quá nhiều yêu cầu / too many requests", {"Retry-After": str(self.sim.retry_after)})
        if fault in (F.UNAVAILABLE, F.DOWN):
            return self._error(503, "hệ thống đang bảo trì / service unavailable",
                               {"Retry-After": str(self.sim.retry_after)} if fault == F.DOWN else None)
        try:
            self.route(parts.path, query, fault)
        except BadRequest as exc:
            self._error(400, str(exc))

    def route(self, path: str, query: dict, fault: str | None) -> None:
        raise NotImplementedError


class _DvcHandler(_Handler):
    def route(self, path: str, query: dict, fault: str | None) -> None:
        prefix = "/api/v1/"
        entity = path[len(prefix):] if path.startswith(prefix) else ""
        if entity not in DVC_FIELDS:
            return self._error(404, f"không có tài nguyên / no such resource: {path}")
        stream = (path, query.get("updated_since"), query.get("unit"), query.get("limit"))
        if not query.get("cursor"):
            self.sim.last_body.pop(stream, None)  # a new pass: nothing of an earlier one is repeated
        elif fault == F.REPEAT and stream in self.sim.last_body:
            return self._send(200, self.sim.last_body[stream])
        since = _since_text(query.get("updated_since"))
        units = [u for u in (query.get("unit") or "").split(",") if u]
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit") or 100)))
        except ValueError:
            raise BadRequest(f"limit phải là số nguyên / must be an integer: {query.get('limit')!r}") from None
        keyset, page = None, 0
        if query.get("cursor"):
            u, s, page = decode_cursor(query["cursor"])
            keyset = (u, s) if (u or s) else None
        if fault == F.EMPTY:
            here = keyset or ("", "")
            return self._json(200, {"data": [], "next_cursor": encode_cursor(*here, page + 1)})
        obj = _json_sql(entity, DVC_FIELDS[entity], DVC_BOOLS, DVC_VALUES, fault)
        rows = self.sim.query(entity, since, units, keyset, limit + 1, columns=f"updated_at, source_id, {obj}")
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][0], rows[-1][1], page + 1) if more else None
        if not more and fault == F.ENDLESS:
            next_cursor = encode_cursor("", "", 0)  # back to the start: the client has seen all this
        if not more and fault == F.ENDLESS_EMPTY:
            last = rows[-1][:2] if rows else ((keyset[0], keyset[1]) if keyset else ("", ""))
            next_cursor = encode_cursor(last[0], last[1], page + 1)
        # Keys in sorted order, as json.dumps(sort_keys=True) would put them.
        payload = b'{"data":' + _json_rows(r[2] for r in rows) + b',"next_cursor":' + \
            json.dumps(next_cursor).encode("ascii") + b"}"
        body = self._json(200, payload, truncate=fault == F.TRUNCATED, trickle=fault == F.TRICKLE)
        if fault != F.TRUNCATED:
            self.sim.last_body[stream] = body


class _SecHandler(_Handler):
    def route(self, path: str, query: dict, fault: str | None) -> None:
        since = _since_text(query.get("updated_since"))
        units = [u for u in (query.get("unit") or "").split(",") if u]
        if path.startswith("/api/v1/export/") and path.endswith(".csv"):
            return self.export(path[len("/api/v1/export/"):-len(".csv")], since, units, fault)
        entity = path[len("/api/v1/"):] if path.startswith("/api/v1/") else ""
        if entity not in SEC_FIELDS:
            return self._error(404, f"không có tài nguyên / no such resource: {path}")
        try:
            page = max(1, int(query.get("page") or 1))
            size = min(MAX_LIMIT, max(1, int(query.get("size") or 100)))
        except ValueError:
            raise BadRequest("page/size phải là số nguyên / must be integers") from None
        stream = (path, query.get("updated_since"), query.get("unit"), size)
        if page == 1:
            self.sim.last_body.pop(stream, None)
        elif fault == F.REPEAT and stream in self.sim.last_body:
            return self._send(200, self.sim.last_body[stream])
        total = self.sim.total(entity, since, units)
        if fault in (F.ENDLESS, F.ENDLESS_EMPTY):
            total = max(total, page * size + 1)  # always one more page promised
        obj = _json_sql(entity, SEC_FIELDS[entity], SEC_BOOLS, {}, fault)
        rows = [] if fault == F.EMPTY else self.sim.query(entity, since, units, None, size, (page - 1) * size,
                                                          columns=obj)
        payload = b'{"items":' + _json_rows(r[0] for r in rows) + \
            f',"page":{page},"size":{size},"total":{total}}}'.encode("ascii")
        body = self._json(200, payload, truncate=fault == F.TRUNCATED, trickle=fault == F.TRICKLE)
        if fault not in (F.TRUNCATED, F.EMPTY):
            self.sim.last_body[stream] = body

    def export(self, entity: str, since: str, units: list[str], fault: str | None) -> None:
        if entity not in SEC_FIELDS:
            return self._error(404, f"không có bản xuất / no such export: {entity}")
        rows = self.sim.query(entity, since, units, None, None)
        items = _drift([_wire(r, SEC_FIELDS[entity], set(), {}) for r in rows], entity, fault)
        header = list(SEC_FIELDS[entity].values())
        if fault in (F.RENAME, F.MISSING):
            header = list(items[0].keys()) if items else header
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for item in ([] if fault == F.EMPTY else items):
            writer.writerow({k: ("" if v is None else v) for k, v in item.items()})
        body = buf.getvalue().encode("utf-8")
        if fault == F.TRUNCATED:
            body = body[: max(1, len(body) * 2 // 3)]
        self._send(200, body, "text/csv; charset=utf-8", {"X-Total-Count": str(len(rows))})


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SimulatorServer:
    """Serve a generated province's DVC and SEC over HTTP on 127.0.0.1, with an optional fault profile.

        with SimulatorServer(root, faults="flaky", seed=7) as sims:
            DossierApi(base_url=sims.dvc_url, token=sims.token, ...)

    `doc_url` is the SQLAlchemy URL of the province's document database (SQLite) for DocumentDb.
    """

    def __init__(self, root: str | Path, *, faults: str | F.FaultProfile | None = "none", seed: int = 0,
                 token: str = DEFAULT_TOKEN, port_dvc: int = 0, port_sec: int = 0, retry_after: int = 1,
                 slow_seconds: float = 1.5):
        self.root = Path(root)
        for name in ("dvc.db", "sec.db"):
            if not (self.root / name).is_file():
                raise FileNotFoundError(f"không thấy {self.root / name} — chạy `dti simulate generate` trước / "
                                        f"missing; run `dti simulate generate` first")
        self.profile = F.get_profile(faults)
        self.injector = F.FaultInjector(self.profile, seed)
        self.token = token
        self._ports = {"DVC": port_dvc, "SEC": port_sec}
        self._retry_after = retry_after
        self._slow = slow_seconds
        self._stop = threading.Event()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.sims: dict[str, _Sim] = {}
        self.urls: dict[str, str] = {}

    @property
    def dvc_url(self) -> str:
        return self.urls["DVC"]

    @property
    def sec_url(self) -> str:
        return self.urls["SEC"]

    @property
    def doc_url(self) -> str:
        return f"sqlite:///{(self.root / 'doc.db').resolve()}"

    def start(self) -> SimulatorServer:
        for system, db, handler in (("DVC", "dvc.db", _DvcHandler), ("SEC", "sec.db", _SecHandler)):
            if system in self.profile.refuse:
                # A port that nothing listens on: connections are refused, as when the host is down.
                self.urls[system] = f"http://127.0.0.1:{_free_port()}"
                continue
            sim = _Sim(system, self.root / db, self.injector, self.token, self._retry_after, self._slow, self._stop)
            cls = type(f"{system}Handler", (handler,), {"sim": sim})
            server = ThreadingHTTPServer(("127.0.0.1", self._ports[system]), cls)
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name=f"dti-sim-{system}", daemon=True)
            thread.start()
            self.sims[system] = sim
            self._servers[system] = server
            self._threads.append(thread)
            self.urls[system] = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self, system: str) -> dict[str, int]:
        sim = self.sims.get(system)
        return dict(sim.stats) if sim else {}
