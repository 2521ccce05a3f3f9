"""Text out of DOCX, XLSX and ODT evidence, read through their XML inside the zip archive.

An archive is checked before anything is unpacked: member count, each member's declared size, the
declared total and the compression ratio; members are then read in chunks and the bytes actually
unpacked are counted against the same cap, so a zip bomb (or a header that lies about its size)
stops at the limit instead of filling memory. XML with a DOCTYPE is refused: Office files never
carry one, and entity tricks need it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree import ElementTree

MAX_MEMBERS = 5000
MAX_RATIO = 200  # unpacked ÷ packed for one member larger than RATIO_FLOOR
RATIO_FLOOR = 1 << 20
CHUNK = 1 << 16

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_SHEET = re.compile(r"^xl/worksheets/sheet(\d+)\.xml$")


class ArchiveError(ValueError):
    """The archive cannot be read within the limits; `too_large` says whether a limit was the cause."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


class _Budget:
    """Bytes still allowed to be unpacked from one archive."""

    def __init__(self, total: int):
        self.left = total


def _check_members(zf: zipfile.ZipFile, cap: int) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{len(infos)} members, over {MAX_MEMBERS}", too_large=True)
    declared = 0
    for info in infos:
        declared += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"member {info.filename!r} unpacks {info.file_size:,} bytes from "
                               f"{info.compress_size:,} (ratio over {MAX_RATIO})", too_large=True)
    if declared > cap:
        raise ArchiveError(f"members declare {declared:,} bytes unpacked, over the {cap:,}-byte limit",
                           too_large=True)


def _read(zf: zipfile.ZipFile, name: str, budget: _Budget) -> bytes:
    """One member, counting what is really unpacked (never trusting the declared size alone)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ArchiveError(f"member {name!r} is missing") from None
    if info.file_size > budget.left:
        raise ArchiveError(f"member {name!r} declares {info.file_size:,} bytes, over what is left of the "
                           "unpacked-size limit", too_large=True)
    out = io.BytesIO()
    with zf.open(info) as member:
        while chunk := member.read(CHUNK):
            budget.left -= len(chunk)
            if budget.left < 0:
                raise ArchiveError(f"member {name!r} unpacks beyond the unpacked-size limit", too_large=True)
            out.write(chunk)
    return out.getvalue()


def _xml(data: bytes, name: str) -> ElementTree.Element:
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise ArchiveError(f"{name}: XML with a DOCTYPE/ENTITY declaration is not accepted")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ArchiveError(f"{name}: malformed XML ({exc})") from None


def _docx_paragraph(p: ElementTree.Element) -> str:
    parts = []
    for el in p.iter():
        if el.tag == f"{W}t" and el.text:
            parts.append(el.text)
        elif el.tag == f"{W}tab":
            parts.append("\t")
        elif el.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)


def _docx(zf: zipfile.ZipFile, budget: _Budget) -> list[str]:
    root = _xml(_read(zf, "word/document.xml", budget), "word/document.xml")
    lines = []
    for block in root.iter():
        if block.tag == f"{W}p":
            lines.append(_docx_paragraph(block))
    return ["\n".join(lines)]


def _shared_strings(zf: zipfile.ZipFile, budget: _Budget) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    root = _xml(_read(zf, "xl/sharedStrings.xml", budget), "xl/sharedStrings.xml")
    return ["".join(t.text or "" for t in si.iter(f"{S}t")) for si in root.iter(f"{S}si")]


def _cell_text(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{S}t"))
    value = cell.find(f"{S}v")
    if value is None or value.text is None:
        return ""
    if kind == "s":
        try:
            return shared[int(value.text)]
        except (ValueError, IndexError):
            return ""
    return value.text


def _xlsx(zf: zipfile.ZipFile, budget: _Budget) -> list[str]:
    """One page per worksheet, one line per row, cells separated by tabs (formulas never evaluated)."""
    shared = _shared_strings(zf, budget)
    sheets = sorted((int(m.group(1)), n) for n in zf.namelist() if (m := _SHEET.match(n)))
    pages = []
    for _number, name in sheets:
        root = _xml(_read(zf, name, budget), name)
        rows = []
        for row in root.iter(f"{S}row"):
            cells = [_cell_text(c, shared) for c in row.iter(f"{S}c")]
            if any(cells):
                rows.append("\t".join(cells).rstrip("\t"))
        pages.append("\n".join(rows))
    return pages


def _odt_text(el: ElementTree.Element) -> str:
    parts = [el.text or ""]
    for child in el:
        if child.tag == f"{TEXT_NS}s":
            parts.append(" " * int(child.get(f"{TEXT_NS}c", "1")))
        elif child.tag == f"{TEXT_NS}tab":
            parts.append("\t")
        elif child.tag == f"{TEXT_NS}line-break":
            parts.append("\n")
        else:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt(zf: zipfile.ZipFile, budget: _Budget) -> list[str]:
    root = _xml(_read(zf, "content.xml", budget), "content.xml")
    lines = []
    for el in root.iter():
        if el.tag in (f"{TEXT_NS}p", f"{TEXT_NS}h"):
            lines.append(_odt_text(el))
    return ["\n".join(lines)]


READERS = {"docx": _docx, "xlsx": _xlsx, "odt": _odt}


def office_pages(data: bytes, kind: str, max_unpacked: int) -> list[str]:
    """The text of a DOCX (one page), XLSX (a page per sheet) or ODT (one page) file.

    Raises ArchiveError when the archive is damaged or over a limit."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})") from None
    with zf:
        _check_members(zf, max_unpacked)
        try:
            return READERS[kind](zf, _Budget(max_unpacked))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise ArchiveError(f"damaged archive member ({exc})") from None

