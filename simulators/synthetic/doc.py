"""The synthetic DOC (document management) database, in its vendor's Vietnamese tables and columns:
documents (vb_van_ban) and the staff who sign (vb_nguoi_dung), one unit at a time."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3

from dti.settings import TZ
from dti.vocabulary import UnitType
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
DOC_ISSUERS = {
    UnitType.DEPT_TTHC: "S",
    UnitType.DEPT_NO_TTHC: "VP",
    UnitType.COMMUNE: "UBND",
    UnitType.DISTRICT: "UBND",
}


def write_doc(
    conn: sqlite3.Connection,
    unit: dict,
    scale: Scale,
    year: int,
    perf: UnitPerformance,
    rng: random.Random,
    old_code: str | None,
    merger_day: dt.date | None,
    cited: list[dict],
) -> int:
    """Insert one unit's documents — DX meetings and directives, the documents its self-report cites
    (`cited`), everyday correspondence — and its staff; returns the documents."""
    register = _Register(unit, rng, old_code, merger_day)
    _dx_documents(register, year, perf, rng)
    for c in cited:  # documents the self-report cites as evidence really exist, most of the time
        register.add(
            "out",
            c["doc_date"],
            c["doc_type"],
            c["summary"],
            topic=True,
            role="head",
            signed=True,
            number=c["number"],
        )
    # The draws below keep their order: moving one changes every later record of the seed.
    for _ in range(scale.documents_per_unit):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        direction = "out" if rng.random() < 0.55 else "in"
        conf = rng.random() < 0.03
        inter = direction == "out" and rng.random() < 0.6
        via = inter and rng.random() < perf.p_axis
        status = rng.choice(["done"] * 9 + ["fail"]) if via else None
        wf = rng.random() < 0.3
        doc_type = rng.choice(["CV", "CV", "CV", "BC", "TTr", "QĐ"])
        role = rng.choice(["head", "deputy", "other"])
        signed = direction == "out" and not conf and rng.random() < perf.p_signed
        wf_online = wf and rng.random() < perf.p_workfile_online
        register.add(
            direction,
            day,
            doc_type,
            "Văn bản hành chính",
            role=role,
            signed=signed,
            inter=inter,
            axis=via,
            status=status,
            conf=conf,
            wf=wf,
            wf_online=wf_online,
        )
    conn.executemany("INSERT INTO vb_van_ban VALUES (" + ",".join("?" * 19) + ")", register.rows)
    staff = []
    for s in range(rng.randint(15, 60)):
        eligible = rng.random() < 0.4
        cert = eligible and rng.random() < perf.p_cert
        updated = local_iso(dt.datetime(year, 1, 2, 8, tzinfo=TZ))
        staff.append((f"ND-{unit['code']}-{s:04d}", unit["code"], int(eligible), int(cert), updated, 0))
    conn.executemany("INSERT INTO vb_nguoi_dung VALUES (?,?,?,?,?,?)", staff)
    return len(register.rows)


def _dx_documents(register: _Register, year: int, perf: UnitPerformance, rng: random.Random) -> None:
    """The notices of DX steering-committee meetings and the DX directives (A2, A3)."""
    for _ in range(perf.meetings):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        register.add(
            "out",
            day,
            "TB",
            "Thông báo kết luận cuộc họp Ban chỉ đạo chuyển đổi số",
            topic=True,
            role="head",
            signed=True,
            inter=True,
            axis=True,
            status="done",
        )
    if rng.random() < 0.5:  # a meeting chaired by a deputy does not count for A2
        register.add(
            "out",
            dt.date(year, 6, 1),
            "TB",
            "Thông báo kết luận họp chuyển đổi số (cấp phó chủ trì)",
            topic=True,
            role="deputy",
            signed=True,
        )
    for _ in range(rng.randint(3, 10)):
        day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        kind = rng.choice(["KH", "CT", "QĐ"])
        role = "head" if rng.random() < perf.p_head_directive else "deputy"
        inter = rng.random() < 0.5
        register.add(
            "out",
            day,
            kind,
            "Văn bản chỉ đạo về chuyển đổi số",
            topic=True,
            role=role,
            signed=True,
            inter=inter,
            axis=True,
            status="done",
            wf=True,
            wf_online=True,
        )


class _Register:
    """One unit's document register: rows of vb_van_ban, numbered per direction in the order added."""

    def __init__(self, unit: dict, rng: random.Random, old_code: str | None, merger_day: dt.date | None):
        self.unit = unit
        self.issuer = DOC_ISSUERS.get(unit["unit_type"], "UBND")
        self.rng = rng
        self.old_code = old_code
        self.merger_day = merger_day
        self.counter = {"out": 0, "in": 0}
        self.rows: list[tuple] = []

    def add(
        self,
        direction: str,
        day: dt.date,
        doc_type: str,
        summary: str,
        *,
        role: str,
        topic: bool = False,
        signed: bool = False,
        inter: bool = False,
        axis: bool = False,
        status: str | None = None,
        conf: bool = False,
        wf: bool = False,
        wf_online: bool = False,
        number: str | None = None,
    ) -> None:
        self.counter[direction] += 1
        n = self.counter[direction]
        code = self.unit["code"]
        if self.old_code and self.merger_day and day < self.merger_day and self.rng.random() < 0.6:
            code = self.old_code  # old records still carry the pre-merger code
        notation = f"{doc_type}-{self.issuer}" if direction == "out" else f"{doc_type}-UBND"
        self.rows.append(
            (
                f"VB-{self.unit['code']}-{direction}-{n:06d}",
                code,
                "di" if direction == "out" else "den",
                number or str(n),
                notation,
                day.isoformat(),
                doc_type,
                int(topic),
                role,
                int(signed),
                int(inter),
                int(axis),
                status,
                int(conf),
                int(wf),
                int(wf_online),
                summary,
                local_iso(dt.datetime.combine(day, dt.time(18, 0), TZ)),
                0,
            )
        )
