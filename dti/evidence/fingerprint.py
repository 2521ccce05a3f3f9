"""A document's text fingerprint, so the same document is recognised when its bytes differ (saved
again, printed and scanned, exported from Word): an exact hash of its words, and a MinHash signature
of its words and in-line word pairs (pairs within a line, so the order a reader takes a two-column
header in does not matter). Two signatures estimate the share of words and pairs the texts have in
common (Jaccard similarity), which a reason can state: "94 % of the text is the same"."""

from __future__ import annotations

import hashlib

import numpy as np

from dti.evidence.normalize import fold

MAX_WORDS = 20_000
MIN_FEATURES = 8  # fewer words and pairs than this: too little text to call two files the same
PERMS = 64
ROWS = 4  # slots per band: 16 bands; a pair 80 % alike shares a band with probability 0.9998, 30 % alike 0.12
SAME_TEXT = 0.8  # estimated similarity from which two texts are the same document
_PRIME = (1 << 61) - 1


def _coefficients(tag: bytes) -> np.ndarray:
    # Derived from fixed labels, not a random generator, so signatures stay comparable across releases.
    return np.array([int.from_bytes(hashlib.blake2b(tag + str(i).encode(), digest_size=4).digest(), "big") | 1
                     for i in range(PERMS)], dtype=np.uint64)


_A, _B = _coefficients(b"a"), _coefficients(b"b")


def words(text: str) -> list[str]:
    """The text's words, lower case, without diacritics (a scan that loses a mark still agrees)."""
    return fold(text, accents=False).split()[:MAX_WORDS]


def text_sha(text: str) -> str:
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()


def features(text: str) -> set[str]:
    out: set[str] = set()
    count = 0
    for line in text.splitlines():
        tokens = fold(line, accents=False).split()
        out.update(tokens)
        out.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
        count += len(tokens)
        if count > MAX_WORDS:
            break
    return out


def signature(text: str) -> str:
    """The MinHash signature: PERMS slots of 8 hex digits ("" for a text with too few words)."""
    found = features(text)
    if len(found) < MIN_FEATURES:
        return ""
    hashes = np.fromiter((int.from_bytes(hashlib.blake2b(f.encode(), digest_size=4).digest(), "big")
                          for f in sorted(found)), dtype=np.uint64, count=len(found))
    # Both factors are below 2**32, so the products stay within 64 bits before the modulo.
    slots = ((hashes[:, None] * _A[None, :] + _B[None, :]) % np.uint64(_PRIME)).min(axis=0)
    return "".join(f"{int(v) & 0xFFFFFFFF:08x}" for v in slots)


def similarity(a: str | None, b: str | None) -> float:
    """Estimated share of words and pairs two texts have in common (0 when either has no signature)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    same = sum(a[i:i + 8] == b[i:i + 8] for i in range(0, len(a), 8))
    return same / (len(a) // 8)


def bands(sig: str | None) -> list[str]:
    """The signature cut in bands of ROWS slots, each tagged with its place: near texts share one."""
    if not sig:
        return []
    width = 8 * ROWS
    return [f"{i}:{sig[i * width:(i + 1) * width]}" for i in range(len(sig) // width)]
