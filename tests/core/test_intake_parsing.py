"""Vietnamese number and date habits, encodings and document citations, as intake reads them."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from dti.intake.citations import parse_citations
from dti.intake.parsing import ValueProblem, decode_bytes, parse_date, parse_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("85,5", "85.5"),
        ("85,5%", "0.855"),
        ("1.234,5", "1234.5"),
        ("1.234", "1234"),
        ("1.234.567", "1234567"),
        ("0.855", "0.855"),
        ("1,234.5", "1234.5"),
        (" 12 ", "12"),
        ("-3,25", "-3.25"),
        ("100%", "1"),
        (7.04, "7.04"),
        (3, "3"),
    ],
)
def test_numbers_written_the_vietnamese_way(raw, expected):
    assert parse_number(raw) == Decimal(expected)


def test_declared_decimal_point_reads_dots_as_decimals():
    assert parse_number("19.500", decimal=".") == Decimal("19.5")
    assert parse_number("19.500", decimal=",") == Decimal("19500")


@pytest.mark.parametrize("raw", ["abc", "12a", "--", "%"])
def test_non_numbers_are_refused_with_an_example(raw):
    with pytest.raises(ValueProblem) as exc:
        parse_number(raw)
    assert exc.value.code == "not_a_number"
    assert exc.value.message_vi == "cần một số (ví dụ hợp lệ: 85,5 hoặc 85,5% hoặc 1.234,5)"


def test_several_decimal_commas_are_refused():
    with pytest.raises(ValueProblem) as exc:
        parse_number("1,2,3")
    assert exc.value.message_en == "a number is expected; it has several decimal commas"


def test_percent_refused_where_only_plain_numbers_make_sense():
    with pytest.raises(ValueProblem) as exc:
        parse_number("85,5%", allow_percent=False)
    assert exc.value.code == "percent_not_allowed"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/08/2025", dt.date(2025, 8, 5)),
        ("5/8/2025", dt.date(2025, 8, 5)),
        ("12-3-2026", dt.date(2026, 3, 12)),
        ("12.03.2026", dt.date(2026, 3, 12)),
        ("2026-03-12", dt.date(2026, 3, 12)),
        ("ngày 12 tháng 3 năm 2026", dt.date(2026, 3, 12)),
        (dt.datetime(2026, 3, 12, 9, 0), dt.date(2026, 3, 12)),
    ],
)
def test_dates_day_first(raw, expected):
    assert parse_date(raw) == expected


def test_impossible_date_is_refused():
    with pytest.raises(ValueProblem) as exc:
        parse_date("31/02/2025")
    assert exc.value.message_en == "a valid date as day/month/year is expected, e.g. 05/08/2025"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffMã,Chỉ tiêu\n".encode(), "utf-8-sig"),
        ("Mã,Chỉ tiêu\n".encode("utf-16"), "utf-16"),
        ("Mã,Chỉ tiêu\n".encode(), "utf-8"),
    ],
)
def test_byte_order_marks_and_utf8(data, encoding):
    text, used = decode_bytes(data)
    assert used == encoding
    assert text.lstrip("\ufeff") == "Mã,Chỉ tiêu\n"


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base vowels precomposed (â, ư…), tone marks combining."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        mods = "".join(m for m in d[1:] if m in "\u0302\u0306\u031b")
        tones = "".join(m for m in d[1:] if m not in "\u0302\u0306\u031b")
        out.append((unicodedata.normalize("NFC", d[0] + mods) + tones).encode("cp1258"))
    return b"".join(out)


def test_windows_1258_export_is_detected_and_normalised():
    source = ("Mã chỉ số;Giá trị;Tài liệu kiểm chứng\n"
              "A1;Có;Quyết định thành lập Ban chỉ đạo chuyển đổi số, Kế hoạch số 45/KH-UBND ngày 12/3/2026\n") * 5
    text, used = decode_bytes(to_cp1258(source))
    assert used == "cp1258"
    assert unicodedata.normalize("NFC", text) == source


# --- citations, on strings taken from real appraisal sheets -------------------------------


def _c(text):
    return [(c.number, c.notation, c.issuer, c.doc_date) for c in parse_citations(text)]


def test_citation_dash_date():
    assert _c("*476/KH-UBND - 05/08/2025: Triển khai phong trào") == [
        ("476", "KH-UBND", "UBND", dt.date(2025, 8, 5))]


def test_citation_words_with_ngay():
    assert _c("Kế hoạch số 45/KH-UBND ngày 12/3/2026") == [("45", "KH-UBND", "UBND", dt.date(2026, 3, 12))]


def test_citation_with_stray_spaces():
    assert _c("*    1598   /GM-UBND - 10/10/2025: Tham dựtậphuấn") == [
        ("1598", "GM-UBND", "UBND", dt.date(2025, 10, 10))]
    assert _c("*466/QĐ- UBND - 14/08/2025: Thành lập tổ CNSCĐ") == [
        ("466", "QĐ-UBND", "UBND", dt.date(2025, 8, 14))]


def test_citation_official_letter_issuer_comes_first():
    assert _c("* 249/UBND-VHXH - 24/07/2025: \nV/v hướng dẫn") == [
        ("249", "UBND-VHXH", "UBND", dt.date(2025, 7, 24))]
    assert _c("*808/CAX - 05/06/2026: V/v báo cáo") == [("808", "CAX", "CAX", dt.date(2026, 6, 5))]


def test_several_citations_in_one_multiline_cell():
    text = ("*2750/KH-UBND - 18/12/2025: \nTổ chức Hội nghị tổng kết\n"
            "*249/UBND-VHXH - 24/07/2025: \nV/v hướng dẫn thực hiện")
    assert [c[0] for c in _c(text)] == ["2750", "249"]


def test_citation_without_date_and_with_year_segment():
    assert _c("thông qua KH 1039/KH-UBND. Địa phương") == [("1039", "KH-UBND", "UBND", None)]
    cites = parse_citations("Nghị định số 42/2022/NĐ-CP")
    assert (cites[0].number, cites[0].year, cites[0].notation, cites[0].issuer) == ("42", 2022, "NĐ-CP", "CP")


@pytest.mark.parametrize(
    "text",
    [
        "*04/03/2026 - 04/03/2026: V/v thông tin số liệu",
        "*01 - 31/12/2025: Bảng thống kê links :https://thongtinnguon.tayninh.gov.vn/",
        "Tỷ lệ doanh nghiệp công nghệ số/1000 dân",
        "",
        None,
    ],
)
def test_text_that_is_not_a_citation(text):
    assert parse_citations(text) == []


def test_lowercase_notation_with_hyphen_is_read_in_capitals():
    assert _c("theo kế hoạch 45/kh-ubnd ngày 12/3/2026") == [("45", "KH-UBND", "UBND", dt.date(2026, 3, 12))]
    assert _c("đạt 3/năm") == []
