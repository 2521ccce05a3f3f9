"""Text out of one evidence file: a PDF's text layer page by page (pypdf), pages without one and
uploaded images through OCR (pages rendered by pypdfium2, read by Tesseract), Office files through
their XML (dti.evidence.office). Every limit that stops a read is said in the result: a file whose
text cannot be had is unreadable with its reason, never a file with nothing wrong in it."""

from __future__ import annotations

import io
import logging
import math
import time
import zipfile
from dataclasses import dataclass, field

import pypdfium2
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from dti.evidence.limits import MAX_CONTENT_BYTES, MAX_PIXELS, MIN_PAGE_LETTERS, OCR_DPI, ReadLimits
from dti.evidence.normalize import clean_text, letters
from dti.evidence.ocr import OcrError, check_ocr, ocr_image
from dti.evidence.office import ArchiveError, office_pages
from dti.vocabulary import EvidenceProblem

PAGE_BREAK = "\f"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
# pypdf reports every oddity of a damaged PDF as a warning; the reading's own result says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass
class Extraction:
    """What was read from one file. `pages` holds each read page's text; `text` joins them with a form feed."""

    kind: str | None
    pages: list[str] = field(default_factory=list)
    page_count: int = 0
    ocr_pages: int = 0
    truncated: bool = False
    problem: EvidenceProblem | None = None
    detail: str = ""
    transient: bool = False  # the problem lies with this machine (OCR missing, time ran out): read again later
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(self.pages)

    @property
    def readable(self) -> bool:
        return self.problem is None


def detect_kind(data: bytes) -> str | None:
    """pdf, png, jpeg, docx, xlsx or odt from the bytes themselves; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mime = zf.getinfo("mimetype") if "mimetype" in names else None
            # The mimetype member is read only when it is as small as a mimetype is.
            if mime is not None and mime.file_size <= 128 and zf.read(mime).strip() == ODT_MIME:
                return "odt"
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return None


class _Clock:
    def __init__(self, budget_s: float):
        self.start = time.perf_counter()
        self.budget_s = budget_s

    def left(self) -> float:
        return self.budget_s - (time.perf_counter() - self.start)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _render(pdf: pypdfium2.PdfDocument, index: int) -> bytes:
    """One PDF page as a grayscale PNG at OCR_DPI, scaled down if it would exceed MAX_PIXELS."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        scale = OCR_DPI / 72
        if width * height * scale * scale > MAX_PIXELS:
            scale = math.sqrt(MAX_PIXELS / max(width * height, 1.0))
        return _png(page.render(scale=scale, grayscale=True).to_pil())
    finally:
        page.close()


def _text_layer(page) -> str:
    """A page's text layer, or "" when it has none, it is too big to parse safely, or pypdf trips on it."""
    try:
        contents = page.get_contents()
        if contents is not None and len(contents.get_data()) > MAX_CONTENT_BYTES:
            return ""
        return page.extract_text() or ""
    except Exception:  # noqa: BLE001 - a damaged page: its image may still be read by OCR
        return ""


def _ocr_pages(data: bytes, wanted: list[int], pages: list[str], out: Extraction, limits: ReadLimits,
               clock: _Clock) -> None:
    """OCR the pages of `wanted` (indexes) in place, within the OCR page limit and the time budget."""
    if len(wanted) > limits.ocr_max_pages:
        wanted, out.truncated = wanted[:limits.ocr_max_pages], True
    check_ocr(limits)
    pdf = pypdfium2.PdfDocument(data)
    try:
        for index in wanted:
            if clock.left() <= 0:
                out.truncated = True
                raise OcrError("the file's reading time ran out", timed_out=True)
            text = ocr_image(_render(pdf, index), limits, min(limits.page_timeout_s, clock.left()))
            pages[index] = clean_text(text)
            out.ocr_pages += 1
    finally:
        pdf.close()


def _open_pdf(data: bytes, out: Extraction) -> PdfReader | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            out.problem, out.detail = EvidenceProblem.ENCRYPTED, "the PDF needs a password"
            return None
        out.page_count = len(reader.pages)
        return reader
    except (FileNotDecryptedError, NotImplementedError) as exc:
        out.problem, out.detail = EvidenceProblem.ENCRYPTED, f"cannot decrypt the PDF ({exc})"
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        out.problem, out.detail = EvidenceProblem.DAMAGED, f"pypdf cannot open the PDF ({exc})"
    return None


def _read_pdf(data: bytes, out: Extraction, limits: ReadLimits, clock: _Clock) -> None:
    reader = _open_pdf(data, out)
    if reader is None:
        return
    count = min(out.page_count, limits.max_pages)
    out.truncated = out.page_count > count
    pages, scans = [], []
    for index in range(count):
        if clock.left() <= 0:
            out.truncated = True
            break
        text = clean_text(_text_layer(reader.pages[index]))
        pages.append(text)
        if letters(text) < MIN_PAGE_LETTERS:
            scans.append(index)
    try:
        if scans:
            _ocr_pages(data, scans, pages, out, limits, clock)
    except OcrError as exc:
        _ocr_problem(out, exc, have_text=any(letters(p) for p in pages))
    except (pypdfium2.PdfiumError, OSError, ValueError) as exc:
        out.detail = f"pages could not be rendered for OCR ({exc})"
    out.pages = pages


def _ocr_problem(out: Extraction, exc: OcrError, *, have_text: bool) -> None:
    """A failed OCR makes the file unreadable only when nothing else of it could be read."""
    out.detail = str(exc)
    out.transient = exc.unavailable or exc.timed_out
    if have_text:
        out.truncated = True
        return
    if exc.unavailable:
        out.problem = EvidenceProblem.OCR_UNAVAILABLE
    elif exc.timed_out:
        out.problem = EvidenceProblem.TIME_BUDGET
    else:
        out.problem = EvidenceProblem.OCR_FAILED


def _read_image(data: bytes, out: Extraction, limits: ReadLimits, clock: _Clock) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                out.problem = EvidenceProblem.TOO_LARGE
                out.detail = f"the image has {image.width}×{image.height} pixels, over {MAX_PIXELS:,}"
                return
            page = ImageOps.exif_transpose(image).convert("L")
    except Image.DecompressionBombError as exc:
        out.problem, out.detail = EvidenceProblem.TOO_LARGE, str(exc)
        return
    except (OSError, ValueError) as exc:
        out.problem, out.detail = EvidenceProblem.DAMAGED, f"the image cannot be opened ({exc})"
        return
    out.page_count = 1
    try:
        out.pages = [clean_text(ocr_image(_png(page), limits, min(limits.page_timeout_s, clock.left())))]
        out.ocr_pages = 1
    except OcrError as exc:
        _ocr_problem(out, exc, have_text=False)


def _read_office(data: bytes, out: Extraction, limits: ReadLimits) -> None:
    try:
        pages = office_pages(data, out.kind, limits.max_unpacked_bytes)
    except ArchiveError as exc:
        out.problem = EvidenceProblem.TOO_LARGE if exc.too_large else EvidenceProblem.DAMAGED
        out.detail = str(exc)
        return
    out.page_count = len(pages)
    out.truncated = len(pages) > limits.max_pages
    out.pages = [clean_text(p) for p in pages[:limits.max_pages]]


def extract(data: bytes, limits: ReadLimits) -> Extraction:
    """Read one file's text within `limits`; never raises for a bad file."""
    clock = _Clock(limits.file_budget_s)
    out = Extraction(kind=detect_kind(data) if data else None)
    if not data:
        out.problem, out.detail = EvidenceProblem.EMPTY, "0 bytes"
    elif out.kind is None:
        out.problem, out.detail = EvidenceProblem.UNSUPPORTED, f"starts with {data[:8]!r}"
    elif out.kind == "pdf":
        _read_pdf(data, out, limits, clock)
    elif out.kind in ("png", "jpeg"):
        _read_image(data, out, limits, clock)
    else:
        _read_office(data, out, limits)
    if out.problem is None and clock.left() <= 0 and not any(letters(p) for p in out.pages):
        out.problem, out.transient = EvidenceProblem.TIME_BUDGET, True
        out.detail = out.detail or f"nothing was read within {limits.file_budget_s:.0f} s"
    out.seconds = time.perf_counter() - clock.start
    return out


PREVIEW_PIXELS = 4_000_000  # a preview image at most (an A4 page 900 px wide is about 1.3 million)


def preview_png(data: bytes, page: int = 1, width: int = 900) -> bytes | None:
    """A PNG of one page (1-based) of a PDF or an image, `width` pixels wide, for the claim page."""
    kind = detect_kind(data)
    try:
        if kind == "pdf":
            pdf = pypdfium2.PdfDocument(data)
            try:
                if not 1 <= page <= len(pdf):
                    return None
                p = pdf[page - 1]
                w, h = (max(side, 1.0) for side in p.get_size())
                # `width` pixels wide, unless a freak page (a strip 14,000 points tall) would make that
                # more than PREVIEW_PIXELS: then as large as PREVIEW_PIXELS allows.
                scale = min(width / w, math.sqrt(PREVIEW_PIXELS / (w * h)))
                image = p.render(scale=scale).to_pil()
                p.close()
            finally:
                pdf.close()
        elif kind in ("png", "jpeg") and page == 1:
            with Image.open(io.BytesIO(data)) as src:
                if src.width * src.height > MAX_PIXELS:
                    return None
                image = ImageOps.exif_transpose(src).convert("RGB")
                image.thumbnail((width, width * 4))
        else:
            return None
    except (pypdfium2.PdfiumError, OSError, ValueError) as exc:
        logging.getLogger(__name__).info("no preview: %s", exc)
        return None
    return _png(image)
