"""A unit's pages: its claims, scores and explanation requests, its evidence files (upload and
download), its answers, and the upload of self-assessment forms into the intake."""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for

from dti.appraisal import claims, evidence, explanations
from dti.appraisal.accounts import FILING_ROLES, can_see_unit
from dti.appraisal.errors import ReviewError, forbidden
from dti.appraisal.forms import check_form_scope
from dti.appraisal.phases import check_period, evidence_open, get_phase, periods
from dti.appraisal.scores import unit_score
from dti.audit import utc_now
from dti.evidence.extract import preview_png
from dti.intake.service import IntakeError, import_file
from dti.verification.history import period_changes
from dti.vocabulary import Role
from expectations.self_reports import check_self_reports
from review.web import db, login_required, period_arg, settings

bp = Blueprint("units", __name__)
_SHA = re.compile(r"^[0-9a-f]{64}$")
MAX_PREVIEW_PAGE = 50


def _upload(name: str, missing_vi: str, missing_en: str):
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        raise ReviewError(missing_vi, missing_en)
    return upload


@bp.get("/don-vi/<unit>", endpoint="unit")
@login_required()
def unit_page(unit):
    if not can_see_unit(g.user, unit):
        raise forbidden()
    with db() as s:
        u = claims.get_unit(s, unit)
        period = period_arg(s)
        phase = get_phase(s, period) if period else None
        return render_template(
            "unit.html",
            unit=u,
            period=period,
            periods=periods(s),
            claims=claims.unit_claims(s, unit, period) if period else [],
            score=unit_score(s, unit, period) if period else None,
            change=period_changes(s, period, unit).get(unit) if period else None,
            requests=explanations.explanation_requests(s, unit, period) if period else [],
            files=evidence.evidence_for(s, unit, period) if period else [],
            phase=phase,
            evidence_open=phase is not None and evidence_open(phase.phase),
        )


@bp.post("/don-vi/<unit>/minh-chung")
@login_required(*FILING_ROLES)
def upload_evidence(unit):
    if not can_see_unit(g.user, unit):
        raise forbidden()
    upload = _upload("file", "Chưa chọn tệp minh chứng", "no evidence file was chosen")
    period = check_period(request.form.get("period", ""))
    with db() as s:
        ev = evidence.store_evidence(
            s,
            g.user,
            upload.read(),
            upload.filename,
            unit,
            period,
            request.form.get("indicator") or None,
            settings=settings(),
        )
        flash(f"Đã lưu minh chứng '{ev.filename}' (SHA-256 {ev.sha256[:12]}…)", "ok")
    return redirect(url_for("units.unit", unit=unit, ky=period))


@bp.get("/minh-chung/<sha>")
@login_required()
def download_evidence(sha):
    if not _SHA.match(sha):
        raise ReviewError("Mã tệp không hợp lệ", "invalid file id", 404)
    with db() as s:
        ev = evidence.evidence_download(s, g.user, sha)
    path = evidence.stored_path(ev, settings())
    return send_file(path, mimetype=ev.content_type, as_attachment=True, download_name=ev.filename)


@bp.get("/minh-chung/<sha>/trang-<int(max=2147483647):page>.png")
@login_required()
def preview_evidence(sha, page):
    """One page of an evidence file as an image, for the claim page (same access as the download)."""
    if not _SHA.match(sha) or not 1 <= page <= MAX_PREVIEW_PAGE:
        raise ReviewError("Không có trang này", "no such page", 404)
    with db() as s:
        ev = evidence.evidence_download(s, g.user, sha)
    png = preview_png(evidence.stored_path(ev, settings()).read_bytes(), page)
    if png is None:
        raise ReviewError("Không xem trước được trang này", "this page has no preview", 404)
    response = send_file(io.BytesIO(png), mimetype="image/png", download_name=f"{sha[:12]}-trang-{page}.png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/giai-trinh/<int(max=2147483647):request_id>/tra-loi")
@login_required(Role.SUBMITTER)
def answer(request_id):
    upload = request.files.get("file")
    file = (upload.read(), upload.filename) if upload is not None and upload.filename else None
    with db() as s:
        req = explanations.answer_with_file(
            s, g.user, request_id, request.form.get("answer", ""), file, settings=settings()
        )
        flash(f"Đã gửi giải trình cho yêu cầu #{request_id}", "ok")
        target = url_for("units.unit", unit=req.unit_code, ky=req.period)
    return redirect(target)


def _plain(obj):
    if obj is None or isinstance(obj, str | int | float | Decimal | bool):
        return obj
    if is_dataclass(obj):
        return asdict(obj)
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def _row_errors(result) -> list[dict]:
    """One line per problem: the intake's rejected rows (each with its reasons) or a flat error list."""
    out: list[dict] = []
    file_error = (getattr(result, "summary", None) or {}).get("error") if hasattr(result, "summary") else None
    if isinstance(file_error, dict):
        out.append({"sheet": "", "row": "", "column": "", "value": "", **file_error})
    for item in getattr(result, "rejected_rows", None) or []:
        item = _plain(item)
        for reason in item.get("reasons") or [{}]:
            out.append({"sheet": item.get("sheet"), "row": item.get("row"), **_plain(reason)})
    for item in getattr(result, "errors", None) or []:
        out.append(_plain(item))
    return out


def _import_form(data: bytes, filename: str):
    """Hand the form to the intake; a submitter's form is first held to its own unit and open periods."""
    limits = settings()
    inbox = limits.inbox_dir / "web"
    inbox.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=inbox) as tmp:
        path = Path(tmp) / evidence.safe_filename(filename)
        path.write_bytes(data)
        unit = None
        if g.user.role == Role.SUBMITTER:
            unit = g.user.unit_code
            with db() as s:
                check_form_scope(s, path, data, unit, limits, g.user)
        try:
            return import_file(
                path,
                wh=current_app.config["WAREHOUSE"],
                row_checks=check_self_reports,
                submitted_at=utc_now(),
                uploaded_by=g.user.username,
                unit=unit,
                replace_all=request.form.get("replace_all") == "1",
            )
        except IntakeError as exc:
            raise ReviewError(str(exc), str(exc), 400) from exc


@bp.route("/nop-bieu-mau", methods=["GET", "POST"])
@login_required(*FILING_ROLES)
def upload_form():
    result = None
    errors: list[dict] = []
    summary = None
    if request.method == "POST":
        upload = _upload("file", "Chưa chọn tệp biểu mẫu", "no form file was chosen")
        data = upload.read()
        limit = settings().max_upload_bytes
        if len(data) > limit:
            raise ReviewError(
                f"Tệp vượt giới hạn {limit:,} byte", f"the file is over the {limit:,}-byte limit", 413
            )
        result = _import_form(data, upload.filename)
        summary = _plain(getattr(result, "summary", None))
        errors = _row_errors(result)
    return render_template("upload.html", result=result, summary=summary, errors=errors)
