"""The synthetic DOC (document management) database, in its vendor's Vietnamese tables and columns:
documents (vb_van_ban) and the staff who sign (vb_nguoi_dung), one unit at a time."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3

from dti.settings import TZ
from simulators.synthetic.province import Scale, UnitPerformance
from simulators.synthetic.seeded import local_iso

DOC_SCHEMA = """
CREATE TABLE vb_van_ban (id TEXT PRIMARY KEY, ma_dv TEXT, huong TEXT, so TEXT, ky_hieu TEXT, ngay_bh TEXT,
  loai_vb TEXT, chu_de_cds INTEGER, chuc_vu_nguoi_ky TEXT, ky_so INTEGER, lien_co_quan INTEGER,
  qua_truc INTEGER, trang_thai_truc TEXT, do_mat INTEGER, la_hscv INTEGER, hscv_truc_tuyen INTEGER,
  trich_yeu TEXT, ngay_cap_nhat TEXT, da_xoa INTEGER);
CREATE TABLE vb_nguoi_dung (id TEXT PRIMARY KEY, ma_dv TEXT, thuoc_dien_ky INTEGER, co_cts_ca_nhan INTEGER,
  ngay_cap_nhat TEXT, da_xoa INTEGER);
CREATE INDEX ix_vb_cap_nhat ON vb_van_ban (ngay_cap_nhat, id);
"""
# The issuer's abbreviation in a document's notation (số, ký hiệu), by unit type: 45/KH-S, 12/QĐ-UBND.
DOC_ISSUERS = {"dept_tthc": "S", "dept_no_tthc": "VP", "commune": "UBND", "district": "UBND"}


def write_doc(conn: sqlite3.Connection, unit: dict, scale: Scale, year: int, perf: UnitPerformance,
              rng: random.Random, old_code: str | None, merger_day: dt.date | None, cited: list[dict]) -> int:
    """Insert one unit's documents — DX meetings and directives, the documents its self-report cites
    (`cited`), everyday correspondence — and its staff; returns the documents."""
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
                     int(wf_online), summary, local_iso(dt.datetime.combine(day, dt.time(18, 0), TZ)), 0))

    for _ in range(perf.meetings):
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
        role = "head" if rng.random() < perf.p_head_directive else "deputy"
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
        via = inter and rng.random() < perf.p_axis
        status = (rng.choice(["done"] * 9 + ["fail"]) if via else None)
        wf = rng.random() < 0.3
        add(direction, day, rng.choice(["CV", "CV", "CV", "BC", "TTr", "QĐ"]), False, rng.choice(["head", "deputy", "other"]),
            direction == "out" and not conf and rng.random() < perf.p_signed, inter, via, status, conf, wf,
            wf and rng.random() < perf.p_workfile_online, "Văn bản hành chính")
    conn.executemany("INSERT INTO vb_van_ban VALUES (" + ",".join("?" * 19) + ")", rows)
    staff = []
    for s in range(rng.randint(15, 60)):
        eligible = rng.random() < 0.4
        staff.append((f"ND-{unit['code']}-{s:04d}", unit["code"], int(eligible),
                      int(eligible and rng.random() < perf.p_cert), local_iso(dt.datetime(year, 1, 2, 8, tzinfo=TZ)), 0))
    conn.executemany("INSERT INTO vb_nguoi_dung VALUES (?,?,?,?,?,?)", staff)
    return len(rows)
