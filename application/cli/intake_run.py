"""What `dti intake …` does: write forms, import filled ones, send back error reports."""

from __future__ import annotations

import json
import sys

from application.cli import CliError
from dti.intake.errors_report import ReportError, write_errors_report
from dti.intake.mappings import MappingError, load_mappings
from dti.intake.service import IntakeError, import_file, scan_inbox
from dti.intake.template import TemplateError, write_template
from dti.warehouse import Warehouse
from expectations.self_reports import check_self_reports

EXIT_OK, EXIT_ALL_REJECTED, EXIT_REFUSED = 0, 1, 2


def mappings(args) -> int:

    try:
        mappings = load_mappings()
    except MappingError as exc:
        raise CliError(str(exc)) from None
    for mid, m in sorted(mappings.items()):
        print(f"{mid}: {m.name_vi}" + (f" / {m.name_en}" if m.name_en else ""))
        for field in m.required:
            print(f"    {field}: {' | '.join(m.columns.get(field, []))}")
    return EXIT_OK


def template(args) -> int:
    try:
        path = write_template(Warehouse(), args.unit, args.period, out=args.output)
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
        if sub.get("replaces"):
            lines.append(f"  thay bản #{sub['replaces']} / follows #{sub['replaces']}: thêm / added "
                         f"{sub['rows_added']}, thay / replaced {sub['rows_replaced']}, giữ lại / carried "
                         f"{sub['rows_carried']}" + (" (thay thế toàn bộ / replace all)" if sub["replace_all"] else ""))
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


def import_one(args) -> int:
    try:
        result = import_file(args.file, args.mapping, wh=Warehouse(), row_checks=check_self_reports,
                             unit=args.unit, period=args.period, replace_all=args.replace_all)
    except IntakeError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(_human(result))
    return _exit_code(result)


def errors(args) -> int:
    try:
        path, count = write_errors_report(Warehouse(), args.file_id, out=args.output)
    except ReportError as exc:
        raise CliError(str(exc)) from None
    print(path)
    print(f"{count} dòng bị từ chối / rejected rows", file=sys.stderr)
    return EXIT_OK


def inbox(args) -> int:
    results = scan_inbox(args.dir, wh=Warehouse(), row_checks=check_self_reports)
    if args.json:
        json.dump([r.to_dict() for r in results], sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"{r.filename}: {r.status} ({r.rows_accepted}/{r.rows_read})")
        print(f"{len(results)} tệp / files")
    return EXIT_OK
