"""Reading evidence the way the pipeline does: one file (`read_one`, behind `dti evidence read`) or every
filing of a period (`read_period`, behind the evidence_reads asset): new files are read (a content once,
by sha256), then every filing of the period is checked and its verdicts replace the period's old ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from dti.audit import utc_now
from dti.evidence.cache import Reading, cached_read, is_current, read_data, reading_from_row, store_reading
from dti.evidence.checks import (
    CheckResult,
    check_citation,
    check_content,
    check_period,
    check_registered,
    check_relevance,
    check_shared,
    not_checked,
    overall,
)
from dti.evidence.context import (
    Claim,
    Print,
    citations_of,
    claim_for,
    framework_for,
    identity_of,
    peers_of,
    period_citations,
    records_for,
    same_text_groups,
    unit_records,
)
from dti.evidence.fields import DocumentFields
from dti.evidence.limits import ReadLimits
from dti.framework import Framework, load_all
from dti.intake.citations import parse_citations
from dti.vocabulary import EvidenceCheck, EvidenceProblem, EvidenceVerdict
from dti.warehouse import Warehouse
from dti.warehouse.models import EvidenceFile, EvidenceText, EvidenceVerdictRow


@dataclass
class FileReport:
    """One file (or filing): what was read, each check, and the verdict."""

    reading: Reading
    claim: Claim
    checks: list[CheckResult]
    verdict: EvidenceVerdict
    filename: str = ""
    evidence_file_id: int | None = None

    def to_dict(self) -> dict:
        return {
            "file": self.filename, "evidence_file_id": self.evidence_file_id, **self.reading.to_dict(),
            "unit": self.claim.unit_code, "period": self.claim.period, "indicator": self.claim.indicator_code,
            "framework": self.claim.framework_id, "citations": [c.to_dict() for c in self.claim.citations],
            "verdict": str(self.verdict), "verdict_vi": self.verdict.vi, "verdict_en": self.verdict.en,
            "checks": [c.to_dict() for c in self.checks],
        }


def relevance_basis(reading: Reading, claim: Claim, limits: ReadLimits) -> str:
    """What a relevance verdict depends on: the content, how it was read, the indicator and its terms."""
    parts = [reading.sha256, limits.reader_key, claim.indicator_code or "", *claim.terms]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def run_checks(reading: Reading, claim: Claim, records, peers, relevance: CheckResult | None = None
               ) -> list[CheckResult]:
    """Every check on one reading. A file without usable text gets only its content verdict: the rest
    cannot be known, and say so."""
    if not reading.has_text:
        why_vi, why_en = "tệp không có nội dung đọc được", "the file has no readable content"
        return [reading.content, *(not_checked(c, f"Không kiểm tra: {why_vi}", f"not checked: {why_en}")
                                   for c in list(EvidenceCheck)[1:])]
    fields = reading.fields
    if relevance is None:
        relevance = check_relevance(reading.text or "", fields, claim.indicator_code, claim.terms)
    return [
        reading.content,
        check_citation(fields, claim.citations, whole_unit=claim.whole_unit),
        check_period(fields, claim.period, claim.window),
        check_registered(fields, claim.unit_code, records),
        relevance,
        check_shared(claim.unit_code, claim.indicator_code, peers),
    ]


def _period_prints(session: Session, period: str) -> list[Print]:
    rows = session.execute(
        sa.select(EvidenceFile.id, EvidenceFile.unit_code, EvidenceFile.indicator_code, EvidenceFile.filename,
                  EvidenceText.text_sha, EvidenceText.signature, EvidenceText.fields, EvidenceText.content)
        .join(EvidenceText, EvidenceText.sha256 == EvidenceFile.sha256)
        .where(EvidenceFile.period == period).order_by(EvidenceFile.id)).all()
    out = []
    for fid, unit, indicator, filename, tsha, shash, fields, content in rows:
        if (content or {}).get("verdict") != EvidenceVerdict.OK:
            continue  # blank forms and empty files share a "text" that says nothing: not compared
        out.append(Print(fid, unit, indicator, filename, tsha, shash, identity_of(DocumentFields.from_dict(fields))))
    return out


def read_one(data: bytes, *, filename: str = "", citation: str | None = None, unit: str | None = None,
             period: str | None = None, indicator: str | None = None, wh: Warehouse | None = None,
             limits: ReadLimits | None = None, frameworks: dict[str, Framework] | None = None) -> FileReport:
    """Read and check one file as if `unit` filed it for `period` and `indicator`, citing `citation`.

    With a warehouse, the reading goes through its cache, the document system is asked for the number,
    and the period's filings are searched for the same text; without one those checks say not checked."""
    limits = limits or ReadLimits.from_settings()
    sha = hashlib.sha256(data).hexdigest()
    citations = parse_citations(citation) if citation else []
    session = wh.session() if wh is not None else None
    try:
        reading = cached_read(session, sha, lambda: data, limits, utc_now())
        fw = framework_for(session, unit, period, indicator, frameworks)
        claim = claim_for(fw, unit, period, indicator, citations)
        records = peers = None
        if session is not None and unit:
            numbers = {(reading.fields.number_parts or {}).get("number") or ""}
            records = records_for(unit_records(session, unit, numbers), reading.fields)
        if session is not None and period and reading.has_text:
            me = Print(-1, unit or "?", indicator, filename, reading.text_sha, reading.signature,
                       identity_of(reading.fields))
            others = [p for p in _period_prints(session, period) if p.text_sha != reading.text_sha or
                      (p.unit_code, p.indicator_code) != (unit, indicator)]
            peers = peers_of(me, same_text_groups([me, *others]).get(-1, []))
        checks = run_checks(reading, claim, records, peers)
        if session is not None:
            session.commit()
    finally:
        if session is not None:
            session.close()
    return FileReport(reading, claim, checks, overall(checks), filename)


@dataclass
class PeriodReads:
    """What one run over a period did (the asset's metadata)."""

    period: str
    filings: int = 0
    files_read: int = 0
    cache_hits: int = 0
    deferred: int = 0
    unreadable: int = 0
    pages_read: int = 0
    ocr_pages: int = 0
    read_seconds: float = 0.0
    verdicts: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "verdicts"},
                "verdicts": dict(sorted(self.verdicts.items()))}


def _load_file(stored_path: str, files_dir: Path) -> bytes | None:
    """The bytes of a filing, or None when the stored file is gone (or lies outside the evidence store)."""
    root = (files_dir / "evidence").resolve()
    path = Path(stored_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path.read_bytes()


def _missing(sha: str) -> Reading:
    """The reading of a filing whose stored bytes are gone: unreadable, and tried again next run."""
    reading = read_data(sha, b"", ReadLimits())
    reading.problem, reading.detail, reading.transient = EvidenceProblem.MISSING, "the stored file is missing", True
    reading.content = check_content(reading.problem, reading.detail, "", reading.fields)
    return reading


def _read_new(wh: Warehouse, period: str, limits: ReadLimits, files_dir: Path, budget_s: float,
              out: PeriodReads, now: dt.datetime) -> None:
    """Read every content of the period not yet in the cache, oldest filing first, each kept at once."""
    started = time.perf_counter()
    with wh.session() as s:
        filings = s.scalars(sa.select(EvidenceFile).where(EvidenceFile.period == period)
                            .order_by(EvidenceFile.id)).all()
        out.filings = len(filings)
        first: dict[str, EvidenceFile] = {}
        for f in filings:
            first.setdefault(f.sha256, f)
        current = {row.sha256: row for chunk in _chunks(sorted(first))
                   for row in s.scalars(sa.select(EvidenceText).options(defer(EvidenceText.text))
                                        .where(EvidenceText.sha256.in_(chunk)))}
        todo = []
        for sha, f in first.items():
            if is_current(current.get(sha), limits):
                out.cache_hits += 1
            else:
                todo.append((sha, f.stored_path))
    for sha, stored in todo:
        if time.perf_counter() - started > budget_s:
            out.deferred += 1
            continue
        data = _load_file(stored, files_dir)
        reading = read_data(sha, data, limits) if data is not None else _missing(sha)
        with wh.transaction() as s:
            store_reading(s, reading, limits, now)
        out.files_read += 1
        out.pages_read += reading.pages_read
        out.ocr_pages += reading.ocr_pages
        out.read_seconds += reading.seconds


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _old_relevance(row: EvidenceVerdictRow | None, basis: str) -> CheckResult | None:
    if row is None or row.relevance_basis != basis:
        return None
    found = [c for c in row.checks if c.get("check") == EvidenceCheck.RELEVANCE]
    return CheckResult.from_dict(found[0]) if found else None


def _verdict_rows(s: Session, period: str, limits: ReadLimits, now: dt.datetime) -> list[dict]:
    """The checks of every read filing of the period (a relevance verdict reused while its basis holds)."""
    frameworks = load_all()
    cited = period_citations(s, period)
    filings = s.scalars(sa.select(EvidenceFile).where(EvidenceFile.period == period).order_by(EvidenceFile.id)).all()
    readings = {row.sha256: reading_from_row(row, with_text=False) for chunk in _chunks(sorted({f.sha256 for f in filings}))
                for row in s.scalars(sa.select(EvidenceText).options(defer(EvidenceText.text))
                                     .where(EvidenceText.sha256.in_(chunk)))}
    before = {r.evidence_file_id: r for r in s.scalars(
        sa.select(EvidenceVerdictRow).where(EvidenceVerdictRow.period == period))}
    period_prints = _period_prints(s, period)
    prints = {p.key: p for p in period_prints}
    groups = same_text_groups(period_prints)
    numbers: dict[str, set[str]] = {}
    for f in filings:
        parts = readings[f.sha256].fields.number_parts if f.sha256 in readings else None
        numbers.setdefault(f.unit_code, set()).add((parts or {}).get("number") or "")
    records = {unit: unit_records(s, unit, wanted) for unit, wanted in sorted(numbers.items())}
    fws: dict[tuple, Framework | None] = {}
    memo: dict = {}
    rows = []
    for f in filings:
        reading = readings.get(f.sha256)
        if reading is None:
            continue  # not read yet (the run's time ran out): the next run reads and checks it
        key = (f.unit_code, f.indicator_code)
        if key not in fws:
            fws[key] = framework_for(s, f.unit_code, period, f.indicator_code, frameworks)
        claim = claim_for(fws[key], f.unit_code, period, f.indicator_code,
                          citations_of(cited, f.unit_code, f.indicator_code), whole_unit=f.indicator_code is None,
                          memo=memo)
        basis = relevance_basis(reading, claim, limits)
        relevance = _old_relevance(before.get(f.id), basis)
        if relevance is None and reading.has_text:
            reading.text = s.scalar(sa.select(EvidenceText.text).where(EvidenceText.sha256 == f.sha256))
        checks = run_checks(reading, claim, records_for(records.get(f.unit_code, {}), reading.fields),
                            peers_of(prints.get(f.id), groups.get(f.id, [])), relevance)
        reading.text = None
        rows.append({"evidence_file_id": f.id, "sha256": f.sha256, "unit_code": f.unit_code, "period": period,
                     "indicator_code": f.indicator_code, "verdict": str(overall(checks)),
                     "checks": [c.to_dict() for c in checks], "relevance_basis": basis, "checked_at": now})
    return rows


def read_period(wh: Warehouse, period: str, *, files_dir: Path, limits: ReadLimits | None = None,
                budget_s: float | None = None, now: dt.datetime | None = None) -> PeriodReads:
    """Read the period's new evidence files, then check every filing of the period and replace its verdicts."""
    limits = limits or ReadLimits.from_settings()
    now = now or utc_now()
    out = PeriodReads(period)
    _read_new(wh, period, limits, files_dir, float("inf") if budget_s is None else budget_s, out, now)
    if out.filings == 0:
        with wh.transaction() as s:
            s.execute(sa.delete(EvidenceVerdictRow).where(EvidenceVerdictRow.period == period))
        return out
    with wh.transaction() as s:
        rows = _verdict_rows(s, period, limits, now)
        s.execute(sa.delete(EvidenceVerdictRow).where(EvidenceVerdictRow.period == period))
        for chunk in _chunks(rows):
            s.execute(sa.insert(EvidenceVerdictRow), chunk)
    out.verdicts = Counter(r["verdict"] for r in rows)
    out.unreadable = out.verdicts.get(EvidenceVerdict.UNREADABLE, 0)
    return out
