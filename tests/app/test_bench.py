"""`dti bench` at the tiny scale: the table, out/bench.json, the DuckDB floor and the incremental night."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from application.bench import STAGES, BenchError, run_bench
from application.bench.evidence import COUNTS
from application.bench.floor import compare_with_warehouse, floor_metrics, load_raw
from application.bench.report import COLUMNS, StageResult, format_header, format_row
from application.bench.runner import _data_root
from application.bench.stages import PERIOD, PERIOD_ASSETS, PERIOD_STAGES, SEED
from application.cli import main
from dti.verification.steps import PERIOD_STEPS
from dti.warehouse import Warehouse
from dti.warehouse.models import ObjectiveMetric


def _stages(report: dict) -> dict[str, dict]:
    return {row["stage"]: row for row in report["stages"]}


@pytest.mark.slow
def test_tiny_bench_over_http_writes_the_table_and_json(tmp_path):
    lines: list[str] = []
    report = run_bench("tiny", log=lines.append, http=True)

    written = json.loads((Path(tmp_path) / "out" / "bench.json").read_text(encoding="utf-8"))
    assert written == report
    assert written["columns"] == list(COLUMNS)
    stages = _stages(written)
    assert list(stages) == ["imports", "generate", "load", "ingest_http", "sync_dvc", "sync_doc", "sync_sec", "sync",
                            "sync_floor",
                            "metrics", "floor_metrics", "evidence", "evidence_text_pdf", "evidence_ocr",
                            "evidence_rerun", "ledger", "scores", "reports", "incremental_sync"]
    # The three sources sync at once, as the nightly job's steps do: the whole counts, each source is a detail.
    parts = [stages[f"sync_{s}"] for s in ("dvc", "doc", "sec")]
    assert stages["sync"]["in_e2e"] and not any(p["in_e2e"] for p in parts)
    assert stages["sync"]["rows"] == sum(p["rows"] for p in parts)
    assert max(p["wall_s"] for p in parts) <= stages["sync"]["wall_s"] + 0.01
    for row in written["stages"]:
        assert set(row) == set(COLUMNS)  # bench.json sorts keys; "columns" keeps the table order
        assert row["wall_s"] >= 0 and row["peak_rss_mb"] > 50  # a Python process holding pandas is never smaller

    # The sync's floor loads the same rows from the same pages, dropped afterwards; its ratio is on the sync's row.
    assert stages["sync_floor"]["rows"] == stages["sync"]["rows"] and not stages["sync_floor"]["in_e2e"]
    assert stages["sync"]["floor_s"] == stages["sync_floor"]["wall_s"] and stages["sync"]["ratio"] > 0
    assert written["targets"]["sync_floor_ratio"]["value"] == stages["sync"]["ratio"]
    printed = "\n".join(lines).splitlines()
    assert any(line.startswith("So với sàn / vs floor: sync ") and "metrics" in line for line in printed)
    with Warehouse(f"sqlite:///{_data_root('tiny', SEED) / 'warehouse.db'}").engine.connect() as conn:
        assert not [t for t in sa.inspect(conn).get_table_names() if t.startswith("floor_")]

    meta = json.loads(next((Path(tmp_path) / "data" / "sim" / "bench").glob("tiny-*/generated/meta.json"))
                      .read_text(encoding="utf-8"))
    assert stages["sync_dvc"]["rows"] >= meta["counts"]["dossiers"]  # dossiers plus procedures
    assert stages["ingest_http"]["rows"] == meta["counts"]["dossiers"]
    assert stages["ingest_http"]["rows_per_s"] > 0

    # The floor computes exactly what the pipeline stored, and its ratio sits beside the metrics stage.
    floor = written["stages"][[r["stage"] for r in written["stages"]].index("floor_metrics")]
    assert "khớp / matches" in floor["note"]
    assert stages["metrics"]["floor_s"] == floor["wall_s"]
    # Both times are printed to the millisecond and the ratio to 1/100, so allow for that rounding alone.
    wall, floor_s = stages["metrics"]["wall_s"], floor["wall_s"]
    low, high = (wall - 0.0005) / (floor_s + 0.0005), (wall + 0.0005) / max(floor_s - 0.0005, 1e-9)
    assert low - 0.005 <= stages["metrics"]["ratio"] <= high + 0.005
    assert "0 lệch / mismatches" in stages["metrics"]["note"]

    # Evidence reading's throughput: text PDFs and scans through OCR read cold, then all cache hits.
    assert stages["evidence_text_pdf"]["rows"] > 0 and stages["evidence_text_pdf"]["rows_per_s"] > 0
    assert stages["evidence_ocr"]["rows"] >= 1 and not stages["evidence_ocr"]["in_e2e"]
    assert stages["evidence_rerun"]["rows"] == sum(COUNTS["tiny"])  # every file of the cold run, from the cache
    assert "nhanh" in stages["evidence_rerun"]["note"]

    # An incremental night reads only what changed, not the whole history again.
    inc = written["incremental"]
    assert inc["touched"] > 0
    assert inc["touched"] <= inc["records"] < stages["sync_dvc"]["rows"] + stages["sync_doc"]["rows"]
    assert written["summary"]["ingestion"] == "http"
    assert set(written["targets"]) >= {"peak_rss_mb", "floor_ratio", "incremental_share", "http_records_per_s"}
    assert any(line.startswith("stage") and "rows_per_s" in line and "peak_rss_mb" in line for line in lines)
    assert any(line.startswith("metrics ") for line in lines)

    # Detection accuracy against the answer key, by distance from the tolerance, beside the timings.
    acc = written["accuracy"]
    assert [b["band"] for b in acc["by_distance"]] == ["<1×", "1–1.5×", "1.5–3×", ">3×"]
    assert acc["recall"] == 1.0 and acc["false_positive_rate"] == 0.0, acc["missed"]
    assert sum(sum(side.values()) for side in acc["confusion"].values()) == acc["beyond_tolerance"] + acc[
        "within_tolerance"]
    assert any(line.startswith("Độ chính xác / accuracy") for line in lines)

    # The bench writes its reports aside, so the demo's out/ files are never overwritten by it.
    assert (Path(tmp_path) / "out" / "bench-reports" / "tiny" / "claim_ledger.csv").is_file()
    assert not (Path(tmp_path) / "out" / "claim_ledger.csv").exists()


@pytest.mark.slow
def test_floor_matches_pipeline_in_process(tmp_path):
    report = run_bench("tiny", stages=["generate", "load", "sync", "metrics", "floor"], http=False,
                       log=lambda _text: None)
    stages = _stages(report)
    assert report["summary"]["ingestion"] == "in-process"
    assert "ingest_http" not in stages and "incremental_sync" not in stages
    compared = report["stages"][list(stages).index("floor_metrics")]
    assert compared["rows"] > 50
    assert "0 lệch / mismatches" in stages["metrics"]["note"]
    assert stages["metrics"]["rows"] > 0
    _a_changed_sample_id_is_a_mismatch(Warehouse(f"sqlite:///{_data_root('tiny', SEED) / 'warehouse.db'}"))

    # Three times the history, on the same warehouse without a new sync: the floor still agrees.
    again = run_bench("tiny", stages=["metrics", "floor"], http=False, history=3, log=lambda _text: None)
    more = _stages(again)
    synced = stages["sync_dvc"]["rows"] + stages["sync_doc"]["rows"] + stages["sync_sec"]["rows"]
    assert 0 < more["history"]["rows"] < 2 * synced  # dossiers, documents, incidents; not procedures or staff
    assert "0 lệch / mismatches" in more["metrics"]["note"]
    assert more["metrics"]["rows"] == stages["metrics"]["rows"]
    assert again["history_multiplier"] == 3
    assert (Path(tmp_path) / "out" / "bench-runs" / "bench-tiny-history3.json").is_file()
    # Asked again, the same history is kept; a different one replaces it rather than stacking on it.
    assert _stages(run_bench("tiny", stages=["metrics"], http=False, history=3, log=lambda _text: None)
                   )["history"]["rows"] == 0
    assert _stages(run_bench("tiny", stages=["metrics"], http=False, history=2, log=lambda _text: None)
                   )["history"]["rows"] * 2 == more["history"]["rows"]


def _a_changed_sample_id_is_a_mismatch(wh: Warehouse) -> None:
    """The floor computes the sample record ids too, and a stored id list that differs is counted."""
    rows = floor_metrics(load_raw(wh, PERIOD))
    assert compare_with_warehouse(rows, wh, PERIOD)[0] == 0
    assert sum(len(ids or []) for *_rest, ids in rows) > 100
    with wh.transaction() as s:
        metric = s.scalars(sa.select(ObjectiveMetric).where(ObjectiveMetric.period == PERIOD,
                                                            ObjectiveMetric.metric == "dvc_on_time_rate",
                                                            ObjectiveMetric.value.is_not(None))
                           .order_by(ObjectiveMetric.unit_code)).first()
        kept, key = list(metric.record_ids), (metric.unit_code, metric.period, metric.indicator_code)
        assert kept
        metric.record_ids = kept[1:]
    assert compare_with_warehouse(rows, wh, PERIOD)[0] == 1
    with wh.transaction() as s:
        s.get(ObjectiveMetric, key).record_ids = kept


def test_rows_per_second_and_ratio_are_computed_from_the_measurements():
    res = StageResult("metrics", 1000, 2.0, 300.0, floor_s=0.5)
    row = res.row()
    assert row["rows_per_s"] == 500.0
    assert row["ratio"] == 4.0
    assert format_header().split()[:7] == list(COLUMNS[:7])
    assert format_row(row).split()[:3] == ["metrics", "1,000", "2.00"]
    assert StageResult("x", 0, 0.0, 1.0).row()["rows_per_s"] is None


def test_period_stages_follow_the_order_of_the_period_steps():
    for name, (_stage, asset, _model) in PERIOD_ASSETS.items():
        assert asset.key.to_user_string() == name
    steps = [PERIOD_ASSETS[name][0] for name, _run in PERIOD_STEPS]
    assert list(PERIOD_STAGES) == [*steps, "reports"] == ["metrics", "evidence", "ledger", "scores", "reports"]
    # `--stages` lists them in the same order, the floor beside the metrics it is compared with.
    assert [s for s in STAGES if s in PERIOD_STAGES] == list(PERIOD_STAGES)
    assert STAGES.index("floor") == STAGES.index("metrics") + 1


def test_cli_refuses_an_unknown_scale_or_stage(capsys):
    assert main(["bench", "--scale", "XXL"]) == 2
    err = capsys.readouterr().err
    assert "XXL" in err and "tiny" in err and "S" in err
    assert main(["bench", "--scale", "tiny", "--stages", "load,warp"]) == 2
    err = capsys.readouterr().err
    assert "warp" in err and "incremental" in err


def test_bench_without_generated_data_says_which_stage_is_missing(capsys):
    assert main(["bench", "--scale", "tiny", "--stages", "load,metrics"]) == 2
    err = capsys.readouterr().err
    assert "'generate'" in err and "tiny" in err


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_on_postgres_refuses_a_warehouse_already_synced(pg_url):
    first = run_bench("tiny", stages=["generate", "load", "sync", "metrics", "floor"], url=pg_url, http=False,
                      log=lambda _text: None)
    assert first["warehouse"].startswith("postgresql")
    assert "0 lệch / mismatches" in _stages(first)["metrics"]["note"]
    with pytest.raises(BenchError, match="cơ sở dữ liệu trống / .*empty database") as err:
        run_bench("tiny", stages=["load", "sync"], url=pg_url, http=False, log=lambda _text: None)
    assert "Traceback" not in str(err.value)


def test_targets_hold_the_pipeline_to_its_own_memory_and_postgresql_to_its_own_ratios():
    from application.bench.report import TARGETS, build_report

    rows = [StageResult("sync", 1000, 10.0, 600.0, floor_s=6.0), StageResult("sync_floor", 1000, 6.0, 300.0,
                                                                              in_e2e=False),
            StageResult("metrics", 10, 2.5, 400.0, floor_s=1.0),
            StageResult("floor_metrics", 10, 1.0, 1400.0, in_e2e=False)]
    sqlite = build_report("tiny", 1, PERIOD, "sqlite:///x.db", False, rows, None)
    assert sqlite["summary"]["peak_rss_mb"] == 600.0 and sqlite["summary"]["floor_peak_rss_mb"] == 1400.0
    assert sqlite["targets"]["peak_rss_mb"]["met"]  # DuckDB's 1.4 GB is the yardstick's, not the pipeline's
    assert sqlite["targets"]["sync_floor_ratio"] == {"value": 1.67, "target": 2.0, "met": True}
    assert sqlite["targets"]["floor_ratio"] == {"value": 2.5, "target": TARGETS["floor_ratio"], "met": False}
    pg = build_report("tiny", 1, PERIOD, "postgresql+psycopg2://h/db", False, rows, None)
    assert pg["targets"]["floor_ratio"] == {"value": 2.5, "target": 3.0, "met": True}
