"""SEC connectors: the security-monitoring console's REST API (page/size paging) and its CSV export,
both behind SecuritySource and the retry safeguards of connectors.http."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator

from connectors.base import SchemaDriftError, SecuritySource, SourceIncomplete
from connectors.http import RetryableBody, json_body
from connectors.rest import RestSettings, wire_reader
from dti.settings import TZ

log = logging.getLogger("connectors.sec")

WIRE_FIELDS = {
    "incidents": {"source_id": "id", "unit_code": "org_unit", "detected_at": "detected_at", "severity": "severity",
                  "category": "category", "resolved_at": "resolved_at", "sla_hours": "sla_hours",
                  "updated_at": "updated_at", "deleted": "deleted"},
    "inventories": {"source_id": "id", "unit_code": "org_unit", "as_of": "as_of", "workstations": "workstations",
                    "managed_endpoints": "managed_endpoints", "systems": "systems",
                    "monitored_systems": "monitored_systems", "updated_at": "updated_at", "deleted": "deleted"},
}


def _params(since: dt.datetime | None, unit: str | list[str] | None) -> dict:
    params = {}
    if since is not None:
        params["updated_since"] = since.astimezone(TZ).isoformat(timespec="seconds")
    if unit:
        params["unit"] = unit if isinstance(unit, str) else ",".join(sorted(unit))
    return params


class SecurityApi(SecuritySource, RestSettings):
    """The real SEC client (REST). Configure with dg.EnvVar("DTI_SEC_BASE_URL") / dg.EnvVar("DTI_SEC_TOKEN")."""

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        self.check_entity(entity)
        client = self._client(self.system)
        stats = client.stats
        url = self._url(f"/api/v1/{entity}")
        base = {**_params(since, unit), "size": self.page_size}
        read = wire_reader(self.system, entity, WIRE_FIELDS[entity])
        seen: set[str] = set()
        page = 1
        stalls = 0

        def parse(response, asked: int):
            payload = json_body(response)
            if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
                raise SchemaDriftError(self.system, entity, "items", "phản hồi không có danh sách 'items' / "
                                                                     "response has no 'items' list")
            if not isinstance(payload.get("total"), int):
                raise SchemaDriftError(self.system, entity, "total", "phản hồi thiếu tổng số / missing total")
            if payload.get("page", asked) != asked:  # a cache or proxy answered with another page
                raise RetryableBody(f"hỏi trang {asked}, nhận trang {payload.get('page')} / asked for page {asked}, "
                                    f"got page {payload.get('page')}")
            return payload

        try:
            while True:
                if stats.pages >= self.max_pages:
                    raise SourceIncomplete(self.system, entity, "page_limit", f"vượt {self.max_pages} trang / more "
                                                                              f"than {self.max_pages} pages: "
                                                                              "pagination does not end")
                payload = client.get(url, {**base, "page": page}, lambda r, p=page: parse(r, p))
                stats.pages += 1
                total, new = payload["total"], 0
                if stats.pages == 1:
                    stats.expected = total
                for item in payload["items"]:
                    record = read(item)
                    if record["source_id"] in seen:
                        stats.duplicates += 1
                        continue
                    seen.add(record["source_id"])
                    stats.records += 1
                    new += 1
                    yield record
                expected = min(self.page_size, total - (page - 1) * self.page_size)
                if expected > 0 and (new == 0 or len(payload["items"]) < expected):
                    # The server promises more than this page brought (empty, repeated or short):
                    # ask again; if it persists we cannot know we have everything, so fail loudly.
                    stalls += 1
                    if stalls > self.stall_retries:
                        raise SourceIncomplete(self.system, entity, "records_missing",
                                               f"trang {page} không có bản ghi mới dù máy chủ báo {total} bản ghi / "
                                               f"page {page} brings no new records but the server reports {total}")
                    continue
                if page * self.page_size >= total:
                    return
                stalls = 0
                page += 1
        finally:
            client.close()


class SecurityCsvExport(SecuritySource, RestSettings):
    """The SEC console's CSV export (one file per entity); same auth and retries as the REST API.

    The export's X-Total-Count header is checked against the rows read, so a cut-short file is
    fetched again instead of being taken as complete.
    """

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        self.check_entity(entity)
        client = self._client(self.system)
        stats = client.stats
        url = self._url(f"/api/v1/export/{entity}.csv")

        def parse(response):
            text = response.content.decode("utf-8-sig")
            expected = response.headers.get("X-Total-Count")
            reader = csv.DictReader(io.StringIO(text, newline=""))
            rows = list(reader)
            if expected is not None and int(expected) != len(rows):
                raise RetryableBody(f"CSV có {len(rows)} dòng, máy chủ báo {expected} / CSV has {len(rows)} rows, "
                                    f"server says {expected}")
            if not text.endswith("\n"):
                raise RetryableBody("CSV bị cắt giữa dòng / CSV cut mid-line")
            return reader.fieldnames or [], rows, int(expected) if expected is not None else None

        try:
            header, rows, stats.expected = client.get(url, _params(since, unit), parse)
            stats.pages += 1
            missing = [w for w in WIRE_FIELDS[entity].values() if w not in header]
            if missing:
                unknown = sorted(set(header) - set(WIRE_FIELDS[entity].values()))
                raise SchemaDriftError(self.system, entity, missing[0],
                                       f"cột thiếu trong tệp CSV / column missing from the CSV export"
                                       f"{'; cột lạ / unexpected: ' + ', '.join(unknown) if unknown else ''}")
            seen: set[str] = set()
            records = []
            read = wire_reader(self.system, entity, WIRE_FIELDS[entity])
            for line, row in enumerate(rows, start=2):
                try:
                    record = read(row)
                except SchemaDriftError as exc:
                    raise SchemaDriftError(self.system, entity, exc.field, f"dòng / line {line}: {exc}") from None
                if record["source_id"] in seen:
                    stats.duplicates += 1
                    continue
                seen.add(record["source_id"])
                records.append(record)
            # The export is not ordered by contract; the interface promises oldest first.
            records.sort(key=lambda r: (r["updated_at"], r["source_id"]))
            stats.records = len(records)
            yield from records
        finally:
            client.close()
