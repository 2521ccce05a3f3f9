"""The error pages: every refusal and failure is a plain page in Vietnamese and English, never a trace."""

from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.exceptions import HTTPException

from dti.appraisal.errors import ReviewError

HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "bad request"),
    403: ("Bạn không có quyền truy cập nội dung này", "forbidden"),
    404: ("Không tìm thấy trang hoặc dữ liệu", "not found"),
    405: ("Phương thức không được phép", "method not allowed"),
    413: ("Tệp tải lên quá lớn", "the upload is too large"),
}


def error_page(status: int, message_vi: str, message_en: str, back: str | None = None):
    return (
        render_template("error.html", status=status, message_vi=message_vi, message_en=message_en, back=back),
        status,
    )


def _referrer_path() -> str | None:
    ref = request.referrer or ""
    host = request.host_url
    return ref[len(host) - 1 :] if ref.startswith(host) else None


def review_error(exc: ReviewError):
    return error_page(exc.status, exc.message_vi, exc.message_en, back=_referrer_path())


def http_error(exc: HTTPException):
    vi, en = HTTP_MESSAGES.get(exc.code or 500, ("Lỗi máy chủ", "server error"))
    if exc.code == 413:
        limit = current_app.config["DTI_SETTINGS"].max_upload_bytes
        vi += f" (giới hạn {limit:,} byte)"
        en += f" (limit {limit:,} bytes)"
    return error_page(exc.code or 500, vi, en)


def server_error(exc):
    return error_page(
        500,
        "Lỗi máy chủ; thao tác chưa được lưu. Hãy thử lại hoặc báo cho quản trị",
        "server error; nothing was saved. Try again or tell the administrator",
    )
