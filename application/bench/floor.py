"""The floor for the objective-metrics stage: the same per-unit aggregations as one DuckDB SQL query.

The raw tables are read from the warehouse in chunks into an in-memory DuckDB (no extension is
downloaded), then one query computes every metric's numerator and denominator. The result is
compared with what the pipeline stored, so the floor is known to compute the same thing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import sqlalchemy as sa

from dti.framework import Period
from dti.settings import TZ
from dti.verification.units import period_units
from dti.warehouse import Warehouse
from dti.warehouse.models import (
    ObjectiveMetric,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
)

CHUNK_ROWS = 200_000
FLOOR_TABLES = {
    "dossiers": (RawDossier, ("source_id", "unit_code", "procedure_code", "channel", "service_level",
                              "received_at", "due_at", "finished_at", "status", "has_digitised", "e_result",
                              "paid_online", "fee_applies", "vneid", "synced_portal", "components_total",
                              "components_reused", "satisfaction", "deleted")),
    "procedures": (RawProcedure, ("source_id", "unit_code", "procedure_code", "service_level", "deleted")),
    "documents": (RawDocument, ("source_id", "unit_code", "direction", "issue_date", "doc_type", "topic_dx",
                                "signer_role", "digitally_signed", "inter_agency", "via_axis", "axis_status",
                                "confidential", "work_file", "work_file_online", "deleted")),
    "staff": (RawStaff, ("source_id", "unit_code", "eligible_signer", "personal_certificate", "deleted")),
    "incidents": (RawIncident, ("source_id", "unit_code", "detected_at", "resolved_at", "sla_hours", "deleted")),
    "inventories": (RawInventory, ("source_id", "unit_code", "as_of", "workstations", "managed_endpoints",
                                   "systems", "monitored_systems", "deleted")),
}

# Days are local (Asia/Ho_Chi_Minh) calendar days, as in dti.metrics; FILTER drops NULL conditions
# the way pandas' NaT comparisons come out False.
FLOOR_SQL = """
WITH
d AS MATERIALIZED (
  SELECT x.unit_code, x.source_id, x.procedure_code, x.channel = 2 AS online, x.service_level, x.status,
         x.has_digitised,
         x.e_result, x.paid_online, x.fee_applies, x.vneid, x.synced_portal, x.components_total,
         x.components_reused, x.satisfaction, w.start_day, w.end_day,
         CAST(timezone('Asia/Ho_Chi_Minh', x.received_at) AS DATE) AS rec_day,
         CAST(timezone('Asia/Ho_Chi_Minh', x.due_at) AS DATE) AS due_day,
         CAST(timezone('Asia/Ho_Chi_Minh', x.finished_at) AS DATE) AS fin_day
  FROM dossiers x JOIN unit_windows w USING (unit_code)
  WHERE NOT x.deleted AND x.received_at <= w.end_ts
    AND (x.finished_at IS NULL OR x.finished_at >= w.start_ts OR x.status IN ('processing', 'paused'))
),
d2 AS MATERIALIZED (
  SELECT *, rec_day BETWEEN start_day AND end_day AS rin,
         status = 'done' AND fin_day IS NOT NULL AND fin_day BETWEEN start_day AND end_day AS fin,
         (status IN ('processing', 'paused') OR (status = 'done' AND fin_day > end_day))
           AND due_day <= end_day AS open_late
  FROM d
),
dvc AS MATERIALIZED (
  SELECT unit_code,
    count(*) FILTER (rin) AS n_rec, count(*) FILTER (rin AND online) AS n_online,
    count(*) FILTER (rin AND online AND service_level = 'full') AS n_full,
    count(*) FILTER (rin AND fee_applies) AS n_fee, count(*) FILTER (rin AND fee_applies AND paid_online) AS n_paid,
    count(*) FILTER (rin AND has_digitised) AS n_dig,
    coalesce(sum(components_reused) FILTER (rin), 0) AS n_reused,
    coalesce(sum(components_total) FILTER (rin), 0) AS n_components,
    count(*) FILTER (rin AND synced_portal) AS n_sync, count(*) FILTER (rin AND online AND vneid) AS n_vneid,
    count(*) FILTER (fin) AS n_fin, count(*) FILTER (fin AND fin_day <= due_day) AS n_on_time,
    count(*) FILTER (open_late) AS n_open_late, count(*) FILTER (fin AND e_result) AS n_eres,
    count(*) FILTER (fin AND satisfaction IS NOT NULL) AS n_rated, count(*) FILTER (fin AND satisfaction = 1) AS n_sat,
    min(source_id, 100) FILTER (rin AND NOT online) AS i_online,
    min(source_id, 100) FILTER (rin AND NOT coalesce(online AND service_level = 'full', false)) AS i_full,
    min(source_id, 100) FILTER (rin AND fee_applies AND NOT paid_online) AS i_paid,
    min(source_id, 100) FILTER (rin AND NOT has_digitised) AS i_dig,
    min(source_id, 100) FILTER (rin AND NOT synced_portal) AS i_sync,
    min(source_id, 100) FILTER (rin AND online AND NOT vneid) AS i_vneid,
    min(source_id, 100) FILTER ((fin AND NOT coalesce(fin_day <= due_day, false)) OR open_late) AS i_late,
    min(source_id, 100) FILTER (fin AND NOT e_result) AS i_eres,
    min(source_id, 100) FILTER (fin AND satisfaction IS NOT NULL AND satisfaction <> 1) AS i_sat
  FROM d2 GROUP BY unit_code
),
p AS MATERIALIZED (
  SELECT x.unit_code, x.source_id, x.procedure_code, x.service_level IN ('full', 'partial') AS onl
  FROM procedures x JOIN unit_windows w USING (unit_code) WHERE NOT x.deleted
),
used AS (SELECT DISTINCT unit_code, procedure_code FROM d2 WHERE rin AND online),
offered AS (SELECT DISTINCT unit_code, procedure_code FROM p WHERE onl),
unused AS (
  SELECT p.unit_code, min(p.source_id, 100) AS ids
  FROM p JOIN offered o USING (unit_code, procedure_code)
  LEFT JOIN used u USING (unit_code, procedure_code)
  WHERE u.unit_code IS NULL GROUP BY p.unit_code
),
svc AS (
  SELECT op.unit_code, count(DISTINCT u.procedure_code) AS num, count(DISTINCT op.procedure_code) AS den
  FROM offered op
  LEFT JOIN used u ON u.unit_code = op.unit_code AND u.procedure_code = op.procedure_code
  GROUP BY op.unit_code
),
doc AS (
  SELECT x.unit_code, count(*) AS n_all,
    count(*) FILTER (direction = 'out' AND doc_type = 'TB' AND topic_dx AND signer_role = 'head') AS n_meet,
    count(*) FILTER (direction = 'out' AND topic_dx AND NOT confidential AND doc_type IN ('KH', 'CT', 'QĐ'))
      AS n_dir,
    count(*) FILTER (direction = 'out' AND topic_dx AND NOT confidential AND doc_type IN ('KH', 'CT', 'QĐ')
                     AND signer_role = 'head') AS n_dir_head,
    count(*) FILTER (direction = 'out' AND NOT confidential) AS n_open,
    count(*) FILTER (direction = 'out' AND NOT confidential AND digitally_signed) AS n_signed,
    count(*) FILTER (direction = 'out' AND NOT confidential AND inter_agency) AS n_inter,
    count(*) FILTER (direction = 'out' AND NOT confidential AND inter_agency AND via_axis
                     AND coalesce(axis_status, '') <> 'fail') AS n_axis,
    count(*) FILTER (work_file AND NOT confidential) AS n_wf,
    count(*) FILTER (work_file AND NOT confidential AND work_file_online) AS n_wf_online,
    min(source_id, 100) FILTER (direction = 'out' AND doc_type = 'TB' AND topic_dx AND signer_role = 'head')
      AS i_meet,
    min(source_id, 100) FILTER (direction = 'out' AND topic_dx AND NOT confidential
                                AND doc_type IN ('KH', 'CT', 'QĐ')
                                AND NOT coalesce(signer_role = 'head', false)) AS i_dir,
    min(source_id, 100) FILTER (direction = 'out' AND NOT confidential AND NOT digitally_signed) AS i_signed,
    min(source_id, 100) FILTER (direction = 'out' AND NOT confidential AND inter_agency
                                AND NOT coalesce(via_axis AND coalesce(axis_status, '') <> 'fail', false)) AS i_axis,
    min(source_id, 100) FILTER (work_file AND NOT confidential AND NOT work_file_online) AS i_wf
  FROM documents x JOIN unit_windows w USING (unit_code)
  WHERE NOT x.deleted AND x.issue_date BETWEEN w.start_day AND w.end_day
  GROUP BY x.unit_code
),
st AS (
  SELECT x.unit_code, count(*) AS den, count(*) FILTER (personal_certificate) AS num,
    min(source_id, 100) FILTER (NOT personal_certificate) AS ids
  FROM staff x JOIN unit_windows w USING (unit_code) WHERE NOT x.deleted AND x.eligible_signer
  GROUP BY x.unit_code
),
inv AS (
  SELECT x.unit_code, x.source_id, x.workstations, x.managed_endpoints, x.systems, x.monitored_systems
  FROM inventories x JOIN unit_windows w USING (unit_code)
  WHERE NOT x.deleted AND x.as_of <= w.end_day
  QUALIFY row_number() OVER (PARTITION BY x.unit_code ORDER BY x.as_of DESC, x.source_id DESC) = 1
),
inc AS (
  SELECT x.unit_code, count(*) FILTER (late) AS n_late, min(x.source_id, 100) FILTER (late) AS ids
  FROM (SELECT *,
          (resolved_at IS NOT NULL AND resolved_at <= end_ts AND resolved_at > detected_at + sla_hours * INTERVAL 1 HOUR)
          OR (NOT (resolved_at IS NOT NULL AND resolved_at <= end_ts)
              AND detected_at + sla_hours * INTERVAL 1 HOUR < end_ts) AS late
        FROM incidents JOIN unit_windows USING (unit_code)) x
  WHERE NOT x.deleted AND x.detected_at <= x.end_ts AND (x.resolved_at IS NULL OR x.resolved_at >= x.start_ts)
  GROUP BY x.unit_code
)
SELECT unit_code, 'dvc_online_procedures_rate' AS metric, count(*) FILTER (onl) AS num, count(*) AS den,
       min(source_id, 100) FILTER (NOT onl) AS ids
  FROM p GROUP BY unit_code
UNION ALL SELECT s.unit_code, 'dvc_online_services_used_rate', s.num, s.den, coalesce(u.ids, [])
  FROM svc s JOIN dvc USING (unit_code) LEFT JOIN unused u USING (unit_code)
UNION ALL SELECT unit_code, 'dvc_online_submission_rate', n_online, n_rec, i_online FROM dvc WHERE n_rec > 0
UNION ALL SELECT unit_code, 'dvc_full_online_rate', n_full, n_rec, i_full FROM dvc WHERE n_rec > 0
UNION ALL SELECT unit_code, 'dvc_online_payment_rate', n_paid, n_fee, i_paid FROM dvc WHERE n_rec > 0 AND n_fee > 0
UNION ALL SELECT unit_code, 'dvc_digitised_rate', n_dig, n_rec, i_dig FROM dvc WHERE n_rec > 0
UNION ALL SELECT unit_code, 'dvc_reuse_rate', n_reused, n_components, [] FROM dvc WHERE n_rec > 0
UNION ALL SELECT unit_code, 'dvc_portal_sync_rate', n_sync, n_rec, i_sync FROM dvc WHERE n_rec > 0
UNION ALL SELECT unit_code, 'dvc_vneid_rate', n_vneid, n_online, i_vneid FROM dvc WHERE n_online > 0
UNION ALL SELECT unit_code, 'dvc_on_time_rate', n_on_time, n_fin + n_open_late, i_late FROM dvc
  WHERE n_fin + n_open_late > 0
UNION ALL SELECT unit_code, 'dvc_e_result_rate', n_eres, n_fin, i_eres FROM dvc WHERE n_fin > 0
UNION ALL SELECT unit_code, 'dvc_satisfaction_rate', n_sat, n_rated, i_sat FROM dvc WHERE n_rated > 0
UNION ALL SELECT unit_code, 'doc_dx_meetings_count', n_meet, NULL, i_meet FROM doc
UNION ALL SELECT unit_code, 'doc_head_directives_rate', n_dir_head, n_dir, i_dir FROM doc WHERE n_dir > 0
UNION ALL SELECT unit_code, 'doc_signed_rate', n_signed, n_open, i_signed FROM doc WHERE n_open > 0
UNION ALL SELECT unit_code, 'doc_axis_exchange_rate', n_axis, n_inter, i_axis FROM doc WHERE n_open > 0 AND n_inter > 0
UNION ALL SELECT unit_code, 'doc_online_workfile_rate', n_wf_online, n_wf, i_wf FROM doc WHERE n_wf > 0
UNION ALL SELECT unit_code, 'doc_personal_signature_rate', num, den, ids FROM st
UNION ALL SELECT unit_code, 'sec_antimalware_rate', managed_endpoints, workstations, [source_id] FROM inv
UNION ALL SELECT unit_code, 'sec_soc_monitored_rate', monitored_systems, systems, [source_id] FROM inv
UNION ALL SELECT coalesce(i.unit_code, v.unit_code), 'sec_late_incidents', coalesce(i.n_late, 0), NULL,
                 coalesce(i.ids, [])
  FROM inc i FULL OUTER JOIN inv v ON i.unit_code = v.unit_code
ORDER BY 1, 2
"""


def unit_windows(wh: Warehouse, period: str) -> list[tuple]:
    """(unit, first day, last day, first instant, last instant) for every unit assessed in `period`."""
    per = Period.parse(period)
    out = []
    with wh.session() as s:
        for code, _utype, fw in period_units(s, period):
            start, end = per.window(fw)
            out.append((code, start, end, dt.datetime.combine(start, dt.time(0, 0), TZ),
                        dt.datetime.combine(end, dt.time(23, 59, 59, 999999), TZ)))
    return out


def load_raw(wh: Warehouse, period: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the raw tables (the columns the metrics use) and the unit windows."""
    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    windows = pd.DataFrame(unit_windows(wh, period),
                           columns=["unit_code", "start_day", "end_day", "start_ts", "end_ts"])
    windows["start_ts"] = pd.to_datetime(windows["start_ts"], utc=True)
    windows["end_ts"] = pd.to_datetime(windows["end_ts"], utc=True)
    db.register("windows_df", windows)
    db.execute("CREATE TABLE unit_windows AS SELECT unit_code, CAST(start_day AS DATE) AS start_day, "
               "CAST(end_day AS DATE) AS end_day, start_ts, end_ts FROM windows_df")
    db.unregister("windows_df")
    with wh.engine.connect() as conn:
        for table, (model, columns) in FLOOR_TABLES.items():
            # In (unit, source id) order, whatever index the warehouse would read: DuckDB groups sorted rows
            # faster (at S, 0.39 s against 0.53 s in table order), so the floor is the harder yardstick of the two.
            query = sa.select(*(getattr(model, c) for c in columns)).order_by(model.unit_code, model.source_id)
            created = False
            for chunk in pd.read_sql(query, conn, chunksize=CHUNK_ROWS):
                db.register("chunk_df", chunk)
                if not created:
                    db.execute(f"CREATE TABLE {table} AS SELECT * FROM chunk_df")
                    created = True
                else:
                    db.execute(f"INSERT INTO {table} SELECT * FROM chunk_df")
                db.unregister("chunk_df")
            if not created:
                raise ValueError(f"bảng {model.__tablename__} trống / the warehouse table is empty: sync first")
    return db


def floor_metrics(db: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(unit, metric, numerator, denominator, sample ids) for every unit and metric; denominator None for
    counts. The sample ids are what the pipeline stores beside each value: the first 100 source ids, in byte
    order, of the records that fail the metric (none for reuse, the snapshot for the inventory rates)."""
    return db.execute(FLOOR_SQL).fetchall()


def compare_with_warehouse(rows: list[tuple], wh: Warehouse, period: str) -> tuple[int, int]:
    """How many stored objective values the floor disagrees with (value or sample ids), out of how many compared."""
    floor = {(u, m): (num, den, list(ids or [])) for u, m, num, den, ids in rows}
    mismatches = compared = 0
    with wh.session() as s:
        stored = s.execute(sa.select(ObjectiveMetric.unit_code, ObjectiveMetric.metric, ObjectiveMetric.value,
                                     ObjectiveMetric.numerator, ObjectiveMetric.denominator, ObjectiveMetric.record_ids)
                           .where(ObjectiveMetric.period == period, ObjectiveMetric.value.is_not(None))).all()
    for unit, metric, value, num, den, ids in stored:
        compared += 1
        got = floor.get((unit, metric))
        if got is None or got[2] != list(ids or []):
            mismatches += 1
        elif den is None:
            mismatches += Decimal(got[0]) != Decimal(value)
        else:
            mismatches += (Decimal(got[0]), Decimal(got[1] or 0)) != (Decimal(num), Decimal(den))
    return mismatches, compared
