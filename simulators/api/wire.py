"""What the simulated DVC and SEC put on the wire: their field names and coded values, cursors, the
`updated_since` parameter, and the row → JSON encodings (with the schema-drift faults applied)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from dti.settings import TZ
from simulators import faults as F

MAX_LIMIT = 1000  # the largest page either system serves

# The national-portal names DVC uses on the wire, per column of the simulator's tables. Written out
# here, not imported from the client: the simulator plays the external system, so a client that
# expects a wrong name must fail against it.
DVC_FIELDS = {
    "procedures": {
        "source_id": "Id",
        "unit_code": "MaDonVi",
        "procedure_code": "MaTTHC",
        "name_vi": "TenTTHC",
        "service_level": "MucDo",
        "fee_applies": "CoPhi",
        "updated_at": "NgayCapNhat",
        "deleted": "DaXoa",
    },
    "dossiers": {
        "source_id": "Id",
        "unit_code": "MaDonVi",
        "dossier_code": "MaHoSo",
        "procedure_code": "MaTTHC",
        "channel": "KenhNop",
        "service_level": "MucDo",
        "received_at": "NgayTiepNhan",
        "due_at": "NgayHenTra",
        "finished_at": "NgayKetThuc",
        "status": "TrangThai",
        "has_digitised": "CoSoHoa",
        "e_result": "KetQuaDienTu",
        "paid_online": "ThanhToanTrucTuyen",
        "fee_applies": "CoPhi",
        "vneid": "XacThucVNeID",
        "synced_portal": "DongBoCongQG",
        "components_total": "SoThanhPhan",
        "components_reused": "SoThanhPhanTaiSuDung",
        "satisfaction": "HaiLong",
        "updated_at": "NgayCapNhat",
        "deleted": "DaXoa",
    },
}
DVC_VALUES = {
    "service_level": {"full": "ToanTrinh", "partial": "MotPhan", "info": "CungCapThongTin"},
    "status": {
        "processing": "DangXuLy",
        "paused": "TamDungBoSung",
        "done": "DaTraKetQua",
        "rejected": "TuChoi",
    },
}
DVC_BOOLS = {"fee_applies", "deleted", "has_digitised", "e_result", "paid_online", "vneid", "synced_portal"}
SEC_FIELDS = {
    "incidents": {
        "source_id": "id",
        "unit_code": "org_unit",
        "detected_at": "detected_at",
        "severity": "severity",
        "category": "category",
        "resolved_at": "resolved_at",
        "sla_hours": "sla_hours",
        "updated_at": "updated_at",
        "deleted": "deleted",
    },
    "inventories": {
        "source_id": "id",
        "unit_code": "org_unit",
        "as_of": "as_of",
        "workstations": "workstations",
        "managed_endpoints": "managed_endpoints",
        "systems": "systems",
        "monitored_systems": "monitored_systems",
        "updated_at": "updated_at",
        "deleted": "deleted",
    },
}
SEC_BOOLS = {"deleted"}
# The schema-drift faults: which wire field each entity loses or renames.
DRIFT = {
    "procedures": ("MaTTHC", "MaThuTuc"),
    "dossiers": ("NgayTiepNhan", "NgayNhanHoSo"),
    "incidents": ("detected_at", "detection_time"),
    "inventories": ("workstations", "workstation_count"),
}


class BadRequest(Exception):
    """A request the system refuses with 400; the message is the response's error."""


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


def since_text(value: str | None) -> str:
    """`updated_since` as the simulator stores timestamps (local ISO text); a client may send any offset."""
    if not value:
        return ""
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"updated_since không phải ISO 8601 / not ISO 8601: {value!r}") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=TZ)
    return ts.astimezone(TZ).isoformat(timespec="seconds")


def unit_filter(query: dict) -> list[str]:
    """The `unit` parameter: a comma-separated list of unit codes, empty for all units."""
    return [u for u in (query.get("unit") or "").split(",") if u]


def wire_item(row: dict, fields: dict[str, str], bools: set[str], values: dict[str, dict[str, str]]) -> dict:
    """A row of the simulator's table as the system names and codes it on the wire."""
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


def json_object_sql(
    entity: str, fields: dict[str, str], bools: set[str], values: dict[str, dict[str, str]], fault: str | None
) -> str:
    """A SQL expression giving each row as the JSON object wire_item would make, built by SQLite itself:
    pages are assembled from these strings without a Python dict per record. The drift faults
    rename or drop a field here, as drift() does for the CSV export."""
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


def json_array(objects) -> bytes:
    """A JSON array from already-encoded objects."""
    return ("[" + ",".join(objects) + "]").encode("utf-8")


def drift(items: list[dict], entity: str, fault: str | None) -> list[dict]:
    """`items` with the entity's drifting field renamed or dropped, when `fault` says so."""
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
