"""Checking the audit trail end to end, trusting nothing the database says about itself: the decisions'
hash chain, the keyed log (every MAC recomputed with the key), every decision against its sealed entry,
every evidence snapshot blob against its hash, the ledger against the decisions applied to it, every
publication against its sealed record, and the log's length against a checkpoint kept outside."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dti.audit.chain import GENESIS, compute_hash, decision_fields, decision_payload
from dti.audit.sealed import (
    GENESIS_MAC,
    audit_key,
    canonical,
    checkpoint_is_genuine,
    entries,
    mac_of,
)
from dti.vocabulary import Action, DecisionStatus
from dti.warehouse.models import BlobStore, ClaimLedgerRow, Decision, Publication

APPLIED = (DecisionStatus.EFFECTIVE, DecisionStatus.APPROVED)


@dataclass(frozen=True)
class Problem:
    decision_id: int | None
    kind: str  # edited / broken_chain / missing / forged / key / blob / ledger / truncated / checkpoint
    message_vi: str
    message_en: str
    seq: int | None = None  # the audit log entry concerned, when there is one

    def __str__(self) -> str:
        if self.decision_id is not None:
            where = f"quyết định #{self.decision_id}"
        else:
            where = f"mục nhật ký #{self.seq}" if self.seq is not None else "nhật ký"
        return f"{where}: {self.message_vi} / {self.message_en}"


def _chain(rows: list[Decision]) -> list[Problem]:
    problems: list[Problem] = []
    expected_prev = GENESIS
    for row in rows:
        if row.prev_hash != expected_prev:
            problems.append(Problem(
                row.id, "broken_chain",
                f"mắt xích bị đứt: prev_hash {row.prev_hash[:12]}… không khớp quyết định liền trước "
                f"({expected_prev[:12]}…) — có dòng bị xoá, chèn hoặc đổi thứ tự",
                f"broken chain: prev_hash {row.prev_hash[:12]}… does not match the previous decision "
                f"({expected_prev[:12]}…) — a row was deleted, inserted or reordered"))
        actual = compute_hash(decision_fields(row))
        if actual != row.hash:
            problems.append(Problem(
                row.id, "edited", f"nội dung đã bị sửa: hash lưu {row.hash[:12]}…, tính lại {actual[:12]}…",
                f"contents were edited: stored hash {row.hash[:12]}…, recomputed {actual[:12]}…"))
        expected_prev = row.hash
    return problems


def _log(session: Session, key: bytes) -> tuple[list[Problem], dict[str, tuple[int, str]]]:
    """The keyed log: contiguous, linked, every MAC genuine. Returns the problems and, per subject, the
    (seq, payload) of its last entry."""
    problems: list[Problem] = []
    sealed: dict[str, tuple[int, str]] = {}
    prev = GENESIS_MAC
    log = entries(session)
    for expected_seq, entry in enumerate(log, start=1):
        if entry.seq != expected_seq:
            problems.append(Problem(None, "missing", f"thiếu mục {expected_seq}–{entry.seq - 1} của nhật ký (bị xoá)",
                                    f"entries {expected_seq}–{entry.seq - 1} of the log are missing (deleted)",
                                    entry.seq))
        genuine = mac_of(key, entry.seq, entry.kind, entry.subject, entry.payload, entry.prev_mac)
        if not hmac.compare_digest(genuine, entry.mac) or entry.prev_mac != prev:
            problems.append(Problem(None, "forged", "mã xác thực không khớp: mục bị sửa, chèn hoặc nối lại chuỗi",
                                    "its MAC does not match: the entry was edited, inserted or the log re-chained",
                                    entry.seq))
        prev = entry.mac
        sealed[entry.subject] = (entry.seq, entry.payload)
    count = len(log)
    if count > 1 and sum(p.kind == "forged" for p in problems) == count:
        # every entry fails: far likelier a different key than a log rewritten whole; say so first
        problems.insert(0, Problem(None, "key", "mọi mục đều sai mã xác thực — khoá nhật ký đang dùng (DTI_AUDIT_KEY "
                                                "hoặc $DTI_DATA_DIR/audit.key) có lẽ không phải khoá đã niêm phong; "
                                                "kiểm tra khoá trước khi kết luận nhật ký bị sửa",
                                   "every entry's MAC fails — the audit key in use (DTI_AUDIT_KEY or "
                                   "$DTI_DATA_DIR/audit.key) is probably not the key that sealed the log; check the "
                                   f"key before concluding the log was rewritten ({count} entries)"))
    return problems, sealed


def _decisions(rows: list[Decision], sealed: dict[str, tuple[int, str]]) -> list[Problem]:
    problems: list[Problem] = []
    for row in rows:
        entry = sealed.get(f"decision:{row.id}")
        if entry is None:
            problems.append(Problem(row.id, "missing", "quyết định không có trong nhật ký có khoá (bị chèn thêm)",
                                    "the decision is not in the keyed log (it was inserted)"))
        elif entry[1] != canonical(decision_payload(row)):
            problems.append(Problem(row.id, "edited", "quyết định khác với bản đã niêm phong trong nhật ký",
                                    "the decision differs from the copy sealed in the log", entry[0]))
    ids = {row.id for row in rows}
    for subject, (seq, _payload) in sorted(sealed.items(), key=lambda kv: kv[1][0]):
        if subject.startswith("decision:") and int(subject.split(":")[1]) not in ids:
            problems.append(Problem(int(subject.split(":")[1]), "missing",
                                    "quyết định đã niêm phong nhưng không còn trong kho (bị xoá)",
                                    "the decision was sealed but is no longer in the warehouse (deleted)", seq))
    return problems


def _blobs(session: Session, rows: list[Decision]) -> list[Problem]:
    """Every evidence snapshot a decision relied on is read and hashed."""
    problems: list[Problem] = []
    for row in rows:
        blob = session.get(BlobStore, row.evidence_snapshot)
        if blob is None or hashlib.sha256(blob.data).hexdigest() != row.evidence_snapshot:
            what = "không còn" if blob is None else "đã bị thay nội dung"
            problems.append(Problem(row.id, "blob", f"bản chụp minh chứng {row.evidence_snapshot[:12]}… {what}",
                                    f"evidence snapshot {row.evidence_snapshot[:12]}… is "
                                    f"{'missing' if blob is None else 'replaced'}"))
    return problems


def _ledger(session: Session, rows: list[Decision]) -> list[Problem]:
    """The ledger rows that cite a decision carry the value it decided."""
    by_id = {row.id: row for row in rows}
    problems: list[Problem] = []
    cited = session.execute(select(ClaimLedgerRow).where(ClaimLedgerRow.decision_id.is_not(None))).scalars()
    for claim in sorted(cited, key=lambda c: (c.decision_id, c.unit_code, c.indicator_code)):
        d = by_id.get(claim.decision_id)
        if d is None:
            problems.append(Problem(claim.decision_id, "missing",
                                    "bảng kết quả thẩm định trỏ tới quyết định này nhưng nó không còn trong nhật ký "
                                    "(bị xoá)", "the claim ledger cites this decision but it is no longer in the "
                                    "log (deleted)"))
        elif d.status in APPLIED and d.action != Action.REQUEST_EVIDENCE and d.value is not None and (
                claim.verified_value is None or claim.verified_value.compare(d.value) != 0):
            problems.append(Problem(d.id, "ledger", f"giá trị thẩm định của {claim.unit_code} {claim.indicator_code} "
                                                    f"là {claim.verified_value}, quyết định ghi {d.value}",
                                    f"the verified value of {claim.unit_code} {claim.indicator_code} is "
                                    f"{claim.verified_value}, the decision says {d.value}"))
    for row in rows:
        if row.approves_id is not None and row.approves_id not in by_id:
            problems.append(Problem(row.approves_id, "missing",
                                    f"quyết định #{row.id} phê duyệt quyết định này nhưng nó không còn (bị xoá)",
                                    f"decision #{row.id} approves this decision but it is gone (deleted)"))
    return problems


def _publications(session: Session, sealed: dict[str, tuple[int, str]]) -> list[Problem]:
    problems: list[Problem] = []
    for pub in session.scalars(select(Publication).order_by(Publication.id)):
        entry = sealed.get(f"publication:{pub.period}:{pub.version}")
        digest = hashlib.sha256(pub.snapshot).hexdigest()
        sealed_sha = json.loads(entry[1]).get("snapshot_sha256") if entry else None
        if digest != pub.snapshot_sha256 or sealed_sha != pub.snapshot_sha256:
            problems.append(Problem(None, "publication", f"bản công bố kỳ {pub.period} (lần {pub.version}) không khớp "
                                                         "bản đã niêm phong",
                                    f"the publication of {pub.period} (version {pub.version}) does not match the "
                                    "sealed record", entry[0] if entry else None))
    return problems


def _against_checkpoint(session: Session, point: dict, key: bytes) -> list[Problem]:
    if not checkpoint_is_genuine(point, key):
        return [Problem(None, "checkpoint", "mốc kiểm tra không hợp lệ (chữ ký sai hoặc tệp bị sửa)",
                        "the checkpoint is not genuine (wrong signature or an edited file)")]
    if int(point["seq"]) == 0:  # taken on an empty log: any log, however long, has kept all it had
        return []
    by_seq = {e.seq: e for e in entries(session)}
    entry = by_seq.get(int(point["seq"]))
    if entry is None:
        return [Problem(None, "truncated", f"nhật ký ngắn hơn mốc kiểm tra (mốc ở mục {point['seq']}): đã bị cắt",
                        f"the log is shorter than the checkpoint (head at entry {point['seq']}): it was truncated",
                        int(point["seq"]))]
    if entry.mac != point["mac"]:
        return [Problem(None, "checkpoint", "mục tại mốc kiểm tra khác với lúc ghi mốc: nhật ký đã bị viết lại",
                        "the entry at the checkpoint differs from when it was taken: the log was rewritten",
                        entry.seq)]
    return []


def verify(session: Session, checkpoint: dict | None = None, key: bytes | None = None) -> list[Problem]:
    """Every problem found, the first one first; an empty list means the trail is intact."""
    key = key or audit_key()
    rows = list(session.execute(select(Decision).order_by(Decision.id)).scalars())
    log_problems, sealed = _log(session, key)
    problems = [*_chain(rows), *log_problems, *_decisions(rows, sealed), *_blobs(session, rows),
                *_ledger(session, rows), *_publications(session, sealed)]
    if checkpoint is not None:
        problems += _against_checkpoint(session, checkpoint, key)
    return problems
