"""Load a generated province's reference data and self-reports into the warehouse (demo and tests)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.intake.citations import parse_citations
from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import EvidenceCitation, SelfReport, Submission, Unit, UnitLink


def load_units(root: str | Path, url: str | None = None) -> int:
    data = json.loads((Path(root) / "units.json").read_text(encoding="utf-8"))
    with Session(get_engine(url)) as s, s.begin():
        for u in data["units"]:
            s.merge(
                Unit(
                    code=u["code"],
                    name_vi=u["name_vi"],
                    unit_type=u["unit_type"],
                    province_code=u["province_code"],
                    parent_code=u["parent_code"],
                    valid_from=dt.date.fromisoformat(u["valid_from"]),
                    valid_to=dt.date.fromisoformat(u["valid_to"]) if u["valid_to"] else None,
                    framework_id=u.get("framework_id"),
                )
            )
        s.execute(sa.delete(UnitLink))
        for link in data["links"]:
            s.add(
                UnitLink(
                    predecessor_code=link["predecessor_code"],
                    successor_code=link["successor_code"],
                    effective=dt.date.fromisoformat(link["effective"]),
                    reason=link.get("reason"),
                )
            )
    return len(data["units"])


def load_self_reports(
    root: str | Path, url: str | None = None, submitted_at: dt.datetime | None = None
) -> int:
    """Generated self-reports arrive as one current submission per unit and period (source=generator).

    Re-loading replaces the generator's earlier submission for the same unit and period.
    """
    rows = json.loads((Path(root) / "self_reports.json").read_text(encoding="utf-8"))
    meta = json.loads((Path(root) / "meta.json").read_text(encoding="utf-8"))
    submitted_at = submitted_at or dt.datetime.fromisoformat(meta["sim_now"]).astimezone(TZ)
    by_unit: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        by_unit.setdefault((r["unit_code"], r["period"], r["framework_id"]), []).append(r)
    n = 0
    with Session(get_engine(url)) as s, s.begin():
        for (unit, period, fw_id), items in sorted(by_unit.items()):
            old = s.scalars(
                sa.select(Submission).where(
                    Submission.unit_code == unit,
                    Submission.period == period,
                    Submission.source == "generator",
                )
            ).all()
            for sub in old:
                ids = sa.select(SelfReport.id).where(SelfReport.submission_id == sub.id)
                s.execute(sa.delete(EvidenceCitation).where(EvidenceCitation.self_report_id.in_(ids)))
                s.execute(sa.delete(SelfReport).where(SelfReport.submission_id == sub.id))
                s.delete(sub)
            s.flush()
            for other in s.scalars(
                sa.select(Submission).where(
                    Submission.unit_code == unit, Submission.period == period, Submission.is_current.is_(True)
                )
            ):
                other.is_current = False
            sub = Submission(
                unit_code=unit,
                period=period,
                framework_id=fw_id,
                submitted_at=submitted_at,
                is_late=False,
                is_current=True,
                source="generator",
            )
            s.add(sub)
            s.flush()
            for i, r in enumerate(items, start=1):
                report = SelfReport(
                    submission_id=sub.id,
                    unit_code=unit,
                    period=period,
                    indicator_code=r["indicator_code"],
                    value=Decimal(r["value"]) if r["value"] is not None else None,
                    self_points=Decimal(r["self_points"]) if r.get("self_points") else None,
                    evidence_text=r.get("evidence_text"),
                    source_sheet="generator",
                    source_row=i,
                )
                s.add(report)
                s.flush()
                for c in parse_citations(r.get("evidence_text")):
                    s.add(
                        EvidenceCitation(
                            self_report_id=report.id,
                            raw=c.raw,
                            number=c.number,
                            notation=c.notation,
                            issuer=c.issuer,
                            doc_date=c.doc_date,
                        )
                    )
                n += 1
    return n
