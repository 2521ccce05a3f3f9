"""Operations on the real asset graph: a year of nights backfilled in one run, incremental nights,
freshness in the UI check, `dti sync` / `dti run`, and provinces side by side on the multiprocess executor."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from application.cli import main
from assets.partitions import period_years
from assets.resources import WarehouseResource
from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import SourceStatus
from pipelines.runner import run_job
from simulators.in_process import in_process_sources

PERIOD = "2025-R3"
FIRST_YEAR, LAST_YEAR = period_years()  # the last one moves with the calendar (next year by default)


def simulator_resources(root: str) -> dict:
    return {"warehouse": WarehouseResource(), **in_process_sources(root)}


@pytest.fixture(scope="module")
def sim_template(tmp_path_factory):
    from simulators.generator import generate

    root = tmp_path_factory.mktemp("sim") / "tiny"
    generate(root, seed=7, scale="tiny", period=PERIOD)
    return root


@pytest.fixture
def sim(sim_template, tmp_path):
    """A private copy: some tests change the systems of record."""
    root = tmp_path / "sim"
    shutil.copytree(sim_template, root)
    return root


def _rows(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    out = {}
    for e in result.all_events:
        if e.event_type_value == "ASSET_MATERIALIZATION":
            m = e.event_specific_data.materialization
            out[m.asset_key.to_user_string()] = m.metadata["dagster/row_count"].value
    return out


@pytest.mark.slow
def test_a_year_of_nights_is_one_run_and_later_nights_cost_what_changed(sim, warehouse):
    from assets.sources import doc_records, dvc_records, sec_records
    from simulators.changes import mutate

    instance = dg.DagsterInstance.ephemeral()
    assets = [dvc_records, doc_records, sec_records]
    year = dg.materialize(assets, resources=simulator_resources(str(sim)), instance=instance,
                          tags={"dagster/asset_partition_range_start": "2025-01-01",
                                "dagster/asset_partition_range_end": "2025-12-31"})
    assert year.success
    assert len(instance.get_runs()) == 1
    for key in ("dvc_records", "doc_records", "sec_records"):
        assert len(instance.get_materialized_partitions(dg.AssetKey(key))) == 365
    first = _rows(year)
    assert first["dvc_records"] > 1000 and first["doc_records"] > 500

    quiet = _rows(dg.materialize(assets, partition_key="2026-01-01", resources=simulator_resources(str(sim)),
                                 instance=instance))
    # No change at the source: only the records stamped in the watermark's own second are re-read
    # (the simulators stamp whole inventories and staff lists at one instant, hence not zero).
    for key in first:
        assert quiet[key] < 0.2 * first[key], (key, quiet[key], first[key])
    again = _rows(dg.materialize(assets, partition_key="2026-01-01", resources=simulator_resources(str(sim)),
                                 instance=instance))
    assert again == quiet

    changes = mutate(sim, fraction=0.02, seed=1)
    after = _rows(dg.materialize(assets, partition_key="2026-01-02", resources=simulator_resources(str(sim)),
                                 instance=instance))
    changed = {"dvc_records": "dossiers", "doc_records": "vb_van_ban", "sec_records": "incidents"}
    for key, table in changed.items():
        n = sum(len(changes[table][k]) for k in ("new", "changed", "deleted"))
        assert n > 0
        # A changed record that was also in the re-read overlap counts once.
        assert n - 3 <= after[key] - quiet[key] <= n, (key, after[key], quiet[key], n)


@pytest.mark.slow
def test_with_provinces_a_year_of_one_provinces_nights_is_one_run_into_its_own_warehouse(sim, tmp_path, monkeypatch):
    from assets.partitions import source_partitions
    from assets.sources import build_source_assets

    url = f"sqlite:///{tmp_path / 'hn'}.db"
    monkeypatch.setenv("DTI_PROVINCES", "HN,LC")
    monkeypatch.setenv("DTI_HN_DATABASE_URL", url)
    monkeypatch.setenv("DTI_HN_SIM_ROOT", str(sim))
    instance = dg.DagsterInstance.ephemeral()
    assets = build_source_assets(source_partitions(["HN", "LC"]))
    year = dg.materialize(assets, resources={"warehouse": simulator_resources(str(sim))["warehouse"]},
                          instance=instance, tags={"dagster/asset_partition_range_start": "2025-01-01|HN",
                                                   "dagster/asset_partition_range_end": "2025-12-31|HN"})
    assert year.success and len(instance.get_runs()) == 1
    done = instance.get_materialized_partitions(dg.AssetKey("dvc_records"))
    assert len(done) == 365 and {k.split("|")[1] for k in done} == {"HN"}
    assert _rows(year)["dvc_records"] > 1000
    with Session(get_engine(url)) as s:  # HN's warehouse, created on its first run
        batches = [r[0] for r in s.execute(sa.text("SELECT batch_id FROM sync_batches WHERE source = 'DVC'"))]
    assert batches and all(b.startswith("2025-01-01..2025-12-31-") and "-HN-DVC-" in b for b in batches)


def test_freshness_check_says_out_of_date_by_n_hours(sim, warehouse):
    run = run_job("nightly_sync", "2026-01-05", resources=simulator_resources(str(sim)), say=lambda _l: None)
    assert run.success and not [w for w in run.warnings if "source_fresh" in w]
    with Session(get_engine(warehouse)) as s, s.begin():
        s.get(SourceStatus, "SEC").last_success_at = dt.datetime.now(TZ) - dt.timedelta(hours=53, minutes=10)

    lines = []
    run = run_job("nightly_sync", "2026-01-06", resources=_failing_sec(sim), say=lines.append)
    stale = [w for w in run.warnings if w.startswith("sec_records.source_fresh")]
    assert stale and "SEC is out of date by 5 hours (limit 48 h" in stale[0]
    assert "SEC chậm 5 giờ so với hạn 48 giờ" in stale[0]
    assert any(line.startswith("  ⚠ sec_records.source_synced") for line in lines)


def _failing_sec(sim):
    class Down:
        def fetch(self, *_a, **_k):
            raise ConnectionError("SOC API 127.0.0.1:9 refused")

    res = simulator_resources(str(sim))
    res["sec"] = dg.ResourceDefinition.hardcoded_resource(Down())
    return res


def test_dti_sync_shows_progress_and_full_rereads_everything(sim, warehouse, capsys):
    assert main(["sync", "--sim", str(sim), "--night", "2026-01-05"]) == 0
    out = capsys.readouterr().out
    assert "• Đồng bộ đêm 2026-01-05 / syncing night 2026-01-05" in out
    assert "  ▶ dvc_records …" in out and "  ✓ sec_records (" in out
    done = next(line for line in out.splitlines() if line.startswith("Xong / done: nightly_sync 2026-01-05"))
    first = done.split(" — ")[1]
    assert main(["sync", "--sim", str(sim), "--night", "2026-01-06", "--full"]) == 0
    out = capsys.readouterr().out
    assert "full re-read: cleared 6 watermarks" in out
    again = next(line for line in out.splitlines() if line.startswith("Xong / done: nightly_sync 2026-01-06"))
    assert again.split(" — ")[1] == first  # the same counts as the first, full sync


def test_dti_sync_fails_loudly_when_a_source_is_down(sim, warehouse, capsys):
    (sim / "dvc.db").unlink()
    assert main(["sync", "--sim", str(sim), "--night", "2026-01-05"]) == 1
    out = capsys.readouterr().out
    assert "⚠ dvc_records.source_synced" in out
    assert "a source failed to sync; its indicators will be unverifiable" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["sync", "--night", "05/01/2026"],
     "--night: '05/01/2026' không phải ngày dạng YYYY-MM-DD / is not a date"),
    (["sync", "--sim", "/nonexistent/sim"], "--sim: không có thư mục '/nonexistent/sim' / no such folder"),
    (["sync"], "the systems of record are not configured, missing: DTI_DVC_BASE_URL, DTI_DVC_TOKEN, "
               "DTI_DOC_DATABASE_URL, DTI_SEC_BASE_URL, DTI_SEC_TOKEN"),
    (["run", "--period", "2025-3"], "period '2025-3' is invalid, expected YEAR-R<round>"),
    (["run", "--period", f"{LAST_YEAR + 1}-R1"], f"period {LAST_YEAR + 1}-R1 is not a known partition "
                                                  f"(có / known: {FIRST_YEAR}-R1 … {LAST_YEAR}-R3)"),
    (["run", "--period", "2025-R3", "--as-of", "2025-12-31T10:00"], "needs a time zone such as +07:00"),
    (["run", "--period", "2025-R3", "--province", "HN"], "province HN is not listed in DTI_PROVINCES (trống / empty)"),
])
def test_cli_errors_name_the_value_and_what_was_expected(argv, message, capsys, warehouse, monkeypatch):
    for name in ("DTI_DVC_BASE_URL", "DTI_DVC_TOKEN", "DTI_DOC_DATABASE_URL", "DTI_SEC_BASE_URL", "DTI_SEC_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    try:
        code = main(argv)
    except SystemExit as exc:  # refused while the command line is read, before any work
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def _load_province(root, url):
    from dti.warehouse import init_db
    from simulators.load import load_self_reports, load_units

    init_db(url)
    load_units(root, url)
    load_self_reports(root, url)


@pytest.mark.slow
def test_dti_run_verifies_a_period_and_writes_the_reports(sim, warehouse, capsys, tmp_path):
    _load_province(sim, warehouse)
    assert main(["sync", "--sim", str(sim)]) == 0
    assert main(["run", "--period", PERIOD, "--as-of", "2026-01-05T08:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    for step in ("objective_metrics", "claim_ledger", "verified_scores", "council_reports"):
        assert f"  ✓ {step} (" in out
    assert f"Xong / done: verify_period {PERIOD}" in out
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "council.xlsx").exists()


def _two_provinces(sim_template, tmp_path, monkeypatch) -> dict:
    """HN and LC, each with its own simulated systems, warehouse and output folder."""
    from simulators.generator import generate

    roots = {"HN": sim_template, "LC": tmp_path / "sim-lc"}
    generate(roots["LC"], seed=8, scale="tiny", period=PERIOD)
    monkeypatch.setenv("DTI_PROVINCES", "lc, HN")
    for code, root in roots.items():
        url = f"sqlite:///{tmp_path / code.lower()}.db"
        _load_province(root, url)
        monkeypatch.setenv(f"DTI_{code}_DATABASE_URL", url)
        monkeypatch.setenv(f"DTI_{code}_SIM_ROOT", str(root))
    return roots


def _partition_tags(key: dg.MultiPartitionKey) -> dict:
    return {"dagster/partition": str(key),
            **{f"dagster/partition/{dim}": value for dim, value in key.keys_by_dimension.items()}}


@pytest.mark.slow
def test_province_partitions_run_on_the_multiprocess_executor_and_fail_alone(sim_template, tmp_path, monkeypatch):
    from pipelines.definitions import nightly_sync_job, verify_period_job

    roots = _two_provinces(sim_template, tmp_path, monkeypatch)
    monkeypatch.delenv("DTI_LC_DATABASE_URL")  # LC is misconfigured on the first night
    night = {code: dg.MultiPartitionKey({"night": "2025-12-31", "province": code}) for code in roots}
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        sync = dg.reconstructable(nightly_sync_job)
        hn = dg.execute_job(sync, instance=instance, tags=_partition_tags(night["HN"]))
        assert hn.success
        starts = {e.step_key: e.dagster_event.pid for e in _step_starts(instance, hn.run_id)}
        assert sorted(starts) == ["doc_records", "doc_records_source_fresh", "dvc_records", "dvc_records_source_fresh",
                                  "sec_records", "sec_records_source_fresh"]
        assert len(set(starts.values())) == 6  # every step in its own process

        lc = dg.execute_job(sync, instance=instance, tags=_partition_tags(night["LC"]))
        assert not lc.success
        failures = [e for e in instance.all_logs(lc.run_id) if e.dagster_event
                    and e.dagster_event.event_type_value == "STEP_FAILURE"]
        assert len(failures) == 3  # one per source, none retried: a missing setting will not fix itself
        assert all("DTI_LC_DATABASE_URL is not set" in e.dagster_event.step_failure_data.user_failure_data.description
                   for e in failures)

        verify = dg.execute_job(dg.reconstructable(verify_period_job), instance=instance,
                                tags=_partition_tags(dg.MultiPartitionKey({"period": PERIOD, "province": "HN"})))
        assert verify.success  # HN is not held back by LC
        assert (tmp_path / "out" / "HN" / "report.html").exists() and not (tmp_path / "out" / "LC").exists()

        monkeypatch.setenv("DTI_LC_DATABASE_URL", f"sqlite:///{tmp_path / 'lc'}.db")
        again = dg.execute_job(sync, instance=instance, tags=_partition_tags(night["LC"]),
                               reexecution_options=dg.ReexecutionOptions.from_failure(lc.run_id, instance))
        assert again.success
        done = instance.get_materialized_partitions(dg.AssetKey("dvc_records"))
        assert done == {"2025-12-31|HN", "2025-12-31|LC"}
    with Session(get_engine(f"sqlite:///{tmp_path / 'hn'}.db")) as s:
        assert s.scalar(sa.text("SELECT COUNT(*) FROM unit_scores WHERE period = :p"), {"p": PERIOD}) > 0
        checked = {r[0] for r in s.execute(sa.text("SELECT DISTINCT asset FROM check_results WHERE partition = :p"),
                                            {"p": PERIOD})}
        assert checked == {"self_reports", "claim_ledger", "verified_scores"}  # kept in HN's own history
    with Session(get_engine(f"sqlite:///{tmp_path / 'lc'}.db")) as s:
        assert s.scalar(sa.text("SELECT COUNT(*) FROM raw_dossiers")) > 0
        assert s.scalar(sa.text("SELECT COUNT(*) FROM unit_scores")) == 0  # LC's period not verified yet


@pytest.mark.slow
def test_dti_sync_and_run_cover_every_province_side_by_side(sim_template, tmp_path, monkeypatch, capsys):
    roots = _two_provinces(sim_template, tmp_path, monkeypatch)
    assert main(["sync", "--night", "2025-12-31"]) == 0
    assert main(["run", "--period", PERIOD, "--as-of", "2026-01-05T08:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    for code in roots:
        assert f"[{code}]   ✓ dvc_records (" in out and f"[{code}]   ✓ council_reports (" in out
        assert f"Xong / done: verify_period {PERIOD} {code}" in out
        assert (tmp_path / "out" / code / "report.html").exists()
    # One province only, by name; its progress lines need no prefix.
    assert main(["run", "--period", PERIOD, "--province", "lc", "--as-of", "2026-01-05T08:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    assert f"Xong / done: verify_period {PERIOD} LC" in out and "[HN]" not in out


def _step_starts(instance, run_id):
    return [e for e in instance.all_logs(run_id) if e.dagster_event and
            e.dagster_event.event_type_value == "STEP_START"]


def test_province_settings_are_read_at_run_time_and_missing_ones_named(monkeypatch, tmp_path):
    import os

    from assets.provinces import ProvinceConfig, ProvinceError, province_codes

    monkeypatch.setenv("DTI_PROVINCES", "hn, lc,HN")
    assert province_codes() == ["HN", "LC"]
    monkeypatch.setenv("DTI_HN_DATABASE_URL", f"sqlite:///{tmp_path}/hn.db")
    cfg = ProvinceConfig.from_env("hn")
    assert (cfg.database_url, cfg.out_dir) == (f"sqlite:///{tmp_path}/hn.db", Path(os.environ["DTI_OUT_DIR"]) / "HN")
    with pytest.raises(ProvinceError, match="missing DTI_HN_DVC_BASE_URL for province HN"):
        cfg.connectors()
    monkeypatch.setenv("DTI_HN_DVC_BASE_URL", "https://dvc.example.vn")
    monkeypatch.setenv("DTI_HN_DVC_TOKEN", "t")
    monkeypatch.setenv("DTI_HN_DOC_DATABASE_URL", "sqlite:///doc.db")
    monkeypatch.setenv("DTI_HN_SEC_BASE_URL", "https://soc.example.vn")
    monkeypatch.setenv("DTI_HN_SEC_TOKEN", "t")
    clients = cfg.connectors()
    assert (type(clients["DVC"]).__name__, clients["DVC"].base_url) == ("DossierApi", "https://dvc.example.vn")
    assert type(clients["SEC"]).__name__ == "SecurityApi" and type(clients["DOC"]).__name__ == "DocumentDb"
    with pytest.raises(ProvinceError, match="DTI_LC_DATABASE_URL is not set"):
        ProvinceConfig.from_env("LC")
    monkeypatch.setenv("DTI_PROVINCES", "HN,hà-nội")
    with pytest.raises(ProvinceError, match="invalid province code"):
        province_codes()
