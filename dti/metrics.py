"""Objective metrics per unit × period × indicator, computed from the raw records in the warehouse.

The rules are the ones real systems use (domain brief §4): a dossier is on time when it finished on
or before its due date, compared by day in Asia/Ho_Chi_Minh; a dossier still in process past its
due date at period end is late; dossiers received before the period and finished in it count;
confidential documents are left out of ratios; deleted records (tombstones) never count.

A metric whose source failed or is stale is returned with a status saying so — never as zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from dti.framework import Framework, Period
from dti.metrics_catalogue import METRICS
from dti.settings import TZ
from dti.warehouse.db import get_engine
from dti.warehouse.models import (
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    SourceStatus,
    SyncWatermark,
)

MAX_RECORD_IDS = 100
# Units are read and computed in batches of about this many dossiers (the largest history), so
# memory stays flat as years of records pile up instead of growing with the province's history.
ROW_BUDGET = 250_000


@dataclass
class MetricValue:
    unit_code: str
    indicator_code: str
    metric: str
    source: str
    status: str  # ok / unavailable / stale / no_data / incomplete
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    record_count: int = 0
    coverage: Decimal | None = None
    freshness_at: dt.datetime | None = None
    reason: str | None = None
    snapshot_id: str | None = None
    record_ids: list[str] = field(default_factory=list)


@dataclass
class SourceHealth:
    source: str
    ok: bool
    last_success_at: dt.datetime | None
    error: str | None
    snapshot_id: str | None


def _local_bounds(window: tuple[dt.date, dt.date]) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(dt.datetime.combine(window[0], dt.time(0, 0), TZ))
    end = pd.Timestamp(dt.datetime.combine(window[1], dt.time(23, 59, 59, 999999), TZ))
    return start, end


def _local_day(series: pd.Series) -> pd.Series:
    """Timestamps → local calendar day (as a normalised timestamp), NaT kept."""
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_convert("Asia/Ho_Chi_Minh").dt.normalize()


def _read(conn, query) -> pd.DataFrame:
    return pd.read_sql(query, conn)


def _raw_ts(column):
    """A timestamp column as the driver returns it; `_local_day` / pd.to_datetime(utc=True) parse it in
    one vectorised pass (stored values are UTC) instead of one Python call per value."""
    return sa.type_coerce(column, sa.String).label(column.key)


def _by_unit(frame: pd.DataFrame):
    """Each unit's rows, split once: comparing every row once per unit costs units × rows."""
    groups = dict(tuple(frame.groupby("unit_code", sort=False))) if len(frame) else {}
    empty = frame.iloc[0:0]
    return lambda unit: groups.get(unit, empty)


def source_health(conn) -> dict[str, SourceHealth]:
    """Each source's last sync outcome, and a snapshot id naming the data the metrics were built on."""
    out: dict[str, SourceHealth] = {}
    statuses = {s.source: s for s in conn.execute(sa.select(SourceStatus)).all()}
    marks = conn.execute(sa.select(SyncWatermark.source, SyncWatermark.entity, SyncWatermark.watermark)
                         .order_by(SyncWatermark.source, SyncWatermark.entity)).all()
    for source in ("DVC", "DOC", "SEC"):
        s = statuses.get(source)
        # The snapshot is named by what was read (each entity's watermark), not by when: two syncs of
        # the same data give the same snapshot id, so outputs stay byte-identical.
        basis = "|".join(f"{e}:{w.isoformat()}" for src, e, w in marks if src == source)
        snap = hashlib.sha256(f"{source}|{basis}".encode()).hexdigest()[:16] if basis else None
        out[source] = SourceHealth(source, bool(s and s.ok), s.last_success_at if s else None,
                                   s.error if s else "chưa đồng bộ / never synced", snap)
    return out


def _ratio(num: float | int, den: float | int) -> tuple[Decimal | None, Decimal, Decimal]:
    n, d = Decimal(int(num)), Decimal(int(den))
    return ((n / d) if d else None), n, d


def _ids(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    return sorted(frame.loc[mask, "source_id"].tolist())[:MAX_RECORD_IDS]


def _dvc_metrics(conn, units: list[str], window) -> dict[str, dict[str, tuple]]:
    start, end = _local_bounds(window)
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    procs = _read(conn, sa.select(RawProcedure.source_id, RawProcedure.unit_code, RawProcedure.procedure_code,
                                  RawProcedure.service_level)
                  .where(RawProcedure.deleted.is_(False), RawProcedure.unit_code.in_(units)))
    d = RawDossier
    doss = _read(conn, sa.select(d.source_id, d.unit_code, d.procedure_code, d.channel, d.service_level,
                                 _raw_ts(d.received_at), _raw_ts(d.due_at), _raw_ts(d.finished_at), d.status,
                                 d.has_digitised, d.e_result,
                                 d.paid_online, d.fee_applies, d.vneid, d.synced_portal, d.components_total,
                                 d.components_reused, d.satisfaction)
                 .where(d.deleted.is_(False), d.unit_code.in_(units),
                        d.received_at <= end.to_pydatetime(),
                        sa.or_(d.finished_at.is_(None), d.finished_at >= start.to_pydatetime())))
    if not doss.empty:
        doss["rec_day"] = _local_day(doss["received_at"])
        doss["due_day"] = _local_day(doss["due_at"])
        doss["fin_day"] = _local_day(doss["finished_at"])
        start_day, end_day = start.normalize(), end.normalize()
        doss["received_in"] = (doss["rec_day"] >= start_day) & (doss["rec_day"] <= end_day)
        doss["finished_in"] = (doss["status"] == "done") & doss["fin_day"].notna() & \
            (doss["fin_day"] >= start_day) & (doss["fin_day"] <= end_day)
        doss["open_late"] = doss["status"].isin(["processing", "paused"]) & (doss["due_day"] < end_day)
        doss["online"] = doss["channel"] == 2
    procs_of, doss_of = _by_unit(procs), _by_unit(doss)
    for unit in units:
        res = out[unit]
        p = procs_of(unit)
        if not p.empty:
            online_mask = p["service_level"].isin(["full", "partial"])
            res["dvc_online_procedures_rate"] = (*_ratio(online_mask.sum(), len(p)), len(p), _ids(p, ~online_mask))
        x = doss_of(unit)
        if x.empty:
            continue
        rec = x[x["received_in"]]
        fin = x[x["finished_in"]]
        if not p.empty:
            online_procs = set(p.loc[p["service_level"].isin(["full", "partial"]), "procedure_code"])
            used = set(rec.loc[rec["online"], "procedure_code"]) & online_procs
            unused = sorted(p.loc[p["procedure_code"].isin(online_procs - used), "source_id"])
            res["dvc_online_services_used_rate"] = (*_ratio(len(used), len(online_procs)), len(online_procs),
                                                    unused[:MAX_RECORD_IDS])
        if len(rec):
            n = len(rec)
            res["dvc_online_submission_rate"] = (*_ratio(rec["online"].sum(), n), n, _ids(rec, ~rec["online"]))
            full = rec["online"] & (rec["service_level"] == "full")
            res["dvc_full_online_rate"] = (*_ratio(full.sum(), n), n, _ids(rec, ~full))
            fee = rec[rec["fee_applies"].astype(bool)]
            if len(fee):
                paid = fee["paid_online"].astype(bool)
                res["dvc_online_payment_rate"] = (*_ratio(paid.sum(), len(fee)), len(fee), _ids(fee, ~paid))
            dig = rec["has_digitised"].astype(bool)
            res["dvc_digitised_rate"] = (*_ratio(dig.sum(), n), n, _ids(rec, ~dig))
            reused, total = int(rec["components_reused"].sum()), int(rec["components_total"].sum())
            res["dvc_reuse_rate"] = (*_ratio(reused, total), n, [])
            synced = rec["synced_portal"].astype(bool)
            res["dvc_portal_sync_rate"] = (*_ratio(synced.sum(), n), n, _ids(rec, ~synced))
            onl = rec[rec["online"]]
            if len(onl):
                v = onl["vneid"].astype(bool)
                res["dvc_vneid_rate"] = (*_ratio(v.sum(), len(onl)), len(onl), _ids(onl, ~v))
        open_late = x[x["open_late"]]
        if len(fin) or len(open_late):
            on_time = fin["fin_day"] <= fin["due_day"]
            late_ids = sorted(fin.loc[~on_time, "source_id"].tolist() + open_late["source_id"].tolist())
            res["dvc_on_time_rate"] = (*_ratio(on_time.sum(), len(fin) + len(open_late)),
                                       len(fin) + len(open_late), late_ids[:MAX_RECORD_IDS])
        if len(fin):
            er = fin["e_result"].astype(bool)
            res["dvc_e_result_rate"] = (*_ratio(er.sum(), len(fin)), len(fin), _ids(fin, ~er))
            rated = fin[fin["satisfaction"].notna()]
            if len(rated):
                sat = rated["satisfaction"] == 1
                res["dvc_satisfaction_rate"] = (*_ratio(sat.sum(), len(rated)), len(rated), _ids(rated, ~sat))
    return out


def _doc_metrics(conn, units: list[str], window) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    r = RawDocument
    docs = _read(conn, sa.select(r.source_id, r.unit_code, r.direction, r.doc_type, r.topic_dx, r.signer_role,
                                 r.digitally_signed, r.inter_agency, r.via_axis, r.axis_status, r.confidential,
                                 r.work_file, r.work_file_online)
                 .where(r.deleted.is_(False), r.unit_code.in_(units), r.issue_date >= window[0],
                        r.issue_date <= window[1]))
    staff = _read(conn, sa.select(RawStaff.source_id, RawStaff.unit_code, RawStaff.personal_certificate)
                  .where(RawStaff.deleted.is_(False), RawStaff.eligible_signer.is_(True),
                         RawStaff.unit_code.in_(units)))
    for col in ("topic_dx", "digitally_signed", "inter_agency", "via_axis", "confidential", "work_file",
                "work_file_online"):
        if col in docs:
            docs[col] = docs[col].astype(bool)
    docs_of, staff_of = _by_unit(docs), _by_unit(staff)
    for unit in units:
        res = out[unit]
        x = docs_of(unit)
        out_docs = x[x["direction"] == "out"]
        meetings = out_docs[(out_docs["doc_type"] == "TB") & out_docs["topic_dx"] & (out_docs["signer_role"] == "head")]
        if len(x):
            res["doc_dx_meetings_count"] = (Decimal(len(meetings)), None, None, len(meetings),
                                            sorted(meetings["source_id"])[:MAX_RECORD_IDS])
        directives = out_docs[out_docs["topic_dx"] & out_docs["doc_type"].isin(["KH", "CT", "QĐ"])]
        if len(directives):
            head = directives["signer_role"] == "head"
            res["doc_head_directives_rate"] = (*_ratio(head.sum(), len(directives)), len(directives),
                                               _ids(directives, ~head))
        open_out = out_docs[~out_docs["confidential"]]
        if len(open_out):
            signed = open_out["digitally_signed"]
            res["doc_signed_rate"] = (*_ratio(signed.sum(), len(open_out)), len(open_out), _ids(open_out, ~signed))
            inter = open_out[open_out["inter_agency"]]
            if len(inter):
                ok = inter["via_axis"] & (inter["axis_status"].fillna("") != "fail")
                res["doc_axis_exchange_rate"] = (*_ratio(ok.sum(), len(inter)), len(inter), _ids(inter, ~ok))
        wf = x[x["work_file"]]
        if len(wf):
            online = wf["work_file_online"]
            res["doc_online_workfile_rate"] = (*_ratio(online.sum(), len(wf)), len(wf), _ids(wf, ~online))
        st = staff_of(unit)
        if len(st):
            cert = st["personal_certificate"].astype(bool)
            res["doc_personal_signature_rate"] = (*_ratio(cert.sum(), len(st)), len(st), _ids(st, ~cert))
    return out


def _sec_metrics(conn, units: list[str], window) -> dict[str, dict[str, tuple]]:
    start, end = _local_bounds(window)
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    inv = _read(conn, sa.select(RawInventory.source_id, RawInventory.unit_code, RawInventory.as_of,
                                RawInventory.workstations, RawInventory.managed_endpoints, RawInventory.systems,
                                RawInventory.monitored_systems)
                .where(RawInventory.deleted.is_(False), RawInventory.unit_code.in_(units),
                       RawInventory.as_of <= window[1])
                .order_by(RawInventory.unit_code, RawInventory.as_of, RawInventory.source_id))
    i = RawIncident
    inc = _read(conn, sa.select(i.source_id, i.unit_code, _raw_ts(i.detected_at), _raw_ts(i.resolved_at),
                                i.sla_hours)
                .where(i.deleted.is_(False), i.unit_code.in_(units), i.detected_at <= end.to_pydatetime(),
                       sa.or_(i.resolved_at.is_(None), i.resolved_at >= start.to_pydatetime())))
    if not inc.empty:
        det = pd.to_datetime(inc["detected_at"], utc=True)
        res_at = pd.to_datetime(inc["resolved_at"], utc=True)
        deadline = det + pd.to_timedelta(inc["sla_hours"], unit="h")
        end_utc = end.tz_convert("UTC")
        resolved_in = res_at.notna() & (res_at <= end_utc)
        inc["late"] = (resolved_in & (res_at > deadline)) | (~resolved_in & (deadline < end_utc))
    inv_of, inc_of = _by_unit(inv), _by_unit(inc)
    for unit in units:
        res = out[unit]
        latest = inv_of(unit).tail(1)
        if len(latest):
            row = latest.iloc[0]
            ids = [row["source_id"]]
            res["sec_antimalware_rate"] = (*_ratio(row["managed_endpoints"], row["workstations"]),
                                           1, ids)
            res["sec_soc_monitored_rate"] = (*_ratio(row["monitored_systems"], row["systems"]), 1, ids)
        x = inc_of(unit)
        if len(latest) or len(x):
            late = x[x["late"]] if len(x) else x
            res["sec_late_incidents"] = (Decimal(len(late)), None, None, len(x),
                                         sorted(late["source_id"])[:MAX_RECORD_IDS] if len(x) else [])
    return out


COMPUTE = {"DVC": _dvc_metrics, "DOC": _doc_metrics, "SEC": _sec_metrics}


def _unit_batches(conn, codes: list[str]) -> list[list[str]]:
    """`codes` in order, cut into runs holding at most ROW_BUDGET dossiers (a larger unit goes alone)."""
    held = dict(conn.execute(sa.select(RawDossier.unit_code, sa.func.count())
                             .where(RawDossier.unit_code.in_(codes)).group_by(RawDossier.unit_code)).all())
    batches: list[list[str]] = []
    rows = 0
    for code in codes:
        n = held.get(code, 0)
        if not batches or (rows + n > ROW_BUDGET and batches[-1]):
            batches.append([])
            rows = 0
        batches[-1].append(code)
        rows += n
    return batches


def compute_metrics(period: str, units: list[tuple[str, str, Framework]], *, url: str | None = None,
                    as_of: dt.datetime | None = None) -> list[MetricValue]:
    """Objective values for every machine-verifiable leaf of every unit, with status and provenance.

    `units` lists (unit_code, unit_type, framework). `as_of` is the moment freshness is judged at.
    """
    per = Period.parse(period)
    as_of = as_of or dt.datetime.now(TZ)
    engine = get_engine(url)
    rows: list[MetricValue] = []
    with engine.connect() as conn:
        health = source_health(conn)
        by_window: dict[tuple, list[str]] = {}
        for code, _utype, fw in units:
            by_window.setdefault(per.window(fw), []).append(code)
        computed: dict[tuple[str, str], dict[str, tuple]] = {}
        for window, codes in by_window.items():
            batches = _unit_batches(conn, sorted(codes))
            for source, fn in COMPUTE.items():
                if not health[source].ok:
                    continue
                for batch in batches:
                    for unit, metrics in fn(conn, batch, window).items():
                        computed[(source, unit)] = metrics
        for code, utype, fw in units:
            window = per.window(fw)
            for leaf in fw.leaves():
                if leaf.source in (None, "EVD") or not leaf.metric or not fw.applies(leaf, utype):
                    continue
                source = METRICS[leaf.metric].source
                h = health[source]
                mv = MetricValue(code, leaf.code, leaf.metric, source, "ok", freshness_at=h.last_success_at,
                                 snapshot_id=h.snapshot_id)
                if not h.ok:
                    mv.status = "unavailable"
                    mv.reason = f"source_down: {h.error or 'không rõ'}"
                    rows.append(mv)
                    continue
                age_h = (as_of - h.last_success_at).total_seconds() / 3600 if h.last_success_at else None
                if age_h is not None and age_h > fw.policy.stale_after_hours:
                    mv.status = "stale"
                    mv.reason = f"source_stale: {int(age_h)}h"
                    rows.append(mv)
                    continue
                window_end = dt.datetime.combine(window[1], dt.time(23, 59, 59), TZ)
                window_start = dt.datetime.combine(window[0], dt.time(0, 0), TZ)
                if h.last_success_at and h.last_success_at < window_end:
                    covered = (h.last_success_at - window_start).total_seconds()
                    whole = (window_end - window_start).total_seconds()
                    mv.coverage = Decimal(str(round(max(0.0, covered / whole), 6)))
                else:
                    mv.coverage = Decimal("1")
                found = computed.get((source, code), {}).get(leaf.metric)
                if found is None or found[0] is None:
                    mv.status = "no_data"
                    mv.reason = "no_records"
                    if found is not None:
                        mv.numerator, mv.denominator, mv.record_count = found[1], found[2], int(found[3])
                    rows.append(mv)
                    continue
                mv.value, mv.numerator, mv.denominator, mv.record_count, mv.record_ids = (
                    found[0], found[1], found[2], int(found[3]), list(found[4]))
                if mv.coverage < fw.policy.min_coverage:
                    mv.status = "incomplete"
                    mv.reason = f"coverage_below_minimum: {mv.coverage}"
                rows.append(mv)
    rows.sort(key=lambda m: (m.unit_code, m.indicator_code))
    return rows
