"""The bench's evidence stage reports reading throughput for text PDFs and for OCR, and the cache's effect."""

from __future__ import annotations

from application.bench import evidence as bench


def test_the_evidence_stage_reports_text_and_ocr_throughput_and_the_cache_effect(tmp_path, monkeypatch):
    monkeypatch.setitem(bench.COUNTS, "S", (3, 1))
    r = bench.stage_evidence(tmp_path / "bench", "S")
    assert r["text_pdf"]["files"] == 3 and r["text_pdf"]["pages"] >= 6 and r["text_pdf"]["pages_per_s"] > 0
    assert r["ocr"]["files"] == 1 and r["ocr"]["pages"] == 1 and r["ocr"]["pages_per_s"] > 0
    assert r["rows"] == r["text_pdf"]["pages"] + r["ocr"]["pages"]
    rerun = r["rerun"]
    assert rerun["files_read"] == 0 and rerun["cache_hits"] == 4
    assert rerun["seconds"] < rerun["cold_seconds"] and rerun["speedup"] > 1
    # Text PDFs read far faster than pages through OCR.
    assert r["text_pdf"]["pages_per_s"] > r["ocr"]["pages_per_s"]
    assert sum(r["verdicts"].values()) == 4
