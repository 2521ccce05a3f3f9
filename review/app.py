"""The council review web app (`dti review serve`): server-rendered, Vietnamese-first, no scripts."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from functools import wraps
from pathlib import Path

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from dti import appraisal as core
from dti.reports.excel import write_council_workbook
from dti.settings import TZ, Settings, get_settings
from dti.text import clean, code_key
from dti.warehouse.db import session_scope
from dti.warehouse.models import (
    ClaimLedgerRow,
    EvidenceCitation,
    ExplanationRequest,
    PeriodPhase,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawStaff,
    SelfReport,
    Unit,
    UnitScore,
    User,
)
from review.security import CSRF_FIELD, HEADERS, LoginThrottle, csrf_token, csrf_valid, secret_key

STAFF_ROLES = ("council", "staff", "admin")
_SHA = re.compile(r"^[0-9a-f]{64}$")
# What a council member needs to see of each kind of source record behind an objective value.
RECORD_FIELDS = {
    RawDossier: (
        "Hồ sơ DVC",
        ("dossier_code", "procedure_code", "channel", "received_at", "due_at", "finished_at", "status"),
    ),
    RawDocument: (
        "Văn bản",
        ("direction", "number", "notation", "issue_date", "digitally_signed", "via_axis", "confidential"),
    ),
    RawIncident: ("Sự cố ATTT", ("detected_at", "severity", "category", "resolved_at", "sla_hours")),
    RawInventory: (
        "Kiểm kê ATTT",
        ("as_of", "workstations", "managed_endpoints", "systems", "monitored_systems"),
    ),
    RawStaff: ("Cán bộ ký số", ("eligible_signer", "personal_certificate")),
}
HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "bad request"),
    403: ("Bạn không có quyền truy cập nội dung này", "forbidden"),
    404: ("Không tìm thấy trang hoặc dữ liệu", "not found"),
    405: ("Phương thức không được phép", "method not allowed"),
    413: ("Tệp tải lên quá lớn", "the upload is too large"),
}


def create_app(settings: Settings | None = None, url: str | None = None, config: dict | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="dti_review",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("DTI_REVIEW_SECURE_COOKIE", "").lower() in ("1", "true", "yes"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        # Room for the form fields around a file of the largest allowed size.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        DATABASE_URL=url or settings.database_url,
        DTI_SETTINGS=settings,
        LOGIN_THROTTLE=LoginThrottle(),
    )
    app.config.update(config or {})
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        CSRF_FIELD=CSRF_FIELD,
        ROLES=core.ROLES,
        PHASES=core.PHASES,
        ACTIONS=core.ACTIONS,
        STATUSES=core.STATUSES,
        OUTCOMES=core.OUTCOMES,
    )
    app.jinja_env.filters.update(vn_time=vn_time, value=fmt_value, pts=fmt_points, pct=fmt_pct)
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.register_error_handler(core.ReviewError, _review_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(
        500,
        lambda exc: _error_page(
            500,
            "Lỗi máy chủ; thao tác chưa được lưu. Hãy thử lại hoặc báo cho quản trị",
            "server error; nothing was saved. Try again or tell the administrator",
        ),
    )
    _routes(app)
    return app


# --- helpers -------------------------------------------------------------------------------


@contextmanager
def db() -> Iterator[Session]:
    with session_scope(current_app.config["DATABASE_URL"]) as s:
        yield s


def vn_time(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def fmt_points(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'))}".replace(".", ",")


def fmt_pct(value) -> str:
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}%".replace(".", ",")


def fmt_value(value, measure: str | None = None) -> str:
    if value is None:
        return "—"
    if measure == "rate":
        return fmt_pct(value)
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def _load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    with db() as s:
        user = s.get(User, uid)
    # A password change or a deactivation ends every open session of that user.
    if user is None or not user.active or session.get("pwh") != _pw_fingerprint(user):
        session.clear()
        return
    g.user = user


def _pw_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _check_csrf():
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not csrf_valid(request.form.get(CSRF_FIELD)):
        return _error_page(
            400,
            "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Hãy tải lại trang và thử lại.",
            "the session expired or the form is invalid (missing CSRF token). Reload the page and try again.",
        )
    return None


def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if g.get("user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, message_vi: str, message_en: str, back: str | None = None):
    return (
        render_template("error.html", status=status, message_vi=message_vi, message_en=message_en, back=back),
        status,
    )


def _review_error(exc: core.ReviewError):
    return _error_page(exc.status, exc.message_vi, exc.message_en, back=_referrer_path())


def _http_error(exc: HTTPException):
    vi, en = HTTP_MESSAGES.get(exc.code or 500, ("Lỗi máy chủ", "server error"))
    if exc.code == 413:
        limit = current_app.config["DTI_SETTINGS"].max_upload_bytes
        vi += f" (giới hạn {limit:,} byte)"
        en += f" (limit {limit:,} bytes)"
    return _error_page(exc.code or 500, vi, en)


def login_required(*roles: str):
    """Every route states who may use it; the check runs on the server before the view."""

    def wrap(fn):
        @wraps(fn)
        def inner(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("login", next=request.full_path.rstrip("?")))
            if roles and g.user.role not in roles:
                raise core.forbidden()
            return fn(*args, **kwargs)

        return inner

    return wrap


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home")


def _period_arg(s: Session) -> str | None:
    raw = request.args.get("ky")
    if raw:
        return core.check_period(raw)
    known = core.periods(s)
    return known[0] if known else None


def _claim_or_403(s: Session, period: str, unit: str, indicator: str) -> ClaimLedgerRow:
    period = core.check_period(period)
    # Authorization before existence, so a submitter learns nothing about other units' claims.
    if not core.can_see_unit(g.user, unit):
        raise core.forbidden()
    return core.get_claim(s, period, unit, indicator)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


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


def _check_form_scope(s: Session, path: Path, data: bytes, unit: str) -> None:
    """A unit may only file its own form, and only while its period still takes self-assessments."""
    try:
        from dti.intake.readers import FileRejected, read_file
        from dti.intake.service import _choose_mapping
        from dti.intake.validate import extract
    except ImportError as exc:
        raise core.ReviewError(
            "Không kiểm tra được đơn vị trong biểu mẫu; hãy gửi biểu mẫu cho Sở",
            "the form's unit cannot be checked; send the form to DTI staff",
            503,
        ) from exc
    settings = current_app.config["DTI_SETTINGS"]
    try:
        workbook = read_file(path, data, max_bytes=settings.max_upload_bytes)
        extracted = extract(workbook, _choose_mapping(workbook, path.name), path.name)
    except FileRejected:
        return  # the intake refuses it again, with its own message, and keeps the record
    header = extracted.header_values or {}
    units = {
        clean(str(v))
        for v in [header.get("unit_code")] + [r.fields.get("unit_code") for r in extracted.records]
        if v
    }
    others = sorted(u for u in units if u != unit)
    if others:
        raise core.ReviewError(
            f"Biểu mẫu ghi mã đơn vị {', '.join(others)}; tài khoản của bạn chỉ nộp được cho đơn vị {unit}",
            f"the form names unit {', '.join(others)}; your account may only file for unit {unit}",
            403,
        )
    periods = {
        clean(str(v))
        for v in [header.get("period")] + [r.fields.get("period") for r in extracted.records]
        if v
    }
    for text in sorted(p for p in periods if p):
        try:
            period = core.check_period(text)
        except core.ReviewError:
            continue  # the intake reports the malformed period on its row
        phase = core.get_phase(s, period).phase
        if phase not in ("self_assessment", "submitted", "explanation"):
            raise core.ReviewError(
                f"Kỳ {period} đang ở giai đoạn '{core.PHASES.get(phase, phase)}': không nhận biểu mẫu tự đánh giá",
                f"period {period} is in phase '{phase}': self-assessment forms are closed",
                409,
            )


def source_records(s: Session, row: ClaimLedgerRow) -> list[dict]:
    ids = sorted(row.record_ids or [])[:100]
    out: list[dict] = []
    if not ids:
        return out
    for model, (label, fields) in RECORD_FIELDS.items():
        found = s.execute(
            select(model).where(model.source_id.in_(ids), model.unit_code == row.unit_code)
        ).scalars()
        for rec in sorted(found, key=lambda r: r.source_id):
            out.append(
                {
                    "kind": label,
                    "source_id": rec.source_id,
                    "fields": [(f, getattr(rec, f)) for f in fields],
                    "deleted": rec.deleted,
                }
            )
    return out


def citations_for(s: Session, row: ClaimLedgerRow) -> list[dict]:
    out = [dict(c) for c in (row.citations or []) if isinstance(c, dict)]
    report_ids = select(SelfReport.id).where(
        SelfReport.unit_code == row.unit_code,
        SelfReport.period == row.period,
        SelfReport.indicator_code == row.indicator_code,
    )
    seen = {(c.get("raw"), c.get("status")) for c in out}
    for c in s.execute(
        select(EvidenceCitation).where(EvidenceCitation.self_report_id.in_(report_ids))
    ).scalars():
        if (c.raw, c.check_status) not in seen:
            out.append({"raw": c.raw, "status": c.check_status, "document_id": c.matched_document_id})
    return out


# --- routes --------------------------------------------------------------------------------


def _routes(app: Flask) -> None:  # noqa: C901 - one place lists every route and its roles
    @app.get("/")
    def home():
        if g.user is None:
            return redirect(url_for("login"))
        if g.user.role == "submitter":
            return redirect(url_for("unit_page", unit=g.user.unit_code))
        if g.user.role == "admin":
            return redirect(url_for("admin"))
        return redirect(url_for("queue"))

    @app.route("/dang-nhap", methods=["GET", "POST"])
    def login():
        error = None
        status = 200
        if request.method == "POST":
            username = request.form.get("username", "")
            throttle: LoginThrottle = current_app.config["LOGIN_THROTTLE"]
            wait = throttle.wait_seconds(username)
            if wait:
                minutes = (wait + 59) // 60
                error = (
                    f"Đăng nhập sai quá nhiều lần; hãy thử lại sau khoảng {minutes} phút "
                    f"/ too many failed log-ins; try again in about {minutes} minute(s)"
                )
                return render_template("login.html", error=error), 429
            with db() as s:
                user = core.authenticate(s, username, request.form.get("password", ""))
                if user is not None:
                    throttle.succeeded(username)
                    # A fresh session (and CSRF token) on log-in defeats session fixation.
                    session.clear()
                    session.permanent = True
                    session["uid"] = user.id
                    session["pwh"] = _pw_fingerprint(user)
                    csrf_token()
                    return redirect(_safe_next(request.args.get("next")))
            throttle.failed(username)
            error = "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"
            status = 401
        return render_template("login.html", error=error), status

    @app.post("/dang-xuat")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/hang-doi")
    @login_required()
    def queue():
        with db() as s:
            period = _period_arg(s)
            outcome = request.args.get("ket-qua") or ""
            if outcome and outcome not in core.OUTCOMES:
                raise core.ReviewError(
                    f"Kết quả đối soát '{outcome}' không hợp lệ", f"unknown outcome '{outcome}'", 400
                )
            rows = (
                core.queue(s, period, g.user, (outcome,) if outcome else core.QUEUE_OUTCOMES)
                if period
                else []
            )
            names = dict(s.execute(select(Unit.code, Unit.name_vi)).all())
            phase = core.get_phase(s, period) if period else None
            pending = core.pending_by_claim(s, period) if period else {}
            return render_template(
                "queue.html",
                rows=rows,
                names=names,
                period=period,
                periods=core.periods(s),
                outcome=outcome,
                phase=phase,
                pending=pending,
            )

    @app.get("/chi-tieu/<period>/<unit>/<indicator>")
    @login_required()
    def claim(period, unit, indicator):
        with db() as s:
            row = _claim_or_403(s, period, unit, indicator)
            fw = core.framework(row.framework_id)
            try:
                leaf = fw.leaf(row.indicator_code)
            except KeyError:
                leaf = None
            decisions = core.history(s, row)
            states = {d.id: core.decision_state(s, d) for d in decisions}
            requests_ = (
                s.execute(
                    select(ExplanationRequest)
                    .where(
                        ExplanationRequest.unit_code == row.unit_code,
                        ExplanationRequest.period == row.period,
                        ExplanationRequest.indicator_code == row.indicator_code,
                    )
                    .order_by(ExplanationRequest.id)
                )
                .scalars()
                .all()
            )
            files = [
                f
                for f in core.evidence_for(s, row.unit_code, row.period)
                if f.indicator_code in (None, row.indicator_code)
            ]
            return render_template(
                "claim.html",
                row=row,
                unit=s.get(Unit, row.unit_code),
                leaf=leaf,
                phase=core.get_phase(s, row.period),
                decisions=decisions,
                states=states,
                pending=core.pending_decision(s, row),
                requests=requests_,
                files=files,
                records=source_records(s, row),
                record_total=len(row.record_ids or []),
                citations=citations_for(s, row),
                snapshot=core.evidence_snapshot(s, row),
                threshold=core.four_eyes_points(),
                can_decide=g.user.role == "council",
            )

    @app.post("/chi-tieu/<period>/<unit>/<indicator>/quyet-dinh")
    @login_required("council")
    def decide(period, unit, indicator):
        action = request.form.get("action", "")
        value = core.parse_value(request.form.get("value")) if action == "set_value" else None
        with db() as s:
            row = _claim_or_403(s, period, unit, indicator)
            result = core.decide(
                s,
                g.user,
                row,
                action,
                request.form.get("reason", ""),
                _form_int("version"),
                value=value,
                message=request.form.get("message"),
            )
            if result.applied and action != "request_evidence":
                flash(
                    f"Đã ghi quyết định #{result.decision.id}: điểm thẩm định {fmt_points(result.points_before)} → "
                    f"{fmt_points(result.points_after)}",
                    "ok",
                )
            elif result.applied:
                flash(f"Đã ghi quyết định #{result.decision.id} và gửi yêu cầu giải trình cho đơn vị", "ok")
            else:
                flash(
                    f"Quyết định #{result.decision.id} thay đổi quá {core.four_eyes_points()} điểm: "
                    "đang chờ một thành viên Hội đồng khác phê duyệt",
                    "warn",
                )
            target = url_for("claim", period=row.period, unit=row.unit_code, indicator=row.indicator_code)
        return redirect(target)

    @app.post("/quyet-dinh/<int:decision_id>/phe-duyet")
    @login_required("council")
    def approve(decision_id):
        verdict = request.form.get("verdict")
        if verdict not in ("approve", "reject"):
            raise core.ReviewError("Cần chọn phê duyệt hoặc từ chối", "choose approve or reject")
        with db() as s:
            result = core.review_pending(
                s,
                g.user,
                decision_id,
                verdict == "approve",
                request.form.get("reason", ""),
                _form_int("version"),
            )
            d = result.decision
            flash(
                f"Đã {'phê duyệt' if verdict == 'approve' else 'từ chối'} quyết định #{decision_id} (#{d.id})",
                "ok",
            )
            target = url_for("claim", period=d.period, unit=d.unit_code, indicator=d.indicator_code)
        return redirect(target)

    @app.post("/chi-tieu/<period>/<unit>/<indicator>/yeu-cau-giai-trinh")
    @login_required("staff", "council")
    def request_explanation(period, unit, indicator):
        with db() as s:
            row = _claim_or_403(s, period, unit, indicator)
            req = core.request_explanation(s, g.user, row, request.form.get("message", ""))
            flash(f"Đã gửi yêu cầu giải trình #{req.id} cho đơn vị {row.unit_code}", "ok")
            target = url_for("claim", period=row.period, unit=row.unit_code, indicator=row.indicator_code)
        return redirect(target)

    @app.post("/giai-trinh/<int:request_id>/tra-loi")
    @login_required("submitter")
    def answer(request_id):
        with db() as s:
            req = s.get(ExplanationRequest, request_id)
            if req is None or not core.can_see_unit(g.user, req.unit_code):
                raise core.forbidden()
            sha = None
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                ev = core.store_evidence(
                    s,
                    g.user,
                    upload.read(),
                    upload.filename,
                    req.unit_code,
                    req.period,
                    req.indicator_code,
                    settings=current_app.config["DTI_SETTINGS"],
                )
                sha = ev.sha256
            core.answer_explanation(s, g.user, request_id, request.form.get("answer", ""), sha)
            flash(f"Đã gửi giải trình cho yêu cầu #{request_id}", "ok")
            target = url_for("unit_page", unit=req.unit_code, ky=req.period)
        return redirect(target)

    @app.get("/don-vi/<unit>")
    @login_required()
    def unit_page(unit):
        if not core.can_see_unit(g.user, unit):
            raise core.forbidden()
        with db() as s:
            u = s.get(Unit, unit)
            if u is None:
                raise core.ReviewError(f"Không có đơn vị mã '{unit}'", f"there is no unit '{unit}'", 404)
            period = _period_arg(s)
            claims = []
            score = None
            requests_ = []
            files = []
            if period:
                claims = sorted(
                    s.execute(
                        select(ClaimLedgerRow).where(
                            ClaimLedgerRow.unit_code == unit, ClaimLedgerRow.period == period
                        )
                    ).scalars(),
                    key=lambda r: code_key(r.indicator_code),
                )
                score = s.get(UnitScore, (unit, period))
                requests_ = (
                    s.execute(
                        select(ExplanationRequest)
                        .where(ExplanationRequest.unit_code == unit, ExplanationRequest.period == period)
                        .order_by(ExplanationRequest.id)
                    )
                    .scalars()
                    .all()
                )
                files = core.evidence_for(s, unit, period)
            phase = core.get_phase(s, period) if period else None
            return render_template(
                "unit.html",
                unit=u,
                period=period,
                periods=core.periods(s),
                claims=claims,
                score=score,
                requests=requests_,
                files=files,
                phase=phase,
                evidence_open=phase is not None and core.evidence_open(phase.phase),
            )

    @app.post("/don-vi/<unit>/minh-chung")
    @login_required("submitter", "staff", "admin")
    def upload_evidence(unit):
        if not core.can_see_unit(g.user, unit):
            raise core.forbidden()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise core.ReviewError("Chưa chọn tệp minh chứng", "no evidence file was chosen")
        period = core.check_period(request.form.get("period", ""))
        with db() as s:
            ev = core.store_evidence(
                s,
                g.user,
                upload.read(),
                upload.filename,
                unit,
                period,
                request.form.get("indicator") or None,
                settings=current_app.config["DTI_SETTINGS"],
            )
            flash(f"Đã lưu minh chứng '{ev.filename}' (SHA-256 {ev.sha256[:12]}…)", "ok")
        return redirect(url_for("unit_page", unit=unit, ky=period))

    @app.get("/minh-chung/<sha>")
    @login_required()
    def download_evidence(sha):
        if not _SHA.match(sha):
            raise core.ReviewError("Mã tệp không hợp lệ", "invalid file id", 404)
        with db() as s:
            ev = core.evidence_download(s, g.user, sha)
        root = (current_app.config["DTI_SETTINGS"].files_dir / "evidence").resolve()
        path = Path(ev.stored_path).resolve()
        if root not in path.parents or not path.is_file():
            raise core.ReviewError(
                "Tệp minh chứng không còn trong kho lưu trữ", "the stored file is missing", 404
            )
        return send_file(path, mimetype=ev.content_type, as_attachment=True, download_name=ev.filename)

    @app.route("/nop-bieu-mau", methods=["GET", "POST"])
    @login_required("submitter", "staff", "admin")
    def upload_form():
        result = None
        errors: list[dict] = []
        summary = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise core.ReviewError("Chưa chọn tệp biểu mẫu", "no form file was chosen")
            try:
                from dti.intake.service import import_file
            except ImportError as exc:
                raise core.ReviewError(
                    "Chức năng nhập biểu mẫu tự đánh giá chưa được cài đặt trên máy chủ này",
                    "self-assessment intake is not installed on this server",
                    503,
                ) from exc
            data = upload.read()
            settings = current_app.config["DTI_SETTINGS"]
            if len(data) > settings.max_upload_bytes:
                raise core.ReviewError(
                    f"Tệp vượt giới hạn {settings.max_upload_bytes:,} byte",
                    f"the file is over the {settings.max_upload_bytes:,}-byte limit",
                    413,
                )
            name = core.safe_filename(upload.filename)
            inbox = settings.inbox_dir / "web"
            inbox.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=inbox) as tmp:
                path = Path(tmp) / name
                path.write_bytes(data)
                unit = None
                if g.user.role == "submitter":
                    unit = g.user.unit_code
                    with db() as s:
                        _check_form_scope(s, path, data, unit)
                try:
                    result = import_file(
                        path,
                        url=current_app.config["DATABASE_URL"],
                        submitted_at=core.utc_now(),
                        uploaded_by=g.user.username,
                        unit=unit,
                    )
                except Exception as exc:
                    if type(exc).__name__ != "IntakeError":
                        raise
                    raise core.ReviewError(str(exc), str(exc), 400) from exc
            summary = _plain(getattr(result, "summary", None))
            errors = _row_errors(result)
        return render_template("upload.html", result=result, summary=summary, errors=errors)

    @app.get("/xep-hang")
    @login_required(*STAFF_ROLES)
    def scores():
        with db() as s:
            period = _period_arg(s)
            rows = core.rankings(s, period) if period else []
            return render_template(
                "scores.html",
                rows=rows,
                period=period,
                periods=core.periods(s),
                phase=core.get_phase(s, period) if period else None,
            )

    @app.get("/xuat-excel")
    @login_required(*STAFF_ROLES)
    def export_excel():
        settings = current_app.config["DTI_SETTINGS"]
        with db() as s:
            period = _period_arg(s)
            if period is None:
                raise core.ReviewError("Chưa có kỳ đánh giá nào", "there is no period yet", 404)
            out = settings.out_dir / "review"
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=out) as tmp:
                path = Path(tmp) / f"hoi-dong-{period}.xlsx"
                write_council_workbook(s, period, path)
                data = path.read_bytes()
        return send_file(
            io.BytesIO(data),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"hoi-dong-tham-dinh-{period}.xlsx",
        )

    @app.get("/quan-tri")
    @login_required("admin")
    def admin():
        with db() as s:
            users = s.execute(select(User).order_by(User.username)).scalars().all()
            known = core.periods(s)
            phases = {p: core.get_phase(s, p) for p in known}
            units = s.execute(select(Unit.code, Unit.name_vi).order_by(Unit.code)).all()
            return render_template("admin.html", users=users, phases=phases, units=units)

    @app.post("/quan-tri/nguoi-dung")
    @login_required("admin")
    def admin_create_user():
        with db() as s:
            user = core.create_user(
                s,
                request.form.get("username", ""),
                request.form.get("role", ""),
                request.form.get("password", ""),
                unit_code=request.form.get("unit") or None,
                full_name=request.form.get("full_name"),
            )
            flash(f"Đã tạo tài khoản '{user.username}' ({core.ROLES[user.role]})", "ok")
        return redirect(url_for("admin"))

    @app.post("/quan-tri/nguoi-dung/<int:user_id>/trang-thai")
    @login_required("admin")
    def admin_user_active(user_id):
        with db() as s:
            target = core.set_active(s, g.user, user_id, request.form.get("active") == "1")
            flash(f"Tài khoản '{target.username}': {'đang hoạt động' if target.active else 'đã khoá'}", "ok")
        return redirect(url_for("admin"))

    @app.post("/quan-tri/giai-doan")
    @login_required("admin")
    def admin_phase():
        with db() as s:
            row = core.set_phase(
                s,
                request.form.get("period", ""),
                request.form.get("phase", ""),
                g.user,
                signed_off=request.form.get("signed_off") == "1",
            )
            flash(f"Kỳ {row.period}: giai đoạn '{core.PHASES[row.phase]}'", "ok")
        return redirect(url_for("admin"))

    @app.get("/cong-khai/<period>")
    def public(period):
        period = core.check_period(period)
        with db() as s:
            phase = s.get(PeriodPhase, period)
            if phase is None or phase.phase != "published":
                raise core.ReviewError(
                    f"Kết quả kỳ {period} chưa được công bố",
                    f"the results of {period} are not published",
                    404,
                )
            rows = core.rankings(s, period)
            return render_template("public.html", rows=rows, period=period, phase=phase, public=True)


def _referrer_path() -> str | None:
    ref = request.referrer or ""
    host = request.host_url
    return ref[len(host) - 1 :] if ref.startswith(host) else None
