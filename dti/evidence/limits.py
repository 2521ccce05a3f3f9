"""How far the evidence reader goes for one file, from the settings (DTI_EVIDENCE_*, DTI_TESSERACT_CMD)."""

from __future__ import annotations

from dataclasses import dataclass

from dti.settings import read, read_int

# A page is rendered for OCR at this resolution, but never into more pixels than MAX_PIXELS
# (an A4 page at 300 dpi is 8.7 million); an uploaded image larger than that is refused unread.
OCR_DPI = 300
MAX_PIXELS = 40_000_000
# A page's text layer is read only when its content stream is at most this big; a bigger one is OCR'd.
MAX_CONTENT_BYTES = 8 << 20
# Fewer letters than this on a page: the page has no usable text layer (a scan, or a stamp only).
MIN_PAGE_LETTERS = 25


@dataclass(frozen=True)
class ReadLimits:
    max_pages: int = 60
    ocr_max_pages: int = 12
    page_timeout_s: float = 90.0
    file_budget_s: float = 300.0
    max_unpacked_bytes: int = 64 << 20
    tesseract_cmd: str = "tesseract"
    ocr_lang: str = "vie"

    @classmethod
    def from_settings(cls) -> ReadLimits:
        return cls(
            max_pages=read_int("DTI_EVIDENCE_MAX_PAGES"),
            ocr_max_pages=read_int("DTI_EVIDENCE_OCR_MAX_PAGES"),
            page_timeout_s=float(read_int("DTI_EVIDENCE_PAGE_TIMEOUT_S")),
            file_budget_s=float(read_int("DTI_EVIDENCE_FILE_BUDGET_S")),
            max_unpacked_bytes=read_int("DTI_EVIDENCE_MAX_UNPACKED_BYTES"),
            tesseract_cmd=read("DTI_TESSERACT_CMD"),
            ocr_lang=read("DTI_EVIDENCE_OCR_LANG"),
        )

    @property
    def reader_key(self) -> str:
        """What a cached reading depends on besides the bytes: a change re-reads the file."""
        return f"r1/{self.ocr_lang}/{OCR_DPI}/{self.max_pages}/{self.ocr_max_pages}"
