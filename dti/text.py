"""Text and code helpers shared by every boundary: NFC normalisation and natural code order."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from natsort import natsort_keygen

_natural = natsort_keygen()
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")


def nfc(value: Any) -> Any:
    """NFC-normalise strings (recursively inside lists and dicts); leave other values alone."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, tuple):
        return tuple(nfc(v) for v in value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    return value


def clean(value: str | None) -> str | None:
    """NFC, strip the BOM and surrounding space, fold runs of spaces; empty becomes None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\ufeff", "")
    text = _SPACES.sub(" ", text).strip()
    return text or None


def code_key(code: str):
    """Sort key for indicator codes: 4.2 < 4.10 < 4.22.11, A2 < A10."""
    return _natural(code)


def sort_codes(codes):
    return sorted(codes, key=code_key)


def fold(value) -> str:
    """Text as compared when people spell it differently (headers, unit types): no accents (đ → d),
    lower case, bracketed asides dropped, punctuation folded to single spaces."""
    text = clean(None if value is None else str(value)) or ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"[^a-z0-9_/, ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ,/")
