"""What `dti period phase|publish|export|reopen` do."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from application.cli import CliError
from dti import publication
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import check_period, set_phase
from dti.reports.publish import write_publication
from dti.vocabulary import Phase, Role
from dti.warehouse import Warehouse
from dti.warehouse.models import User


def _user(session, username: str, *roles: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise CliError(f"không có tài khoản đang hoạt động '{username}' / no active account '{username}'")
    if user.role not in roles:
        wanted = ", ".join(Role(r).vi for r in roles)
        raise CliError(f"tài khoản '{username}' không có quyền này (cần: {wanted}) / '{username}' may not do this")
    return user


def _period(text: str) -> str:
    try:
        return check_period(text)
    except ReviewError as exc:
        raise CliError(str(exc)) from None


def phase(args) -> int:
    period = _period(args.period)
    with Warehouse().migrate().transaction() as s:
        user = _user(s, args.by, Role.ADMIN)
        try:
            row = set_phase(s, period, args.phase, user, signed_off=args.signed_off)
        except ReviewError as exc:
            raise CliError(str(exc)) from None
        print(f"Kỳ {period}: giai đoạn '{Phase(row.phase).vi}' / period {period}: phase '{row.phase}'")
    return 0


def publish(args) -> int:
    period = _period(args.period)
    try:
        signed_on = dt.date.fromisoformat(args.signed_on)
    except ValueError:
        raise CliError(f"--signed-on '{args.signed_on}' cần dạng YYYY-MM-DD / must look like 2026-03-31") from None
    with Warehouse().migrate().transaction() as s:
        user = _user(s, args.by, Role.ADMIN)
        try:
            pub = publication.publish(s, period, args.decision, signed_on, args.signer, user.username)
        except (publication.PublicationError, publication.PeriodFrozen) as exc:
            raise CliError(str(exc)) from None
        print(f"Đã công bố kỳ {period} lần {pub.version} theo Quyết định {pub.decision_number} ngày "
              f"{pub.signed_on:%d/%m/%Y} / published {period} (version {pub.version}); "
              f"bản công bố / snapshot sha256 {pub.snapshot_sha256}; "
              f"mốc nhật ký / audit checkpoint #{pub.audit_seq} {pub.audit_mac}")
    _write_published(period, None, None)  # once the publication is committed
    return 0


def _write_published(period: str, version: int | None, out) -> None:
    with Warehouse().migrate().session() as s:  # a warehouse not made yet has published nothing: say so
        try:
            pub, folder, written = write_publication(s, period, version, out)
        except publication.PublicationError as exc:
            raise CliError(str(exc)) from None
    print(f"Kết quả công bố lần {pub.version} (từ bản chốt, sha256 {pub.snapshot_sha256[:12]}…) ghi tại / "
          f"the publication's outputs, from its frozen copy, are in {folder}: {', '.join(sorted(written['files']))}")


def export(args) -> int:
    _write_published(_period(args.period), args.version, args.out)
    return 0


def reopen(args) -> int:
    period = _period(args.period)
    with Warehouse().migrate().transaction() as s:
        try:
            if args.approve:
                user = _user(s, args.by, Role.ADMIN, Role.COUNCIL)
                publication.approve_reopening(s, period, user.username)
                print(f"Kỳ {period} đã mở lại để đính chính (giai đoạn giải trình); bản công bố cũ vẫn xem được / "
                      f"{period} is reopened for a correction; the earlier publication stays readable")
            else:
                user = _user(s, args.by, Role.ADMIN)
                request = publication.request_reopening(s, period, args.reason, user.username)
                print(f"Yêu cầu mở lại #{request.id} đã ghi; cần một người khác phê duyệt: "
                      f"`dti period reopen {period} --approve --by …` / reopening #{request.id} recorded; "
                      "a second person approves it")
        except publication.PublicationError as exc:
            raise CliError(str(exc)) from None
    return 0
