"""`dti demo`: a synthetic province end to end on the embedded default (bundled simulators, SQLite).

Generates the province (fixed seed), serves the simulators on loopback, runs the Dagster asset graph
in-process (sync → objective metrics → claim ledger → verified scores → reports) and prints a summary.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections import Counter
from pathlib import Path

import dagster as dg

from application.cli.progress import on_terminal
from assets.evidence import evidence_reads
from assets.reports import council_reports
from assets.resources import WarehouseResource
from assets.sources import doc_records, dvc_records, sec_records
from assets.verification import claim_ledger, objective_metrics, self_reports, verified_scores
from dti import formatting
from dti.accuracy import accuracy
from dti.appraisal.phases import DECISION_PHASES, get_phase, set_phase
from dti.evidence.store import period_verdicts
from dti.reports.context import gather
from dti.settings import TZ, get_settings, read
from dti.vocabulary import EvidenceCheck, EvidenceVerdict, Outcome, Phase, Reason, Role, Severity
from dti.warehouse import Warehouse
from dti.warehouse.models import User
from simulators.generator import generate
from simulators.load import load_self_reports, load_units
from simulators.loopback import http_simulator_resources
from simulators.synthetic.evidence_filings import DemoFiling, file_demo_evidence

SEVERITIES = tuple(Severity)
# The demo opens its own period for decisions, as an administrator would; the log names it so.
DEMO_ADMIN = User(username="dti-demo", role=Role.ADMIN)
DOCUMENT_FIELDS = ("number", "date", "doc_type", "issuer", "subject", "signer")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance():
    home = read("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_pipeline(sim_root: Path, period: str, wh: Warehouse, *, faults: str = "none", seed: int = 0,
                 instance=None, log=print, after_sync=None) -> dict:
    """Sync from the simulators and verify `period`; returns what each run reported. `after_sync` runs
    between the two (the demo's units upload their evidence once the document system's records are in)."""
    instance = instance or _instance()
    night = dt.datetime.now(TZ).date().isoformat()
    with http_simulator_resources(sim_root, faults=faults, seed=seed) as connectors:
        resources = {"warehouse": WarehouseResource(url=wh.url), **connectors}
        log(f"• Đồng bộ hệ thống nguồn (đêm {night}) / syncing the systems of record …")
        sync = dg.materialize([dvc_records, doc_records, sec_records], partition_key=night, resources=resources,
                              instance=instance, raise_on_error=True, run_config=QUIET)
    if after_sync is not None:
        after_sync()
    log(f"• Đối chiếu và chấm điểm kỳ {period} / reconciling and scoring …")
    verify = dg.materialize([objective_metrics, self_reports, evidence_reads, claim_ledger, verified_scores,
                             council_reports],
                            partition_key=period, resources={"warehouse": WarehouseResource(url=wh.url)},
                            instance=instance, raise_on_error=True, run_config=QUIET)
    return {"sync_success": sync.success, "verify_success": verify.success,
            "warnings": failed_checks(sync) + failed_checks(verify)}


def failed_checks(result) -> list[str]:
    """The checks a run failed, each with its count of failing rows and what it means."""
    return [f"{e.asset_key.to_user_string()}.{e.check_name}: {e.description or ''}".rstrip(": ")
            for e in sorted(result.get_asset_check_evaluations(), key=lambda e: (e.asset_key.to_user_string(),
                                                                                  e.check_name))
            if not e.passed]


def open_for_decisions(wh: Warehouse, period: str) -> str:
    """Move a period still in self-assessment to appraisal, so a council member can decide at once; a
    period an administrator has moved on stays where it is. Returns the phase the period is in."""
    with wh.transaction() as s:
        current = get_phase(s, period).phase
        if current in (Phase.SELF_ASSESSMENT, Phase.SUBMITTED):
            set_phase(s, period, Phase.APPRAISAL, DEMO_ADMIN)
            return Phase.APPRAISAL
        return current


def summarise(period: str, wh: Warehouse, truth_path: Path | None) -> dict:
    with wh.session() as s:
        ctx = gather(s, period)
    claims = ctx.claims
    outcomes = Counter(c.outcome for c in claims)
    severities = Counter(c.severity for c in claims if c.outcome == "discrepancy")
    over: dict[str, float] = {}
    for c in claims:
        if c.outcome == "discrepancy" and c.direction == "over":
            over[c.unit_code] = over.get(c.unit_code, 0.0) + float(c.points_at_stake or 0)
    top = sorted(over.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    summary = {
        "period": period,
        "units": len(ctx.scores),
        "indicators_checked": sum(1 for c in claims if c.outcome != "not_applicable"),
        "outcomes": {k: outcomes.get(k, 0) for k in sorted(outcomes)},
        "discrepancies": outcomes.get("discrepancy", 0),
        "discrepancies_by_severity": {k: severities.get(k, 0) for k in SEVERITIES},
        "unverifiable": outcomes.get("unverifiable", 0),
        "unverifiable_reasons": dict(sorted(Counter(c.reasons[0].split(":")[0] for c in claims
                                                    if c.outcome == "unverifiable").items())),
        "top_over_reporting_units": [{"unit_code": u, "name_vi": ctx.unit_names.get(u, ""),
                                      "points_at_stake": round(p, 2)} for u, p in top],
        "rank_changes": sum(1 for s in ctx.scores if s.rank_change),
    }
    if truth_path and truth_path.exists():
        summary["accuracy"] = accuracy(claims, truth_path)
    return summary


def evidence_summary(wh: Warehouse, period: str, filed: list[DemoFiling]) -> dict:
    """What reading the period's evidence found: every filing's fields and verdict, the scans OCR matched
    to their citation, the problems with their reasons, and whether each demo fault was caught."""
    with wh.session() as s:
        files = [f for items in period_verdicts(s, period).values() for f in items]
    by_key = {(f.unit_code, f.indicator_code, f.filename): f for f in files}
    ocr = [f for f in files if f.ocr_pages]
    caught = []
    for planted in filed:
        got = by_key.get((planted.unit_code, planted.indicator_code, planted.filename))
        result = got.check(planted.check) if got else None
        caught.append({"file": planted.filename, "unit": planted.unit_code, "indicator": planted.indicator_code,
                       "check": str(planted.check), "expected": str(planted.expect),
                       "got": str(result.verdict) if result else None})
    return {
        "filings": len(files),
        "read": sum(1 for f in files if f.verdict is not None),
        "with_fields": sum(1 for f in files if any(f.fields.to_dict()[k] for k in DOCUMENT_FIELDS)),
        "ocr_files": len(ocr),
        "ocr_matched": sum(1 for f in ocr if (c := f.check(EvidenceCheck.CITATION)) and c.verdict == EvidenceVerdict.OK),
        "verdicts": dict(sorted(Counter(str(f.verdict) for f in files if f.verdict is not None).items())),
        "problems": [{"file": f.filename, "unit": f.unit_code, "indicator": f.indicator_code,
                      "verdict": str(p.verdict), "reason_vi": p.reason_vi, "reason_en": p.reason_en}
                     for f in sorted(files, key=lambda f: (f.unit_code, f.indicator_code or "", f.filename))
                     for p in f.problems()],
        "planted": caught,
    }


def print_evidence(ev: dict) -> None:
    if not ev["filings"]:
        return
    print(f"  Tài liệu kiểm chứng / evidence files: {ev['filings']} tệp, đã đọc / read {ev['read']}, "
          f"có thông tin văn bản / with document fields {ev['with_fields']}, ảnh quét đọc bằng OCR / scans read "
          f"by OCR {ev['ocr_files']} (khớp trích dẫn / matched to the citation {ev['ocr_matched']})")
    by_file: dict[tuple, list[dict]] = {}
    for p in ev["problems"]:
        by_file.setdefault((p["unit"], p["indicator"] or "—", p["file"]), []).append(p)
    for (unit, indicator, name), found in by_file.items():
        labels = ", ".join(EvidenceVerdict(p["verdict"]).vi for p in found)
        print(f"    - {unit} · {indicator} · {name}: {labels} — {found[0]['reason_vi']}")


def print_summary(summary: dict, out_dir: Path) -> None:
    print()
    print(f"Kết quả thẩm định DTI kỳ {summary['period']} / DTI verification result")
    print(f"  Đơn vị / units: {summary['units']}")
    print(f"  Chỉ số đã đối chiếu / indicators checked: {summary['indicators_checked']}")
    sev = summary["discrepancies_by_severity"]
    by_severity = ", ".join(f"{s.vi.lower()} {sev[s.value]}" for s in Severity)
    print(f"  {Outcome.DISCREPANCY.vi} / discrepancies: {summary['discrepancies']} ({by_severity})")
    reasons = "; ".join(f"{Reason.describe(k)}: {v}" for k, v in summary["unverifiable_reasons"].items())
    print(f"  {Outcome.UNVERIFIABLE.vi} / unverifiable: {summary['unverifiable']}"
          + (f" ({reasons})" if reasons else ""))
    print("  Đơn vị tự đánh giá cao nhất so với hệ thống / top over-reporting units:")
    for u in summary["top_over_reporting_units"]:
        stake = formatting.points(u["points_at_stake"])
        print(f"    - {u['name_vi']} ({u['unit_code']}): {stake} điểm / points")
    acc = summary.get("accuracy")
    if acc:
        print_accuracy(acc)
    print_evidence(summary["evidence"])
    print(f"  Tệp kết quả / outputs: {out_dir}/report.html, council.xlsx, claim_ledger.csv (.xlsx), "
          "verified_scores.csv (.xlsx)")
    warnings = summary.get("warnings") or []
    if warnings:
        print(f"  Cảnh báo dữ liệu / data warnings ({len(warnings)}):")
        for w in warnings:
            print(f"    - {w}")
    print_next_steps(summary)


def print_accuracy(acc: dict) -> None:
    """Recall and false positives against the answer key, by distance from the tolerance, and the confusion
    table."""
    recall = formatting.percent(acc["recall"])
    false_positives = formatting.percent(acc["false_positive_rate"])
    print(f"  Độ chính xác / accuracy: phát hiện / recall {recall} trên {acc['beyond_tolerance']} "
          f"tự báo vượt dung sai / claims beyond tolerance ({acc['planted_beyond_tolerance']} cố ý / "
          f"planted); báo nhầm / false positives {false_positives} trên {acc['within_tolerance']} "
          "trong dung sai / within tolerance")
    print("    Khoảng cách tới sự thật (× dung sai) / distance from the truth (× tolerance):")
    for b in acc["by_distance"]:
        what = "báo nhầm / false positives" if b["within_tolerance"] else "phát hiện / recall"
        rate = b.get("false_positive_rate", b.get("recall"))
        shown = formatting.percent(rate) if rate is not None else "—"
        print(f"      {b['band']:>7}: {b['claims']:>4} chỉ số / claims, "
              f"{b['flagged']:>4} bị gắn cờ / flagged, "
              f"{what} {shown}")
    c = acc["confusion"]
    print("    Bảng nhầm lẫn / confusion table:        chênh lệch / discrepancy   khớp / verified")
    print(f"      vượt dung sai / beyond tolerance:  {c['beyond_tolerance']['discrepancy']:>10}"
          f" {c['beyond_tolerance']['verified']:>17}")
    print(f"      trong dung sai / within tolerance: {c['within_tolerance']['discrepancy']:>10}"
          f" {c['within_tolerance']['verified']:>17}")


def print_next_steps(summary: dict) -> None:
    phase = Phase(summary["phase"])
    dti = _command()
    print()
    period = summary["period"]
    now = "; Hội đồng quyết định được ngay / the council can decide at once." if phase in DECISION_PHASES \
        else "."
    print(f"Kỳ {period} đang ở giai đoạn «{phase.vi}» / period {period} is in {phase.en}{now}")
    print("Bước tiếp theo / next steps:")
    print(f"  1. Tạo tài khoản Hội đồng / create a council account:  {dti} review create-user hoidong1 "
          "--role council")
    print(f"  2. Chạy ứng dụng thẩm định / serve the review app:        {dti} review serve")
    print(f"  3. Mở / open:  http://127.0.0.1:8765/hang-doi?ky={period}  (đăng nhập / log in: hoidong1)")
    print(f"  Báo cáo / report:  {summary['outputs']['report.html']}")


def _command() -> str:
    """How this `dti` was called (.venv/bin/dti under make), so the steps can be pasted as they are."""
    called = Path(sys.argv[0])
    if called.name == "dti":
        inside = called.is_absolute() and called.is_relative_to(Path.cwd())
        return os.path.relpath(called) if inside else str(called)
    return "dti"


def run_demo(args) -> int:
    settings = get_settings()
    out_dir = Path(args.out).resolve() if args.out else settings.out_dir
    if args.out:
        os.environ["DTI_OUT_DIR"] = str(out_dir)
    wh = Warehouse(settings.database_url)
    period = args.period
    say = (lambda *a, **k: print(*a, **k, file=sys.stderr)) if args.json else print
    sim_root = settings.data_dir / "sim" / f"{args.scale}-{args.seed}"
    say(f"• Tạo tỉnh mô phỏng (seed {args.seed}, quy mô {args.scale}) / generating the synthetic province …")
    gen = generate(sim_root, seed=args.seed, scale=args.scale, period=period)
    wh.migrate()
    load_units(sim_root, wh.url)
    load_self_reports(sim_root, wh.url)
    filed: list[DemoFiling] = []

    def upload_evidence():
        say("• Đơn vị nộp tài liệu kiểm chứng / units upload their evidence files …")
        filed.extend(file_demo_evidence(wh, period, settings))

    with on_terminal():
        ran = run_pipeline(sim_root, period, wh, faults=args.faults, seed=args.seed, log=say,
                           after_sync=upload_evidence)
    summary = summarise(period, wh, sim_root / "truth.json")
    summary["evidence"] = evidence_summary(wh, period, filed)
    summary["generated"] = gen.counts
    summary["warnings"] = ran["warnings"]
    summary["phase"] = open_for_decisions(wh, period)
    summary["outputs"] = {name: str(out_dir / name) for name in
                          ("report.html", "council.xlsx", "claim_ledger.csv", "verified_scores.csv",
                           "claim_ledger.xlsx", "verified_scores.xlsx")}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print_summary(summary, out_dir)
    return 0
