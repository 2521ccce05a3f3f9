"""Synthetic evidence documents in the Decree 30/2020/NĐ-CP layout, made here rather than copied from
anywhere: one layout, painted as a PDF with a text layer (fpdf2), as page images (Pillow) that a scan is
simulated from (noise, blur, skew; an image-only PDF), and as DOCX/ODT/XLSX files. The tests, the bench
and a demo read them back through dti.evidence."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {False: "DejaVuSerif.ttf", True: "DejaVuSerif-Bold.ttf"}
PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
MARGIN, BODY_TOP, LINE = 20.0, 75.0, 6.2
PT_TO_MM = 25.4 / 72
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


class FontMissing(RuntimeError):
    """The Vietnamese-capable TrueType font the documents are drawn with is not installed."""


@dataclass(frozen=True)
class EvidenceDoc:
    """An administrative document; `blank` draws the same form with its number and date left empty."""

    number: str = "123/QĐ-UBND"
    date: dt.date | None = dt.date(2025, 3, 5)
    doc_type: str = "QUYẾT ĐỊNH"  # "" for an official letter (công văn): its subject goes under the number
    subject: str = "Về việc thành lập Ban chỉ đạo chuyển đổi số"
    issuer: tuple[str, ...] = ("UỶ BAN NHÂN DÂN", "TỈNH LÀO CAI")
    place: str = "Lào Cai"
    body: tuple[str, ...] = ()
    signer_title: str = "CHỦ TỊCH"
    signer: str = "Nguyễn Văn An"
    recipients: tuple[str, ...] = ("Nơi nhận:", "- Như Điều 3;", "- Lưu: VT.")
    blank: bool = False

    def blanked(self) -> EvidenceDoc:
        return replace(self, blank=True)


@dataclass(frozen=True)
class Placed:
    page: int
    x: float  # mm from the left
    y: float  # mm from the top, baseline
    text: str
    bold: bool
    size: float  # points


@lru_cache(maxsize=16)
def font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / FONTS[bold]
    if not path.is_file():
        raise FontMissing(f"{path} không có; cài fonts-dejavu-core / not found: install fonts-dejavu-core")
    return ImageFont.truetype(str(path), size=int(round(size * 10)))


def width_mm(text: str, bold: bool, size: float) -> float:
    """The printed width of `text`, measured once with Pillow so both painters place lines alike."""
    return font(bold, size).getlength(text) / 10 * PT_TO_MM


def _wrap(text: str, width: float, bold: bool, size: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and width_mm(trial, bold, size) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return lines + ([current] if current else [])


def _centred(page: int, left: float, width: float, y: float, text: str, bold: bool, size: float) -> Placed:
    return Placed(page, left + (width - width_mm(text, bold, size)) / 2, y, text, bold, size)


def _number_line(doc: EvidenceDoc) -> str:
    if doc.blank:
        notation = doc.number.split("/", 1)[-1]
        return f"Số:        /{notation}"
    return f"Số: {doc.number}"


def _date_line(doc: EvidenceDoc) -> str:
    if doc.blank or doc.date is None:
        return f"{doc.place}, ngày ..... tháng ..... năm 20...."
    return f"{doc.place}, ngày {doc.date.day:02d} tháng {doc.date.month:d} năm {doc.date.year}"


def layout(doc: EvidenceDoc) -> list[Placed]:
    """Every line of the document, placed on A4 pages: the two-column header, title, subject, body,
    then the recipients beside the signature block."""
    out: list[Placed] = []
    for i, line in enumerate(doc.issuer[:2]):
        out.append(_centred(0, 10, 80, 20 + i * 5.5, line, i == len(doc.issuer[:2]) - 1, 11))
    for i, line in enumerate(MOTTO):
        out.append(_centred(0, 88, 112, 20 + i * 5.5, line, True, 11))
    out.append(_centred(0, 10, 80, 36, _number_line(doc), False, 11))
    out.append(_centred(0, 88, 112, 36, _date_line(doc), False, 11))
    y = 50.0
    if doc.doc_type:
        out.append(_centred(0, MARGIN, PAGE_W - 2 * MARGIN, y, doc.doc_type, True, 13))
        y += 7
        for line in _wrap(doc.subject, PAGE_W - 2 * MARGIN - 20, True, 11):
            out.append(_centred(0, MARGIN, PAGE_W - 2 * MARGIN, y, line, True, 11))
            y += 5.5
    else:
        out.append(_centred(0, 10, 80, 42, f"V/v {doc.subject}", False, 10))
    page, y = 0, max(y + 8, BODY_TOP)
    for para in doc.body:
        for line in _wrap(para, PAGE_W - 2 * MARGIN, False, 11):
            if y > PAGE_H - 30:
                page, y = page + 1, 25.0
            out.append(Placed(page, MARGIN, y, line, False, 11))
            y += LINE
    if y > PAGE_H - 70:
        page, y = page + 1, 25.0
    y += 6
    for i, line in enumerate(doc.recipients):
        out.append(Placed(page, MARGIN, y + i * 5, line, i == 0, 10 if i == 0 else 9))
    out.append(_centred(page, 110, 80, y, doc.signer_title, True, 11))
    if not doc.blank:
        out.append(_centred(page, 110, 80, y + 28, doc.signer, True, 11))
    return out


def lines(doc: EvidenceDoc) -> list[str]:
    return [p.text for p in layout(doc)]


def text_pdf(doc: EvidenceDoc) -> bytes:
    """The document as a PDF with a text layer (fonts embedded, so the text reads back in Vietnamese)."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))  # the same document gives the same bytes
    for bold in (False, True):
        font(bold, 11)  # a clear error when the font is missing
        pdf.add_font("Serif", "B" if bold else "", str(FONT_DIR / FONTS[bold]))
    placed = layout(doc)
    for page in range(max(p.page for p in placed) + 1):
        pdf.add_page()
        for p in (p for p in placed if p.page == page):
            pdf.set_font("Serif", "B" if p.bold else "", p.size)
            pdf.text(p.x, p.y, p.text)
    return bytes(pdf.output())


def page_images(doc: EvidenceDoc, dpi: int = 200) -> list[Image.Image]:
    """The pages as clean grayscale images."""
    px = dpi / 25.4
    placed = layout(doc)
    pages = []
    for page in range(max(p.page for p in placed) + 1):
        image = Image.new("L", (int(PAGE_W * px), int(PAGE_H * px)), 255)
        draw = ImageDraw.Draw(image)
        for p in (p for p in placed if p.page == page):
            face = ImageFont.truetype(font(p.bold, p.size).path, size=int(round(p.size / 72 * dpi)))
            draw.text((p.x * px, p.y * px), p.text, font=face, fill=0, anchor="ls")
        pages.append(image)
    return pages


def scanned(image: Image.Image, seed: int, skew: float = 0.8, noise: float = 0.004) -> Image.Image:
    """A page as a scanner gives it back: specks, a little blur, a slight skew."""
    rng = random.Random(seed)
    out = image.copy()
    pixels = out.load()
    for _ in range(int(out.width * out.height * noise)):
        pixels[rng.randrange(out.width), rng.randrange(out.height)] = rng.choice((0, 70, 140, 200))
    out = out.filter(ImageFilter.GaussianBlur(0.5))
    return out.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)


def scan_pdf(doc: EvidenceDoc, seed: int = 1, dpi: int = 200, skew: float = 0.8) -> bytes:
    """An image-only PDF (no text layer at all), one scanned image per page."""
    pages = [scanned(p, seed + i, skew) for i, p in enumerate(page_images(doc, dpi))]
    out = io.BytesIO()
    stamp = time.gmtime(1_735_689_600)  # 2025-01-01: the same document and seed give the same bytes
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:], creationDate=stamp,
                  modDate=stamp)
    return out.getvalue()


def scan_image(doc: EvidenceDoc, seed: int = 1, fmt: str = "PNG", dpi: int = 200) -> bytes:
    """The first page as a photographed or scanned image file (PNG or JPEG)."""
    out = io.BytesIO()
    scanned(page_images(doc, dpi)[0], seed).save(out, fmt, dpi=(dpi, dpi))
    return out.getvalue()


def _zip(members: list[tuple[str, str]], *, stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, text) in enumerate(members):
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    """A minimal Word document, one paragraph per line."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    return _zip([
        ("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
         'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
         'wordprocessingml.document.main+xml"/></Types>'),
        ("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}'
         "</w:body></w:document>"),
    ])


def odt(paragraphs: list[str]) -> bytes:
    """A minimal OpenDocument text, its mimetype stored first as the format asks."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    return _zip([
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
         f"<office:text>{body}</office:text></office:body></office:document-content>"),
    ], stored_first=True)


def xlsx(rows: list[list], title: str = "Danh sách") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
