"""Evidence citations of the current self-reports matched against the document system."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.warehouse.models import EvidenceCitation, RawDocument, SelfReport, Submission

BULK_ROWS = 2000  # rows per executemany


def check_citations(session: Session, period: str) -> dict[str, int]:
    """Match parsed evidence citations of current submissions against the document system.

    Found: same unit, number and notation, and the cited date (when given) equals the issue date;
    date_mismatch: the document exists under another date; not_found: no such document.
    """
    counts = {"found": 0, "not_found": 0, "date_mismatch": 0}
    c, d = EvidenceCitation, RawDocument
    current = (sa.select(c.id, c.number, c.notation, c.doc_date, SelfReport.unit_code)
               .join(SelfReport, SelfReport.id == c.self_report_id)
               .join(Submission, Submission.id == SelfReport.submission_id)
               .where(Submission.period == period, Submission.is_current.is_(True))
               .subquery())
    rows = session.execute(sa.select(current).order_by(current.c.id)).all()
    # The documents that could match: same unit and number (a number alone, "45", is shared by every
    # unit's documents), asked unit by unit so the warehouse reads each unit's documents through its
    # unit_code index. Notations are compared here, case-folded in Python, because SQL's upper()
    # leaves Vietnamese letters (đ, ơ) as they are on some backends.
    numbers: dict[str, set[str]] = {}
    for _id, number, _notation, _date, unit in rows:
        if number:
            numbers.setdefault(unit, set()).add(number)
    docs: dict[tuple[str, str, str], list[tuple]] = {}
    for unit, wanted in sorted(numbers.items()):
        for sid, number, notation, issued in session.execute(
                sa.select(d.source_id, d.number, d.notation, d.issue_date)
                .where(d.unit_code == unit, d.number.in_(sorted(wanted)), d.deleted.is_(False))
                .order_by(d.source_id)):
            docs.setdefault((unit, number, (notation or "").upper()), []).append((sid, issued))
    updates = []
    for citation_id, number, notation, cited, unit in rows:
        found = docs.get((unit, number, (notation or "").upper()), [])
        if not found:
            status, doc_id = "not_found", None
        else:
            same_day = [doc for doc in found if cited is None or doc[1] == cited]
            status, doc_id = ("found", same_day[0][0]) if same_day else ("date_mismatch", found[0][0])
        updates.append({"b_id": citation_id, "b_status": status, "b_doc": doc_id})
        counts[status] += 1
    t = EvidenceCitation.__table__
    by_id = (sa.update(t).where(t.c.id == sa.bindparam("b_id"))
             .values(check_status=sa.bindparam("b_status"), matched_document_id=sa.bindparam("b_doc")))
    for i in range(0, len(updates), BULK_ROWS):  # one executemany per slice
        session.connection().execute(by_id, updates[i:i + BULK_ROWS])
    return counts
