"""What `dti evidence read` does: check the options, read the file (through the warehouse's cache and
checks when there is a warehouse), print the fields and every verdict with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from application.cli import CliError
from dti.evidence.checks import vn_date
from dti.evidence.context import framework_for
from dti.evidence.service import FileReport, read_one
from dti.framework import Period
from dti.intake.citations import parse_citations
from dti.settings import get_settings
from dti.text import clean
from dti.vocabulary import EvidenceVerdict
from dti.warehouse import Warehouse
from dti.warehouse.models import Unit

MARKS = {EvidenceVerdict.OK: "✓", EvidenceVerdict.NOT_CHECKED: "–", EvidenceVerdict.UNKNOWN: "?"}


def _warehouse() -> Warehouse | None:
    """The configured warehouse when it exists and holds the evidence tables; None otherwise (never created)."""
    url = get_settings().database_url
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and (not parsed.database or not Path(parsed.database).is_file()):
        return None
    wh = Warehouse(url)
    try:
        return wh if sa.inspect(wh.engine).has_table("evidence_texts") else None
    except sa.exc.SQLAlchemyError:
        return None


def _data(path: Path) -> bytes:
    limit = get_settings().max_upload_bytes
    if not path.is_file():
        raise CliError(f"Không có tệp '{path}' / no such file: {path}")
    size = path.stat().st_size
    if size > limit:
        raise CliError(f"Tệp '{path}' có {size:,} byte, vượt giới hạn {limit:,} byte (DTI_MAX_UPLOAD_BYTES) "
                       f"/ file '{path}' has {size:,} bytes, over the {limit:,}-byte limit")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"Không đọc được tệp '{path}' / cannot read '{path}': {exc}") from None


def _check_options(args, wh: Warehouse | None) -> None:
    if args.citation is not None and not parse_citations(args.citation):
        raise CliError(f"Không thấy số, ký hiệu văn bản trong trích dẫn '{args.citation}' (ví dụ \"Quyết định số "
                       f"123/QĐ-UBND ngày 05/3/2025\") / no document number in the citation '{args.citation}'")
    if args.period is not None:
        try:
            Period.parse(args.period)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if args.indicator and not args.period:
        raise CliError("--indicator cần --period (bộ chỉ số của kỳ cho biết từ khoá của chỉ số) "
                       "/ --indicator needs --period (the period's framework gives the indicator's keywords)")
    if args.unit and wh is not None:
        with wh.session() as s:
            if s.get(Unit, args.unit) is None:
                raise CliError(f"Không có đơn vị mã '{args.unit}' trong kho dữ liệu / no unit '{args.unit}' "
                               "in the warehouse")
    if args.period:
        with (wh.session() if wh is not None else _NoSession()) as s:
            fw = framework_for(s, args.unit, args.period, None)
        if fw is None:
            raise CliError(f"Không có bộ chỉ số nào cho kỳ {args.period} / no framework covers {args.period}")
        if args.indicator and all(leaf.code != args.indicator for leaf in fw.leaves()):
            raise CliError(f"Bộ chỉ số {fw.id} không có chỉ số '{args.indicator}' / framework {fw.id} has no "
                           f"indicator '{args.indicator}'")


class _NoSession:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _field_lines(report: FileReport) -> list[str]:
    r, f = report.reading, report.reading.fields
    ocr = f"OCR {r.ocr_pages} trang / pages" if r.ocr_pages else "không cần OCR / no OCR needed"
    pages = f"{r.page_count} trang / pages" + (f" (đọc / read {r.pages_read})" if r.truncated else "")
    lines = [f"Tệp / file: {report.filename} ({r.kind or '?'}, {pages}, {ocr})"]

    def show(label: str, found, value: str | None = None) -> None:
        if found is None:
            lines.append(f"{label}: — (không tìm thấy / not found)")
        else:
            lines.append(f"{label}: {value or found.value}    [trang / page {found.page}: «{found.source}»]")

    show("Số, ký hiệu / number", f.number)
    show("Ngày / date", f.date, f.date and vn_date(f.doc_date) + (f" ({f.place})" if f.place else ""))
    show("Loại văn bản / type", f.doc_type)
    show("Cơ quan ban hành / issuer", f.issuer)
    show("Trích yếu / subject", f.subject)
    show("Người ký / signer", f.signer, f.signer and " ".join(x for x in (f.signer_title, f.signer.value) if x))
    return lines


def render(report: FileReport) -> str:
    lines = _field_lines(report)
    if report.claim.citations:
        lines.append("Trích dẫn / citation: " + "; ".join(c.raw for c in report.claim.citations))
    v = report.verdict
    lines.append(f"Kết luận / verdict: {v.vi} / {v.en} ({v})")
    for c in report.checks:
        lines.append(f"  {MARKS.get(c.verdict, '✗')} {c.check.vi}: {c.verdict.vi} — {c.reason_vi}")
        lines.append(f"      {c.check.en}: {c.verdict.en} — {c.reason_en}")
    return "\n".join(lines)


def read(args) -> int:
    args.unit, args.period, args.indicator = clean(args.unit), clean(args.period), clean(args.indicator)
    data = _data(args.file)
    wh = _warehouse()
    _check_options(args, wh)
    report = read_one(data, filename=args.file.name, citation=args.citation, unit=args.unit, period=args.period,
                      indicator=args.indicator, wh=wh)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(render(report))
    return 0
