"""Published periods. Publishing records the People's Committee's decision and freezes a copy of the
ledger, scores, rankings and framework versions (with its hash, sealed in the audit log); from then on
every write path refuses the period (`refuse_if_published`) and what is shown comes from the copy. A
correction is a reopening an administrator asks for and a second person approves; publishing again adds
a version, and the earlier one stays readable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from dti import audit
from dti.freshness import all_sources_freshness
from dti.reconciliation import Claim
from dti.scoring.unit_scores import UnitScoreRow
from dti.settings import TZ
from dti.text import clean, nfc
from dti.verification.store import claim_from_row, score_from_row
from dti.warehouse.models import (
    MAX_INTEGER,
    AuditEntry,
    ClaimLedgerRow,
    FrameworkVersion,
    PeriodPhase,
    Publication,
    Reopening,
    Unit,
    UnitScore,
)

PUBLISHED = "published"


class PeriodFrozen(Exception):
    """A write to a published period. The message says which decision published it and how to correct it."""

    def __init__(self, publication: Publication):
        self.publication = publication
        self.message_vi = (f"Kỳ {publication.period} đã công bố theo Quyết định {publication.decision_number} ngày "
                           f"{publication.signed_on:%d/%m/%Y}: không ghi thêm, không sửa được. Muốn đính chính, dùng "
                           f"`dti period reopen {publication.period} --reason …` (cần người thứ hai phê duyệt); kết quả đã "
                           f"công bố: `dti period export {publication.period}`")
        self.message_en = (f"period {publication.period} was published by decision {publication.decision_number} of "
                           f"{publication.signed_on.isoformat()}: nothing can be written to it. To correct it, "
                           f"`dti period reopen {publication.period} --reason …` (a second person approves); the "
                           f"published results: `dti period export {publication.period}`")
        super().__init__(f"{self.message_vi} / {self.message_en}")


class PublicationError(ValueError):
    """A publication or reopening that cannot be done: Vietnamese first, English alongside."""

    def __init__(self, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi, self.message_en = message_vi, message_en


def current(session: Session, period: str) -> Publication | None:
    """The period's publication in force (None when it is not published, or was reopened since)."""
    return session.scalars(select(Publication).where(Publication.period == period, Publication.withdrawn_at.is_(None))
                           .order_by(Publication.version.desc()).limit(1)).first()


def latest(session: Session, period: str) -> Publication | None:
    """The period's most recent publication, withdrawn or not."""
    return session.scalars(select(Publication).where(Publication.period == period)
                           .order_by(Publication.version.desc()).limit(1)).first()


def find(session: Session, period: str, number: int | None = None) -> Publication:
    """A publication of the period: the one in force, or version `number` (current or withdrawn)."""
    if number is None:
        pub = current(session, period)
        if pub is None:
            raise PublicationError(f"Kỳ {period} chưa công bố (hoặc đã mở lại để đính chính)",
                                   f"period {period} is not published (or was reopened for a correction)")
        return pub
    pub = None if not 0 < number <= MAX_INTEGER else session.scalars(  # beyond an INTEGER column: no such one
        select(Publication).where(Publication.period == period, Publication.version == number)).first()
    if pub is None:
        raise PublicationError(f"Không có bản công bố lần {number} của kỳ {period}",
                               f"there is no publication {number} of {period}")
    return pub


def first_decision_after(session: Session, pub: Publication) -> int | None:
    """The id of the first council decision sealed after `pub` in the audit log (None: none since). The log's
    order, not the clock: a reopening and a decision can fall in the second the period was published."""
    subject = session.scalars(select(AuditEntry.subject).where(AuditEntry.kind == "decision",
                                                               AuditEntry.seq > pub.audit_seq)
                              .order_by(AuditEntry.seq).limit(1)).first()
    return int(subject.split(":")[1]) if subject else None


def refuse_if_published(session: Session, period: str) -> None:
    pub = current(session, period)
    if pub is not None:
        raise PeriodFrozen(pub)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rows(session: Session, model, period: str) -> list[dict]:
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    found = session.scalars(select(model).where(model.period == period).order_by(*[table.c[k] for k in keys]))
    return [{c.name: _json(getattr(r, c.key)) for c in table.columns} for r in found]


def _restore(model, row: dict):
    """A transient ORM row from its snapshot copy, each value back to its column's type."""
    values = {}
    for column in model.__table__.columns:
        value = row.get(column.name)
        kind = _python_type(column)  # through the project's own column types (exact decimals, UTC times)
        if value is not None and kind is Decimal:
            value = Decimal(value)
        elif value is not None and kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif value is not None and kind is dt.date:
            value = dt.date.fromisoformat(value)
        values[column.key] = value
    return model(**values)


def _python_type(column) -> type | None:
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def snapshot_of(session: Session, period: str) -> dict:
    """What is published: the ledger, the scores (with the ranks), unit names and framework versions."""
    ledger = _rows(session, ClaimLedgerRow, period)
    scores = _rows(session, UnitScore, period)
    codes = sorted({r["unit_code"] for r in scores})
    names = {u.code: u.name_vi for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))} if codes else {}
    used = sorted({r["framework_id"] for r in scores})
    year = int(period.split("-")[0])
    frameworks: dict[str, dict] = {}
    stored = session.scalars(select(FrameworkVersion).where(FrameworkVersion.id.in_(used))
                             .order_by(FrameworkVersion.id, FrameworkVersion.version))
    for f in stored:  # of several stored versions, the one in force in the period's year (the latest to start)
        start, end = f.content.get("valid_from") or "", f.content.get("valid_to")
        if start[:4] > str(year) or (end and end[:4] < str(year)):
            continue
        if f.id not in frameworks or start >= frameworks[f.id]["_from"]:
            frameworks[f.id] = {"version": f.version, "checksum": f.checksum, "_from": start}
    frameworks = {k: {"version": v["version"], "checksum": v["checksum"]} for k, v in frameworks.items()}
    return {"period": period, "ledger": ledger, "scores": scores, "unit_names": names, "frameworks": frameworks}


def _bytes(snapshot: dict) -> bytes:
    return json.dumps(nfc(snapshot), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def frozen_rows(pub: Publication) -> tuple[list[Claim], list[UnitScoreRow], dict[str, str], list[dict]]:
    """What `pub` froze: the claims, the scores, the unit names and the report's source table as it stood
    then (empty for a copy made before the table was kept)."""
    data = json.loads(pub.snapshot)
    claims = [claim_from_row(_restore(ClaimLedgerRow, r)) for r in data["ledger"]]
    scores = [score_from_row(_restore(UnitScore, r)) for r in data["scores"]]
    return claims, scores, data["unit_names"], data.get("freshness", [])


def frozen_scores(session: Session, period: str) -> list[tuple[UnitScore, str]] | None:
    """The published ranking rows (transient UnitScore rows) with unit names, for the public page."""
    pub = current(session, period)
    if pub is None:
        return None
    data = json.loads(pub.snapshot)
    return [(_restore(UnitScore, r), data["unit_names"].get(r["unit_code"], r["unit_code"])) for r in data["scores"]]


def _visible(text: str | None) -> str | None:
    """Cleaned text without invisible format characters (zero-width spaces, joiners, direction marks)."""
    return clean("".join(ch for ch in text if unicodedata.category(ch) != "Cf")) if text is not None else None


def publish(session: Session, period: str, decision_number: str, signed_on: dt.date, signer: str | None,
            by: str) -> Publication:
    """Publish a final period: the decision, the frozen copy and its hash, sealed in the audit log."""
    decision_number, signer = _visible(decision_number) or "", _visible(signer)
    if not any(ch.isalnum() for ch in decision_number):
        raise PublicationError("Cần số quyết định công bố (--decision)", "the publishing decision's number is required")
    for label_vi, label_en, text, most in (("số quyết định", "the decision's number", decision_number, 128),
                                           ("người ký", "the signer", signer or "", 255)):
        if len(text) > most:
            raise PublicationError(f"{label_vi.capitalize()} dài {len(text)} ký tự, tối đa {most}",
                                   f"{label_en} is {len(text)} characters long, at most {most}")
    refuse_if_published(session, period)
    phase = session.get(PeriodPhase, period)
    if phase is None or phase.phase != "final":
        raise PublicationError(f"Kỳ {period} chưa ở giai đoạn 'Chốt kết quả': chỉ công bố được kết quả đã chốt",
                               f"period {period} is not in the final phase: only final results can be published")
    if not phase.signed_off:
        raise PublicationError(f"Kết quả kỳ {period} chưa được ký duyệt: ký duyệt ở giai đoạn 'Chốt kết quả' trước "
                               f"(`dti period phase {period} final --signed-off`)",
                               f"the results of {period} are not signed off: sign them off in the final phase first")
    snapshot = snapshot_of(session, period)
    if not snapshot["scores"]:
        raise PublicationError(f"Kỳ {period} chưa có điểm để công bố", f"period {period} has no scores to publish")
    now = audit.utc_now()
    snapshot["freshness"] = all_sources_freshness(session, now.astimezone(TZ))
    data = _bytes(snapshot)
    digest = hashlib.sha256(data).hexdigest()
    previous = latest(session, period)
    version = (previous.version if previous else 0) + 1
    entry = audit.seal(session, "publication", f"publication:{period}:{version}", {
        "period": period, "version": version, "decision_number": decision_number, "signed_on": signed_on.isoformat(),
        "signer": signer, "published_by": by, "snapshot_sha256": digest})
    pub = Publication(period=period, version=version, decision_number=decision_number, signed_on=signed_on,
                      signer=signer, published_by=by, published_at=now, snapshot=data,
                      snapshot_sha256=digest, audit_seq=entry.seq, audit_mac=entry.mac)
    session.add(pub)
    phase.phase, phase.signed_off, phase.changed_by, phase.changed_at = PUBLISHED, True, by, audit.utc_now()
    session.flush()
    return pub


def request_reopening(session: Session, period: str, reason: str, by: str) -> Reopening:
    """An administrator asks to correct a published period; nothing changes until a second person approves."""
    reason = clean(reason) or ""
    if not reason:
        raise PublicationError("Cần lý do mở lại kỳ (--reason)", "a reason is required to reopen a period")
    pub = current(session, period)
    if pub is None:
        raise PublicationError(f"Kỳ {period} chưa công bố, không cần mở lại", f"period {period} is not published")
    waiting = pending_reopening(session, period)
    if waiting is not None:
        raise PublicationError(f"Đã có yêu cầu mở lại #{waiting.id} đang chờ phê duyệt",
                               f"reopening request #{waiting.id} is already waiting for approval")
    request = Reopening(period=period, publication_id=pub.id, reason=reason, requested_by=by,
                        requested_at=audit.utc_now())
    session.add(request)
    session.flush()
    audit.seal(session, "reopening", f"reopening:{request.id}:requested",
               {"period": period, "publication": pub.version, "reason": reason, "requested_by": by})
    return request


def pending_reopening(session: Session, period: str) -> Reopening | None:
    return session.scalars(select(Reopening).where(Reopening.period == period, Reopening.approved_by.is_(None))
                           .order_by(Reopening.id.desc()).limit(1)).first()


def approve_reopening(session: Session, period: str, by: str) -> Reopening:
    """A second person approves: the publication is withdrawn (kept, readable) and the period goes back to
    the explanation phase for the correction; publishing again makes a new version."""
    request = pending_reopening(session, period)
    if request is None:
        raise PublicationError(f"Không có yêu cầu mở lại kỳ {period} nào đang chờ",
                               f"no reopening of {period} is waiting for approval")
    if request.requested_by == by:
        raise PublicationError("Người phê duyệt phải khác người yêu cầu mở lại (nguyên tắc bốn mắt)",
                               "the approver must be a different person from the one who asked (four eyes)")
    pub = session.get(Publication, request.publication_id)
    now = audit.utc_now()
    request.approved_by, request.approved_at = by, now
    pub.withdrawn_at = now
    phase = session.get(PeriodPhase, period)
    phase.phase, phase.signed_off, phase.changed_by, phase.changed_at = "explanation", False, by, now
    audit.seal(session, "reopening", f"reopening:{request.id}:approved",
               {"period": period, "publication": pub.version, "approved_by": by})
    session.flush()
    return request


def listing(session: Session) -> list[Publication]:
    """Every publication, the latest period and version first."""
    return list(session.scalars(select(Publication).order_by(Publication.period.desc(), Publication.version.desc())))


def version_rows(session: Session, period: str, version: int) -> tuple[Publication, list[tuple[UnitScore, str]]]:
    """One publication of a period (current or withdrawn) and its ranking rows, for reading it again."""
    pub = find(session, period, version)
    data = json.loads(pub.snapshot)
    return pub, [(_restore(UnitScore, r), data["unit_names"].get(r["unit_code"], r["unit_code"]))
                 for r in data["scores"]]
