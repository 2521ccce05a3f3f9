"""What `dti tabular load` does: load every tabular source declared in <DTI_MAPPINGS_DIR>/tabular
(dti.tabular) into the warehouse and report, per source, the rows accepted and each row refused with its
reason. Exit code 2 when a source could not be read or a row was refused (the rest is loaded; nothing is lost)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from application.cli import CliError
from dti.tabular import TabularError, load_sources
from dti.tabular.load import load_all
from dti.tabular.spec import sources_dir
from dti.warehouse import Warehouse
from dti.warehouse.models import TabularReject


def report(wh: Warehouse) -> list[dict]:
    try:
        load_sources()  # every YAML readable and no metric declared twice, or a clear error (exit 2)
    except TabularError as exc:
        raise CliError(str(exc)) from None
    loads = load_all(wh)
    out = []
    with wh.session() as s:
        for load in loads:
            refused = s.execute(
                sa.select(TabularReject)
                .where(TabularReject.tabular_source == load.tabular_source)
                .order_by(TabularReject.id)
            ).scalars()
            out.append(
                {
                    "source": load.tabular_source,
                    "ok": load.ok,
                    "error": load.error,
                    "accepted": load.accepted,
                    "rejected": load.rejected,
                    "refused": [
                        {"origin": r.origin, "unit_code": r.unit_code, "field": r.field, "reason": r.reason}
                        for r in refused
                    ],
                }
            )
    return out


def load(args) -> int:
    wh = Warehouse().migrate()
    loaded = report(wh)
    if args.json:
        print(
            json.dumps(
                {"folder": str(sources_dir()), "sources": loaded},
                ensure_ascii=False,
                indent=2,
                sort_keys=True,
            )
        )
    else:
        if not loaded:
            print(f"Không có nguồn dạng bảng nào trong {sources_dir()} / no tabular source declared there")
        for src in loaded:
            if not src["ok"]:
                print(f"{src['source']}: KHÔNG NẠP ĐƯỢC / NOT LOADED — {src['error']}")
                continue
            print(f"{src['source']}: nhận / accepted {src['accepted']}, từ chối / rejected {src['rejected']}")
            for r in src["refused"]:
                print(f"  {r['reason']}")
    return 0 if all(s["ok"] and not s["rejected"] for s in loaded) else 2
