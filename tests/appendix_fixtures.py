"""Appendix workbooks shaped like the ones provinces publish with their decision, built with openpyxl:
a title block with merged cells, the five-column header, a numbered sub-header, Roman pillars, numbered
indices and lettered criteria, one sheet per unit type with the scale in the sheet's title."""

from __future__ import annotations

import openpyxl

HEADER = ["STT", "Chỉ số / Tiêu chí", "Điểm tối đa", "Phương thức đánh giá / Cách tính điểm", "Tài liệu kiểm chứng"]

DEPT_ROWS = [
    ["I", "CHÍNH QUYỀN SỐ", 60, None, None],
    ["1", "Nhận thức số", 20, None, None],
    ["1.1", "Ban hành kế hoạch chuyển đổi số năm", 10, "Có kế hoạch: 10 điểm; không có: 0 điểm", "Kế hoạch"],
    ["1.2", "Tổ chức tuyên truyền về chuyển đổi số", 10, None, None],
    ["a)", "Tuyên truyền trên cổng thông tin điện tử", 5, "Mỗi tin bài được 1 điểm, tối đa 5 điểm",
     "Đường dẫn tin bài"],
    ["b)", "Tổ chức hội nghị chuyên đề", 5, "Có: 5 điểm; không: 0 điểm", None],
    ["2", "Dịch vụ công trực tuyến", 40, None, None],
    ["2.1", "Tỷ lệ hồ sơ nộp trực tuyến trên tổng số hồ sơ tiếp nhận", 20, "Điểm = tỷ lệ × 20",
     "Số liệu Hệ thống giải quyết TTHC"],
    ["2.2", "Tỷ lệ hồ sơ giải quyết đúng hạn", 20, "Đạt từ 90% trở lên: 20 điểm; dưới 90%: 0 điểm", None],
    ["II", "AN TOÀN THÔNG TIN", 40, None, None],
    ["3", "Bảo đảm an toàn thông tin mạng", 40, None, None],
    ["3.1", "Sự cố mất an toàn thông tin", 20, "Mỗi sự cố bị trừ 5 điểm", "Báo cáo sự cố"],
    ["3.2", "Sao lưu và khôi phục dữ liệu", 20, None, None],
    ["3.2.1", "Sao lưu dữ liệu định kỳ", 10, "Có: 10 điểm", "Nhật ký sao lưu"],
    ["3.2.2", "Diễn tập khôi phục dữ liệu", 10, "Có: 10 điểm", None],
]
# communes: no 2.2 (no appointments system of their own), main index 2 and pillar I weigh less
COMMUNE_ROWS = [r if r[0] not in ("I", "2") else [r[0], r[1], r[2] - 20, None, None]
                for r in DEPT_ROWS if r[0] != "2.2"]


def sheet(wb, title, rows, decision="Quyết định số 3019/QĐ-UBND ngày 28/11/2023 của UBND tỉnh Thử Nghiệm"):
    ws = wb.create_sheet(title)
    ws.append(["PHỤ LỤC"])
    ws.merge_cells("A1:E1")
    ws.append(["BỘ CHỈ SỐ ĐÁNH GIÁ CHUYỂN ĐỔI SỐ TỈNH THỬ NGHIỆM"])
    ws.merge_cells("A2:E2")
    ws.append([f"(Kèm theo {decision})"])
    ws.merge_cells("A3:E3")
    ws.append([])
    ws.append(HEADER)
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)"])
    first = ws.max_row + 1
    for row in rows:
        ws.append(row)
    # the evidence cell of 1.2 a) is merged down over b), as appendices do
    for r in range(first, ws.max_row + 1):
        if ws.cell(r, 1).value == "a)":
            ws.merge_cells(start_row=r, start_column=5, end_row=r + 1, end_column=5)
    return ws


def appendix(path, sheets=None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in (sheets or [("Sở có TTHC (100 điểm)", DEPT_ROWS), ("Cấp xã (80 điểm)", COMMUNE_ROWS)]):
        sheet(wb, title, rows)
    wb.save(path)
    return path
