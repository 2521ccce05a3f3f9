"""The answer key's true values: each metric computed record by record from the generated SQLite
files in plain Python, independently of the pipeline's metrics, so the two cross-check each other."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

from dti.settings import TZ


class _Tally:
    """Numerator and denominator per (unit, rate metric), and a number per (unit, count metric)."""

    def __init__(self, unit_codes: dict[str, str]):
        self.unit_codes = unit_codes  # pre-merger code → successor
        self.ratios: dict[str, dict[str, list[int]]] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def unit(self, code: str) -> str:
        return self.unit_codes.get(code, code)

    def ratio(self, unit: str, metric: str, num, den) -> None:
        slot = self.ratios.setdefault(unit, {}).setdefault(metric, [0, 0])
        slot[0] += num
        slot[1] += den

    def count(self, unit: str, metric: str, n: int = 1) -> None:
        self.counts[(unit, metric)] = self.counts.get((unit, metric), 0) + n

    def values(self) -> dict[tuple[str, str], Decimal | None]:
        out: dict[tuple[str, str], Decimal | None] = {}
        for unit, metrics in self.ratios.items():
            for metric, (num, den) in metrics.items():
                out[(unit, metric)] = (Decimal(num) / Decimal(den)) if den else None
        for key, value in self.counts.items():
            out[key] = Decimal(value)
        return out


def _day(ts: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(ts).astimezone(TZ).date() if ts else None


def true_values(root: Path, unit_codes: dict[str, str], window: tuple[dt.date, dt.date]) -> dict:
    """{(unit, metric): Decimal | None} computed record by record, with pre-merger codes mapped."""
    tally = _Tally(unit_codes)
    _dvc_truth(Path(root) / "dvc.db", window, tally)
    _doc_truth(Path(root) / "doc.db", window, tally)
    _sec_truth(Path(root) / "sec.db", window, tally)
    return tally.values()


def _dvc_truth(db: Path, window: tuple[dt.date, dt.date], tally: _Tally) -> None:
    start, end = window
    ratio = tally.ratio
    conn = sqlite3.connect(db)
    online_procs: dict[str, set] = {}
    for unit, code, level, deleted in conn.execute(
        "SELECT unit_code, procedure_code, service_level, deleted FROM procedures"
    ):
        unit = tally.unit(unit)
        if deleted:
            continue
        ratio(unit, "dvc_online_procedures_rate", level in ("full", "partial"), 1)
        if level in ("full", "partial"):
            online_procs.setdefault(unit, set()).add(code)
    used: dict[str, set] = {}
    for row in conn.execute(
        "SELECT unit_code, procedure_code, channel, service_level, received_at, due_at, "
        "finished_at, status, has_digitised, e_result, paid_online, fee_applies, vneid, "
        "synced_portal, components_total, components_reused, satisfaction, deleted FROM dossiers"
    ):
        (
            unit,
            proc,
            channel,
            level,
            rec,
            due,
            fin,
            status,
            dig,
            eres,
            paid,
            fee,
            vneid,
            sync,
            ctot,
            creu,
            sat,
            deleted,
        ) = row
        if deleted:
            continue
        unit = tally.unit(unit)
        rec_d, due_d, fin_d = _day(rec), _day(due), _day(fin)
        if start <= rec_d <= end:
            ratio(unit, "dvc_online_submission_rate", channel == 2, 1)
            ratio(unit, "dvc_full_online_rate", channel == 2 and level == "full", 1)
            if fee:
                ratio(unit, "dvc_online_payment_rate", bool(paid), 1)
            ratio(unit, "dvc_digitised_rate", bool(dig), 1)
            ratio(unit, "dvc_reuse_rate", creu, ctot)
            ratio(unit, "dvc_portal_sync_rate", bool(sync), 1)
            if channel == 2:
                ratio(unit, "dvc_vneid_rate", bool(vneid), 1)
                used.setdefault(unit, set()).add(proc)
        finished_in = status == "done" and fin_d is not None and start <= fin_d <= end
        if finished_in:
            ratio(unit, "dvc_on_time_rate", fin_d <= due_d, 1)
            ratio(unit, "dvc_e_result_rate", bool(eres), 1)
            if sat is not None:
                ratio(unit, "dvc_satisfaction_rate", sat == 1, 1)
        elif rec_d <= end and due_d <= end and (
            status in ("processing", "paused") or (status == "done" and fin_d is not None and fin_d > end)
        ):
            # not done by 31/12 (still in process, or done only in the new year) though due by then: late
            ratio(unit, "dvc_on_time_rate", 0, 1)
    for unit, procs in online_procs.items():
        u = used.get(unit, set())
        ratio(unit, "dvc_online_services_used_rate", sum(1 for p in procs if p in u), len(procs))
    conn.close()


def _doc_truth(db: Path, window: tuple[dt.date, dt.date], tally: _Tally) -> None:
    start, end = window
    ratio = tally.ratio
    conn = sqlite3.connect(db)
    for unit, huong, day, loai, cds, role, signed, inter, via, status, conf, wf, wfo, deleted in conn.execute(
        "SELECT ma_dv, huong, ngay_bh, loai_vb, chu_de_cds, chuc_vu_nguoi_ky, ky_so, lien_co_quan, qua_truc, "
        "trang_thai_truc, do_mat, la_hscv, hscv_truc_tuyen, da_xoa FROM vb_van_ban"
    ):
        unit = tally.unit(unit)
        day = dt.date.fromisoformat(day)
        if deleted or not (start <= day <= end):
            continue
        out_doc = huong == "di"
        if out_doc and loai == "TB" and cds and role == "head":
            tally.count(unit, "doc_dx_meetings_count")
        if out_doc and cds and loai in ("KH", "CT", "QĐ") and not conf:
            ratio(unit, "doc_head_directives_rate", role == "head", 1)
        if out_doc and not conf:
            ratio(unit, "doc_signed_rate", bool(signed), 1)
            if inter:
                ratio(unit, "doc_axis_exchange_rate", bool(via) and status != "fail", 1)
        if wf and not conf:  # confidential work files are left out, as every confidential document is
            ratio(unit, "doc_online_workfile_rate", bool(wfo), 1)
    for unit, eligible, cert, deleted in conn.execute(
        "SELECT ma_dv, thuoc_dien_ky, co_cts_ca_nhan, da_xoa FROM vb_nguoi_dung"
    ):
        unit = tally.unit(unit)
        if eligible and not deleted:
            ratio(unit, "doc_personal_signature_rate", bool(cert), 1)
    conn.close()


def _sec_truth(db: Path, window: tuple[dt.date, dt.date], tally: _Tally) -> None:
    start, end = window
    conn = sqlite3.connect(db)
    end_ts = dt.datetime.combine(end, dt.time(23, 59, 59), TZ)
    for unit, detected, resolved, sla, deleted in conn.execute(
        "SELECT unit_code, detected_at, resolved_at, sla_hours, deleted FROM incidents"
    ):
        unit = tally.unit(unit)
        if deleted:
            continue
        det = dt.datetime.fromisoformat(detected)
        if det.astimezone(TZ).date() > end:
            continue
        deadline = det + dt.timedelta(hours=sla)
        res = dt.datetime.fromisoformat(resolved) if resolved else None
        if res is not None and res.astimezone(TZ).date() < start:
            continue
        late = (res is not None and res > deadline and res <= end_ts) or (
            (res is None or res > end_ts) and deadline < end_ts
        )
        tally.count(unit, "sec_late_incidents", int(late))
    latest: dict[str, tuple] = {}
    for unit, as_of, ws, managed, systems, monitored, deleted in conn.execute(
        "SELECT unit_code, as_of, workstations, managed_endpoints, systems, monitored_systems, deleted "
        "FROM inventories ORDER BY as_of"
    ):
        unit = tally.unit(unit)
        if not deleted and dt.date.fromisoformat(as_of) <= end:
            latest[unit] = (ws, managed, systems, monitored)
    for unit, (ws, managed, systems, monitored) in latest.items():
        tally.ratio(unit, "sec_antimalware_rate", managed, ws)
        tally.ratio(unit, "sec_soc_monitored_rate", monitored, systems)
        tally.count(unit, "sec_late_incidents", 0)  # a unit without incidents has none late, not no data
    conn.close()
