"""`dti intake …`: write self-assessment forms, import filled ones, send back error reports."""

from __future__ import annotations

from pathlib import Path

from application.cli import Action
from application.cli.options import existing_file, folder, period


def register(sub) -> None:
    intake = sub.add_parser("intake", help="Nhận phiếu tự đánh giá / self-assessment intake")
    cmds = intake.add_subparsers(dest="intake_command", metavar="SUBCOMMAND")

    p = cmds.add_parser("template", help="Tạo phiếu .xlsx cho một đơn vị / write the .xlsx form for a unit")
    p.add_argument("--unit", required=True, help="mã đơn vị / unit code")
    p.add_argument("--period", required=True, type=period,
                   help="kỳ đánh giá, ví dụ 2025-R3 / period such as 2025-R3")
    p.add_argument("-o", "--output", type=Path, help="đường dẫn tệp ra / output path")
    p.set_defaults(func=Action("application.cli.intake_run:template"))

    p = cmds.add_parser("import", help="Nhập một tệp .xlsx/.csv / import one .xlsx or .csv file")
    p.add_argument("file", type=existing_file)
    p.add_argument("--mapping", help="ánh xạ cột (mappings/*.yaml) / column mapping id or YAML path")
    p.add_argument("--unit", help="mã đơn vị nếu tệp không ghi / unit code when the file does not say")
    p.add_argument("--period", type=period,
                   help="kỳ đánh giá nếu tệp không ghi / period when the file does not say")
    p.add_argument("--replace-all", action="store_true",
                   help="thay thế toàn bộ bản nộp trước (không giữ các dòng tệp này không có) / replace the earlier "
                        "submission entirely (rows this file lacks are not carried forward)")
    p.add_argument("--json", action="store_true", help="in tóm tắt dạng JSON / print the summary as JSON")
    p.set_defaults(func=Action("application.cli.intake_run:import_one"))

    p = cmds.add_parser("errors", help="Xuất báo cáo lỗi .xlsx của một tệp / write a file's error report")
    p.add_argument("file_id", help="mã tệp (sha256 hoặc ≥6 ký tự đầu) / file id (sha256 or a ≥6-char prefix)")
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(func=Action("application.cli.intake_run:errors"))

    p = cmds.add_parser("inbox", help="Nhập mọi tệp trong thư mục chờ / import every file in the inbox")
    p.add_argument("--dir", type=folder,
                   help="thư mục (mặc định DTI_INBOX_DIR) / folder (default DTI_INBOX_DIR)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=Action("application.cli.intake_run:inbox"))

    p = cmds.add_parser("mappings", help="Liệt kê các ánh xạ cột / list the column mappings")
    p.set_defaults(func=Action("application.cli.intake_run:mappings"))

    intake.set_defaults(func=lambda args: intake.print_help() or 2)
