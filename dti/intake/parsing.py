"""Reading values the way Vietnamese officers write them: `85,5`, `85,5%`, `1.234,5`, `dd/mm/yyyy`,
and decoding CSV bytes whatever their encoding or byte-order mark."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from charset_normalizer import from_bytes

from dti.text import clean


class ValueProblem(ValueError):
    """A cell that cannot be read. `code` is machine-readable; messages are Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


_NUMBER_CHARS = re.compile(r"^[+-]?[\d.,]+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3}){2,}$")


def parse_number(raw, *, decimal: str = "auto", allow_percent: bool = True) -> Decimal | None:
    """A cell as a Decimal. `decimal` is the decimal mark: "," (Vietnamese), "." or "auto".

    A trailing % divides by 100 (rates are kept as fractions). In "auto" mode a number with both
    marks takes the last one as the decimal mark; a lone comma is decimal (85,5); dots in groups
    of three are thousands (1.234 = 1234), as Vietnamese spreadsheets write them.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        return Decimal(int(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        # repr gives the shortest round-tripping form, so 0.1 stays 0.1 and not 0.1000000000000000055
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        return raw
    text = clean(str(raw))
    if text is None:
        return None
    text = text.replace(" ", "").replace("\u2212", "-")
    percent = text.endswith("%")
    if percent:
        if not allow_percent:
            raise ValueProblem("percent_not_allowed", "cột này cần một số, không ghi dạng phần trăm (ví dụ 12)",
                               "this column needs a plain number, not a percentage (e.g. 12)")
        text = text[:-1]
    if not _NUMBER_CHARS.match(text) or not any(ch.isdigit() for ch in text):
        raise ValueProblem(
            "not_a_number",
            "cần một số (ví dụ hợp lệ: 85,5 hoặc 85,5% hoặc 1.234,5)",
            "a number is expected (valid examples: 85,5 or 85,5% or 1.234,5)",
        )
    sign = ""
    if text[0] in "+-":
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    text = _normalise_marks(text, decimal, raw)
    try:
        value = Decimal(sign + text)
    except InvalidOperation:
        raise ValueProblem("not_a_number", "cần một số", "a number is expected") from None
    return value / 100 if percent else value


def _normalise_marks(text: str, decimal: str, raw) -> str:
    has_dot, has_comma = "." in text, "," in text
    if decimal == ",":
        return text.replace(".", "").replace(",", ".")
    if decimal == ".":
        return text.replace(",", "")
    if has_dot and has_comma:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if has_comma:
        if _THOUSANDS_COMMA.match(text):
            return text.replace(",", "")
        if text.count(",") > 1:
            raise ValueProblem("not_a_number", "cần một số; có nhiều dấu phẩy thập phân",
                               "a number is expected; it has several decimal commas")
        return text.replace(",", ".")
    if has_dot:
        if _THOUSANDS_DOT.match(text) and not text.startswith("0"):
            return text.replace(".", "")
        if text.count(".") > 1:
            raise ValueProblem("not_a_number", "cần một số; có nhiều dấu chấm thập phân",
                               "a number is expected; it has several decimal points")
    return text


_DATE_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_WORDS = re.compile(r"^(?:ngày\s*)?(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})$", re.IGNORECASE)


def parse_date(raw) -> dt.date | None:
    """A cell as a date: dd/mm/yyyy (also with - or .), yyyy-mm-dd, `ngày 12 tháng 3 năm 2026`."""
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = clean(str(raw))
    if text is None:
        return None
    for pattern, order in ((_DATE_DMY, "dmy"), (_DATE_ISO, "ymd"), (_DATE_WORDS, "dmy")):
        m = pattern.match(text)
        if m:
            a, b, c = (int(x) for x in m.groups())
            day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise ValueProblem(
        "not_a_date",
        "cần một ngày hợp lệ dạng ngày/tháng/năm, ví dụ 05/08/2025",
        "a valid date as day/month/year is expected, e.g. 05/08/2025",
    )


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: the BOM if any, else strict UTF-8, else charset detection.

    Windows-1258 and TCVN-era exports still arrive from older systems, hence the detector.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ValueProblem(
            "unreadable_encoding",
            "không nhận diện được bảng mã ký tự của tệp (hãy lưu tệp dạng CSV UTF-8)",
            "cannot detect the file's character encoding (save it as CSV UTF-8)",
        )
    return str(best), best.encoding
