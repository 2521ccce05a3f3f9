"""Evidence files (checked by content, kept by sha256) and the evidence snapshot a decision is made on."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dti.appraisal.accounts import FILING_ROLES, can_see_unit, require_current_unit, require_role
from dti.appraisal.errors import ReviewError, forbidden
from dti.appraisal.phases import check_period, evidence_open, get_phase
from dti.appraisal.scores import VALUE_SCALE
from dti.archives import ArchiveRefused, open_checked, read_member
from dti.audit import utc_now
from dti.framework import Period, framework_for_type, load_all
from dti.framework.loader import pick
from dti.settings import Settings, get_settings
from dti.text import clean, code_key, nfc
from dti.vocabulary import Phase
from dti.warehouse.models import BlobStore, ClaimLedgerRow, EvidenceFile, Unit, User

EVIDENCE_TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": ("application/vnd.oasis.opendocument.text", (".odt",)),
}
ACCEPTED = "PDF, PNG, JPEG, DOCX, XLSX, ODT"


def sniff_type(data: bytes, name: str = "", max_unpacked: int = 100 * 1024 * 1024) -> str | None:
    """The evidence kind the bytes really are (PDF, PNG, JPEG, DOCX, XLSX, ODT), or None. An office file
    is opened only once every member's size is checked (a zip bomb is refused: ArchiveRefused)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with open_checked(data, name, max_unpacked) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and read_member(zf, "mimetype", 256).strip() == EVIDENCE_TYPES["odt"][0].encode():
                    return "odt"
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return "docx"
                    if "xl/workbook.xml" in names:
                        return "xlsx"
        except ArchiveRefused as exc:
            if exc.code == "zip_bomb":
                raise ReviewError(exc.message_vi, exc.message_en, 413) from None
            return None
        except (zipfile.BadZipFile, KeyError, OSError):
            return None
    return None


def safe_filename(name: str | None) -> str:
    name = nfc(name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "tep"


def _check_filing(session: Session, user: User, unit_code: str, period: str) -> str:
    """The checked period, once `user` may file evidence for the unit and the period still takes it."""
    require_role(user, *FILING_ROLES)
    if not can_see_unit(user, unit_code):
        raise forbidden()
    require_current_unit(session, user)
    period = check_period(period)
    if session.get(Unit, unit_code) is None:
        raise ReviewError(
            f"Không có đơn vị mã '{unit_code}'", f"there is no unit with code '{unit_code}'", 404
        )
    phase = get_phase(session, period).phase
    if not evidence_open(phase):
        raise ReviewError(
            f"Kỳ {period} đang ở giai đoạn '{Phase.label(phase)}': minh chứng đã bị khoá, không nhận tệp mới",
            f"period {period} is in phase '{phase}': evidence is locked, no new files are accepted",
            409,
        )
    return period


def _check_indicator(session: Session, unit_code: str, period: str, code: str | None) -> str | None:
    """An indicator a file is filed for must be one of the unit's indicators in its framework (or none:
    a file for the whole unit)."""
    if not code:
        return None
    unit = session.get(Unit, unit_code)
    frameworks = load_all()
    fw = pick(frameworks, unit.framework_id, Period.parse(period).year)
    fw = fw or framework_for_type(frameworks, unit.unit_type, Period.parse(period).year)
    if fw is None or code not in {leaf.code for leaf in fw.leaves() if fw.applies(leaf, unit.unit_type)}:
        raise ReviewError(f"Chỉ số '{code}' không có trong bộ chỉ số của đơn vị {unit_code}",
                          f"indicator '{code}' is not in unit {unit_code}'s framework")
    return code


def _check_content(data: bytes, name: str, limit: int) -> str:
    """The evidence kind of an upload within the size limit whose name matches its contents."""
    if len(data) > limit:
        raise ReviewError(
            f"Tệp '{name}' có {len(data):,} byte, vượt giới hạn {limit:,} byte",
            f"file '{name}' has {len(data):,} bytes, over the {limit:,}-byte limit",
            413,
        )
    if not data:
        raise ReviewError(f"Tệp '{name}' rỗng", f"file '{name}' is empty")
    kind = sniff_type(data, name, 5 * limit)
    if kind is None:
        raise ReviewError(
            f"Tệp '{name}' không phải là loại được nhận ({ACCEPTED}) theo nội dung tệp",
            f"file '{name}' is not an accepted type ({ACCEPTED}) judging by its contents",
            415,
        )
    extensions = EVIDENCE_TYPES[kind][1]
    if not name.lower().endswith(extensions):
        raise ReviewError(
            f"Tên tệp '{name}' không khớp nội dung ({kind.upper()}); phần mở rộng cần là {', '.join(extensions)}",
            f"file name '{name}' does not match its contents ({kind.upper()}); the extension should be "
            f"{', '.join(extensions)}",
            415,
        )
    return kind


def _earlier_filing(
    session: Session, sha: str, unit_code: str, period: str, indicator_code: str | None
) -> EvidenceFile | None:
    return session.execute(
        select(EvidenceFile).where(
            EvidenceFile.sha256 == sha,
            EvidenceFile.unit_code == unit_code,
            EvidenceFile.period == period,
            EvidenceFile.indicator_code.is_(None)
            if indicator_code is None
            else EvidenceFile.indicator_code == indicator_code,
        )
    ).scalar_one_or_none()


def _keep_file(settings: Settings, data: bytes, sha: str, extension: str) -> Path:
    target = settings.files_dir / "evidence" / sha[:2] / f"{sha}{extension}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return target


def store_evidence(
    session: Session,
    user: User,
    data: bytes,
    filename: str,
    unit_code: str,
    period: str,
    indicator_code: str | None = None,
    settings: Settings | None = None,
) -> EvidenceFile:
    """Check and keep one evidence file, content-addressed by its sha256 under files_dir/evidence/."""
    period = _check_filing(session, user, unit_code, period)
    indicator_code = _check_indicator(session, unit_code, period, clean(indicator_code))
    settings = settings or get_settings()
    name = safe_filename(filename)
    content_type, extensions = EVIDENCE_TYPES[_check_content(data, name, settings.max_upload_bytes)]
    sha = hashlib.sha256(data).hexdigest()
    # The same content filed again for the same unit, period and indicator is the same filing.
    existing = _earlier_filing(session, sha, unit_code, period, indicator_code)
    if existing is not None:
        return existing
    target = _keep_file(settings, data, sha, extensions[0])
    row = EvidenceFile(
        sha256=sha,
        filename=name,
        content_type=content_type,
        size=len(data),
        stored_path=str(target),
        unit_code=unit_code,
        period=period,
        indicator_code=indicator_code,
        uploaded_by=user.username,
        uploaded_at=utc_now(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ReviewError(
            f"Tệp '{name}' vừa được nộp cùng lúc ở một phiên khác; hãy tải lại trang để kiểm tra",
            f"file '{name}' was just filed from another session at the same time; reload the page to check",
            409,
        ) from exc
    return row


def evidence_download(session: Session, user: User, sha: str) -> EvidenceFile:
    """The filing of `sha` this user may download: one of its own unit's, or any for council and staff."""
    rows = (
        session.execute(select(EvidenceFile).where(EvidenceFile.sha256 == sha).order_by(EvidenceFile.id))
        .scalars()
        .all()
    )
    if not rows:
        raise ReviewError("Không có tệp minh chứng này", "no such evidence file", 404)
    visible = [r for r in rows if can_see_unit(user, r.unit_code)]
    if not visible:  # the same answer as for a file that does not exist: no oracle of other units' files
        raise ReviewError("Không có tệp minh chứng này", "no such evidence file", 404)
    return visible[0]


def stored_path(evidence: EvidenceFile, settings: Settings) -> Path:
    """Where the filing's bytes are, refusing any path outside files_dir/evidence/."""
    root = (settings.files_dir / "evidence").resolve()
    path = Path(evidence.stored_path).resolve()
    if root not in path.parents or not path.is_file():
        raise ReviewError("Tệp minh chứng không còn trong kho lưu trữ", "the stored file is missing", 404)
    return path


def evidence_for(session: Session, unit_code: str, period: str) -> list[EvidenceFile]:
    rows = session.execute(
        select(EvidenceFile).where(EvidenceFile.unit_code == unit_code, EvidenceFile.period == period)
    ).scalars()
    return sorted(rows, key=lambda f: (code_key(f.indicator_code or ""), f.filename, f.sha256))


def _counts_for(indicator_code: str | None, row: ClaimLedgerRow) -> bool:
    """A file filed for the whole unit (no indicator) counts as evidence for every one of its claims."""
    return indicator_code in (None, row.indicator_code)


def evidence_for_claim(session: Session, row: ClaimLedgerRow) -> list[EvidenceFile]:
    return [f for f in evidence_for(session, row.unit_code, row.period) if _counts_for(f.indicator_code, row)]


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value.quantize(VALUE_SCALE))
    return value


def evidence_snapshot(session: Session, row: ClaimLedgerRow, store: bool = False) -> str:
    """Hash of everything the council sees as evidence for a claim; with `store`, kept as a blob.

    Only decisions store it, under the chain lock, so two writers never insert the same blob.
    """
    files = session.execute(
        select(EvidenceFile.sha256, EvidenceFile.indicator_code).where(
            EvidenceFile.unit_code == row.unit_code, EvidenceFile.period == row.period
        )
    ).all()
    snapshot = {
        "unit_code": row.unit_code,
        "period": row.period,
        "indicator_code": row.indicator_code,
        "self_value": _json_value(row.self_value),
        "objective_value": _json_value(row.objective_value),
        "objective_numerator": _json_value(row.objective_numerator),
        "objective_denominator": _json_value(row.objective_denominator),
        "record_count": row.record_count,
        "snapshot_id": row.snapshot_id,
        "record_ids": sorted(row.record_ids or []),
        "citations": row.citations or [],
        "files": sorted(sha for sha, code in files if _counts_for(code, row)),
    }
    data = json.dumps(nfc(snapshot), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    sha = hashlib.sha256(data).hexdigest()
    if store and session.get(BlobStore, sha) is None:
        session.add(BlobStore(sha256=sha, data=data))
    return sha


def snapshot_content(session: Session, sha: str) -> dict | None:
    blob = session.get(BlobStore, sha)
    return json.loads(blob.data) if blob is not None else None
