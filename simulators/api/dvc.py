"""The simulated DVC's national-portal style API: /api/v1/procedures and /api/v1/dossiers, paged by
an opaque keyset cursor, with Vietnamese field names and coded values."""

from __future__ import annotations

import json

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
        body = self._json(200, payload, truncate=fault == F.TRUNCATED, trickle=fault == F.TRICKLE)
        if fault != F.TRUNCATED:
            self.served.last_body[stream] = body
