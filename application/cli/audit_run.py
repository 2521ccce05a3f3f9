"""What `dti audit checkpoint` and `dti audit verify` do."""

from __future__ import annotations

import json
import sys

from sqlalchemy.exc import DBAPIError

from application.cli import CliError
from dti import audit
from dti.appraisal.decision_history import decision_count
from dti.warehouse import Warehouse


def write_checkpoint(args) -> int:
    with Warehouse().migrate().transaction() as s:  # a new warehouse's log is empty, not missing
        point = audit.checkpoint(s)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(point, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"Mốc kiểm tra: mục {point['seq']}, lưu tại {args.out} — hãy cất tệp này ngoài máy chủ kho dữ liệu / "
          f"checkpoint at entry {point['seq']} written to {args.out}; keep it off the warehouse's server")
    return 0


def _checkpoint(path) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"không đọc được mốc kiểm tra '{path}': {exc} / cannot read the checkpoint") from exc


def verify(args) -> int:
    point = _checkpoint(args.checkpoint)
    try:
        with Warehouse().transaction() as s:
            problems = audit.verify(s, checkpoint=point)
            count = decision_count(s)
    except DBAPIError as exc:
        raise CliError(
            "Không đọc được nhật ký trong kho dữ liệu (chưa tạo? chạy `dti db upgrade`) "
            f"/ cannot read the audit trail (not created? run `dti db upgrade`): {exc.orig}"
        ) from exc
    if problems:
        print(f"LỖI ĐẦU TIÊN / FIRST PROBLEM: {problems[0]}", file=sys.stderr)
        for problem in problems[1:]:
            print(f"LỖI / ERROR {problem}", file=sys.stderr)
        print(
            f"Nhật ký KHÔNG toàn vẹn: {len(problems)} vấn đề trên {count} quyết định / "
            f"the audit trail is NOT intact: {len(problems)} problem(s) in {count} decision(s)",
            file=sys.stderr,
        )
        return 1
    where = f"; khớp mốc mục {point['seq']} / matches the checkpoint at entry {point['seq']}" if point else ""
    print(f"Nhật ký toàn vẹn: {count} quyết định / the audit trail is intact: {count} decision(s){where}")
    return 0
