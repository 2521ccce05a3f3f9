"""Unit registry: merger links (63 → 34 provinces, commune mergers), lookups, files and the warehouse."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from dti.units import (
    RegistryError,
    SplitUnitError,
    Unit,
    UnitError,
    UnitLink,
    UnitRegistry,
    assessed_units,
    load_registry,
    load_registry_file,
    save_registry,
)
from dti.warehouse import session_scope

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "units-sample.yaml"
BEFORE = dt.date(2025, 6, 30)
AFTER = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def registry() -> UnitRegistry:
    return load_registry_file(SAMPLE)


def test_provinces_merge_on_1_july_2025(registry):
    assert registry.resolve("P-YBA", BEFORE).name_vi == "Tỉnh Yên Bái"
    assert registry.resolve("P-YBA", AFTER).code == "P-LCA-2025"
    assert registry.resolve("P-LCA", AFTER).name_vi == "Tỉnh Lào Cai"
    assert [lk.predecessor for lk in registry.predecessors("P-LCA-2025")] == ["P-LCA", "P-YBA"]
    provinces_before = registry.current_units(BEFORE, "province")
    provinces_after = registry.current_units(AFTER, "province")
    assert len(provinces_before) == 4 and len(provinces_after) == 2


def test_multi_hop_commune_merged_in_2020_then_in_2025(registry):
    assert registry.resolve("X-BXA-01", dt.date(2019, 6, 1)).name_vi == "Xã Cốc Mỳ"
    assert registry.resolve("X-BXA-01", dt.date(2024, 5, 1)).code == "X-BXA-02"
    assert registry.resolve("X-BXA-01", AFTER).code == "X-LCA-2025-07"
    assert registry.resolve("X-BXA-01").code == "X-LCA-2025-07"  # no date: the latest successor
    assert [u.code for u in registry.chain("X-BXA-01")] == ["X-BXA-01", "X-BXA-02", "X-LCA-2025-07"]


def test_department_renamed_then_merged_with_its_province(registry):
    assert registry.resolve("S-TTTT-LCA", dt.date(2025, 2, 28)).code == "S-TTTT-LCA"
    assert registry.resolve("S-TTTT-LCA", dt.date(2025, 3, 1)).code == "S-KHCN-LCA"
    unit = registry.resolve("S-TTTT-LCA", dt.date(2025, 12, 31))
    assert (unit.code, unit.framework_id) == ("S-KHCN-LCA-2025", "default-dept-2025")


def test_current_code_resolves_to_itself_and_codes_are_cleaned(registry):
    assert registry.resolve("X-LCA-2025-31", AFTER).name_vi == "Xã Mậu A"
    assert registry.get(" X-LCA-2025-31 ").code == "X-LCA-2025-31"


def test_unknown_abolished_and_split_units_give_clear_errors(registry):
    with pytest.raises(UnitError) as info:
        registry.resolve("X-ZZZ-99", AFTER)
    assert str(info.value) == "Không có đơn vị mã 'X-ZZZ-99' trong danh mục / unknown unit code 'X-ZZZ-99'"
    with pytest.raises(UnitError) as info:
        registry.resolve("H-BXA", AFTER)
    assert str(info.value) == (
        "Đơn vị 'H-BXA' (Huyện Bát Xát) không có hiệu lực ngày 2025-07-01 (hiệu lực 1991-10-01–2025-06-30) "
        "và không có đơn vị kế thừa / unit is not valid on 2025-07-01 and has no successor by then"
    )
    assert registry.resolve("H-BXA", dt.date(2024, 12, 31)).unit_type == "district"
    with pytest.raises(
        UnitError, match="được chia cho nhiều đơn vị từ 2025-07-01: X-LCA-2025-31, X-LCA-2025-32"
    ):
        registry.resolve("X-VYE-03", AFTER)
    assert registry.resolve("X-VYE-03", BEFORE).name_vi == "Xã An Thịnh"


def test_a_unit_resolved_before_it_existed_is_refused(registry):
    with pytest.raises(UnitError, match="không có hiệu lực ngày 2025-06-01"):
        registry.resolve("X-LCA-2025-07", dt.date(2025, 6, 1))


def test_records_under_an_old_code_belong_to_the_successor_responsible_on_the_day(registry):
    assert registry.owner("X-BXA-01", AFTER) == "X-LCA-2025-07"  # two mergers, 2020 and 2025
    assert registry.owner("S-TTTT-LCA", dt.date(2026, 1, 6)) == "S-KHCN-LCA-2025"
    # a merger not yet in effect on the day is not followed
    assert registry.owner("X-BXA-02", BEFORE) == "X-BXA-02"
    assert registry.owner("X-BXA-01", BEFORE) == "X-BXA-02"
    assert registry.owner("S-TTTT-LCA", dt.date(2025, 2, 28)) == "S-TTTT-LCA"
    assert registry.owner("S-TTTT-LCA", dt.date(2025, 3, 1)) == "S-KHCN-LCA"
    # a current unit, a district abolished without successor, a code the registry does not know: as written
    assert registry.owner("X-LCA-2025-31", AFTER) == "X-LCA-2025-31"
    assert registry.owner("H-BXA", AFTER) == "H-BXA"
    assert registry.owner(" x-lca-2025-31", AFTER) == " x-lca-2025-31"


def test_a_split_unit_is_not_guessed(registry):
    with pytest.raises(SplitUnitError) as info:
        registry.owner("X-VYE-03", AFTER)
    assert info.value.successors == ["X-LCA-2025-31", "X-LCA-2025-32"]
    assert isinstance(info.value, UnitError)  # callers that catch UnitError still do
    assert registry.owner("X-VYE-03", BEFORE) == "X-VYE-03"  # before the split it is itself


def test_a_unit_reads_its_predecessors_records_once_their_merger_is_in_effect(registry):
    codes = registry.record_codes(AFTER)
    assert codes["X-LCA-2025-07"] == ["X-BXA-01", "X-BXA-02", "X-BXA-03", "X-LCA-2025-07"]
    assert codes["P-LCA-2025"] == ["P-LCA", "P-LCA-2025", "P-YBA"]
    # a split unit's records are read with each successor's, and kept under its own code (owner)
    assert codes["X-LCA-2025-31"] == ["X-LCA-2025-31", "X-VYE-01", "X-VYE-03"]
    assert codes["X-LCA-2025-32"] == ["X-LCA-2025-32", "X-VYE-02", "X-VYE-03"]
    before = registry.record_codes(BEFORE)
    assert before["X-BXA-02"] == ["X-BXA-01", "X-BXA-02"] and "X-LCA-2025-07" not in before
    assert before["S-KHCN-LCA"] == ["S-KHCN-LCA", "S-TTTT-LCA"]


def test_a_period_assesses_the_units_valid_when_its_data_window_closes(registry):
    year_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    codes = {u.code for u in assessed_units(registry, year_2025)}
    assert {"X-LCA-2025-07", "X-LCA-2025-31", "S-KHCN-LCA-2025", "P-LCA-2025"} <= codes  # new on 1 July
    assert not {"X-BXA-02", "X-VYE-03", "H-BXA", "S-KHCN-LCA", "P-YBA"} & codes  # merged, split, abolished
    assert [u.code for u in assessed_units(registry, year_2025, "province")] == ["P-LCA-2025", "P-TQU-2025"]
    round_1 = (dt.date(2025, 1, 1), dt.date(2025, 5, 31))
    assert registry.is_assessed("S-KHCN-LCA", round_1) and registry.is_assessed("H-BXA", round_1)
    assert not registry.is_assessed("S-TTTT-LCA", round_1)  # merged into S-KHCN-LCA on 1 March
    assert not registry.is_assessed("X-LCA-2025-07", round_1)  # does not exist yet
    year_2024 = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert registry.is_assessed("X-BXA-02", year_2024) and not registry.is_assessed("X-BXA-01", year_2024)


def test_names_are_nfc(registry):
    assert all(unicodedata.is_normalized("NFC", u.name_vi) for u in registry.units)


def _u(code, start="2000-01-01", end=None, **kw):
    return Unit(
        code=code,
        name_vi=code,
        unit_type=kw.pop("unit_type", "commune"),
        province_code="P",
        valid_from=dt.date.fromisoformat(start),
        valid_to=dt.date.fromisoformat(end) if end else None,
        **kw,
    )


def test_inconsistent_registries_are_rejected_with_every_problem():
    units = [
        _u("A", end="2025-06-30"),
        _u("B", start="2025-07-01"),
        _u("C"),
        _u("C"),
        _u("D", parent_code="Q"),
    ]
    links = [
        UnitLink("A", "B", dt.date(2025, 7, 1)),
        UnitLink("A", "Z", dt.date(2025, 7, 1)),
        UnitLink("C", "B", dt.date(2025, 7, 1)),
    ]
    with pytest.raises(RegistryError) as info:
        UnitRegistry(units, links, source="test")
    assert info.value.problems == [
        ("units[3] (C).code", "C", "mã đơn vị bị trùng / duplicate unit code"),
        (
            "units[4] (D).parent_code",
            "Q",
            "đơn vị cấp trên không có trong danh mục / parent unit not in the registry",
        ),
        ("links[1] (A → Z).successor", "Z", "mã đơn vị không có trong danh mục / unknown unit code"),
        (
            "links[2] (C → B).effective",
            "2025-07-01",
            "đơn vị cũ C vẫn còn hiệu lực ngày này; đặt valid_to trước ngày sáp nhập / the predecessor is still valid "
            "on the effective date; end it the day before",
        ),
    ]


def test_links_must_follow_the_validity_dates():
    units = [_u("A", end="2020-12-31"), _u("B", start="2021-01-01", end="2021-12-31")]
    # B → A would send B's records back to a unit that no longer exists (and make lookups loop)
    links = [UnitLink("A", "B", dt.date(2021, 1, 1)), UnitLink("B", "A", dt.date(2022, 1, 1))]
    with pytest.raises(RegistryError) as info:
        UnitRegistry(units, links)
    assert info.value.problems == [
        (
            "links[1] (B → A).effective",
            "2022-01-01",
            "đơn vị kế thừa A chưa/không còn hiệu lực ngày này (hiệu lực 2000-01-01–2020-12-31) "
            "/ the successor is not valid on the effective date",
        ),
    ]
    late = [_u("A", start="2030-01-01"), _u("B", start="2021-01-01")]
    with pytest.raises(RegistryError, match="đơn vị cũ A chỉ có hiệu lực từ 2030-01-01"):
        UnitRegistry(late, [UnitLink("A", "B", dt.date(2021, 1, 1))])


def test_csv_registry_with_links_and_vietnamese_dates(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "code,name_vi,unit_type,province_code,valid_from,valid_to,parent_code,framework_id,successor_code,effective,reason\n"
        "X1,Xã Một,commune,P,01/01/2000,30/06/2025,,,X9,01/07/2025,Sáp nhập\n"
        "X2,Xã Hai,commune,P,2000-01-01,2025-06-30,,,X9,2025-07-01,Sáp nhập\n"
        "X9,Xã Chín,commune,P,2025-07-01,,,default-commune-2025,,,\n",
        encoding="utf-8-sig",
    )
    reg = load_registry_file(path)
    assert reg.resolve("X1", AFTER).code == "X9"
    assert reg.get("X9").framework_id == "default-commune-2025"
    assert [(lk.predecessor, lk.successor, lk.reason) for lk in reg.links] == [
        ("X1", "X9", "Sáp nhập"),
        ("X2", "X9", "Sáp nhập"),
    ]


def test_csv_errors_name_row_column_value_and_expectation(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name_vi,unit_type,province_code,valid_from,successor_code,effective\n"
        "X1,Xã Một,commune,P,31-12-2000,,\n"
        "X2,,commune,P,2000-01-01,X1,\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as info:
        load_registry_file(path)
    assert info.value.problems == [
        (
            "dòng / row 2.valid_from",
            "31-12-2000",
            "cần ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY / expected a date YYYY-MM-DD or DD/MM/YYYY",
        ),
        ("dòng / row 3.name_vi", None, "thiếu trường bắt buộc / required field is missing"),
        ("dòng / row 3.effective", None, "thiếu ngày hiệu lực / effective date is missing"),
    ]
    assert str(info.value).startswith(
        f"Danh mục đơn vị không hợp lệ / invalid unit registry: {path} (3 lỗi / problems)"
    )
    missing = tmp_path / "nohead.csv"
    missing.write_text("code,name\nX1,Xã\n", encoding="utf-8")
    with pytest.raises(
        RegistryError, match="thiếu cột / missing columns: name_vi, unit_type, province_code, valid_from"
    ):
        load_registry_file(missing)


def test_warehouse_round_trip_is_idempotent(warehouse, registry):
    with session_scope(warehouse) as session:
        first = save_registry(session, registry)
    assert first == {"units_inserted": len(registry), "units_updated": 0, "links_added": len(registry.links)}
    with session_scope(warehouse) as session:
        again = save_registry(session, registry)
        loaded = load_registry(session)
    assert again == {"units_inserted": 0, "units_updated": 0, "links_added": 0}
    assert loaded.units == registry.units
    assert loaded.links == registry.links
    assert loaded.resolve("X-BXA-01", AFTER).code == "X-LCA-2025-07"


@pytest.mark.postgres
def test_postgres_round_trip(pg_warehouse, registry):
    with session_scope(pg_warehouse) as session:
        save_registry(session, registry)
    with session_scope(pg_warehouse) as session:
        loaded = load_registry(session)
    assert loaded.units == registry.units and loaded.links == registry.links
    assert loaded.resolve("P-YBA", AFTER).name_vi == "Tỉnh Lào Cai"
