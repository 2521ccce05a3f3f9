"""The refusal every council rule raises: a message a person can act on, and the HTTP status it maps to."""

from __future__ import annotations


class ReviewError(Exception):
    """A refusal a person can act on: Vietnamese first, English alongside, and an HTTP status."""

    def __init__(self, message_vi: str, message_en: str, status: int = 400):
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi = message_vi
        self.message_en = message_en
        self.status = status


def forbidden() -> ReviewError:
    return ReviewError(
        "Bạn không có quyền truy cập nội dung này", "you are not allowed to access this", status=403
    )
