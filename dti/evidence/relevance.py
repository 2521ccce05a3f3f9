"""Does the document concern the indicator? A plain text match a council member can follow: the leaf's
evidence keywords (framework field `evidence_keywords`, tuned by the province), or phrases taken from
its evidence requirement (`evidence_vi`), looked for in the subject line and in the whole text; the
terms found, and where, are shown. No score, no model."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dti.evidence.fields import DOC_TYPES
from dti.evidence.normalize import Haystack, find_phrase, fold
from dti.framework import Leaf

# Abbreviations a requirement uses and documents spell out (or the reverse): either form matches.
EXPANSIONS = {
    "CĐS": "chuyển đổi số", "CNTT": "công nghệ thông tin", "ATTT": "an toàn thông tin",
    "TTHC": "thủ tục hành chính", "DVC": "dịch vụ công", "DVCTT": "dịch vụ công trực tuyến",
    "TMĐT": "thương mại điện tử", "TSLCD": "mạng truyền số liệu chuyên dùng", "BCĐ": "ban chỉ đạo",
    "LGSP": "nền tảng tích hợp, chia sẻ dữ liệu",
}
# Words that say what kind of paper it is, not what it is about: dropped from phrases taken from evidence_vi.
_GENERIC = sorted({fold(name) for name in DOC_TYPES} | {fold(w) for w in (
    "danh mục", "văn bản", "tài liệu", "ảnh chụp", "đường dẫn", "xác nhận", "của đơn vị", "từ hệ thống",
    "hợp đồng", "nhật ký", "năm")}, key=len, reverse=True)
MIN_BODY_TERMS = 2


@dataclass(frozen=True)
class Match:
    term: str
    where: str  # subject / text
    start: int
    end: int
    exact: bool  # False: matched without diacritics

    def to_dict(self) -> dict:
        return {"term": self.term, "where": self.where, "span": [self.start, self.end], "exact": self.exact}


def _from_requirement(evidence_vi: str) -> list[str]:
    terms = []
    for piece in re.split(r"[,;/()]| và | hoặc ", evidence_vi):
        folded = fold(piece)
        for generic in _GENERIC:
            folded = folded.replace(generic, " ")
        words = folded.split()
        if len(words) >= 2 or (len(words) == 1 and words[0].upper() in EXPANSIONS):
            # The requirement's own spelling of the remaining words, found again in the piece.
            kept = find_phrase(piece, " ".join(words))
            terms.append(piece[kept[0]:kept[1]] if kept else " ".join(words))
    return terms


def leaf_terms(leaf: Leaf | None) -> list[str]:
    """The terms looked for: the keywords when the framework gives them, else phrases of evidence_vi."""
    if leaf is None:
        return []
    terms = list(leaf.evidence_keywords or []) or (_from_requirement(leaf.evidence_vi) if leaf.evidence_vi else [])
    out: list[str] = []
    # The terms as given, then their abbreviations or spelled-out forms.
    for variant in [*terms, *(v for term in terms for v in _expanded(term))]:
        if variant and fold(variant) not in {fold(t) for t in out}:
            out.append(variant)
    return out


def _expanded(term: str) -> list[str]:
    out = []
    for short, long in EXPANSIONS.items():
        if re.search(rf"(?<!\w){re.escape(short)}(?!\w)", term):
            out.append(re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", long, term))
        if find_phrase(term, long):
            out.append(short)
    return out


def find_terms(text: str, terms: list[str], subject: tuple[int, int] | None) -> list[Match]:
    """Each term found in the text (its first occurrence), marked as in the subject line when it is."""
    found = []
    whole = Haystack(text)
    line = Haystack(text[subject[0]:subject[1]]) if subject else None
    for term in terms:
        if subject and line is not None:
            hit = line.find(term)
            if hit:
                found.append(Match(term, "subject", subject[0] + hit[0], subject[0] + hit[1], hit[2]))
                continue
        hit = whole.find(term)
        if hit:
            found.append(Match(term, "text", hit[0], hit[1], hit[2]))
    return found


def is_related(matches: list[Match]) -> bool:
    """Related: a term in the subject line, or MIN_BODY_TERMS different terms anywhere in the text."""
    if any(m.where == "subject" for m in matches):
        return True
    return len({fold(m.term) for m in matches}) >= MIN_BODY_TERMS
