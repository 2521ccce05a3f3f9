"""Text as the evidence checks compare it: NFC with the look-alikes scans and PDF fonts produce mapped
to Vietnamese letters, and a folded form (lower case, one tone placement, optionally without
diacritics) that keeps a map back to the original offsets so a match can be highlighted."""

from __future__ import annotations

import re
import unicodedata

# Eth (Ð ð) stands in for Đ đ in many PDF fonts and OCR outputs; soft hyphens and zero-width
# characters break words without showing.
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "\u00ad": None, "\u200b": None, "\u200c": None,
                             "\u200d": None, "\ufeff": None, "\u00a0": " ", "\u202f": " "})
# Old and new tone placement ("hoá"/"hóa", "uỷ"/"ủy") read as one spelling.
_OLD_STYLE = re.compile(r"([oòóỏõọ])([aàáảãạeèéẻẽẹ])|([uùúủũụ])([yỳýỷỹỵ])")
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def clean_text(text: str) -> str:
    """NFC, the look-alikes mapped, and each line's trailing space dropped; line breaks kept."""
    text = unicodedata.normalize("NFC", text).translate(_LOOKALIKES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _tone_of(ch: str) -> tuple[str, str]:
    """(the letter without its tone mark, the tone mark or "") of one NFC character."""
    parts = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in parts if c in _TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    return base, tone


def _one_placement(syllable_pair: re.Match) -> str:
    """oá → óa, uý → úy: the tone mark always on the first vowel of these pairs."""
    first, second = (syllable_pair.group(1), syllable_pair.group(2)) if syllable_pair.group(1) else \
        (syllable_pair.group(3), syllable_pair.group(4))
    b1, t1 = _tone_of(first)
    b2, t2 = _tone_of(second)
    tone = t1 or t2
    return unicodedata.normalize("NFC", b1 + tone) + b2


def _fold_char(ch: str, accents: bool) -> str:
    ch = ch.lower()
    if ch == "đ" and not accents:
        return "d"
    if not ch.isalnum():
        return " "
    if accents:
        return ch
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


def fold_with_map(text: str, *, accents: bool = True) -> tuple[str, list[int]]:
    """`text` folded for matching, and for each folded character the offset of its source character.

    Letters are lower-cased (without diacritics unless `accents`), anything else is one space, runs
    of spaces are one, and the result starts and ends with a space so a phrase matches whole words.
    """
    out = [" "]
    where = [0]
    for i, ch in enumerate(text):
        for f in _fold_char(ch, accents):
            if f == " " and out[-1] == " ":
                continue
            out.append(f)
            where.append(i)
    if out[-1] != " ":
        out.append(" ")
        where.append(len(text))
    folded = "".join(out)
    if accents:
        # Same length before and after: the pairs are rewritten letter for letter.
        folded = _OLD_STYLE.sub(_one_placement, folded)
    return folded, where


def fold(text: str, *, accents: bool = True) -> str:
    return fold_with_map(text, accents=accents)[0]


class Haystack:
    """A text folded once per way of comparing, so many phrases can be looked for in it cheaply."""

    def __init__(self, text: str):
        self.text = text
        self._folded: dict[bool, tuple[str, list[int]]] = {}

    def _fold(self, accents: bool) -> tuple[str, list[int]]:
        if accents not in self._folded:
            self._folded[accents] = fold_with_map(self.text, accents=accents)
        return self._folded[accents]

    def find(self, phrase: str) -> tuple[int, int, bool] | None:
        """Where `phrase` first occurs as whole words: (start, end, with_accents), comparing with diacritics
        first and, for a phrase of two words or more, without them (scans lose a few marks)."""
        for accents in (True, False):
            if not accents and len(phrase.split()) < 2:
                return None
            needle = fold(phrase, accents=accents)
            if needle.strip() == "":
                return None
            folded, where = self._fold(accents)
            at = folded.find(needle)
            if at >= 0:
                return where[at + 1], where[at + len(needle) - 2] + 1, accents
        return None


def find_phrase(text: str, phrase: str) -> tuple[int, int, bool] | None:
    """Where `phrase` first occurs in `text` as whole words (see Haystack.find)."""
    return Haystack(text).find(phrase)


def letters(text: str) -> int:
    """How many letters `text` holds (digits, spaces and punctuation not counted)."""
    return sum(1 for ch in text if ch.isalpha())
