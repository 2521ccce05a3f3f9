"""A deterministic synthetic province: units, the three systems of record, self-reports and truth.

Everything comes from one seed and a scale, so the same call gives the same bytes. Each system of
record is written as its own SQLite database in the shape that system keeps (the document system
uses its vendor's Vietnamese table and column names), so connectors read them the way they would
read the real thing. Self-reports carry planted misreports; the ground truth is kept apart in
`truth.json` so detection accuracy can be measured.

The true values here are computed record by record in plain Python, independently of the
pipeline's pandas metrics, so the two cross-check each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sqlite3
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from dti.framework import Framework, Period, framework_for_type, load_all
from dti.scoring import score_leaf
from dti.settings import TZ

PROVINCE = {"code": "H33", "name_vi": "Tỉnh Lào Cai"}
DEPARTMENTS = [
    ("Sở Tài chính", "dept_tthc"), ("Sở Xây dựng", "dept_tthc"), ("Sở Y tế", "dept_tthc"),
    ("Sở Giáo dục và Đào tạo", "dept_tthc"), ("Sở Nông nghiệp và Môi trường", "dept_tthc"),
    ("Sở Công Thương", "dept_tthc"), ("Sở Tư pháp", "dept_tthc"), ("Sở Nội vụ", "dept_tthc"),
    ("Sở Khoa học và Công nghệ", "dept_tthc"), ("Sở Văn hóa, Thể thao và Du lịch", "dept_tthc"),
    ("Văn phòng Đoàn ĐBQH và HĐND tỉnh", "dept_no_tthc"), ("Ban Quản lý dự án đầu tư xây dựng", "dept_no_tthc"),
    ("Sở Dân tộc và Tôn giáo", "dept_tthc"), ("Thanh tra tỉnh", "dept_tthc"),
    ("Ban Quản lý Khu kinh tế", "dept_tthc"), ("Văn phòng UBND tỉnh", "dept_no_tthc"),
]
# 2025 reorganisation: departments merged into successors (old code → new unit index, effective date).
MERGERS = [
    ("Sở Thông tin và Truyền thông", 8, dt.date(2025, 3, 1)),
    ("Sở Tài nguyên và Môi trường", 4, dt.date(2025, 3, 1)),
]
COMMUNE_PREFIXES = ["Xã", "Phường"]
COMMUNE_NAMES = ["Bát Xát", "Mường Hum", "Bảo Yên", "Phố Ràng", "Sa Pa", "Cốc San", "Gia Phú", "Văn Bàn",
                 "Khánh Yên", "Bắc Hà", "Si Ma Cai", "Mường Khương", "Cam Đường", "Hợp Thành", "Tằng Loỏng",
                 "Nghĩa Lộ", "Lục Yên", "Mù Cang Chải", "Trạm Tấu", "Văn Chấn", "Yên Bình", "Trấn Yên"]
DOC_ISSUERS = {"dept_tthc": "S", "dept_no_tthc": "VP", "commune": "UBND", "district": "UBND"}
PLAN_KINDS = [("Kế hoạch", "KH"), ("Quyết định", "QĐ"), ("Chỉ thị", "CT"), ("Báo cáo", "BC")]


@dataclass(frozen=True)
class Scale:
    name: str
    departments: int
    communes: int
    dossiers_per_unit: int
    documents_per_unit: int
    incidents_per_unit: int
    procedures_per_unit: int = 40


SCALES = {
    "tiny": Scale("tiny", 5, 0, 300, 200, 6, 20),
    "demo": Scale("demo", 12, 0, 1500, 800, 12),
    "S": Scale("S", 16, 284, 3400, 1700, 34),
    "M": Scale("M", 16, 284, 17000, 1700, 34),
    # One of 34 provinces at national scale (≈103 units, ≈0.9 M dossiers); the bench multiplies by 34.
    "N": Scale("N", 16, 87, 8800, 1700, 34),
}


@dataclass
class GeneratedProvince:
    root: Path
    seed: int
    period: str
    sim_now: dt.datetime
    units: list[dict]
    links: list[dict]
    self_reports: list[dict]
    truth: list[dict]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def dvc_db(self) -> Path:
        return self.root / "dvc.db"

    @property
    def doc_db(self) -> Path:
        return self.root / "doc.db"

    @property
    def sec_db(self) -> Path:
        return self.root / "sec.db"


def _q(value: Decimal, places: str = "0.0001") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(TZ).isoformat(timespec="seconds")


def _rng(seed: int, *parts) -> random.Random:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _at(day: dt.date, rng: random.Random, start_h: int = 7, end_h: int = 17) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(start_h, end_h - 1), rng.randint(0, 59),
                       rng.randint(0, 59), tzinfo=TZ)


def _framework_for(unit_type: str, frameworks: dict[str, Framework], year: int) -> Framework:
    fw = framework_for_type(frameworks, unit_type, year)
    if fw is None:
        raise ValueError(f"Không có bộ chỉ số cho loại đơn vị '{unit_type}' năm {year}")
    return fw


# --- units ---------------------------------------------------------------------------------------


def make_units(scale: Scale, seed: int) -> tuple[list[dict], list[dict]]:
    units: list[dict] = []
    for i in range(scale.departments):
        name, utype = DEPARTMENTS[i % len(DEPARTMENTS)]
        if i >= len(DEPARTMENTS):
            name = f"{name} (đơn vị {i + 1})"
        units.append({"code": f"000.00.{i + 1:02d}.{PROVINCE['code']}", "name_vi": name, "unit_type": utype,
                      "province_code": PROVINCE["code"], "parent_code": None,
                      "valid_from": "2025-03-01" if any(m[1] == i for m in MERGERS) else "2020-01-01",
                      "valid_to": None})
    rng = _rng(seed, "communes")
    for i in range(scale.communes):
        base = COMMUNE_NAMES[i % len(COMMUNE_NAMES)]
        suffix = "" if i < len(COMMUNE_NAMES) else f" {i // len(COMMUNE_NAMES) + 1}"
        units.append({"code": f"{PROVINCE['code']}.X{i + 1:04d}",
                      "name_vi": f"{rng.choice(COMMUNE_PREFIXES)} {base}{suffix}", "unit_type": "commune",
                      "province_code": PROVINCE["code"], "parent_code": None,
                      "valid_from": "2025-07-01", "valid_to": None})
    links: list[dict] = []
    for j, (old_name, new_index, effective) in enumerate(MERGERS):
        if new_index >= scale.departments:
            continue
        old_code = f"000.00.{90 + j:02d}.{PROVINCE['code']}"
        units.append({"code": old_code, "name_vi": old_name, "unit_type": units[new_index]["unit_type"],
                      "province_code": PROVINCE["code"], "parent_code": None, "valid_from": "2008-01-01",
                      "valid_to": (effective - dt.timedelta(days=1)).isoformat()})
        links.append({"predecessor_code": old_code, "successor_code": units[new_index]["code"],
                      "effective": effective.isoformat(), "reason": "Hợp nhất sở năm 2025"})
    return units, links


def _old_code_for(unit_code: str, links: list[dict]) -> str | None:
    for link in links:
        if link["successor_code"] == unit_code:
            return link["predecessor_code"]
    return None


# --- systems of record ----------------------------------------------------------------------------


DVC_SCHEMA = """
CREATE TABLE procedures (source_id TEXT PRIMARY KEY, unit_code TEXT, procedure_code TEXT, name_vi TEXT,
  service_level TEXT, fee_applies INTEGER, updated_at TEXT, deleted INTEGER);
CREATE TABLE dossiers (source_id TEXT PRIMARY KEY, unit_code TEXT, dossier_code TEXT, procedure_code TEXT,
  channel INTEGER, service_level TEXT, received_at TEXT, due_at TEXT, finished_at TEXT, status TEXT,
  has_digitised INTEGER, e_result INTEGER, paid_online INTEGER, fee_applies INTEGER, vneid INTEGER,
  synced_portal INTEGER, components_total INTEGER, components_reused INTEGER, satisfaction INTEGER,
  updated_at TEXT, deleted INTEGER);
CREATE INDEX ix_dossiers_updated ON dossiers (updated_at, source_id);
CREATE INDEX ix_procedures_updated ON procedures (updated_at, source_id);
"""
DOC_SCHEMA = """
CREATE TABLE vb_van_ban (id TEXT PRIMARY KEY, ma_dv TEXT, huong TEXT, so TEXT, ky_hieu TEXT, ngay_bh TEXT,
  loai_vb TEXT, chu_de_cds INTEGER, chuc_vu_nguoi_ky TEXT, ky_so INTEGER, lien_co_quan INTEGER,
  qua_truc INTEGER, trang_thai_truc TEXT, do_mat INTEGER, la_hscv INTEGER, hscv_truc_tuyen INTEGER,
  trich_yeu TEXT, ngay_cap_nhat TEXT, da_xoa INTEGER);
CREATE TABLE vb_nguoi_dung (id TEXT PRIMARY KEY, ma_dv TEXT, thuoc_dien_ky INTEGER, co_cts_ca_nhan INTEGER,
  ngay_cap_nhat TEXT, da_xoa INTEGER);
CREATE INDEX ix_vb_cap_nhat ON vb_van_ban (ngay_cap_nhat, id);
"""
SEC_SCHEMA = """
CREATE TABLE incidents (source_id TEXT PRIMARY KEY, unit_code TEXT, detected_at TEXT, severity TEXT,
  category TEXT, resolved_at TEXT, sla_hours INTEGER, updated_at TEXT, deleted INTEGER);
CREATE TABLE inventories (source_id TEXT PRIMARY KEY, unit_code TEXT, as_of TEXT, workstations INTEGER,
  managed_endpoints INTEGER, systems INTEGER, monitored_systems INTEGER, updated_at TEXT, deleted INTEGER);
CREATE INDEX ix_incidents_updated ON incidents (updated_at, source_id);
"""


def _open(path: Path, schema: str) -> sqlite3.Connection:
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    return conn


@dataclass
class _UnitProfile:
    p_online: float
    p_full_given_online: float
    p_on_time: float
    p_paid_online: float
    p_digitised: float
    p_e_result: float
    p_reuse: float
    p_sync: float
    p_satisfied: float
    p_vneid: float
    p_signed: float
    p_axis: float
    p_workfile_online: float
    p_head_directive: float
    meetings: int
    p_cert: float
    managed_share: float
    monitored_share: float
    p_late_incident: float


def _profile(rng: random.Random) -> _UnitProfile:
    return _UnitProfile(
        p_online=rng.uniform(0.3, 0.9), p_full_given_online=rng.uniform(0.3, 0.8),
        p_on_time=rng.uniform(0.93, 0.998), p_paid_online=rng.uniform(0.3, 0.6),
        p_digitised=rng.uniform(0.6, 0.95), p_e_result=rng.uniform(0.6, 0.95), p_reuse=rng.uniform(0.1, 0.6),
        p_sync=rng.uniform(0.85, 1.0), p_satisfied=rng.uniform(0.85, 0.99), p_vneid=rng.uniform(0.4, 0.95),
        p_signed=rng.uniform(0.7, 0.95), p_axis=rng.uniform(0.8, 0.98), p_workfile_online=rng.uniform(0.4, 0.9),
        p_head_directive=rng.uniform(0.5, 1.0), meetings=rng.randint(1, 6), p_cert=rng.uniform(0.6, 1.0),
        managed_share=rng.uniform(0.7, 1.0), monitored_share=rng.uniform(0.5, 1.0),
        p_late_incident=rng.uniform(0.0, 0.25),
    )


def _write_dvc(conn, unit: dict, idx: int, scale: Scale, year: int, sim_now: dt.datetime, prof: _UnitProfile,
               rng: random.Random, old_code: str | None, merger_day: dt.date | None) -> int:
    levels = ["full"] * 45 + ["partial"] * 35 + ["info"] * 20
    procs = []
    n_procs = max(5, int(scale.procedures_per_unit * rng.uniform(0.6, 1.4)))
    for p in range(n_procs):
        level = rng.choice(levels)
        procs.append({"source_id": f"P-{unit['code']}-{p:04d}", "unit_code": unit["code"],
                      "procedure_code": f"{idx + 1}.{p + 1:06d}", "name_vi": f"Thủ tục {p + 1} của {unit['name_vi']}",
                      "service_level": level, "fee_applies": int(rng.random() < 0.4),
                      "updated_at": _iso(dt.datetime(year, 1, 1, 8, tzinfo=TZ)), "deleted": 0})
    conn.executemany("INSERT INTO procedures VALUES (:source_id,:unit_code,:procedure_code,:name_vi,"
                     ":service_level,:fee_applies,:updated_at,:deleted)", procs)
    rows = []
    start = dt.date(year, 1, 1) - dt.timedelta(days=30)  # some carried over from the previous year
    span = (dt.date(year, 12, 31) - start).days
    # Rarely used online procedures, so F2 varies between units.
    used = [pr for pr in procs if pr["service_level"] != "info" and rng.random() < 0.9]
    for n in range(scale.dossiers_per_unit):
        pr = rng.choice(procs)
        received_day = start + dt.timedelta(days=rng.randint(0, span))
        received = _at(received_day, rng)
        online_ok = pr["service_level"] != "info" and pr in used
        r = rng.random()
        channel = 2 if (online_ok and r < prof.p_online) else (3 if r > 0.98 else 1)
        due = dt.datetime.combine(received_day + dt.timedelta(days=rng.randint(3, 20)), dt.time(17, 0), TZ)
        s = rng.random()
        status, finished = "done", None
        if s < 0.03:
            status = "rejected"
        elif s < 0.05:
            status = "paused"
        elif s < 0.08 + (0.1 if received_day > dt.date(year, 12, 1) else 0):
            status = "processing"
        if status in ("done", "rejected"):
            if rng.random() < prof.p_on_time:
                finished_day = received_day + dt.timedelta(days=rng.randint(0, (due.date() - received_day).days))
            else:
                finished_day = due.date() + dt.timedelta(days=rng.randint(1, 10))
            finished = _at(finished_day, rng, 7, 18)
            if finished > sim_now:
                status, finished = "processing", None
        if status in ("processing", "paused") and due.date() < sim_now.date() and rng.random() < 0.5:
            due = due + dt.timedelta(days=30)  # extended deadline: still in time
        fee = pr["fee_applies"]
        total = rng.randint(1, 6)
        unit_code = unit["code"]
        if old_code and merger_day and received_day < merger_day and rng.random() < 0.6:
            unit_code = old_code  # old records still carry the pre-merger code
        updated = finished or received
        if rng.random() < 0.05:  # a late update after the fact (e.g. portal sync flag corrected)
            updated = min(sim_now - dt.timedelta(hours=1), updated + dt.timedelta(days=rng.randint(1, 60)))
        deleted = int(rng.random() < 0.004)
        rows.append((
            f"D-{unit['code']}-{n:07d}", unit_code,
            f"{unit['code']}-{received_day:%y%m%d}-{n:04d}", pr["procedure_code"], channel, pr["service_level"],
            _iso(received), _iso(due), _iso(finished) if finished else None, status,
            int(rng.random() < prof.p_digitised), int(finished is not None and rng.random() < prof.p_e_result),
            int(fee and channel == 2 and rng.random() < prof.p_paid_online / max(prof.p_online, 0.3)),
            fee, int(channel == 2 and rng.random() < prof.p_vneid), int(rng.random() < prof.p_sync),
            total, sum(1 for _ in range(total) if rng.random() < prof.p_reuse),
            (1 if rng.random() < prof.p_satisfied else 0) if finished and rng.random() < 0.4 else None,
            _iso(updated), deleted,
        ))
    conn.executemany("INSERT INTO dossiers VALUES (" + ",".join("?" * 21) + ")", rows)
    return len(rows)


def _write_doc(conn, unit: dict, scale: Scale, year: int, prof: _UnitProfile, rng: random.Random,
               old_code: str | None, merger_day: dt.date | None, cited: list[dict]) -> int:
    issuer = DOC_ISSUERS.get(unit["unit_type"], "UBND")
    rows = []
    counter = {"out": 0, "in": 0}

    def add(direction, day, doc_type, topic, role, signed, inter, axis, status, conf, wf, wf_online, summary,
            number=None):
        counter[direction] += 1
        n = counter[direction]
        code = unit["code"]
        if old_code and merger_day and day < merger_day and rng.random() < 0.6:
            code = old_code
        num = number or str(n)
        rows.append((f"VB-{unit['code']}-{direction}-{n:06d}", code, "di" if direction == "out" else "den", num,
                     f"{doc_type}-{issuer}" if direction == "out" else f"{doc_type}-UBND", day.isoformat(), doc_type,
                     int(topic), role, int(signed), int(inter), int(axis), status, int(conf), int(wf),
                     int(wf_online), summary, _iso(dt.datetime.combine(day, dt.time(18, 0), TZ)), 0))

    for _ in range(prof.meetings):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        add("out", day, "TB", True, "head", True, True, True, "done", False, False, False,
            "Thông báo kết luận cuộc họp Ban chỉ đạo chuyển đổi số")
    if rng.random() < 0.5:  # a meeting chaired by a deputy does not count for A2
        add("out", dt.date(year, 6, 1), "TB", True, "deputy", True, False, False, None, False, False, False,
            "Thông báo kết luận họp chuyển đổi số (cấp phó chủ trì)")
    n_directives = rng.randint(3, 10)
    for _ in range(n_directives):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        kind = rng.choice(["KH", "CT", "QĐ"])
        role = "head" if rng.random() < prof.p_head_directive else "deputy"
        add("out", day, kind, True, role, True, rng.random() < 0.5, True, "done", False, True, True,
            "Văn bản chỉ đạo về chuyển đổi số")
    for c in cited:  # documents the self-report cites as evidence really exist, most of the time
        add("out", c["doc_date"], c["doc_type"], True, "head", True, False, False, None, False, False, False,
            c["summary"], number=c["number"])
    for _ in range(scale.documents_per_unit):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        direction = "out" if rng.random() < 0.55 else "in"
        conf = rng.random() < 0.03
        inter = direction == "out" and rng.random() < 0.6
        via = inter and rng.random() < prof.p_axis
        status = (rng.choice(["done"] * 9 + ["fail"]) if via else None)
        wf = rng.random() < 0.3
        add(direction, day, rng.choice(["CV", "CV", "CV", "BC", "TTr", "QĐ"]), False, rng.choice(["head", "deputy", "other"]),
            direction == "out" and not conf and rng.random() < prof.p_signed, inter, via, status, conf, wf,
            wf and rng.random() < prof.p_workfile_online, "Văn bản hành chính")
    conn.executemany("INSERT INTO vb_van_ban VALUES (" + ",".join("?" * 19) + ")", rows)
    staff = []
    for s in range(rng.randint(15, 60)):
        eligible = rng.random() < 0.4
        staff.append((f"ND-{unit['code']}-{s:04d}", unit["code"], int(eligible),
                      int(eligible and rng.random() < prof.p_cert), _iso(dt.datetime(year, 1, 2, 8, tzinfo=TZ)), 0))
    conn.executemany("INSERT INTO vb_nguoi_dung VALUES (?,?,?,?,?,?)", staff)
    return len(rows)


def _write_sec(conn, unit: dict, scale: Scale, year: int, sim_now: dt.datetime, prof: _UnitProfile,
               rng: random.Random) -> int:
    rows = []
    n = max(1, int(scale.incidents_per_unit * rng.uniform(0.3, 1.7)))
    for i in range(n):
        detected = _at(dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364)), rng, 0, 24)
        category = rng.choice(["malware", "malware", "botnet_ip", "intrusion", "defacement", "phishing"])
        sla = {"botnet_ip": 72, "malware": 24, "intrusion": 8, "defacement": 4, "phishing": 24}[category]
        late = rng.random() < prof.p_late_incident
        hours = rng.uniform(sla + 1, sla * 4) if late else rng.uniform(0.5, sla - 0.1)
        resolved = detected + dt.timedelta(hours=hours)
        if resolved > sim_now:
            resolved = None
        rows.append((f"INC-{unit['code']}-{i:05d}", unit["code"], _iso(detected),
                     rng.choice(["low", "medium", "high", "critical"]), category,
                     _iso(resolved) if resolved else None, sla, _iso(resolved or detected), 0))
    conn.executemany("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?)", rows)
    ws = rng.randint(20, 200)
    systems = rng.randint(2, 12)
    inv = []
    for q, as_of in enumerate([dt.date(year, 6, 30), dt.date(year, 12, 31)]):
        managed = min(ws, round(ws * min(1.0, prof.managed_share + 0.05 * q)))
        monitored = min(systems, round(systems * prof.monitored_share))
        inv.append((f"INV-{unit['code']}-{as_of:%Y%m%d}", unit["code"], as_of.isoformat(), ws, managed, systems,
                    monitored, _iso(dt.datetime.combine(as_of, dt.time(23, 0), TZ)), 0))
    conn.executemany("INSERT INTO inventories VALUES (?,?,?,?,?,?,?,?,?)", inv)
    return len(rows)


# --- independent truth ------------------------------------------------------------------------------


def _d(ts: str | None) -> dt.date | None:
    return dt.datetime.fromisoformat(ts).astimezone(TZ).date() if ts else None


def true_values(root: Path, unit_codes: dict[str, str], window: tuple[dt.date, dt.date]) -> dict:
    """{(unit, metric): Decimal | None} computed record by record, with pre-merger codes mapped."""
    start, end = window
    out: dict[tuple[str, str], Decimal | None] = {}
    acc: dict[str, dict[str, list[int]]] = {}

    def ratio(unit, metric, num, den):
        slot = acc.setdefault(unit, {}).setdefault(metric, [0, 0])
        slot[0] += num
        slot[1] += den

    conn = sqlite3.connect(root / "dvc.db")
    online_procs: dict[str, set] = {}
    for unit, code, level, deleted in conn.execute(
            "SELECT unit_code, procedure_code, service_level, deleted FROM procedures"):
        unit = unit_codes.get(unit, unit)
        if deleted:
            continue
        ratio(unit, "dvc_online_procedures_rate", level in ("full", "partial"), 1)
        if level in ("full", "partial"):
            online_procs.setdefault(unit, set()).add(code)
    used: dict[str, set] = {}
    for row in conn.execute("SELECT unit_code, procedure_code, channel, service_level, received_at, due_at, "
                            "finished_at, status, has_digitised, e_result, paid_online, fee_applies, vneid, "
                            "synced_portal, components_total, components_reused, satisfaction, deleted FROM dossiers"):
        (unit, proc, channel, level, rec, due, fin, status, dig, eres, paid, fee, vneid, sync, ctot, creu, sat,
         deleted) = row
        if deleted:
            continue
        unit = unit_codes.get(unit, unit)
        rec_d, due_d, fin_d = _d(rec), _d(due), _d(fin)
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
        elif status in ("processing", "paused") and rec_d <= end and due_d < end:
            ratio(unit, "dvc_on_time_rate", 0, 1)  # still in process past its due date: late
    for unit, procs in online_procs.items():
        u = used.get(unit, set())
        ratio(unit, "dvc_online_services_used_rate", sum(1 for p in procs if p in u), len(procs))
    conn.close()

    conn = sqlite3.connect(root / "doc.db")
    counts: dict[tuple[str, str], int] = {}
    for (unit, huong, day, loai, cds, role, signed, inter, via, status, conf, wf, wfo, deleted) in conn.execute(
            "SELECT ma_dv, huong, ngay_bh, loai_vb, chu_de_cds, chuc_vu_nguoi_ky, ky_so, lien_co_quan, qua_truc, "
            "trang_thai_truc, do_mat, la_hscv, hscv_truc_tuyen, da_xoa FROM vb_van_ban"):
        unit = unit_codes.get(unit, unit)
        day = dt.date.fromisoformat(day)
        if deleted or not (start <= day <= end):
            continue
        out_doc = huong == "di"
        if out_doc and loai == "TB" and cds and role == "head":
            counts[(unit, "doc_dx_meetings_count")] = counts.get((unit, "doc_dx_meetings_count"), 0) + 1
        if out_doc and cds and loai in ("KH", "CT", "QĐ"):
            ratio(unit, "doc_head_directives_rate", role == "head", 1)
        if out_doc and not conf:
            ratio(unit, "doc_signed_rate", bool(signed), 1)
            if inter:
                ratio(unit, "doc_axis_exchange_rate", bool(via) and status != "fail", 1)
        if wf:
            ratio(unit, "doc_online_workfile_rate", bool(wfo), 1)
    for unit, eligible, cert, deleted in conn.execute(
            "SELECT ma_dv, thuoc_dien_ky, co_cts_ca_nhan, da_xoa FROM vb_nguoi_dung"):
        unit = unit_codes.get(unit, unit)
        if eligible and not deleted:
            ratio(unit, "doc_personal_signature_rate", bool(cert), 1)
    conn.close()

    conn = sqlite3.connect(root / "sec.db")
    end_ts = dt.datetime.combine(end, dt.time(23, 59, 59), TZ)
    for unit, detected, resolved, sla, deleted in conn.execute(
            "SELECT unit_code, detected_at, resolved_at, sla_hours, deleted FROM incidents"):
        unit = unit_codes.get(unit, unit)
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
            (res is None or res > end_ts) and deadline < end_ts)
        key = (unit, "sec_late_incidents")
        counts[key] = counts.get(key, 0) + int(late)
    latest: dict[str, tuple] = {}
    for unit, as_of, ws, managed, systems, monitored, deleted in conn.execute(
            "SELECT unit_code, as_of, workstations, managed_endpoints, systems, monitored_systems, deleted "
            "FROM inventories ORDER BY as_of"):
        unit = unit_codes.get(unit, unit)
        if not deleted and dt.date.fromisoformat(as_of) <= end:
            latest[unit] = (ws, managed, systems, monitored)
    for unit, (ws, managed, systems, monitored) in latest.items():
        ratio(unit, "sec_antimalware_rate", managed, ws)
        ratio(unit, "sec_soc_monitored_rate", monitored, systems)
        counts.setdefault((unit, "sec_late_incidents"), 0)
    conn.close()

    for unit, metrics in acc.items():
        for metric, (num, den) in metrics.items():
            out[(unit, metric)] = (Decimal(num) / Decimal(den)) if den else None
    for key, value in counts.items():
        out[key] = Decimal(value)
    return out


# --- self-reports ------------------------------------------------------------------------------------


def _tolerance(fw: Framework, leaf, objective: Decimal) -> Decimal:
    tol = fw.tolerance_for(leaf)
    return max(tol.abs, tol.rel * abs(objective))


def _plant(leaf, fw: Framework, truth: Decimal, rng: random.Random) -> tuple[Decimal, str]:
    """A claimed value for a verifiable leaf: honest (within tolerance) or a planted misreport."""
    tol = _tolerance(fw, leaf, truth)
    lower_is_better = leaf.method is not None and leaf.method.kind == "deduction"
    if leaf.measure == "rate":
        roll = rng.random()
        if roll < 0.18:
            claimed = truth + tol * Decimal(rng.uniform(2.5, 8))  # claims better than the records show
            if claimed > 1:
                claimed = truth - tol * Decimal(rng.uniform(2.5, 6))
            if claimed < 0:
                return _q(truth), "honest"
            return _q(claimed), "planted"
        if roll < 0.22:
            claimed = truth - tol * Decimal(rng.uniform(2.5, 6))
            if claimed < 0:
                return _q(truth), "honest"
            return _q(claimed), "planted"
        noise = tol * Decimal(rng.uniform(-0.45, 0.45))
        return _q(min(Decimal(1), max(Decimal(0), truth + noise))), "honest"
    # counts: the claim is a whole number
    roll = rng.random()
    if roll < 0.2:
        shift = int(tol) + rng.randint(2, 4)
        if lower_is_better:
            if truth - shift >= 0:
                return Decimal(int(truth) - shift), "planted"
            return Decimal(int(truth) + shift), "planted"
        return Decimal(int(truth) + shift), "planted"
    return Decimal(int(truth)), "honest"


def _evd_value(leaf, rng: random.Random) -> Decimal:
    if leaf.measure == "tier":
        return Decimal(rng.choice([t.level for t in leaf.method.tiers] + [max(t.level for t in leaf.method.tiers)]))
    if leaf.measure == "count":
        top = max((s.at_least for s in (leaf.method.steps or [])), default=Decimal(5))
        return Decimal(rng.randint(0, int(top) + 1))
    if leaf.measure == "bool":
        return Decimal(int(rng.random() < 0.8))
    return _q(Decimal(rng.uniform(0.55, 1.0)))


def _citation(unit: dict, leaf, year: int, rng: random.Random, n: int) -> tuple[str, dict | None]:
    name, kind = rng.choice(PLAN_KINDS)
    issuer = DOC_ISSUERS.get(unit["unit_type"], "UBND")
    number = str(rng.randint(10, 999)) + (f"{n}" if rng.random() < 0.3 else "")
    day = dt.date(year, rng.randint(1, 11), rng.randint(1, 28))
    style = rng.random()
    if style < 0.5:
        text = f"{name} số {number}/{kind}-{issuer} ngày {day.day}/{day.month}/{day.year} về {leaf.name_vi.lower()}"
    else:
        text = f"{number}/{kind}-{issuer}  -  {day:%d/%m/%Y}"
    doc = {"number": number, "doc_type": kind, "doc_date": day, "summary": f"{name} về {leaf.name_vi.lower()}"}
    fate = rng.random()
    if fate < 0.12:
        return text, None  # cited but not in the document system
    if fate < 0.2:
        doc = dict(doc, doc_date=day + dt.timedelta(days=rng.randint(3, 40)))  # the date does not match
    return text, doc


def generate(root: str | Path, *, seed: int = 20251231, scale: str | Scale = "demo", period: str = "2025-R3",
             frameworks: dict[str, Framework] | None = None, missing_rate: float = 0.02) -> GeneratedProvince:
    """Write dvc.db, doc.db, sec.db, units.json, self_reports.json and truth.json under `root`."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    per = Period.parse(period)
    frameworks = frameworks or load_all()
    units, links = make_units(sc, seed)
    current = [u for u in units if u["valid_to"] is None]
    fws = {u["code"]: _framework_for(u["unit_type"], frameworks, per.year) for u in current}
    for u in units:
        u["framework_id"] = fws[u["code"]].id if u["code"] in fws else None
    any_fw = next(iter(fws.values()))
    window = per.window(any_fw)
    sim_now = dt.datetime.combine(window[1] + dt.timedelta(days=5), dt.time(6, 0), TZ)

    dvc, doc, sec = (_open(root / n, s) for n, s in (("dvc.db", DVC_SCHEMA), ("doc.db", DOC_SCHEMA),
                                                      ("sec.db", SEC_SCHEMA)))
    counts = {"dossiers": 0, "documents": 0, "incidents": 0}
    citations_by_unit: dict[str, dict[str, tuple[str, dict | None]]] = {}
    merger_day = {link["successor_code"]: dt.date.fromisoformat(link["effective"]) for link in links}
    for idx, unit in enumerate(current):
        fw = fws[unit["code"]]
        rng = _rng(seed, "unit", unit["code"])
        prof = _profile(rng)
        old = _old_code_for(unit["code"], links)
        cites: dict[str, tuple[str, dict | None]] = {}
        for n, leaf in enumerate(fw.leaves()):
            if leaf.evidence_vi and fw.applies(leaf, unit["unit_type"]):
                cites[leaf.code] = _citation(unit, leaf, per.year, _rng(seed, "cite", unit["code"], leaf.code), n)
        citations_by_unit[unit["code"]] = cites
        if any(lf.source == "DVC" and fw.applies(lf, unit["unit_type"]) for lf in fw.leaves()):
            counts["dossiers"] += _write_dvc(dvc, unit, idx, sc, per.year, sim_now, prof,
                                             _rng(seed, "dvc", unit["code"]), old, merger_day.get(unit["code"]))
        counts["documents"] += _write_doc(doc, unit, sc, per.year, prof, _rng(seed, "doc", unit["code"]), old,
                                          merger_day.get(unit["code"]),
                                          [c for _t, c in cites.values() if c is not None])
        counts["incidents"] += _write_sec(sec, unit, sc, per.year, sim_now, prof, _rng(seed, "sec", unit["code"]))
    for conn in (dvc, doc, sec):
        conn.commit()
        conn.close()

    old_to_new = {link["predecessor_code"]: link["successor_code"] for link in links}
    truth_values = true_values(root, old_to_new, window)
    self_reports: list[dict] = []
    truth: list[dict] = []
    for unit in current:
        fw = fws[unit["code"]]
        rng = _rng(seed, "claims", unit["code"])
        for leaf in fw.leaves():
            if not fw.applies(leaf, unit["unit_type"]):
                continue
            if rng.random() < missing_rate:
                truth.append({"unit_code": unit["code"], "indicator_code": leaf.code, "kind": "missing"})
                continue
            record = {"unit_code": unit["code"], "period": period, "framework_id": fw.id,
                      "indicator_code": leaf.code, "value": None, "evidence_text": None}
            if leaf.source != "EVD" and leaf.metric:
                true = truth_values.get((unit["code"], leaf.metric))
                if true is None:
                    value, kind = _evd_value(leaf, rng), "no_source_data"
                else:
                    value, kind = _plant(leaf, fw, true, rng)
                tol = _tolerance(fw, leaf, true) if true is not None else None
                truth.append({"unit_code": unit["code"], "indicator_code": leaf.code, "kind": kind,
                              "true_value": str(_q(true, "0.000001")) if true is not None else None,
                              "claimed_value": str(value),
                              "beyond_tolerance": (abs(value - true) > tol) if true is not None else None})
            else:
                value = _evd_value(leaf, rng)
            record["value"] = str(value)
            cite = citations_by_unit[unit["code"]].get(leaf.code)
            if cite:
                record["evidence_text"] = cite[0]
                truth.append({"unit_code": unit["code"], "indicator_code": leaf.code, "kind": "citation",
                              "citation_in_doc_system": cite[1] is not None})
            points = score_leaf(leaf, value)
            record["self_points"] = str(_q(points, "0.01")) if points is not None else None
            self_reports.append(record)

    gen = GeneratedProvince(root, seed, period, sim_now, units, links, self_reports, truth, counts)
    (root / "units.json").write_text(json.dumps({"units": units, "links": links}, ensure_ascii=False, indent=1,
                                                sort_keys=True), encoding="utf-8")
    (root / "self_reports.json").write_text(json.dumps(self_reports, ensure_ascii=False, indent=1, sort_keys=True),
                                            encoding="utf-8")
    (root / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True),
                                     encoding="utf-8")
    meta = {"seed": seed, "scale": asdict(sc), "period": period, "sim_now": sim_now.isoformat(), "counts": counts}
    (root / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return gen
