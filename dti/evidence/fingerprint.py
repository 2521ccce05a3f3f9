"""A document's text fingerprint, so the same document is recognised when its bytes differ (saved
again, printed and scanned, exported from Word): an exact hash of its words, and a 64-bit SimHash of
its three-word shingles whose few differing bits tolerate OCR's slips."""

from __future__ import annotations

import hashlib

from dti.evidence.normalize import fold

MAX_WORDS = 20_000
SHINGLE = 3
# Two texts whose SimHashes differ in at most this many of 64 bits read as the same text.
NEAR_BITS = 6
BANDS = 8  # a near pair (≤ NEAR_BITS apart) agrees on at least one of 8 bands of 8 bits


def words(text: str) -> list[str]:
    """The text's words, lower case, without diacritics (a scan that loses a mark still agrees)."""
    return fold(text, accents=False).split()[:MAX_WORDS]


def text_sha(text: str) -> str:
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def simhash(text: str) -> str:
    """64-bit SimHash of the word shingles, as 16 hex digits ("" for a text of fewer than 3 words)."""
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return ""
    weights = [0] * 64
    for i in range(len(tokens) - SHINGLE + 1):
        h = int.from_bytes(hashlib.blake2b(" ".join(tokens[i:i + SHINGLE]).encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return f"{value:016x}"


def distance(a: str, b: str) -> int:
    """Differing bits between two SimHashes (64 when either is missing)."""
    if not a or not b:
        return 64
    return (int(a, 16) ^ int(b, 16)).bit_count()


def bands(h: str) -> list[str]:
    """The SimHash cut in BANDS pieces, each tagged with its place: candidates for a near match share one."""
    width = 16 // BANDS
    return [f"{i}:{h[i * width:(i + 1) * width]}" for i in range(BANDS)] if h else []
