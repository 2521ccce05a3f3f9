"""evidence_reads: the period's evidence files read and checked (dti.evidence), new uploads each run, so a
night's uploads are read that night. Thin: it runs dti.evidence.service.read_period and records metadata.
Partitioned by period, or by period × province (assets.scope)."""

import dagster as dg

from assets.partitions import period_partitions, source_deps
from assets.resources import WarehouseResource
from assets.scope import period_scope
from assets.verification import run_step
from dti.verification.steps import read_evidence
from dti.vocabulary import EvidenceVerdict


def _table(counts: dict[str, int]) -> dg.MetadataValue:
    lines = ["| kết luận / verdict | số tệp / filings |", "|---|---|"]
    lines += [f"| {EvidenceVerdict(code).vi} ({code}) | {n} |" for code, n in sorted(counts.items())]
    return dg.MetadataValue.md("\n".join(lines))


def build_evidence_assets(partitions_def: dg.PartitionsDefinition, provinces: list[str]) -> list[dg.AssetsDefinition]:
    """evidence_reads on periods or periods × provinces; it reads the document system's records (doc_records)."""
    docs = [d for d in source_deps(provinces) if d.asset_key.to_user_string() == "doc_records"]

    @dg.asset(group_name="verification", partitions_def=partitions_def, deps=docs, kinds={"python", "pdf"},
              owners=["team:dti-staff"],
              check_specs=[dg.AssetCheckSpec("every_filing_read", asset="evidence_reads", blocking=False,
                                             description="Mọi tệp minh chứng đã được đọc / every evidence file was "
                                                         "read (none left for the next run)")],
              description="Tài liệu kiểm chứng đã đọc và kiểm tra / evidence files read and checked")
    def evidence_reads(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        scope = period_scope(context, warehouse)
        out = run_step(read_evidence, scope).evidence
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": sum(out.verdicts.values()), "filings": out.filings, "files_read": out.files_read,
            "cache_hits": out.cache_hits, "unreadable": out.unreadable, "deferred": out.deferred,
            "pages_read": out.pages_read, "ocr_pages": out.ocr_pages, "read_seconds": round(out.read_seconds, 2),
            **{f"verdict_{code}": n for code, n in sorted(out.verdicts.items())},
            "verdicts": _table(dict(out.verdicts)),
        })
        yield dg.AssetCheckResult(
            check_name="every_filing_read", passed=out.deferred == 0, severity=dg.AssetCheckSeverity.WARN,
            description=f"{out.deferred} tệp chờ lần chạy sau / files wait for the next run" if out.deferred else
            "Đã đọc mọi tệp / every file read", metadata={"deferred": out.deferred})

    return [evidence_reads]


(evidence_reads,) = build_evidence_assets(period_partitions, [])
