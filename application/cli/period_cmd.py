"""`dti period phase|publish|export|reopen`: move a period through its phases, publish its results by the
People's Committee's decision (freezing them), write a publication's outputs again from its frozen copy,
and reopen a published period for a correction."""

from __future__ import annotations

from application.cli import Action, options
from dti.vocabulary import Phase


def register(sub) -> None:
    period = sub.add_parser("period", help="Kỳ đánh giá: giai đoạn, công bố, mở lại / periods: phases, publication")
    psub = period.add_subparsers(dest="period_command", metavar="ACTION")
    by = dict(required=True, metavar="USER", help="tài khoản thực hiện / the account acting (dti review create-user)")

    p = psub.add_parser("phase", help="Chuyển giai đoạn / move a period to a phase")
    p.add_argument("period", help="kỳ / period, e.g. 2025-R3")
    p.add_argument("phase", choices=[ph.value for ph in Phase if ph != Phase.PUBLISHED],
                   help="giai đoạn / phase (công bố: dùng `dti period publish`)")
    p.add_argument("--signed-off", action="store_true", help="ký duyệt (giai đoạn chốt) / signed off (final)")
    p.add_argument("--by", **by)
    p.set_defaults(func=Action("application.cli.period_run:phase"))

    p = psub.add_parser("publish", help="Công bố kết quả đã chốt / publish final results")
    p.add_argument("period")
    p.add_argument("--decision", required=True, help="số quyết định công bố / the publishing decision's number")
    p.add_argument("--signed-on", required=True, metavar="YYYY-MM-DD", help="ngày ký / date signed")
    p.add_argument("--signer", help="người ký / signer")
    p.add_argument("--by", **by)
    p.set_defaults(func=Action("application.cli.period_run:publish"))

    p = psub.add_parser("export", help="Xuất lại kết quả đã công bố từ bản chốt / write a publication's "
                                       "outputs from its frozen copy")
    p.add_argument("period")
    p.add_argument("--version", type=options.positive_int, metavar="N",
                   help="lần công bố (mặc định: bản đang hiệu lực) / publication version (default: the one in force)")
    p.add_argument("--out", type=options.output_folder, metavar="DIR",
                   help="thư mục ghi (mặc định: $DTI_OUT_DIR/cong-bo/KỲ/lan-N) / folder to write into")
    p.set_defaults(func=Action("application.cli.period_run:export"))

    p = psub.add_parser("reopen", help="Mở lại kỳ đã công bố để đính chính (hai người) / reopen (two people)")
    p.add_argument("period")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--reason", help="yêu cầu mở lại, với lý do / ask, with the reason")
    how.add_argument("--approve", action="store_true", help="phê duyệt yêu cầu của người khác / approve a request")
    p.add_argument("--by", **by)
    p.set_defaults(func=Action("application.cli.period_run:reopen"))
    period.set_defaults(func=lambda args: period.print_help() or 2)
