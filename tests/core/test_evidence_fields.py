"""What a document says about itself, read from its text as a PDF or a scan gives it: number and
notation, place and date, type, issuer, subject and signer, each with the span it was read from."""

from __future__ import annotations

import pytest

from dti.evidence.fields import read_fields

LETTER = """UBND TỈNH LÀO CAI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ Y TẾ Độc lập - Tự do - Hạnh phúc
Số: 210/UBND-VX Lào Cai, ngày 05 tháng 3 năm 2025
V/v triển khai chữ ký số cho cán bộ
Kính gửi: Các phòng chuyên môn
Căn cứ Kế hoạch số 45/KH-UBND ngày 12/3/2024 của UBND tỉnh;
Nơi nhận: KT. GIÁM ĐỐC
- Như trên; PHÓ GIÁM ĐỐC
- Lưu: VT.
Vàng Seo Sử"""

REPORT = """BỘ KHOA HỌC VÀ CÔNG NGHỆ
Số: 95418/BC-S
Hà Nội, ngày 2/5/2025
BÁO CÁO
Tình hình triển khai chuyển đổi số
quý I năm 2025
I. KẾT QUẢ
Trong quý, ngày 10 tháng 4 năm 2025 đã tổ chức hội nghị.
BỘ TRƯỞNG
Nguyễn Mạnh Hùng"""


def test_a_letter_without_a_type_is_an_official_letter_with_its_subject_after_v_v():
    f = read_fields(LETTER)
    assert f.number.value == "210/UBND-VX" and f.number_parts["issuer"] == "UBND"
    assert f.date.value == "2025-03-05" and f.place == "Lào Cai"
    assert f.date.source == "Lào Cai, ngày 05 tháng 3 năm 2025"
    assert f.doc_type.value == "Công văn" and f.doc_type.how == "notation"
    assert f.subject.value == "triển khai chữ ký số cho cán bộ"
    assert f.issuer.value == "UBND TỈNH LÀO CAI SỞ Y TẾ"  # the national motto is not the issuer
    assert (f.signer.value, f.signer_title) == ("Vàng Seo Sử", "PHÓ GIÁM ĐỐC")


def test_numeric_dates_types_in_capitals_and_subjects_on_two_lines():
    f = read_fields(REPORT)
    assert f.number.value == "95418/BC-S" and f.number_parts == {"number": "95418", "notation": "BC-S",
                                                                  "issuer": "S", "year": None}
    assert f.date.value == "2025-05-02" and f.place == "Hà Nội"
    assert f.doc_type.value == "Báo cáo" and f.doc_type.how == "text"
    assert f.subject.value == "Tình hình triển khai chuyển đổi số quý I năm 2025"
    assert f.signer.value == "Nguyễn Mạnh Hùng" and f.signer_title is None
    for found in (f.number, f.date, f.doc_type, f.subject, f.signer):
        assert REPORT[found.start:found.end] == found.source


@pytest.mark.parametrize("line, number, notation, year", [
    ("Số: 123/QĐ-UBND", "123", "QĐ-UBND", None),
    ("Số: 12/2025/QĐ-UBND", "12", "QĐ-UBND", 2025),
    ("Số:45/KH-UBND", "45", "KH-UBND", None),
    ("Sô: 7/TB-SXD", "7", "TB-SXD", None),  # a scan that lost the accent of Số
    ("Số: 1234 / KH - UBND", "1234", "KH-UBND", None),
])
def test_number_and_notation_as_written(line, number, notation, year):
    f = read_fields(f"UBND TỈNH LÀO CAI\n{line}\nLào Cai, ngày 01 tháng 02 năm 2025\nKẾ HOẠCH\nAbc")
    assert (f.number_parts["number"], f.number_parts["notation"], f.number_parts["year"]) == (number, notation, year)


def test_nothing_is_guessed_when_the_text_does_not_say():
    f = read_fields("Danh sách cán bộ tập huấn\nNguyễn Văn An\t12/5/2025")
    assert f.number is None and f.date is None and f.doc_type is None
    assert f.to_dict()["number"] is None


def test_fields_survive_the_cache_as_json():
    from dti.evidence.fields import DocumentFields

    f = read_fields(REPORT)
    assert DocumentFields.from_dict(f.to_dict()) == f
