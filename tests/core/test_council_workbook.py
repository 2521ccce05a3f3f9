"""council.xlsx as a council secretary prints and signs it, and the CSV/XLSX exports as Excel opens them."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dti.appraisal.claims import get_claim
from dti.appraisal.decisions import decide, review_pending
from dti.reports.context import gather
from dti.reports.excel import build_workbook, save_deterministic
from dti.reports.exports import ledger_csv, ledger_workbook, scores_csv, scores_workbook, write_csv
from dti.warehouse.db import session_scope
from tests.report_fixtures import big_context
from tests.review_fixtures import PERIOD, seed_review, user

HEADER = 7
DECISION_HEADERS = ["Quyết định của Hội đồng", "Người quyết định", "Thời điểm", "Lý do quyết định"]


@pytest.fixture
def world(warehouse):
    seed_review(warehouse)
    return warehouse


def _decide(url, username, unit, code, action, reason):
    with session_scope(url) as s:
        row = get_claim(s, PERIOD, unit, code)
        return decide(s, user(url, username), row, action, reason, row.version)


def _workbook(url, tmp_path):
    with session_scope(url) as s:
        path = save_deterministic(build_workbook(gather(s, PERIOD)), tmp_path / "council.xlsx")
    return load_workbook(path)


def _table(ws) -> list[dict]:
    titles = [c.value for c in ws[HEADER]]
    rows = []
    for values in ws.iter_rows(min_row=HEADER + 1, values_only=True):
        if values[0] is None or not str(values[0]).strip() or values[2] is None:
            break  # the signature block starts under the table
        rows.append(dict(zip(titles, values, strict=True)))
    return rows


def _cells(ws, title: str):
    col = [c.value for c in ws[HEADER]].index(title) + 1
    return [
        ws.cell(row=r, column=col)
        for r in range(HEADER + 1, ws.max_row + 1)
        if ws.cell(row=r, column=3).value is not None
    ]


def test_every_sheet_is_set_up_to_print_and_sign(world, tmp_path, monkeypatch):
    monkeypatch.setenv("DTI_PROVINCE_NAME", "Lào Cai")
    wb = _workbook(world, tmp_path)
    assert wb.sheetnames == [
        "Xếp hạng",
        "Chênh lệch cần xem xét",
        "Đã quyết định",
        "Tất cả chỉ số",
        "So với kỳ trước",
        "D01",
        "D02",
        "D03",
    ]
    for ws in wb.worksheets:
        assert ws["A1"].value == "ỦY BAN NHÂN DÂN TỈNH LÀO CAI"
        assert "Kỳ đánh giá: 2025-R3 (năm 2025, đợt 3) · Ngày lập: " in ws["A5"].value
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(
            ws.PAPERSIZE_A4
        )
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$7:$7" and ws.freeze_panes == "A8"
        texts = [c.value for row in ws.iter_rows(min_row=HEADER + 1) for c in row if isinstance(c.value, str)]
        assert {"NGƯỜI LẬP BIỂU", "THƯ KÝ HỘI ĐỒNG", "CHỦ TỊCH HỘI ĐỒNG"} <= set(texts)
        assert any(t.startswith("Lào Cai, ngày ") for t in texts)


def test_rates_are_percentages_and_points_have_two_decimals(world, tmp_path):
    ws = _workbook(world, tmp_path)["Tất cả chỉ số"]
    for title in ("Tự đánh giá", "Số liệu hệ thống", "Giá trị thẩm định", "Ngưỡng sai lệch"):
        assert {c.number_format for c in _cells(ws, title) if c.value is not None} == {
            "0.0%"
        }  # F5, F12: rates
    for title in ("Điểm tối đa", "Điểm tự chấm", "Điểm thẩm định"):
        assert {c.number_format for c in _cells(ws, title)} == {"#,##0.00"}
    ranking = _workbook(world, tmp_path)["Xếp hạng"]
    assert {c.number_format for c in _cells(ranking, "Điểm thẩm định")} == {"#,##0.00"}
    assert {c.number_format for c in _cells(ranking, "DTI thẩm định")} == {"0.0000"}


def test_numerator_and_denominator_columns_carry_the_records_counts(tmp_path):
    ctx = big_context(2)
    path = save_deterministic(build_workbook(ctx), tmp_path / "council.xlsx")
    ws = load_workbook(path)["Tất cả chỉ số"]
    rows = _table(ws)
    measured = [r for r in rows if r["Mẫu số (hệ thống)"] is not None]
    assert measured and all(r["Mẫu số (hệ thống)"] == 97 for r in measured)
    assert {c.number_format for c in _cells(ws, "Tử số (hệ thống)") if c.value is not None} == {"#,##0"}
    assert len(rows) == len(ctx.claims) == 80


def test_decided_claims_leave_the_queue_with_decision_who_when_why(world, tmp_path):
    _decide(world, "hoidong1", "D01", "F5", "keep_claim", "Đơn vị chứng minh được số liệu")
    _decide(world, "hoidong1", "D01", "F12", "keep_claim", "Có văn bản chứng minh")  # 10,5 points: four eyes
    wb = _workbook(world, tmp_path)
    queue = _table(wb["Chênh lệch cần xem xét"])
    assert [c.value for c in wb["Chênh lệch cần xem xét"][HEADER]][-4:] == DECISION_HEADERS
    assert ("D01", "F5") not in {(r["Mã đơn vị"], r["Mã chỉ số"]) for r in queue}
    waiting = next(r for r in queue if (r["Mã đơn vị"], r["Mã chỉ số"]) == ("D01", "F12"))
    assert waiting["Quyết định của Hội đồng"] == "Giữ giá trị tự đánh giá — chờ phê duyệt (bốn mắt)"
    untouched = next(r for r in queue if (r["Mã đơn vị"], r["Mã chỉ số"]) == ("D02", "F12"))
    assert untouched["Quyết định của Hội đồng"] is None  # blank, to be filled in at the meeting
    [decided] = _table(wb["Đã quyết định"])
    assert (decided["Mã đơn vị"], decided["Mã chỉ số"]) == ("D01", "F5")
    assert decided["Quyết định của Hội đồng"] == "Giữ giá trị tự đánh giá"
    assert decided["Người quyết định"] == "hoidong1"
    assert decided["Lý do quyết định"] == "Đơn vị chứng minh được số liệu"
    assert decided["Thời điểm"] is not None
    assert _cells(wb["Đã quyết định"], "Thời điểm")[0].number_format == "dd/mm/yyyy hh:mm"


def test_an_approved_decision_names_both_members(world, tmp_path):
    proposal = _decide(world, "hoidong1", "D01", "F12", "keep_claim", "Có văn bản chứng minh")
    with session_scope(world) as s:
        row = get_claim(s, PERIOD, "D01", "F12")
        review_pending(s, user(world, "hoidong2"), proposal.decision.id, True, "Đồng ý", row.version)
    [decided] = _table(_workbook(world, tmp_path)["Đã quyết định"])
    assert decided["Người quyết định"] == "hoidong1; phê duyệt: hoidong2"
    assert decided["Quyết định của Hội đồng"] == "Giữ giá trị tự đánh giá"
    assert decided["Lý do quyết định"] == "Có văn bản chứng minh — Đồng ý"


def test_the_same_inputs_give_the_same_bytes(world, tmp_path):
    with session_scope(world) as s:
        ctx = gather(s, PERIOD)
    a = save_deterministic(build_workbook(ctx), tmp_path / "a.xlsx").read_bytes()
    b = save_deterministic(build_workbook(ctx), tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_the_export_workbooks_are_the_same_bytes_a_second_later(tmp_path):
    ctx = big_context(1)
    first = save_deterministic(ledger_workbook(ctx.claims), tmp_path / "a.xlsx").read_bytes()
    time.sleep(1.1)  # openpyxl stamps the creation time to the second
    assert save_deterministic(ledger_workbook(ctx.claims), tmp_path / "b.xlsx").read_bytes() == first


def test_csvs_start_with_a_bom_and_the_xlsx_hold_the_same_data(tmp_path):
    ctx = big_context(2)
    for name, text, workbook in (
        ("claim_ledger", ledger_csv(ctx.claims), ledger_workbook(ctx.claims)),
        ("verified_scores", scores_csv(ctx.scores), scores_workbook(ctx.scores)),
    ):
        raw = write_csv(tmp_path / f"{name}.csv", text).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and raw[3:].decode("utf-8") == text
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        ws = load_workbook(save_deterministic(workbook, tmp_path / f"{name}.xlsx"))[name]
        header = [c.value for c in ws[1]]
        assert header == list(rows[0])
        sheet = [
            dict(zip(header, values, strict=True)) for values in ws.iter_rows(min_row=2, values_only=True)
        ]
        assert len(sheet) == len(rows)
        for csv_row, xlsx_row in zip(rows, sheet, strict=True):
            for column, text_value in csv_row.items():
                got = xlsx_row[column]
                if isinstance(got, bool):  # an Excel TRUE/FALSE cell for the CSV's true/false
                    assert text_value == ("true" if got else "false"), (column, text_value, got)
                elif isinstance(got, (int, float)):
                    assert Decimal(text_value) == Decimal(str(got)), (column, text_value, got)
                else:
                    assert (text_value or None) == (str(got) if got is not None else None), (
                        column,
                        text_value,
                    )
