"""The simulated SEC's SOC-console style API: /api/v1/incidents and /api/v1/inventories paged by
page and size, and a CSV export of each (/api/v1/export/<entity>.csv)."""

from __future__ import annotations

import csv
import io

from simulators import faults as F
from simulators.api.handler import SystemHandler
from simulators.api.wire import (
    MAX_LIMIT,
    SEC_BOOLS,
    SEC_FIELDS,
    BadRequest,
    drift,
    json_array,
    json_object_sql,
    since_text,
    unit_filter,
    wire_item,
)

PREFIX = "/api/v1/"
EXPORT_PREFIX = "/api/v1/export/"


class SecHandler(SystemHandler):
    def route(self, path: str, query: dict, fault: str | None) -> None:
        since = since_text(query.get("updated_since"))
        units = unit_filter(query)
        if path.startswith(EXPORT_PREFIX) and path.endswith(".csv"):
            return self.export(path[len(EXPORT_PREFIX) : -len(".csv")], since, units, fault)
        entity = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        if entity not in SEC_FIELDS:
            return self._error(404, f"không có tài nguyên / no such resource: {path}")
        try:
            page = max(1, int(query.get("page") or 1))
            size = min(MAX_LIMIT, max(1, int(query.get("size") or 100)))
        except ValueError:
            raise BadRequest("page/size phải là số nguyên / must be integers") from None
        stream = (path, query.get("updated_since"), query.get("unit"), size)
        if page == 1:
            self.served.last_body.pop(stream, None)
        elif fault == F.REPEAT and stream in self.served.last_body:
            return self._send(200, self.served.last_body[stream])
        total = self.served.total(entity, since, units)
        if fault in (F.ENDLESS, F.ENDLESS_EMPTY):
            total = max(total, page * size + 1)  # always one more page promised
        obj = json_object_sql(entity, SEC_FIELDS[entity], SEC_BOOLS, {}, fault)
        rows = (
            []
            if fault == F.EMPTY
            else self.served.query(entity, since, units, None, size, (page - 1) * size, columns=obj)
        )
        payload = (
            b'{"items":'
            + json_array(r[0] for r in rows)
            + f',"page":{page},"size":{size},"total":{total}}}'.encode("ascii")
        )
        body = self._json(200, payload, truncate=fault == F.TRUNCATED, trickle=fault == F.TRICKLE)
        if fault not in (F.TRUNCATED, F.EMPTY):
            self.served.last_body[stream] = body

    def export(self, entity: str, since: str, units: list[str], fault: str | None) -> None:
        if entity not in SEC_FIELDS:
            return self._error(404, f"không có bản xuất / no such export: {entity}")
        rows = self.served.query(entity, since, units, None, None)
        items = drift([wire_item(r, SEC_FIELDS[entity], set(), {}) for r in rows], entity, fault)
        header = list(SEC_FIELDS[entity].values())
        if fault in (F.RENAME, F.MISSING):
            header = list(items[0].keys()) if items else header
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for item in [] if fault == F.EMPTY else items:
            writer.writerow({k: ("" if v is None else v) for k, v in item.items()})
        body = buf.getvalue().encode("utf-8")
        if fault == F.TRUNCATED:
            body = body[: max(1, len(body) * 2 // 3)]
        self._send(200, body, "text/csv; charset=utf-8", {"X-Total-Count": str(len(rows))})
