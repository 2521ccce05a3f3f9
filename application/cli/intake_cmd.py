"""`dti intake …`: write self-assessment forms, import filled ones, send back error reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_OK, EXIT_ALL_REJECTED, EXIT_REFUSED = 0, 1, 2


def register(sub) -> None:
    intake = sub.add_parser("intake", help="Nhận phiếu tự đánh giá / self-assessment intake")
    cmds = intake.add_subparsers(dest="intake_command", metavar="SUBCOMMAND")

    p = cmds.add_parser("template", help="Tạo phiếu .xlsx cho một đơn vị / write the .xlsx form for a unit")
    p.add_argument("--unit", required=True, help="mã đơn vị / unit code")
    p.add_argument("--period", required=True, help="kỳ đánh giá, ví dụ 2025-R3 / period such as 2025-R3")
    p.add_argument("-o", "--output", type=Path, help="đường dẫn tệp ra / output path")
    p.set_defaults(func=_template)

    p = cmds.add_parser("import", help="Nhập một tệp .xlsx/.csv / import one .xlsx or .csv file")
    p.add_argument("file", type=Path)
    p.add_argument("--mapping", help="ánh xạ cột (mappings/*.yaml) / column mapping id or YAML path")
    p.add_argument("--unit", help="mã đơn vị nếu tệp không ghi / unit code when the file does not say")
    p.add_argument("--period", help="kỳ đánh giá nếu tệp không ghi / period when the file does not say")
    p.add_argument("--json", action="store_true", help="in tóm tắt dạng JSON / print the summary as JSON")
    p.set_defaults(func=_import)

    p = cmds.add_parser("errors", help="Xuất báo cáo lỗi .xlsx của một tệp / write a file's error report")
    p.add_argument("file_id", help="mã tệp (sha256 hoặc ≥6 ký tự đầu) / file id (sha256 or a ≥6-char prefix)")
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(func=_errors)

    p = cmds.add_parser("inbox", help="Nhập mọi tệp trong thư mục chờ / import every file in the inbox")
    p.add_argument("--dir", type=Path, help="thư mục (mặc định DTI_INBOX_DIR) / folder (default DTI_INBOX_DIR)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_inbox)

    p = cmds.add_parser("mappings", help="Liệt kê các ánh xạ cột / list the column mappings")
    p.set_defaults(func=_mappings)

    intake.set_defaults(func=lambda args: intake.print_help() or 2)


def _mappings(args) -> int:
    from application.cli import CliError
    from dti.intake.mappings import MappingError, load_mappings

    try:
        mappings = load_mappings()
    except MappingError as exc:
        raise CliError(str(exc)) from None
    for mid, m in sorted(mappings.items()):
        print(f"{mid}: {m.name_vi}" + (f" / {m.name_en}" if m.name_en else ""))
        for field in m.required:
            print(f"    {field}: {' | '.join(m.columns.get(field, []))}")
    return EXIT_OK


def _template(args) -> int:
    from application.cli import CliError
    from dti.intake.template import TemplateError, write_template

    try:
        path = write_template(args.unit, args.period, out=args.output)
    except TemplateError as exc:
        raise CliError(str(exc)) from None
    print(path)
    return EXIT_OK


def _human(result) -> str:
    s = result.summary
    lines = []
    if result.already_imported:
        lines.append("Tệp này đã được nhập trước đó; không nhập lại / this file was imported before; nothing done")
    lines.append(f"Tệp / file: {s.get('filename')}  mã / id: {result.file_id}")
    if s.get("error"):
        lines.append(f"Bị từ chối / refused: {s['error']['message_vi']} / {s['error']['message_en']}")
        return "\n".join(lines)
    lines.append(f"Ánh xạ / mapping: {s.get('mapping')}  trạng thái / status: {s.get('status')}")
    lines.append(f"Số dòng đọc / rows read: {s['rows_read']}, nhận / accepted: {s['rows_accepted']}, "
                 f"từ chối / rejected: {s['rows_rejected']}")
    if s.get("total_max_points") is not None:
        lines.append(f"Điểm tối đa / max: {s['total_max_points']}, tự chấm / self: {s.get('total_self_points')}"
                     + (f", thẩm định / council: {s['total_council_points']}"
                        if s.get("total_council_points") is not None else ""))
    for sub in s.get("submissions", []):
        flags = []
        if sub.get("is_late"):
            flags.append(f"NỘP MUỘN / LATE (hạn / deadline {sub['deadline']})")
        if not sub.get("is_current"):
            flags.append(f"không phải bản hiện hành / not current (bản mới hơn / newer: #{sub['superseded_by']})")
        lines.append(f"Bản nộp / submission #{sub['id']}: {sub['unit_code']} {sub['period']} "
                     f"({sub['rows']} chỉ số / indicators) {' '.join(flags)}".rstrip())
    for row in result.rejected_rows[:50]:
        for reason in row["reasons"]:
            lines.append(f"  - {reason['message_vi']}\n    {reason['message_en']}")
    if len(result.rejected_rows) > 50:
        lines.append(f"  … và {len(result.rejected_rows) - 50} dòng nữa / and {len(result.rejected_rows) - 50} more rows")
    if s.get("rows_rejected"):
        lines.append(f"Báo cáo lỗi gửi đơn vị / error report for the unit: dti intake errors {result.file_id[:12]}")
    return "\n".join(lines)


def _exit_code(result) -> int:
    if result.summary.get("error"):
        return EXIT_REFUSED
    if result.rows_read and not result.rows_accepted:
        return EXIT_ALL_REJECTED
    return EXIT_OK


def _import(args) -> int:
    from application.cli import CliError
    from dti.intake.service import IntakeError, import_file

    try:
        result = import_file(args.file, args.mapping, unit=args.unit, period=args.period)
    except IntakeError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(_human(result))
    return _exit_code(result)


def _errors(args) -> int:
    from application.cli import CliError
    from dti.intake.errors_report import ReportError, write_errors_report

    try:
        path, count = write_errors_report(args.file_id, out=args.output)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    print(path)
    print(f"{count} dòng bị từ chối / rejected rows", file=sys.stderr)
    return EXIT_OK


def _inbox(args) -> int:
    from dti.intake.service import scan_inbox

    results = scan_inbox(args.dir)
    if args.json:
        json.dump([r.to_dict() for r in results], sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"{r.filename}: {r.status} ({r.rows_accepted}/{r.rows_read})")
        print(f"{len(results)} tệp / files")
    return EXIT_OK
