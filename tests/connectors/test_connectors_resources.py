"""The connector resources resolve their URLs and tokens from the environment when Dagster runs."""

from __future__ import annotations

import dagster as dg
import pytest

from connectors.base import DocumentSource, DossierSource, SecuritySource
from connectors.resources import source_resources
from connectors.sec.client import SecurityCsvExport
from simulators.server import SimulatorServer


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from simulators.generator import generate

    root = tmp_path_factory.mktemp("province")
    generate(root, seed=2, scale="tiny")
    return root


def test_envvar_resources_pull_through_dagster(province, monkeypatch):
    with SimulatorServer(province) as sims:
        monkeypatch.setenv("DTI_DVC_BASE_URL", sims.dvc_url)
        monkeypatch.setenv("DTI_DVC_TOKEN", sims.token)
        monkeypatch.setenv("DTI_SEC_BASE_URL", sims.sec_url)
        monkeypatch.setenv("DTI_SEC_TOKEN", sims.token)
        monkeypatch.setenv("DTI_DOC_DATABASE_URL", sims.doc_url)
        resources = source_resources({"DTI_SEC_MODE": "csv", "DTI_HTTP_READ_TIMEOUT": "2"})
        assert isinstance(resources["sec"], SecurityCsvExport) and resources["dvc"].read_timeout == 2.0

        @dg.asset
        def counts(dvc: DossierSource, sec: SecuritySource, doc: DocumentSource) -> dict:
            return {"dossiers": sum(1 for _ in dvc.fetch("dossiers")),
                    "incidents": sum(1 for _ in sec.fetch("incidents")),
                    "staff": sum(1 for _ in doc.fetch("staff"))}

        result = dg.materialize_to_memory([counts], resources=resources)
    assert result.success
    got = result.output_for_node("counts")
    assert got["dossiers"] == 1500 and got["incidents"] > 0 and got["staff"] > 0


def test_bad_number_names_the_variable():
    with pytest.raises(ValueError, match="DTI_HTTP_READ_TIMEOUT"):
        source_resources({"DTI_HTTP_READ_TIMEOUT": "soon"})
    with pytest.raises(ValueError, match="DTI_HTTP_GZIP='sometimes': cần auto, true hoặc false"):
        source_resources({"DTI_HTTP_GZIP": "sometimes"})


@pytest.mark.parametrize(("setting", "url", "asks_gzip"), [
    ("", "https://dvc.example.vn", True), ("auto", "http://127.0.0.1:8080", False),
    ("true", "http://localhost:8080", True), ("off", "https://dvc.example.vn", False)])
def test_gzip_is_asked_of_remote_servers_unless_switched(setting, url, asks_gzip):
    from connectors.dvc.client import DossierApi

    gzip = source_resources({"DTI_HTTP_GZIP": setting})["dvc"].gzip
    api = DossierApi(base_url=url, token="t", gzip=gzip)
    assert (api._client("DVC").session.headers["Accept-Encoding"] == "gzip") is asks_gzip


@pytest.mark.slow
def test_demo_http_resources_flaky_equals_clean_and_dvc_down_is_quick(province, tmp_path):
    """What `dti demo --faults ...` relies on: flaky changes nothing, dvc-down fails DVC within seconds."""
    import datetime as dt
    import time

    from connectors.base import SourceError
    from dti.settings import TZ
    from dti.sync import sync_source
    from dti.warehouse import init_db
    from simulators.load import load_units
    from simulators.loopback import http_simulator_resources

    at = dt.datetime(2026, 1, 6, 1, tzinfo=TZ)
    dumps = {}
    for profile in ("none", "flaky", "dvc-down"):
        url = f"sqlite:///{tmp_path / f'{profile}.db'}"
        init_db(url)
        load_units(province, url)
        with http_simulator_resources(province, faults=profile, seed=20251231) as res:
            for source, key in (("SEC", "sec"), ("DOC", "doc"), ("DVC", "dvc")):
                started = time.monotonic()
                if profile == "dvc-down" and source == "DVC":
                    with pytest.raises(SourceError, match="503"):
                        sync_source(source, res[key], url=url, batch_prefix="demo", fetched_at=at)
                    assert time.monotonic() - started < 7
                else:
                    sync_source(source, res[key], url=url, batch_prefix="demo", fetched_at=at)
            if profile == "flaky":  # faults really happened (the DVC dossiers pull ran last)
                assert res["dvc"].last_stats.retries >= 1
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            dumps[profile] = {t: conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY source_id")).all()
                              for t in ("raw_dossiers", "raw_procedures", "raw_incidents", "raw_inventories",
                                        "raw_documents", "raw_staff")}
        engine.dispose()
    assert dumps["flaky"] == dumps["none"]
    assert dumps["dvc-down"]["raw_dossiers"] == [] and dumps["dvc-down"]["raw_incidents"] == dumps["none"]["raw_incidents"]
