"""Write every output of a period to the out folder: report.html, council.xlsx, claim_ledger.csv/.xlsx/.json,
verified_scores.csv/.xlsx/.json."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dti import publication
from dti.reports.context import gather
from dti.reports.excel import build_workbook, save_deterministic
from dti.reports.exports import (
    ledger_csv,
    ledger_json,
    ledger_workbook,
    scores_csv,
    scores_json,
    scores_workbook,
    write_csv,
    write_text,
)
from dti.reports.html import render_report
from dti.settings import get_settings
from dti.warehouse.models import Publication


def write_period_outputs(session: Session, period: str, out_dir: str | Path, pub: Publication | None = None) -> dict:
    """A published period's outputs come from its frozen copy (the one in force, or `pub`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = gather(session, period, pub=pub)
    files = {
        "claim_ledger.csv": write_csv(out / "claim_ledger.csv", ledger_csv(ctx.claims)),
        "verified_scores.csv": write_csv(out / "verified_scores.csv", scores_csv(ctx.scores)),
        "claim_ledger.json": write_text(out / "claim_ledger.json", ledger_json(ctx.claims)),
        "verified_scores.json": write_text(out / "verified_scores.json", scores_json(ctx.scores)),
        "report.html": write_text(out / "report.html", render_report(ctx)),
    }
    files["council.xlsx"] = save_deterministic(build_workbook(ctx), out / "council.xlsx")
    files["claim_ledger.xlsx"] = save_deterministic(ledger_workbook(ctx.claims), out / "claim_ledger.xlsx")
    files["verified_scores.xlsx"] = save_deterministic(scores_workbook(ctx.scores),
                                                       out / "verified_scores.xlsx")
    return {"files": files, "claims": len(ctx.claims), "context": ctx}


def publication_folder(period: str, version: int) -> Path:
    """Where a publication's outputs go unless told otherwise: one folder per period and version, so the
    nightly run's out/ files and earlier publications are never overwritten."""
    return get_settings().out_dir / "cong-bo" / period / f"lan-{version}"


def write_publication(session: Session, period: str, version: int | None = None,
                      out_dir: str | Path | None = None) -> tuple[Publication, Path, dict]:
    """Write a publication's outputs (the one in force, or `version`) from its frozen copy; the same bytes
    each time. Raises publication.PublicationError when there is no such publication."""
    pub = publication.find(session, period, version)
    out = Path(out_dir) if out_dir else publication_folder(period, pub.version)
    return pub, out, write_period_outputs(session, period, out, pub)
