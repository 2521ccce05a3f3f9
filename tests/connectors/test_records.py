"""The compiled record readers (connectors.records.RecordReader, connectors.rest.wire_reader) must give
exactly what the field-by-field checked path gives: the same values of the same types, or the same
SchemaDriftError naming the same field."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import SchemaDriftError
from connectors.dvc.client import WIRE_FIELDS as DVC_WIRE
from connectors.dvc.client import WIRE_VALUES
from connectors.records import COMMON, FIELDS, BadValueError, RecordReader, _checked, canonical
from connectors.rest import _from_wire_checked, from_wire, wire_reader
from connectors.sec.client import WIRE_FIELDS as SEC_WIRE
from dti.settings import TZ

# Values a source may send for any field: good ones of every kind, and the awkward ones.
VALUES = st.sampled_from([
    None, "", " ", "0", "1", "yes", " Có ", "no", "true", "FALSE", 0, 1, 7, -3, 2.0, 2.5, True, False, "12", "abc",
    "2025-07-24T08:17:48+07:00", "2025-07-24T08:17:48Z", "2025-07-24T08:17:48", "2025-07-24 08:17:48.250000",
    "2025-07-24", "24/07/2025", dt.datetime(2025, 7, 24, 8, 17, tzinfo=TZ), dt.datetime(2025, 7, 24, 8, 17),
    dt.date(2025, 7, 24), [1], {"a": 1},
])
# Values each kind reads without error, in every form the readers take (so that a row gets past its
# first fields and the later ones are compared too).
TIMES = ["2025-07-24T08:17:48+07:00", "2025-07-24T08:17:48Z", "2025-07-24T08:17:48", "2025-07-24 08:17:48.250000",
         "2025-07-24", dt.datetime(2025, 7, 24, 8, 17, tzinfo=dt.UTC), dt.datetime(2025, 7, 24, 8, 17)]
GOOD = {
    "str": ["a", "12", " x ", 7],
    "int": [0, 7, -3, "12", " 5 ", 2.0],
    "bool": ["0", "1", " Có ", "true", "FALSE", "không", 0, 1, True, False],
    "ts": TIMES,
    "date": [*TIMES, dt.date(2025, 7, 24)],
}


def _good(kind: str):
    base = kind.rstrip("?")
    return st.sampled_from(GOOD[base] + ([None, ""] if kind.endswith("?") else []))


def _typed(record: dict) -> list:
    """Values with their types: True == 1 and 1 == 1.0 must not pass for the same thing."""
    return [(k, type(v).__name__, v) for k, v in record.items()]


def _outcome(fn, row):
    try:
        return "ok", _typed(fn(row))
    except SchemaDriftError as exc:
        return "drift", exc.field, str(exc)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return "error", type(exc).__name__


def _spoil(row: dict, keys: list[str]):
    """The row with up to two fields dropped and up to two set to any value at all."""
    return st.tuples(st.sets(st.sampled_from(keys), max_size=2), st.dictionaries(st.sampled_from(keys), VALUES,
                                                                                    max_size=2)).map(
        lambda change: {k: change[1].get(k, v) for k, v in row.items() if k not in change[0]})


def _rows(entity: str):
    kinds = {**COMMON, **FIELDS[entity]}
    return st.fixed_dictionaries({f: _good(k) for f, k in kinds.items()}, optional={"extra": VALUES}).flatmap(
        lambda row: st.one_of(st.just(row), _spoil(row, list(kinds))))


@pytest.mark.parametrize("entity", sorted(FIELDS))
def test_reader_matches_the_checked_path(entity):
    reader = RecordReader("DVC", entity)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(_rows(entity))
    def check(row):
        assert _outcome(reader, row) == _outcome(lambda r: _checked("DVC", entity, r), row)

    check()


def _wire_items(entity: str, fields: dict[str, str], values: dict[str, dict[str, str]]):
    kinds = {**COMMON, **FIELDS[entity]}
    wire = {w: (st.sampled_from([*values[n], None, "Khac"]) if n in values else _good(kinds[n]))
            for n, w in fields.items()}
    return st.one_of(
        st.fixed_dictionaries(wire, optional={"TruongMoi": VALUES}).flatmap(
            lambda item: st.one_of(st.just(item), _spoil(item, list(fields.values())))),
        st.sampled_from([[], "text", 3]))


@pytest.mark.parametrize("system,entity,fields,values", [
    ("DVC", "dossiers", DVC_WIRE["dossiers"], WIRE_VALUES), ("DVC", "procedures", DVC_WIRE["procedures"], WIRE_VALUES),
    ("SEC", "incidents", SEC_WIRE["incidents"], {}), ("SEC", "inventories", SEC_WIRE["inventories"], {})])
def test_wire_reader_matches_the_checked_path(system, entity, fields, values):
    reader = wire_reader(system, entity, fields, values)
    assert isinstance(reader, RecordReader)  # the compiled path, not the fallback

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(_wire_items(entity, fields, values))
    def check(item):
        assert _outcome(reader, item) == _outcome(
            lambda i: _from_wire_checked(system, entity, i, fields, values), item)

    check()


def test_a_good_dossier_reads_to_python_values():
    item = {"Id": "D-1", "MaDonVi": "U1", "MaHoSo": "H-1", "MaTTHC": "1.0001", "KenhNop": 2, "MucDo": "ToanTrinh",
            "NgayTiepNhan": "2025-07-24T08:17:48+07:00", "NgayHenTra": "2025-08-09T17:00:00", "NgayKetThuc": None,
            "TrangThai": "DangXuLy", "CoSoHoa": True, "KetQuaDienTu": False, "ThanhToanTrucTuyen": "1",
            "CoPhi": 0, "XacThucVNeID": "có", "DongBoCongQG": "false", "SoThanhPhan": "5", "SoThanhPhanTaiSuDung": 3,
            "HaiLong": None, "NgayCapNhat": "2025-07-24T01:17:48Z", "DaXoa": False}
    record = from_wire("DVC", "dossiers", item, DVC_WIRE["dossiers"], WIRE_VALUES)
    assert list(record) == list({**COMMON, **FIELDS["dossiers"]})
    assert record["service_level"] == "full" and record["status"] == "processing"
    assert record["received_at"] == dt.datetime(2025, 7, 24, 8, 17, 48, tzinfo=TZ)
    assert record["due_at"].tzinfo is TZ  # no offset on the wire: local time
    assert record["updated_at"] == record["received_at"]
    assert record["finished_at"] is None and record["satisfaction"] is None
    assert (record["paid_online"], record["fee_applies"], record["vneid"], record["synced_portal"]) == (
        True, False, True, False)
    assert record["components_total"] == 5


def test_drift_names_the_field_on_both_paths():
    row = {**{f: "x" for f in {**COMMON, **FIELDS["incidents"]}}, "sla_hours": "many", "deleted": False,
           "detected_at": "2025-01-01T00:00:00+07:00", "updated_at": "2025-01-01T00:00:00+07:00", "resolved_at": None}
    with pytest.raises(SchemaDriftError) as exc:
        canonical("SEC", "incidents", row)
    assert exc.value.field == "sla_hours" and "'many'" in str(exc.value)
    item = {**{w: "x" for w in DVC_WIRE["procedures"].values()}, "MucDo": "Moi"}
    with pytest.raises(SchemaDriftError, match="'Moi'.*unknown value") as exc:
        from_wire("DVC", "procedures", item, DVC_WIRE["procedures"], WIRE_VALUES)
    assert exc.value.field == "MucDo"


def _dossier(**changes) -> dict:
    item = {"Id": "D-7", "MaDonVi": "U1", "MaHoSo": "H-7", "MaTTHC": "1.0001", "KenhNop": 2, "MucDo": "ToanTrinh",
            "NgayTiepNhan": "2025-07-24T08:17:48+07:00", "NgayHenTra": None, "NgayKetThuc": None,
            "TrangThai": "DangXuLy", "CoSoHoa": True, "KetQuaDienTu": False, "ThanhToanTrucTuyen": True,
            "CoPhi": False, "XacThucVNeID": True, "DongBoCongQG": True, "SoThanhPhan": 5, "SoThanhPhanTaiSuDung": 3,
            "HaiLong": None, "NgayCapNhat": "2025-07-24T01:17:48Z", "DaXoa": False}
    return {**item, **changes}


@pytest.mark.parametrize("wire, value, expected", [
    ("CoSoHoa", "Co", "true/false/1/0/có/không"),  # without its accent: not an accepted spelling
    ("KetQuaDienTu", "Khong", "true/false/1/0/có/không"),
    ("DongBoCongQG", None, "true/false/1/0/có/không"),  # a boolean is never defaulted to False
    ("SoThanhPhan", 6.9, "a whole number"),  # never truncated to 6
    ("KenhNop", True, "a whole number"),
    ("MaTTHC", ["1.0001"], "text"),  # a list where a code is due
    ("MaTTHC", {"ma": 1}, "text"),
    ("TrangThai", ["DangXuLy"], "unknown value"),
    ("NgayTiepNhan", "2025-02-30T08:00:00+07:00", "ISO 8601"),  # an impossible date
    ("NgayHenTra", 20250807, "ISO 8601"),
])
def test_a_value_that_does_not_fit_its_kind_is_an_error_naming_record_field_value_and_expectation(wire, value,
                                                                                                    expected):
    reader = wire_reader("DVC", "dossiers", DVC_WIRE["dossiers"], WIRE_VALUES)
    with pytest.raises(BadValueError) as exc:
        reader(_dossier(**{wire: value}))
    message = str(exc.value)
    assert "'D-7'" in message and "dossiers" in message and repr(value) in message and expected in message
    assert exc.value.field in (wire, {v: k for k, v in DVC_WIRE["dossiers"].items()}[wire])


def test_a_mapping_may_name_its_own_boolean_spellings():
    reader = wire_reader("DVC", "dossiers", DVC_WIRE["dossiers"], WIRE_VALUES, booleans=(("Có", "X"), ("Không", "")))
    assert reader(_dossier(CoSoHoa="x", KetQuaDienTu="KHÔNG"))["has_digitised"] is True
    with pytest.raises(BadValueError):
        reader(_dossier(CoSoHoa="true"))  # this source never writes true: a surprise, not a default
