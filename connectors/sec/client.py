"""SEC connectors: the security-monitoring console's REST API (page/size paging) and its CSV export,
both behind SecuritySource and the retry safeguards of connectors.http."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from pydantic import PrivateAttr

from connectors.base import SchemaDriftError, SecuritySource, SourceError, SourceIncomplete
from connectors.http import PullStats, RetryableBody, json_body
from connectors.mappings import SHIPPED, MappingFileError, SourceMapping, load_source_mapping
from connectors.rest import RestSettings, wire_reader
from dti.intake.readers import FileRejected, read_file
from dti.settings import TZ

log = logging.getLogger("connectors.sec")
MAX_EXPORT_BYTES = 256 * 1024 * 1024

# The console's schema, shipped as mappings/sources/sec-soc.yaml (a province's vendor gets its own file:
# mapping=..., DTI_SEC_MAPPING).
_SHIPPED = load_source_mapping(str(SHIPPED / "sec-soc.yaml"), "SEC")
WIRE_FIELDS = {entity: _SHIPPED.fields(entity) for entity in _SHIPPED.entities}


def _names(system: str, ref: str) -> SourceMapping:
    try:
        return load_source_mapping(ref, system)
    except MappingFileError as exc:
        raise SourceError(system, str(exc)) from None


def _params(since: dt.datetime | None, unit: str | list[str] | None) -> dict:
    params = {}
    if since is not None:
        params["updated_since"] = since.astimezone(TZ).isoformat(timespec="seconds")
    if unit:
        params["unit"] = unit if isinstance(unit, str) else ",".join(sorted(unit))
    return params


class SecurityApi(SecuritySource, RestSettings):
    """The real SEC client (REST). Configure with dg.EnvVar("DTI_SEC_BASE_URL") / dg.EnvVar("DTI_SEC_TOKEN")."""

    mapping: str = "sec-soc"  # the vendor's field names: a source mapping id or YAML path

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        self.check_entity(entity)
        names = _names(self.system, self.mapping)
        client = self._client(self.system)
        stats = client.stats
        url = self._url(f"/api/v1/{entity}")
        base = {**_params(since, unit), "size": self.page_size}
        read = wire_reader(self.system, entity, names.fields(entity), names.value_codes(entity), names.booleans)
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


def _count(system: str, header: str) -> int:
    """The export's X-Total-Count: a whole number of rows, or a source error saying what came instead."""
    text = header.strip()
    if not (text.isascii() and text.isdigit()):
        raise SourceError(system, f"X-Total-Count '{header[:40]}' không phải số đếm / is not a count")
    return int(text)


class SecurityCsvExport(SecuritySource, RestSettings):
    """The SEC console's CSV export (one file per entity); same auth and retries as the REST API.

    The export's X-Total-Count header is checked against the rows read, so a cut-short file is
    fetched again instead of being taken as complete.
    """

    mapping: str = "sec-soc"  # the vendor's column names: a source mapping id or YAML path

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        self.check_entity(entity)
        names = _names(self.system, self.mapping)
        client = self._client(self.system)
        stats = client.stats
        url = self._url(f"/api/v1/export/{entity}.csv")

        def parse(response):
            try:
                text = response.content.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise SourceError(self.system, f"{entity}.csv: byte {exc.start} không phải UTF-8 / byte {exc.start} "
                                               "is not UTF-8: the export must be UTF-8") from None
            expected = response.headers.get("X-Total-Count")
            try:
                rows = list(reader := csv.DictReader(io.StringIO(text, newline="")))
            except csv.Error as exc:
                raise SourceError(self.system, f"{entity}.csv dòng / line {reader.line_num}: CSV hỏng / broken "
                                               f"CSV: {exc}") from None
            count = None if expected is None else _count(self.system, expected)
            if count is not None and count != len(rows):
                raise RetryableBody(f"CSV có {len(rows)} dòng, máy chủ báo {count} / CSV has {len(rows)} rows, "
                                    f"server says {count}")
            if not text.endswith("\n"):
                raise RetryableBody("CSV bị cắt giữa dòng / CSV cut mid-line")
            return reader.fieldnames or [], rows, count

        try:
            header, rows, stats.expected = client.get(url, _params(since, unit), parse)
            stats.pages += 1
            records = read_export(self.system, entity, names, header, rows, stats)
            stats.records = len(records)
            yield from records
        finally:
            client.close()


def read_export(system: str, entity: str, names: SourceMapping, header: list, rows: list[dict], stats) -> list[dict]:
    """An export's rows as canonical records, oldest first; a missing column is schema drift naming it."""
    fields = names.fields(entity)
    missing = [w for w in fields.values() if w not in header]
    if missing:
        unknown = sorted(set(header) - set(fields.values()))
        raise SchemaDriftError(system, entity, missing[0],
                               f"cột thiếu trong tệp CSV / column missing from the CSV export"
                               f"{'; cột lạ / unexpected: ' + ', '.join(map(str, unknown)) if unknown else ''}")
    seen: set[str] = set()
    records = []
    read = wire_reader(system, entity, fields, names.value_codes(entity), names.booleans)
    for line, row in enumerate(rows, start=2):
        try:
            record = read(row)
        except SchemaDriftError as exc:
            raise SchemaDriftError(system, entity, exc.field, f"dòng / line {line}: {exc}") from None
        if record["source_id"] in seen:
            stats.duplicates += 1
            continue
        seen.add(record["source_id"])
        records.append(record)
    # The export is not ordered by contract; the interface promises oldest first.
    records.sort(key=lambda r: (r["updated_at"], r["source_id"]))
    return records


class SecurityFiles(SecuritySource):
    """The console's exports read from a local folder (`incidents.csv`/`.xlsx`, `inventories.csv`/`.xlsx`):
    files an officer was sent, no HTTP. Filtered by `since` and unit as the API would."""

    path: str  # the folder (DTI_SEC_PATH)
    mapping: str = "sec-soc"

    _last_stats: PullStats | None = PrivateAttr(default=None)

    @property
    def last_stats(self) -> PullStats | None:
        return self._last_stats

    def expected_count(self) -> int | None:
        return self._last_stats.expected if self._last_stats is not None else None

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        self.check_entity(entity)
        names = _names(self.system, self.mapping)
        stats = self._last_stats = PullStats()
        folder = Path(self.path)
        found = [folder / f"{entity}{suffix}" for suffix in (".csv", ".xlsx") if (folder / f"{entity}{suffix}").is_file()]
        if not found:
            raise SourceError(self.system, f"không có tệp {entity}.csv hoặc {entity}.xlsx trong {folder} / no "
                                           f"{entity}.csv or {entity}.xlsx in {folder}")
        header, rows = _table(found[0], self.system)
        stats.pages = 1
        stats.expected = len(rows)
        units = None if not unit else ({unit} if isinstance(unit, str) else set(unit))
        for record in read_export(self.system, entity, names, header, rows, stats):
            if since is not None and record["updated_at"] < since:
                continue
            if units is not None and record["unit_code"] not in units:
                continue
            stats.records += 1
            yield record


def _table(path: Path, system: str) -> tuple[list, list[dict]]:
    try:
        grids = read_file(path, path.read_bytes(), max_bytes=MAX_EXPORT_BYTES).grids
    except FileRejected as exc:
        raise SourceError(system, f"{path}: {exc}") from None
    rows = [r for r in grids[0].rows if any(v not in (None, "") for v in r)] if grids else []
    if not rows:
        return [], []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for r in rows[1:]:
        out.append({h: ("" if v is None else (v.isoformat() if isinstance(v, dt.datetime | dt.date) else str(v)))
                    for h, v in zip(header, r, strict=False) if h})
    return header, out
