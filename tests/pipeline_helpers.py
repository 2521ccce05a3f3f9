"""Building a verified province for tests: generate, load, sync (in-process simulators), verify."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dti.sync import sync_source
from dti.verification import (
    build_period_ledger,
    compute_period,
    score_period,
    store_ledger,
    store_metrics,
    store_scores,
)
from dti.warehouse import init_db
from simulators.generator import Scale, generate
from simulators.load import load_self_reports, load_units

PERIOD = "2025-R3"
NOW = dt.datetime(2026, 1, 6, 8, 0, tzinfo=dt.UTC)


def sync_all(root: Path, url: str, *, prefix: str = "t1", skip: tuple[str, ...] = ()) -> None:
    from connectors.doc.client import DocumentDb
    from simulators.in_process import DossierSimulator, SecuritySimulator

    fetchers = {"DVC": DossierSimulator(db_path=str(root / "dvc.db")),
                "DOC": DocumentDb(url=f"sqlite:///{root / 'doc.db'}"),
                "SEC": SecuritySimulator(db_path=str(root / "sec.db"))}
    for source, fetcher in fetchers.items():
        if source not in skip:
            sync_source(source, fetcher, url=url, batch_prefix=prefix, fetched_at=NOW)


def verified_province(root: Path, url: str, *, seed: int = 7, scale: str | Scale = "tiny"):
    gen = generate(root, seed=seed, scale=scale, period=PERIOD)
    init_db(url)
    load_units(root, url)
    load_self_reports(root, url)
    sync_all(root, url)
    return gen, run_verification(url)


def run_verification(url: str):
    units, metrics = compute_period(PERIOD, url=url, as_of=NOW)
    store_metrics(PERIOD, metrics, url=url)
    units, claims, info = build_period_ledger(PERIOD, url=url)
    store_ledger(PERIOD, claims, url=url)
    scores = score_period(PERIOD, claims, units)
    store_scores(PERIOD, scores, url=url)
    return {"units": units, "metrics": metrics, "claims": claims, "scores": scores, "info": info}
