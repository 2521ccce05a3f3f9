"""Building a verified province for tests: generate, load, sync (in-process simulators), verify."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dti.sync import sync_source
from dti.verification.steps import run_period
from dti.warehouse import Warehouse
from simulators.generator import Scale, generate
from simulators.in_process import in_process_sources
from simulators.load import load_self_reports, load_units

PERIOD = "2025-R3"
NOW = dt.datetime(2026, 1, 6, 8, 0, tzinfo=dt.UTC)


def sync_all(root: Path, url: str, *, prefix: str = "t1", skip: tuple[str, ...] = ()) -> None:
    sources = in_process_sources(root)
    fetchers = {"DVC": sources["dvc"], "DOC": sources["doc"], "SEC": sources["sec"]}
    for source, fetcher in fetchers.items():
        if source not in skip:
            sync_source(source, fetcher, url=url, batch_prefix=prefix, fetched_at=NOW)


def verified_province(root: Path, url: str, *, seed: int = 7, scale: str | Scale = "tiny"):
    gen = generate(root, seed=seed, scale=scale, period=PERIOD)
    Warehouse(url).migrate()
    load_units(root, url)
    load_self_reports(root, url)
    sync_all(root, url)
    return gen, run_verification(url)


def run_verification(url: str):
    run = run_period(Warehouse(url), PERIOD, as_of=NOW)
    return {"units": run.units, "metrics": run.metrics, "claims": run.claims, "scores": run.scores, "info": run.info}
