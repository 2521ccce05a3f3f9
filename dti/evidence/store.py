"""What the rest of the product reads about evidence: each filing's verdict, checks and fields, per
claim and per period, for the ledger, the council queue, the claim page and the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from dti.evidence.checks import CheckResult
from dti.evidence.fields import DocumentFields
from dti.text import code_key
from dti.vocabulary import EvidenceCheck, EvidenceProblem, EvidenceVerdict
from dti.warehouse.models import EvidenceFile, EvidenceText, EvidenceVerdictRow

V = EvidenceVerdict
# How much a verdict adds to a claim's risk in the council queue (0: nothing to look at, 1: look first).
RISK = {V.UNREADABLE: 1.0, V.NO_TEXT: 1.0, V.BLANK_TEMPLATE: 1.0, V.MISMATCH: 1.0, V.MISSING: 0.9,
        V.DATE_MISMATCH: 0.8, V.OUT_OF_PERIOD: 0.6, V.NOT_REGISTERED: 0.6, V.UNRELATED: 0.5, V.SHARED: 0.5,
        V.UNKNOWN: 0.3, V.NOT_CHECKED: 0.2, V.OK: 0.0}


@dataclass
class FileVerdict:
    """One filing as the council sees it. `verdict` None: uploaded, not read yet (the next run reads it)."""

    evidence_file_id: int
    filename: str
    sha256: str
    unit_code: str
    period: str | None
    indicator_code: str | None
    uploaded_at: dt.datetime
    verdict: EvidenceVerdict | None = None
    checks: list[CheckResult] = field(default_factory=list)
    fields: DocumentFields = field(default_factory=DocumentFields)
    kind: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    problem: EvidenceProblem | None = None

    def check(self, check: EvidenceCheck) -> CheckResult | None:
        return next((c for c in self.checks if c.check == check), None)

    def problems(self) -> list[CheckResult]:
        """The checks that found something, most serious first."""
        bad = [c for c in self.checks if c.verdict not in (V.OK, V.NOT_CHECKED)]
        return sorted(bad, key=lambda c: c.verdict.rank)

    def to_dict(self) -> dict:
        return {
            "evidence_file_id": self.evidence_file_id, "filename": self.filename, "sha256": self.sha256,
            "unit": self.unit_code, "period": self.period, "indicator": self.indicator_code,
            "uploaded_at": self.uploaded_at.isoformat(), "verdict": str(self.verdict) if self.verdict else None,
            "verdict_vi": self.verdict.vi if self.verdict else "Chưa đọc", "kind": self.kind, "pages": self.pages,
            "ocr_pages": self.ocr_pages, "problem": str(self.problem) if self.problem else None,
            "fields": self.fields.to_dict(), "checks": [c.to_dict() for c in self.checks],
        }


def _file_verdicts(session: Session, where) -> list[FileVerdict]:
    rows = session.execute(
        sa.select(EvidenceFile, EvidenceVerdictRow, EvidenceText)
        .outerjoin(EvidenceVerdictRow, EvidenceVerdictRow.evidence_file_id == EvidenceFile.id)
        .outerjoin(EvidenceText, EvidenceText.sha256 == EvidenceFile.sha256)
        .options(defer(EvidenceText.text))
        .where(*where)).all()
    out = []
    for f, v, t in rows:
        item = FileVerdict(f.id, f.filename, f.sha256, f.unit_code, f.period, f.indicator_code, f.uploaded_at)
        if v is not None:
            item.verdict = V(v.verdict)
            item.checks = [CheckResult.from_dict(c) for c in v.checks]
        if t is not None:
            item.fields = DocumentFields.from_dict(t.fields)
            item.kind, item.pages, item.ocr_pages = t.kind, t.page_count, t.ocr_pages
            item.problem = EvidenceProblem(t.problem) if t.problem else None
        out.append(item)
    return sorted(out, key=lambda i: (code_key(i.indicator_code or ""), i.filename, i.evidence_file_id))


def verdicts_for_claim(session: Session, unit_code: str, period: str, indicator_code: str) -> list[FileVerdict]:
    """The filings that count as evidence for one claim: those filed for the indicator and those filed for
    the whole unit (as dti.appraisal.evidence counts them)."""
    return _file_verdicts(session, [
        EvidenceFile.unit_code == unit_code, EvidenceFile.period == period,
        sa.or_(EvidenceFile.indicator_code == indicator_code, EvidenceFile.indicator_code.is_(None))])


def file_verdict(session: Session, evidence_file_id: int) -> FileVerdict | None:
    found = _file_verdicts(session, [EvidenceFile.id == evidence_file_id])
    return found[0] if found else None


def claim_verdict(files: list[FileVerdict]) -> EvidenceVerdict:
    """One verdict for a claim's evidence: missing without a file; else the most serious verdict among the
    files filed for the indicator itself (a unit-wide file only when there is none); a file not read yet
    is unknown."""
    if not files:
        return V.MISSING
    own = [f for f in files if f.indicator_code is not None] or files
    verdicts = [f.verdict or V.UNKNOWN for f in own]
    return min(verdicts, key=lambda v: v.rank)


def period_verdicts(session: Session, period: str) -> dict[tuple[str, str | None], list[FileVerdict]]:
    """{(unit, indicator or None): its filings with their verdicts}, for a whole period at once."""
    out: dict[tuple[str, str | None], list[FileVerdict]] = {}
    for item in _file_verdicts(session, [EvidenceFile.period == period]):
        out.setdefault((item.unit_code, item.indicator_code), []).append(item)
    return out


def claim_files(by_key: dict[tuple[str, str | None], list[FileVerdict]], unit_code: str,
                indicator_code: str) -> list[FileVerdict]:
    """A claim's filings out of `period_verdicts`: its own and the unit-wide ones."""
    return by_key.get((unit_code, indicator_code), []) + by_key.get((unit_code, None), [])


def risk(verdict: EvidenceVerdict) -> float:
    return RISK[verdict]


def reading_text(session: Session, sha256: str) -> str | None:
    """The text read from a file (pages separated by a form feed), for highlighting a field's span."""
    return session.scalar(sa.select(EvidenceText.text).where(EvidenceText.sha256 == sha256))
