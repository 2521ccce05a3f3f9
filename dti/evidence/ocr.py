"""Optical character recognition with Tesseract and its Vietnamese model, run as a program with a
time limit per page (Debian: tesseract-ocr, tesseract-ocr-vie)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from dti.evidence.limits import OCR_DPI, ReadLimits


class OcrError(RuntimeError):
    """OCR could not run (`unavailable`) or failed on a page."""

    def __init__(self, message: str, *, unavailable: bool = False, timed_out: bool = False):
        super().__init__(message)
        self.unavailable = unavailable
        self.timed_out = timed_out


@functools.lru_cache(maxsize=8)
def _languages(cmd: str) -> frozenset[str]:
    path = shutil.which(cmd)
    if path is None:
        return frozenset()
    done = subprocess.run([path, "--list-langs"], capture_output=True, timeout=30, check=False)
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def check_ocr(limits: ReadLimits) -> None:
    """Raise OcrError(unavailable) unless the program and every language it is asked for are installed."""
    if shutil.which(limits.tesseract_cmd) is None:
        raise OcrError(f"the OCR program {limits.tesseract_cmd!r} is not installed (Debian: tesseract-ocr)",
                       unavailable=True)
    missing = [lang for lang in limits.ocr_lang.split("+") if lang not in _languages(limits.tesseract_cmd)]
    if missing:
        raise OcrError(f"Tesseract has no {'+'.join(missing)} model (Debian: tesseract-ocr-{missing[0]})",
                       unavailable=True)


def ocr_image(png: bytes, limits: ReadLimits, timeout_s: float) -> str:
    """The text Tesseract reads in one PNG page image (rendered at OCR_DPI)."""
    check_ocr(limits)
    # One thread per page: Tesseract's own threads slow it down when several readers share the cores.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    args = [limits.tesseract_cmd, "stdin", "stdout", "-l", limits.ocr_lang, "--dpi", str(OCR_DPI), "--psm", "3"]
    try:
        done = subprocess.run(args, input=png, capture_output=True, timeout=max(timeout_s, 1.0), env=env,
                              check=False)
    except subprocess.TimeoutExpired:
        raise OcrError(f"Tesseract took more than {timeout_s:.0f} s on one page", timed_out=True) from None
    except OSError as exc:
        raise OcrError(f"Tesseract could not be started ({exc})", unavailable=True) from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise OcrError(f"Tesseract failed with exit code {done.returncode}: {tail[0]}")
    return done.stdout.decode("utf-8", "replace")
