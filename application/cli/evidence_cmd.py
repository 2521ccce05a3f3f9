"""`dti evidence read FILE`: read one evidence file the way the pipeline does and print what it says and
each check's verdict."""

from __future__ import annotations

from pathlib import Path

from application.cli import Action


def register(sub) -> None:
    evidence = sub.add_parser("evidence", help="Đọc và kiểm tra tài liệu kiểm chứng / read and check evidence files")
    cmds = evidence.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND")

    p = cmds.add_parser("read", help="Đọc một tệp minh chứng / read one evidence file (PDF, ảnh, DOCX, XLSX, ODT)")
    p.add_argument("file", type=Path, help="tệp minh chứng / the evidence file")
    p.add_argument("--citation", help='trích dẫn để đối chiếu, ví dụ "Quyết định số 123/QĐ-UBND ngày 05/3/2025" '
                                      "/ the citation to compare with")
    p.add_argument("--unit", help="mã đơn vị nộp tệp / code of the unit filing it")
    p.add_argument("--period", help="kỳ đánh giá, ví dụ 2025-R3 / period such as 2025-R3")
    p.add_argument("--indicator", help="mã chỉ số, ví dụ A1 (cần --period) / indicator code such as A1 "
                                       "(needs --period)")
    p.add_argument("--json", action="store_true", help="in kết quả dạng JSON / print the result as JSON")
    p.set_defaults(func=Action("application.cli.evidence_run:read"))

    evidence.set_defaults(func=lambda args: evidence.print_help() or 2)
