"""The simulated DVC's national-portal style API: /api/v1/procedures and /api/v1/dossiers, paged by
an opaque keyset cursor, with Vietnamese field names and coded values."""

from __future__ import annotations

import json
import zlib

from simulators import faults as F
from simulators.api.handler import SystemHandler
from simulators.api.wire import (
    DVC_BOOLS,
    DVC_FIELDS,
    DVC_VALUES,
    MAX_LIMIT,
    BadRequest,
    decode_cursor,
    encode_cursor,
    json_array,
    json_object_sql,
    since_text,
    unit_filter,
)

PREFIX = "/api/v1/"


class DvcHandler(SystemHandler):
    def route(self, path: str, query: dict, fault: str | None) -> None:
        entity = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        if entity not in DVC_FIELDS:
            return self._error(404, f"không có tài nguyên / no such resource: {path}")
        if fault in HOSTILE_BODIES:
            return HOSTILE_BODIES[fault](self)
        stream = (path, query.get("updated_since"), query.get("unit"), query.get("limit"))
        if not query.get("cursor"):
            self.served.last_body.pop(stream, None)  # a new pass: nothing of an earlier one is repeated
        elif fault == F.REPEAT and stream in self.served.last_body:
            return self._send(200, self.served.last_body[stream])
        since = since_text(query.get("updated_since"))
        units = unit_filter(query)
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit") or 100)))
        except ValueError:
            raise BadRequest(
                f"limit phải là số nguyên / must be an integer: {query.get('limit')!r}"
            ) from None
        keyset, page = None, 0
        if query.get("cursor"):
            u, s, page = decode_cursor(query["cursor"])
            keyset = (u, s) if (u or s) else None
        if fault == F.EMPTY:
            here = keyset or ("", "")
            return self._json(200, {"data": [], "next_cursor": encode_cursor(*here, page + 1)})
        obj = json_object_sql(entity, DVC_FIELDS[entity], DVC_BOOLS, DVC_VALUES, fault)
        rows = self.served.query(
            entity, since, units, keyset, limit + 1, columns=f"updated_at, source_id, {obj}"
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][0], rows[-1][1], page + 1) if more else None
        if not more and fault == F.ENDLESS:
            next_cursor = encode_cursor("", "", 0)  # back to the start: the client has seen all this
        if not more and fault == F.FRESH_CURSORS:
            next_cursor = encode_cursor("", "", page + 1)  # the same data again, under a cursor never seen
        if more and page >= 1 and fault == F.CURSOR_BACK:
            next_cursor = query["cursor"]  # points back at the page just served: it never moves on
        if not more and fault == F.ENDLESS_EMPTY:
            last = rows[-1][:2] if rows else ((keyset[0], keyset[1]) if keyset else ("", ""))
            next_cursor = encode_cursor(last[0], last[1], page + 1)
        # Keys in sorted order, as json.dumps(sort_keys=True) would put them.
        payload = (
            b'{"data":'
            + json_array(r[2] for r in rows)
            + b',"next_cursor":'
            + json.dumps(next_cursor).encode("ascii")
            + b"}"
        )
        if fault in RECORD_FAULTS and entity == "dossiers":
            payload = RECORD_FAULTS[fault](json.loads(payload), page)
        body = self._json(200, payload, truncate=fault == F.TRUNCATED, trickle=fault == F.TRICKLE)
        if fault != F.TRUNCATED:
            self.served.last_body[stream] = body


# --- a hostile vendor system (simulators.faults, issue 15) ---------------------------------------


def _spoil_booleans(payload: dict, page: int) -> dict:
    for item in payload["data"]:
        for wire in (DVC_FIELDS["dossiers"][name] for name in sorted(DVC_BOOLS)):
            if isinstance(item.get(wire), bool):
                item[wire] = "Co" if item[wire] else "Khong"
    return payload


def _first_record(change: dict):
    def spoil(payload: dict, page: int) -> dict:
        if page == 0 and payload["data"]:
            payload["data"][0].update(change)
        return payload

    return spoil


RECORD_FAULTS = {
    F.BOOL_SPELLING: _spoil_booleans,
    F.FUTURE_RECORD: _first_record({"NgayCapNhat": "9999-12-31T00:00:00+07:00"}),
    F.FRACTION_INT: _first_record({"SoThanhPhan": 6.9}),
    F.LIST_CODE: _first_record({"MaTTHC": ["1.000001", "1.000002"]}),
    F.NOT_A_NUMBER: _first_record({"SoThanhPhan": float("nan")}),
}
DEEP = 100_000
_BOMB: list[bytes] = []


def _gzip_bomb() -> bytes:
    """768 MiB of valid JSON (an empty page padded with whitespace), gzipped once into ≈0.75 MB."""
    if not _BOMB:
        pack = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [pack.compress(b'{"data":[')]
        spaces = b" " * (1 << 20)
        parts += [pack.compress(spaces) for _ in range(768)]
        parts += [pack.compress(b'],"next_cursor":null}'), pack.flush()]
        _BOMB.append(b"".join(parts))
    return _BOMB[0]


def _send_bomb(handler: SystemHandler) -> None:
    # Sent gzipped whatever the client asked for, as a broken proxy would.
    handler.served.count("bomb")
    handler._send_raw(200, _gzip_bomb(), {"Content-Encoding": "gzip"})


HOSTILE_BODIES = {
    F.HTML_200: lambda h: h._send_raw(200, b"<html><body>He thong dang bao tri</body></html>",
                                      {"Content-Type": "text/html"}),
    F.EMPTY_200: lambda h: h._send_raw(200, b"", {}),
    F.DATA_NULL: lambda h: h._json(200, {"data": None, "next_cursor": None}),
    F.HUGE_RETRY_AFTER: lambda h: h._error(429, "quá nhiều yêu cầu / too many requests", {"Retry-After": "86400"}),
    F.GZIP_BOMB: _send_bomb,
    F.DEEP_JSON: lambda h: h._send_raw(200, b'{"data":' + b"[" * DEEP + b"]" * DEEP + b',"next_cursor":null}',
                                       {"Content-Type": "application/json"}),
}
