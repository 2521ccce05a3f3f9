"""DVC connector: the public-service dossier system's REST/JSON API (national-portal field names),
cursor-paged, filtered by unit and updated_since, with the retry and paging safeguards of
connectors.http."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from connectors.base import DossierSource, SchemaDriftError, SourceError
from connectors.http import Prefetch, SeenKeys, json_body
from connectors.rest import RestSettings, wire_reader
from dti.settings import TZ

log = logging.getLogger("connectors.dvc")

WIRE_FIELDS = {
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
WIRE_VALUES = {
    "service_level": {"ToanTrinh": "full", "MotPhan": "partial", "CungCapThongTin": "info"},
    "status": {"DangXuLy": "processing", "TamDungBoSung": "paused", "DaTraKetQua": "done", "TuChoi": "rejected"},
}


class DossierApi(DossierSource, RestSettings):
    """The real DVC client. Configure with dg.EnvVar("DTI_DVC_BASE_URL") / dg.EnvVar("DTI_DVC_TOKEN")."""

    def fetch(self, entity: str, since: dt.datetime | None = None, unit: str | list[str] | None = None
              ) -> Iterator[dict]:
        """Records updated at or after `since`, optionally of some units (as the source codes them)."""
        self.check_entity(entity)
        client = self._client(self.system)
        stats = client.stats
        url = self._url(f"/api/v1/{entity}")
        base = {"limit": self.page_size}
        if since is not None:
            base["updated_since"] = since.astimezone(TZ).isoformat(timespec="seconds")
        if unit:
            base["unit"] = unit if isinstance(unit, str) else ",".join(sorted(unit))
        read = wire_reader(self.system, entity, WIRE_FIELDS[entity], WIRE_VALUES)
        seen = SeenKeys()  # a page served again is dropped; memory does not grow with the ids
        asked: set[str] = set()
        cursor: str | None = None
        empty_run = stalls = 0

        def parse(response):
            payload = json_body(response)
            if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
                raise SchemaDriftError(self.system, entity, "data", "phản hồi không có danh sách 'data' / "
                                                                    "response has no 'data' list")
            if "next_cursor" not in payload:
                raise SchemaDriftError(self.system, entity, "next_cursor", "phản hồi thiếu / missing in response")
            return payload

        def request(at: str | None):
            return client.get(url, {**base, **({"cursor": at} if at else {})}, parse)

        # The next page is fetched on a thread while this one is converted and consumed, so the
        # server builds a page while the client reads the last one.
        ahead: tuple[str | None, Prefetch] | None = None
        try:
            while True:
                if stats.pages >= self.max_pages:
                    raise SourceError(self.system, f"vượt {self.max_pages} trang khi đọc {entity} / more than "
                                                   f"{self.max_pages} pages: pagination does not end")
                if ahead is not None and ahead[0] == cursor:
                    payload = ahead[1].result()
                else:
                    payload = request(cursor)
                ahead = None
                stats.pages += 1
                if cursor:
                    asked.add(cursor)
                items, nxt = payload["data"], payload["next_cursor"]
                # What follows this page, decided before its records are handed out; it happens after.
                stop = fail = None
                if not nxt:
                    stop = ""
                elif nxt in asked:
                    # No progress: a repeated page or a cursor that loops. Ask again a few times (a
                    # glitch recovers), then stop rather than loop for ever.
                    stalls += 1
                    if stalls > self.stall_retries:
                        stop = (f"con trỏ lặp lại, dừng đọc {entity} sau {stats.pages} trang / repeated cursor, "
                                f"stopping after {stats.pages} pages")
                else:
                    stalls = 0
                    empty_run = empty_run + 1 if not items else 0
                    if empty_run > self.max_empty_pages:
                        fail = SourceError(self.system, f"{empty_run} trang rỗng liên tiếp khi đọc {entity} / "
                                                        f"{empty_run} empty pages in a row: pagination does not end")
                    else:
                        cursor = nxt
                if stop is None and fail is None and stats.pages < self.max_pages:
                    ahead = (cursor, Prefetch(lambda at=cursor: request(at)))
                for item in items:
                    record = read(item)
                    if not seen.new((record["updated_at"], record["source_id"]), record["source_id"]):
                        stats.duplicates += 1
                        continue
                    stats.records += 1
                    yield record
                if fail is not None:
                    raise fail
                if stop:
                    msg = f"{stop} ({stats.records} records)"
                    stats.warnings.append(msg)
                    log.warning("[DVC] %s", msg)
                if stop is not None:
                    return
        finally:
            if ahead is not None:
                client.cancel()  # the page asked ahead is not wanted: no retries for it
                ahead[1].then(client.close)
            else:
                client.close()
