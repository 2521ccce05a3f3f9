"""Opening zip-based uploads (xlsx, docx, odt) without letting one explode: the members' declared sizes,
their compression ratios and — since a header can lie — their actual sizes, read as a stream and counted,
are checked against caps before anything unpacks them in memory."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_MEMBERS = 10_000
MAX_RATIO = 200  # real office files compress 5-30x; bombs compress thousands of times
RATIO_FLOOR = 1_000_000  # small members may compress well (runs of spaces) without being bombs
CHUNK = 64 * 1024


@dataclass
class ArchiveRefused(ValueError):
    """Why an archive is refused: a code and the reason in Vietnamese and English."""

    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


def open_checked(data: bytes, name: str, max_total: int) -> zipfile.ZipFile:
    """The archive, once every member has been checked: declared and actual sizes within `max_total` in
    all, no abnormal compression ratio, not too many members. Raises ArchiveRefused otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused("malformed_archive", f"tệp '{name}' là tệp nén hỏng ({exc})",
                             f"'{name}' is a broken zip archive ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise ArchiveRefused("zip_bomb", f"tệp '{name}' chứa {len(members)} thành phần, quá nhiều",
                             f"'{name}' holds {len(members)} parts, too many")
    declared = sum(m.file_size for m in members)
    if declared > max_total:
        raise _too_big(name, declared, max_total)
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise ArchiveRefused(
                "zip_bomb", f"thành phần '{m.filename}' của tệp '{name}' nén bất thường ({m.compress_size:,} → "
                            f"{m.file_size:,} byte); tệp bị từ chối",
                f"part '{m.filename}' of '{name}' has an abnormal compression ratio ({m.compress_size:,} → "
                f"{m.file_size:,} bytes); file refused")
    actual = 0
    for m in members:  # the headers may lie: count what each member really unpacks to, a chunk at a time
        actual += _stream_size(archive, m, name, max_total - actual)
    return archive


def _stream_size(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, room: int) -> int:
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > room or size > member.file_size:
                    raise ArchiveRefused(
                        "zip_bomb", f"thành phần '{member.filename}' của tệp '{name}' giải nén ra nhiều hơn khai báo "
                                    f"({member.file_size:,} byte) hoặc vượt giới hạn; tệp bị từ chối",
                        f"part '{member.filename}' of '{name}' unpacks to more than it declares "
                        f"({member.file_size:,} bytes) or past the limit; file refused")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveRefused("malformed_archive", f"tệp '{name}' là tệp nén hỏng ({exc})",
                             f"'{name}' is a broken zip archive ({exc})") from None
    return size


def _too_big(name: str, total: int, limit: int) -> ArchiveRefused:
    return ArchiveRefused("zip_bomb", f"tệp '{name}' khi giải nén lên tới {total:,} byte, vượt giới hạn {limit:,} byte",
                          f"'{name}' expands to {total:,} bytes, over the {limit:,}-byte limit")


def read_member(archive: zipfile.ZipFile, member: str, limit: int) -> bytes:
    """One member's bytes, read no further than `limit` (a member bigger than that is refused)."""
    out = bytearray()
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            out += chunk
            if len(out) > limit:
                raise ArchiveRefused("zip_bomb", f"thành phần '{member}' quá lớn", f"part '{member}' is too large")
    return bytes(out)
