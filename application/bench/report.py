"""What the bench reports: a row per stage, the targets it is held to, the machine it ran on, the
printed table and out/bench.json (whose keys and stage names other tools read).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from simulators.generator import SCALES

# The national scale runs one province partition and extrapolates: partitions are independent.
NATIONAL_PROVINCES = 34
SCALE_NOTES = {
    "N": f"1 tỉnh chạy thật, nhân tuyến tính ×{NATIONAL_PROVINCES} / one province measured, "
         f"wall and rows extrapolated linearly ×{NATIONAL_PROVINCES}; RSS is per partition",
}
# Issue 20's targets on this 2-core machine; "met" in out/bench.json says whether a run reached them.
TARGETS = {
    "end_to_end_s": 30.0,  # at S, excluding data generation, on SQLite
    "end_to_end_s_postgresql": 40.0,  # the same on PostgreSQL
    "peak_rss_mb": 1024.0,
    "floor_ratio": 2.0,  # metrics over their DuckDB floor, on SQLite
    "floor_ratio_postgresql": 3.0,
    "sync_floor_ratio": 2.0,  # the full sync over its floor (same pages, bulk insert only)
    "reports_s": 2.0,  # at S
    "incremental_share": 0.03,
    "http_records_per_s": 50_000.0,
}
FLOOR_STAGES = ("floor_metrics", "sync_floor")
COLUMNS = ("stage", "rows", "wall_s", "cpu_s", "rows_per_s", "peak_rss_mb", "floor_s", "ratio", "in_e2e", "note")
WIDTHS = (18, 10, 9, 9, 11, 12, 8, 7, 5)


@dataclass
class StageResult:
    stage: str
    rows: int
    wall_s: float
    peak_rss_mb: float
    floor_s: float | None = None
    cpu_s: float | None = None  # this process's CPU time: wall far above it means the machine was busy
    in_e2e: bool = True
    note: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def measured(cls, stage: str, child: dict, **kwargs) -> StageResult:
        """A row from what a forked child reported (run_in_child): its rows, wall, CPU and peak RSS."""
        return cls(stage, child["rows"], child["wall_s"], child["peak_rss_mb"], cpu_s=child["cpu_s"], **kwargs)

    @property
    def rows_per_s(self) -> float | None:
        return round(self.rows / self.wall_s, 1) if self.wall_s > 0 else None

    @property
    def ratio(self) -> float | None:
        return round(self.wall_s / self.floor_s, 2) if self.floor_s else None

    def row(self) -> dict:
        return {"stage": self.stage, "rows": self.rows, "wall_s": round(self.wall_s, 3),
                "cpu_s": round(self.cpu_s, 3) if self.cpu_s is not None else None,
                "rows_per_s": self.rows_per_s, "peak_rss_mb": round(self.peak_rss_mb, 1),
                "floor_s": round(self.floor_s, 3) if self.floor_s is not None else None, "ratio": self.ratio,
                "in_e2e": self.in_e2e, "note": self.note}


def machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    # Other work on the machine skews wall times; the load average says how much there was.
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform()}


def build_report(scale: str, seed: int, period: str, url: str, http: bool, results: list[StageResult],
                 incremental: dict | None) -> dict:
    """The whole report, as out/bench.json holds it: the rows, a summary and each target it has figures for."""
    e2e = [r for r in results if r.in_e2e]
    total = sum(r.wall_s for r in e2e)
    # The target is for the pipeline's own processes: the floors (DuckDB holding every raw row, the sync's
    # bare loader) are yardsticks, reported beside it.
    peak = max((r.peak_rss_mb for r in results if r.stage not in FLOOR_STAGES), default=0.0)
    floor_peak = max((r.peak_rss_mb for r in results if r.stage in FLOOR_STAGES), default=0.0)
    factor = NATIONAL_PROVINCES if scale == "N" else 1
    summary = {
        "end_to_end_s": round(total, 2),
        "end_to_end_rows": sum(r.rows for r in e2e),
        "peak_rss_mb": round(peak, 1),
        "floor_peak_rss_mb": round(floor_peak, 1),
        "ingestion": ("http" if http else "in-process") if any(r.stage.startswith("sync_") for r in results)
        else "none",
    }
    if factor > 1:
        summary["extrapolated_end_to_end_s"] = round(total * factor, 1)
    ingest = next((r for r in results if r.stage == "ingest_http"), None)
    metrics = next((r for r in results if r.stage == "metrics"), None)
    postgres = url.startswith("postgresql")

    def target(name: str) -> float:
        return TARGETS.get(f"{name}_postgresql", TARGETS[name]) if postgres else TARGETS[name]

    checks = {"peak_rss_mb": {"value": summary["peak_rss_mb"], "target": TARGETS["peak_rss_mb"],
                              "met": peak <= TARGETS["peak_rss_mb"]}}
    synced = any(r.stage.startswith("sync_") for r in results)
    if scale == "S" and synced:  # the target is for the whole pipeline, not a subset of stages
        checks["end_to_end_s"] = {"value": summary["end_to_end_s"], "target": target("end_to_end_s"),
                                  "met": total <= target("end_to_end_s")}
    if metrics is not None and metrics.ratio is not None:
        checks["floor_ratio"] = {"value": metrics.ratio, "target": target("floor_ratio"),
                                 "met": metrics.ratio <= target("floor_ratio")}
    sync = next((r for r in results if r.stage == "sync"), None)
    if sync is not None and sync.ratio is not None:
        checks["sync_floor_ratio"] = {"value": sync.ratio, "target": TARGETS["sync_floor_ratio"],
                                      "met": sync.ratio <= TARGETS["sync_floor_ratio"]}
    reports = next((r for r in results if r.stage == "reports"), None)
    if scale == "S" and reports is not None:
        checks["reports_s"] = {"value": round(reports.wall_s, 2), "target": TARGETS["reports_s"],
                               "met": reports.wall_s <= TARGETS["reports_s"]}
    if incremental and incremental["share_of_full"] is not None:
        share = round(incremental["share_of_full"], 4)
        checks["incremental_share"] = {"value": share, "target": TARGETS["incremental_share"],
                                       "met": share <= TARGETS["incremental_share"]}
    if ingest is not None and ingest.rows_per_s is not None:
        checks["http_records_per_s"] = {"value": ingest.rows_per_s, "target": TARGETS["http_records_per_s"],
                                        "met": ingest.rows_per_s >= TARGETS["http_records_per_s"]}
    return {
        "scale": scale, "scale_definition": asdict(SCALES[scale]), "seed": seed, "period": period,
        "note": SCALE_NOTES.get(scale, ""), "extrapolation_factor": factor,
        "warehouse": url.split(":", 1)[0], "machine": machine(),
        "columns": list(COLUMNS), "stages": [r.row() for r in results],
        "incremental": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in (incremental or {}).items()},
        "summary": summary, "targets": checks,
    }


def write_json(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def _cell(value, width: int) -> str:
    if value is None:
        text = "–"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text.rjust(width) if not isinstance(value, str) else text.ljust(width)


def format_header() -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(COLUMNS, WIDTHS, strict=False))
                     ) + "  note"


def format_row(row: dict) -> str:
    cells = [_cell(row[c], w) for c, w in zip(COLUMNS, WIDTHS, strict=False)]
    return "  ".join(cells) + "  " + row["note"]


def format_summary(report: dict) -> str:
    s = report["summary"]
    lines = [f"Tổng đầu-cuối / end to end (không gồm tạo dữ liệu / excl. generation): {s['end_to_end_s']:.2f} s, "
             f"RSS đỉnh của quy trình / the pipeline's peak RSS {s['peak_rss_mb']:.0f} MB (sàn / floors "
             f"{s.get('floor_peak_rss_mb', 0):.0f} MB), nạp / ingestion: {s['ingestion']}"]
    ratios = {row["stage"]: row["ratio"] for row in report["stages"] if row["stage"] in ("sync", "metrics")}
    if any(v is not None for v in ratios.values()):
        lines.append("So với sàn / vs floor: " + ", ".join(f"{k} {v}×" for k, v in ratios.items() if v is not None)
                     + f" (kho / warehouse {report['warehouse']})")
    lines.append(f"Tải máy lúc kết thúc / load average at end: {report['machine']['load_average_at_end']}")
    if "extrapolated_end_to_end_s" in s:
        lines.append(f"Ngoại suy toàn quốc / national extrapolation ×{report['extrapolation_factor']}: "
                     f"{s['extrapolated_end_to_end_s']:.0f} s")
    for name, check in sorted(report["targets"].items()):
        mark = "ĐẠT / met" if check["met"] else "CHƯA ĐẠT / missed"
        lines.append(f"  {name}: {check['value']} (mục tiêu / target {check['target']}) — {mark}")
    return "\n".join(lines)


def format_accuracy(acc: dict) -> str:
    """Detection accuracy as the bench prints it: overall, per band of distance from the tolerance, and the
    confusion table."""
    def pct(v):
        return "–" if v is None else f"{v * 100:.1f}%"

    lines = [f"Độ chính xác / accuracy: recall {pct(acc['recall'])} "
             f"({acc['detected']}/{acc['beyond_tolerance']}), "
             f"báo nhầm / false positives {pct(acc['false_positive_rate'])} "
             f"({acc['false_positives']}/{acc['within_tolerance']}); không kiểm được / not checkable "
             f"{acc['not_checkable']}"]
    for b in acc["by_distance"]:
        rate = b.get("false_positive_rate", b.get("recall"))
        what = "false positives" if b["within_tolerance"] else "recall"
        lines.append(f"  {b['band']:>7} × dung sai / tolerance: {b['flagged']:>6}/{b['claims']:<6} "
                     f"{what} {pct(rate)}")
    c = acc["confusion"]
    lines.append(f"  vượt / beyond: {c['beyond_tolerance']['discrepancy']} chênh lệch / discrepancy, "
                 f"{c['beyond_tolerance']['verified']} khớp / verified; trong / within: "
                 f"{c['within_tolerance']['discrepancy']} chênh lệch / discrepancy, "
                 f"{c['within_tolerance']['verified']} khớp / verified")
    return "\n".join(lines)
