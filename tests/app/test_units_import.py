"""`dti units import`: a province's own unit list, checked row by row, with merger lineage and history."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import openpyxl
import pytest
from sqlalchemy import select

from application.cli import main
from dti.units import SplitUnitError, load_registry
from dti.units.store import unit_history
from dti.warehouse import Warehouse
from dti.warehouse.models import IntakeFile, QuarantineRow

JULY = dt.date(2025, 7, 1)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _registry(url):
    with Warehouse(url).session() as s:
        return load_registry(s)


def test_bundled_34_provinces_with_their_2025_lineage(warehouse, capsys):
    code, out, err = run(capsys, "units", "import", "provinces-2025", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"] == {"accepted": 63, "rejected": 0, "links": 29, "splits": 0}
    reg = _registry(warehouse)
    current = reg.current_units(JULY, "province")
    assert len(current) == 34
    assert len(reg.current_units(dt.date(2025, 6, 30), "province")) == 63
    # Hà Giang's records belong to Tuyên Quang from 1/7/2025; Hà Nam and Nam Định's to Ninh Bình
    assert reg.resolve("02", JULY).name_vi == "Tuyên Quang"
    assert {lk.predecessor for lk in reg.predecessors("37")} == {"35", "36"}
    assert reg.resolve("74", JULY).name_vi == "Thành phố Hồ Chí Minh"
    # a second import changes nothing
    code, out, _ = run(capsys, "units", "import", "provinces-2025", "--json")
    assert json.loads(out)["stored"] == {"units_inserted": 0, "units_updated": 0, "links_added": 0,
                                         "revisions_kept": 0}


def _workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh mục"
    ws.append(["DANH MỤC XÃ, PHƯỜNG TỈNH THỬ NGHIỆM"])
    ws.merge_cells("A1:H1")
    ws.append(["(Kèm theo Quyết định số 12/QĐ-UBND)"])
    ws.append([])
    ws.append(["Mã định danh", "Tên đơn vị", "Loại đơn vị", "Mã tỉnh", "Hiệu lực từ", "Hiệu lực đến",
               "Đơn vị tiền thân", "Ngày sáp nhập"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


GOOD = [
    ["X01", "Xã An Bình", "Xã", "99", "01/01/2020", "30/06/2025", None, None],
    ["X02", "Xã An Hòa", "Xã", "99", "01/01/2020", "30/06/2025", None, None],
    ["X03", "Xã Đông Sơn", "Xã", "99", "01/01/2020", "30/06/2025", None, None],
    ["X10", "Xã An Thịnh", "Xã", "99", "01/07/2025", None, "X01; X02", "01/07/2025"],
    ["X11", "Phường Đông", "Phường", "99", "01/07/2025", None, "X03", "01/07/2025"],
    ["X12", "Phường Tây", "Phường", "99", "01/07/2025", None, "X03:2025-07-01", None],
]
BAD = [
    ["X02", "Xã An Hòa (trùng)", "Xã", "99", "01/01/2020", None, None, None],     # duplicate code (row 6 too)
    ["X20", "Xã Lạ", "Thôn", "99", "01/01/2020", None, None, None],              # unknown type
    ["X21", "Xã Ngược", "Xã", "99", "01/07/2025", "01/01/2025", None, None],     # dates reversed
    ["X22", "Xã Mồ Côi", "Xã", "99", "01/07/2025", None, "Z99", "01/07/2025"],   # unknown predecessor
]


def test_xlsx_under_a_title_block_rows_checked_one_by_one(warehouse, capsys, tmp_path):
    path = _workbook(tmp_path / "don-vi.xlsx", GOOD + BAD)
    code, out, err = run(capsys, "units", "import", str(path), "--json")
    assert code == 2  # some rows were rejected: said by the exit code, the rest stored
    data = json.loads(out)
    rejected = {r["row"]: r for r in data["rejected"]}
    # header on row 4; data from row 5: X02 on row 6 and again on row 11
    assert sorted(rejected) == [6, 8, 11, 12, 13, 14]
    assert rejected[11]["reasons"][0]["field"] == "code" and "trùng" in rejected[11]["reasons"][0]["expected"]
    assert "duplicate" in rejected[6]["reasons"][0]["expected"]
    assert rejected[12]["reasons"][0]["field"] == "unit_type" and rejected[12]["reasons"][0]["value"] == "Thôn"
    assert rejected[13]["reasons"][0]["field"] == "valid_to" and "reversed" in rejected[13]["reasons"][0]["expected"]
    assert rejected[14]["reasons"][0] == {
        "field": "predecessors", "value": "Z99",
        "expected": rejected[14]["reasons"][0]["expected"]}
    assert "unknown predecessor" in rejected[14]["reasons"][0]["expected"]
    # X10 merged X01 and X02; X02's row was rejected (duplicate), so X10's link to it is unknown too
    assert 8 in rejected and rejected[8]["values"]["code"] == "X10"
    accepted = {u["code"] for u in data["accepted"]}
    assert accepted == {"X01", "X03", "X11", "X12"}
    # X03 split between X11 and X12: recorded, flagged for manual mapping, not guessed
    assert data["splits"] == [{"predecessor": "X03", "effective": "2025-07-01", "successors": ["X11", "X12"],
                               "manual_mapping": True, "note": data["splits"][0]["note"]}]
    # nothing lost: the file and each rejected row with its reasons are kept
    with Warehouse(warehouse).session() as s:
        kept = s.scalars(select(QuarantineRow).order_by(QuarantineRow.row_number)).all()
        assert [q.row_number for q in kept] == [6, 8, 11, 12, 13, 14]
        assert kept[-1].raw["predecessors"] == "Z99"
        assert s.scalars(select(IntakeFile)).one().status == "partial"
    reg = _registry(warehouse)
    with pytest.raises(SplitUnitError) as split:
        reg.resolve("X03", JULY)
    assert split.value.successors == ["X11", "X12"]


def test_text_output_names_row_field_and_expectation(warehouse, capsys, tmp_path):
    path = _workbook(tmp_path / "don-vi.xlsx", GOOD[:1] + [BAD[1]])
    code, out, _ = run(capsys, "units", "import", str(path))
    assert code == 2
    assert "dòng / row Danh mục!6, cột / field unit_type: 'Thôn' — loại đơn vị không có trong danh mục" in out


TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Text as a Vietnamese Windows export writes it: base letters (â, ơ, đ…) then a combining tone mark."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tone = "".join(c for c in parts if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES)) + tone)
    return "".join(out).encode("cp1258")


def test_windows_1258_csv_and_reimport_keeps_history(warehouse, capsys, tmp_path):
    text = ("Mã,Tên đơn vị,Loại,Mã tỉnh,Hiệu lực từ\n"
            "S01,Sở Tài chính,Sở có TTHC,99,01/01/2020\n"
            "S02,Văn phòng Đoàn ĐBQH và HĐND,Sở không có TTHC,99,01/01/2020\n")
    path = tmp_path / "so.csv"
    path.write_bytes(_cp1258(text))
    code, out, err = run(capsys, "units", "import", str(path), "--json")
    assert code == 0, err
    names = {u["code"]: u["name_vi"] for u in json.loads(out)["accepted"]}
    assert names["S01"] == "Sở Tài chính" and names["S02"].startswith("Văn phòng Đoàn")
    assert {u["unit_type"] for u in json.loads(out)["accepted"]} == {"dept_tthc", "dept_no_tthc"}

    path.write_text(text.replace("Sở Tài chính", "Sở Tài chính tỉnh"), encoding="utf-8")
    code, out, _ = run(capsys, "units", "import", str(path), "--json")
    assert code == 0
    assert json.loads(out)["stored"]["units_updated"] == 1
    with Warehouse(warehouse).session() as s:
        history = unit_history(s, "S01")
        assert [h.name_vi for h in history] == ["Sở Tài chính"]
    assert _registry(warehouse).get("S01").name_vi == "Sở Tài chính tỉnh"


def test_no_header_row_is_a_clear_error(warehouse, capsys, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = run(capsys, "units", "import", str(path))
    assert code == 2
    assert "không tìm thấy dòng tiêu đề" in err and "no header row" in err
