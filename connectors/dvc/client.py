"""DVC connector: the public-service dossier system's REST/JSON API (national-portal field names),
cursor-paged, filtered by unit and updated_since, with the retry and paging safeguards of
connectors.http."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator

from connectors.base import DossierSource, SchemaDriftError, SourceError, SourceIncomplete
from connectors.http import Prefetch, SeenKeys, json_body
from connectors.mappings import SHIPPED, MappingFileError, load_source_mapping
from connectors.rest import RestSettings, wire_reader
from dti.settings import TZ

log = logging.getLogger("connectors.dvc")

# The national-portal schema, shipped as mappings/sources/dvc-cong-quoc-gia.yaml (a province's vendor gets
# its own file: DossierApi(mapping=...), DTI_DVC_MAPPING).
_SHIPPED = load_source_mapping(str(SHIPPED / "dvc-cong-quoc-gia.yaml"), "DVC")
WIRE_FIELDS = {entity: _SHIPPED.fields(entity) for entity in _SHIPPED.entities}
WIRE_VALUES = _SHIPPED.value_codes("dossiers")


class DossierApi(DossierSource, RestSettings):
    """The real DVC client. Configure with dg.EnvVar("DTI_DVC_BASE_URL") / dg.EnvVar("DTI_DVC_TOKEN").

    A pull either ends at the last page with every record once, or raises: SourceError when the source
    cannot be read, SourceIncomplete when it misbehaves (a cursor that does not move on or goes back,
    records served again under a new cursor, endless pages, the page or time limit)."""

    mapping: str = "dvc-cong-quoc-gia"  # the vendor's field names: a source mapping id or YAML path

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        """Records updated at or after `since`, optionally of some units (as the source codes them)."""
        self.check_entity(entity)
        pull = _Pull(self, entity, since, unit)
        try:
            yield from pull.records()
        finally:
            pull.close()


class _Pull:
    """One cursor-paged pull of one entity; the next page is fetched on a thread while this one is
    converted and handed out, so the server builds a page while the client reads the last one."""

    def __init__(self, api: DossierApi, entity: str, since: dt.datetime | None, unit: str | list[str] | None):
        self.api, self.entity = api, entity
        try:  # before the client opens: a bad mapping file is the one thing to say
            names = load_source_mapping(api.mapping, api.system)
        except MappingFileError as exc:
            raise SourceError(api.system, str(exc)) from None
        self.client = api._client(api.system)
        self.stats = self.client.stats
        self.url = api._url(f"/api/v1/{entity}")
        self.base = {"limit": api.page_size}
        if since is not None:
            self.base["updated_since"] = since.astimezone(TZ).isoformat(timespec="seconds")
        if unit:
            self.base["unit"] = unit if isinstance(unit, str) else ",".join(sorted(unit))
        self.read = wire_reader(api.system, entity, names.fields(entity), names.value_codes(entity),
                                booleans=names.booleans)
        self.seen = SeenKeys()  # memory does not grow with the ids
        self.asked: set[str] = set()
        self.ahead: tuple[str | None, Prefetch] | None = None
        self.deadline = time.monotonic() + api.max_pull_s

    def _parse(self, response) -> dict:
        payload = json_body(response)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise SchemaDriftError(self.api.system, self.entity, "data", "phản hồi không có danh sách 'data' / "
                                                                         "response has no 'data' list")
        if "next_cursor" not in payload:
            raise SchemaDriftError(self.api.system, self.entity, "next_cursor", "phản hồi thiếu / missing in response")
        return payload

    def _request(self, at: str | None) -> dict:
        return self.client.get(self.url, {**self.base, **({"cursor": at} if at else {})}, self._parse)

    def _incomplete(self, reason: str, vi: str, en: str) -> SourceIncomplete:
        where = f"sau {self.stats.pages} trang, {self.stats.records} bản ghi / after {self.stats.pages} pages, " \
                f"{self.stats.records} records"
        return SourceIncomplete(self.api.system, self.entity, reason, f"{vi} / {en} ({where})")

    def _page(self, cursor: str | None) -> dict:
        if self.stats.pages >= self.api.max_pages:
            raise self._incomplete("page_limit", f"vượt {self.api.max_pages} trang",
                                   f"more than {self.api.max_pages} pages: pagination does not end")
        if time.monotonic() > self.deadline:
            raise self._incomplete("time_limit", f"quá {self.api.max_pull_s:g} giây",
                                   f"the pull took longer than {self.api.max_pull_s:g} s")
        if self.ahead is not None and self.ahead[0] == cursor:
            payload = self.ahead[1].result()
        else:
            payload = self._request(cursor)
        self.ahead = None
        self.stats.pages += 1
        if cursor:
            self.asked.add(cursor)
        if self.stats.pages == 1 and isinstance(payload.get("total"), int) and not isinstance(payload["total"], bool):
            self.stats.expected = payload["total"]
        return payload

    def records(self) -> Iterator[dict]:
        cursor: str | None = None
        empty_run = stalls = 0
        while True:
            payload = self._page(cursor)
            items, nxt = payload["data"], payload["next_cursor"]
            # A page pointing to a cursor asked before made no progress (a glitch re-serving a page, or a
            # cursor that goes back): ask again a few times, then the pull is incomplete, never cut short.
            stalled = bool(nxt) and nxt in self.asked
            # Records may repeat only on such a page or a re-asked one; on a page reached by a new cursor
            # that points on to another new one, a repeat means the source is serving its data again.
            fresh = stalls == 0 and not stalled
            if stalled:
                stalls += 1
                if stalls > self.api.stall_retries:
                    raise self._incomplete("cursor_stalled", "con trỏ không tiến lên hoặc quay lại",
                                           "the cursor did not move on, or went back")
            else:
                stalls = 0
            empty_run = empty_run + 1 if not items and nxt else 0
            if empty_run > self.api.max_empty_pages:
                raise self._incomplete("empty_pages", f"{empty_run} trang rỗng liên tiếp",
                                       f"{empty_run} empty pages in a row: pagination does not end")
            if nxt and stalls == 0 and self.stats.pages < self.api.max_pages:
                self.ahead = (nxt, Prefetch(lambda at=nxt: self._request(at)))
            for item in items:
                record = self.read(item)
                if not self.seen.new((record["updated_at"], record["source_id"]), record["source_id"]):
                    self.stats.duplicates += 1
                    if fresh:  # handed out before, and now again under a new cursor: the source is looping
                        raise self._incomplete("records_repeated", f"bản ghi {record['source_id']} lặp lại dưới "
                                                                   "con trỏ mới",
                                               f"record {record['source_id']} served again under a new cursor")
                    continue
                self.stats.records += 1
                yield record
            if not nxt:
                return
            if stalls == 0:
                cursor = nxt

    def close(self) -> None:
        if self.ahead is not None:
            self.client.cancel()  # the page asked ahead is not wanted: no retries for it
            self.ahead[1].then(self.client.close)
        else:
            self.client.close()
