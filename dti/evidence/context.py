"""What the checks need to know about a filing, gathered from the warehouse: the claim's citations, the
framework (so the period's window and the leaf's terms), the document system's records with the
file's number, and the other filings of the period with the same text."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.evidence.checks import Peer, Record
from dti.evidence.fields import DocumentFields, notation_key
from dti.evidence.fingerprint import SAME_TEXT, bands, similarity
from dti.evidence.relevance import leaf_terms
from dti.framework import Framework, Period, framework_for_type, load_all
from dti.framework.loader import pick
from dti.intake.citations import Citation
from dti.warehouse.models import EvidenceCitation, RawDocument, SelfReport, Submission, Unit


@dataclass
class Claim:
    """What one filing is filed against."""

    unit_code: str | None = None
    period: str | None = None
    indicator_code: str | None = None
    citations: list[Citation] = field(default_factory=list)
    window: tuple[dt.date, dt.date] | None = None
    terms: list[str] = field(default_factory=list)
    framework_id: str | None = None
    whole_unit: bool = False  # filed for the whole unit: it may answer any of the unit's citations


def _valid_in(fw: Framework, year: int) -> bool:
    return fw.valid_from.year <= year and (fw.valid_to is None or fw.valid_to.year >= year)


def framework_for(session: Session | None, unit_code: str | None, period: str | None,
                  indicator: str | None, frameworks: dict[str, Framework] | None = None) -> Framework | None:
    """The unit's framework for the period; without a unit, the first (by id) valid that year with the
    period's round and, when given, the indicator."""
    if not period:
        return None
    frameworks = frameworks if frameworks is not None else load_all()
    per = Period.parse(period)
    unit = session.get(Unit, unit_code) if session is not None and unit_code else None
    if unit is not None:
        fw = pick(frameworks, unit.framework_id, per.year)
        fw = fw or framework_for_type(frameworks, unit.unit_type, per.year)
        if fw is not None:
            return fw
    for _id, fw in sorted(frameworks.items()):
        if not _valid_in(fw, per.year) or all(r.round != per.round for r in fw.rounds):
            continue
        if indicator is None or any(leaf.code == indicator for leaf in fw.leaves()):
            return fw
    return None


def _window_and_terms(fw: Framework | None, period: str | None, indicator: str | None) -> tuple:
    window = terms = None
    if fw is not None and period:
        try:
            window = Period.parse(period).window(fw)
        except KeyError:
            window = None
        leaf = next((lf for lf in fw.leaves() if lf.code == indicator), None) if indicator else None
        terms = leaf_terms(leaf)
    return window, terms or []


def claim_for(fw: Framework | None, unit: str | None, period: str | None, indicator: str | None,
              citations: list[Citation], *, whole_unit: bool = False, memo: dict | None = None) -> Claim:
    """The claim a filing answers. `memo` keeps each framework's window and terms across a period's filings."""
    memo = {} if memo is None else memo
    key = (id(fw), period, indicator)  # the frameworks stay loaded while the memo lives
    if key not in memo:
        memo[key] = _window_and_terms(fw, period, indicator)
    window, terms = memo[key]
    return Claim(unit, period, indicator, citations, window, list(terms), fw.id if fw else None, whole_unit)


def period_citations(session: Session, period: str) -> dict[tuple[str, str], list[Citation]]:
    """{(unit, indicator): the citations of the current self-report}, from evidence_citations."""
    rows = session.execute(
        sa.select(SelfReport.unit_code, SelfReport.indicator_code, EvidenceCitation.raw, EvidenceCitation.number,
                  EvidenceCitation.notation, EvidenceCitation.issuer, EvidenceCitation.doc_date)
        .join(SelfReport, SelfReport.id == EvidenceCitation.self_report_id)
        .join(Submission, Submission.id == SelfReport.submission_id)
        .where(Submission.period == period, Submission.is_current.is_(True))
        .order_by(EvidenceCitation.id)).all()
    out: dict[tuple[str, str], list[Citation]] = defaultdict(list)
    for unit, indicator, raw, number, notation, issuer, doc_date in rows:
        if number and notation:
            out[(unit, indicator)].append(Citation(raw, number, notation, issuer, doc_date))
    return dict(out)


def citations_of(cited: dict[tuple[str, str], list[Citation]], unit: str, indicator: str | None) -> list[Citation]:
    """A file filed for one indicator answers that claim's citations; one filed for the whole unit, any of them."""
    if indicator is not None:
        return cited.get((unit, indicator), [])
    return [c for (u, _i), cs in sorted(cited.items()) if u == unit for c in cs]


def unit_records(session: Session, unit: str, numbers: set[str]) -> dict[str, list[Record]]:
    """{number: the unit's documents (outgoing and incoming) with that number}, read through the unit's index."""
    wanted = {n for n in numbers if n} | {n.lstrip("0") for n in numbers if n and n.lstrip("0")}
    d = RawDocument
    out: dict[str, list[Record]] = defaultdict(list)
    if not wanted:
        return {}
    for sid, number, notation, issued, direction in session.execute(
            sa.select(d.source_id, d.number, d.notation, d.issue_date, d.direction)
            .where(d.unit_code == unit, d.number.in_(sorted(wanted)), d.deleted.is_(False))
            .order_by(d.source_id)):
        out[(number or "").lstrip("0")].append(Record(sid, unit, notation, issued, direction))
    return dict(out)


def records_for(records: dict[str, list[Record]], fields: DocumentFields) -> list[Record]:
    number = (fields.number_parts or {}).get("number") or ""
    return records.get(number.lstrip("0"), [])


@dataclass(frozen=True)
class Print:
    """A filing's text fingerprint and identity, for finding the same document filed elsewhere."""

    key: int  # evidence file id, or -1 for a file read outside the warehouse
    unit_code: str
    indicator_code: str | None
    filename: str
    text_sha: str | None
    signature: str | None
    identity: tuple | None  # (number key, notation key, date) as far as read


def identity_of(fields: DocumentFields) -> tuple:
    parts = fields.number_parts or {}
    key = notation_key(parts.get("number"), parts.get("notation")) if parts else None
    return key, fields.date.value if fields.date else None


def _conflict(a: tuple | None, b: tuple | None) -> bool:
    """Two readings name different documents: different numbers, or different dates, both read."""
    if not a or not b:
        return False
    return any(x is not None and y is not None and x != y for x, y in zip(a, b, strict=True))


def same_text_groups(prints: list[Print]) -> dict[int, list[Print]]:
    """{key: the other filings with the same text}: the same words exactly, or texts at least SAME_TEXT alike
    whose numbers and dates do not say they are two documents (two units' decisions from one template)."""
    parent = list(range(len(prints)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    # The same words (so the same number and date): one document, whatever its bytes.
    by_sha: dict[str, int] = {}
    # One representative per distinct (signature, identity): a document filed a thousand times is compared once.
    reps: dict[tuple, int] = {}
    for i, p in enumerate(prints):
        if p.text_sha:
            union(i, by_sha.setdefault(p.text_sha, i))
        if p.signature:
            union(i, reps.setdefault((p.signature, p.identity), i))
    buckets: dict[str, list[int]] = defaultdict(list)
    for i in reps.values():
        for band in bands(prints[i].signature):
            buckets[band].append(i)
    for members in buckets.values():
        for pos, a in enumerate(members):
            for b in members[pos + 1:]:
                pa, pb = prints[a], prints[b]
                if find(a) != find(b) and similarity(pa.signature, pb.signature) >= SAME_TEXT \
                        and not _conflict(pa.identity, pb.identity):
                    union(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(prints)):
        groups[find(i)].append(i)
    return {prints[i].key: [prints[j] for j in members if j != i]
            for members in groups.values() for i in members}


def peers_of(me: Print | None, others: list[Print]) -> list[Peer]:
    """The other filings of `me`'s text, each with how alike the two texts are."""
    def alike(p: Print) -> float:
        if me is None or (me.text_sha and me.text_sha == p.text_sha):
            return 1.0
        return round(similarity(me.signature, p.signature), 2)

    return [Peer(p.key if p.key >= 0 else None, p.unit_code, p.indicator_code, p.filename, alike(p)) for p in others]
