"""The Dagster code location loads, with the asset graph, checks and jobs people rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load_with_the_asset_graph():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"dvc_records", "doc_records", "sec_records", "objective_metrics", "claim_ledger", "verified_scores",
            "council_reports"} <= keys
    assert {"nightly_sync", "verify_period"} <= {j.name for j in repo.get_all_jobs()}
    checks = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_graph.asset_check_keys}
    assert ("claim_ledger", "discrepancy_iff_beyond_tolerance") in checks
    assert ("verified_scores", "every_unit_scored") in checks
    assert ("dvc_records", "source_synced") in checks
    dg.Definitions.validate_loadable(defs)


def test_dagster_definitions_validate_from_the_repo_root(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run([str(dagster), "definitions", "validate"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Validation successful" in proc.stderr + proc.stdout
