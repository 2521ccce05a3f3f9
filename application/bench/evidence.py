"""The bench's evidence stage: how fast evidence files are read through the real pipeline
(dti.evidence.service.read_period) — pages per second from text PDFs, pages per second through OCR —
and what the sha256 cache saves when the same period runs again. The lead wires it into the stages;
it returns a dict like every stage (`rows` = pages read)."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

from dti.evidence.limits import ReadLimits
from dti.evidence.service import read_period
from dti.warehouse import Warehouse
from dti.warehouse.models import EvidenceFile
from simulators.synthetic.evidence_docs import EvidenceDoc, scan_pdf, text_pdf

# (text PDFs, scanned PDFs) per scale: each text PDF has several pages, each scan one.
COUNTS = {"tiny": (3, 1), "demo": (6, 1), "S": (24, 4), "M": (80, 10), "N": (200, 20)}
TEXT_PERIOD, SCAN_PERIOD = "2025-R3", "2025-R2"
BODY = ("Sở báo cáo kết quả thực hiện kế hoạch chuyển đổi số: hoàn thành nhiệm vụ đúng hạn, giải ngân kinh phí, "
        "tập huấn kỹ năng số cho cán bộ, công chức và kết nối các hệ thống thông tin với nền tảng chia sẻ dữ liệu.")


def _doc(i: int, pages: int) -> EvidenceDoc:
    return EvidenceDoc(number=f"{100 + i}/BC-SKHCN", date=dt.date(2025, 1 + i % 12, 1 + i % 28), doc_type="BÁO CÁO",
                       subject=f"Kết quả chuyển đổi số, kỳ báo cáo số {i}",
                       body=tuple(f"{j}. {BODY}" for j in range(1, 7 * pages)))


def _file(wh: Warehouse, files_dir: Path, data: bytes, unit: str, period: str) -> None:
    sha = hashlib.sha256(data).hexdigest()
    path = files_dir / "evidence" / sha[:2] / f"{sha}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with wh.transaction() as s:
        s.add(EvidenceFile(sha256=sha, filename=f"{unit}.pdf", content_type="application/pdf", size=len(data),
                           stored_path=str(path), unit_code=unit, period=period, indicator_code="B2",
                           uploaded_by="bench", uploaded_at=dt.datetime.now(dt.UTC)))


def _timed_run(wh: Warehouse, period: str, files_dir: Path, limits: ReadLimits):
    t0 = time.perf_counter()
    out = read_period(wh, period, files_dir=files_dir, limits=limits)
    return out, time.perf_counter() - t0


def _rate(pages: int, seconds: float) -> float | None:
    return round(pages / seconds, 2) if seconds > 0 else None


def stage_evidence(work_dir: Path, scale: str = "S", limits: ReadLimits | None = None) -> dict:
    """Read `scale`'s evidence twice: cold (every file read: text layers, then scans through OCR) and warm
    (the same filings again: every file a cache hit). Documents are made before the clock starts."""
    limits = limits or ReadLimits.from_settings()
    text_count, scan_count = COUNTS[scale]
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "evidence-bench.db"
    db.unlink(missing_ok=True)
    wh = Warehouse(f"sqlite:///{db}").migrate()
    files_dir = work_dir / "files"
    for i in range(text_count):
        _file(wh, files_dir, text_pdf(_doc(i, pages=3)), f"T{i:03d}", TEXT_PERIOD)
    for i in range(scan_count):
        _file(wh, files_dir, scan_pdf(_doc(1000 + i, pages=1), seed=i), f"S{i:03d}", SCAN_PERIOD)
    text, text_s = _timed_run(wh, TEXT_PERIOD, files_dir, limits)
    ocr, ocr_s = _timed_run(wh, SCAN_PERIOD, files_dir, limits)
    warm = [_timed_run(wh, period, files_dir, limits) for period in (TEXT_PERIOD, SCAN_PERIOD)]
    warm_s = sum(s for _out, s in warm)
    cold_s = text_s + ocr_s
    return {
        "rows": text.pages_read + ocr.pages_read,
        "text_pdf": {"files": text.files_read, "pages": text.pages_read, "seconds": round(text_s, 3),
                     "pages_per_s": _rate(text.pages_read, text_s)},
        "ocr": {"files": ocr.files_read, "pages": ocr.ocr_pages, "seconds": round(ocr_s, 3),
                "pages_per_s": _rate(ocr.ocr_pages, ocr_s)},
        "rerun": {"files_read": sum(o.files_read for o, _s in warm), "cache_hits": sum(o.cache_hits for o, _s in warm),
                  "seconds": round(warm_s, 3), "cold_seconds": round(cold_s, 3),
                  "speedup": round(cold_s / warm_s, 1) if warm_s > 0 else None},
        "verdicts": {**dict(text.verdicts), **{k: text.verdicts.get(k, 0) + n for k, n in ocr.verdicts.items()}},
    }
