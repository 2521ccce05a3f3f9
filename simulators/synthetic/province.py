"""The synthetic province's units: its scales, departments, communes and the 2025 mergers, and how
well each unit runs its systems (drawn once per unit, shared by its three systems of record)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from dti.vocabulary import UnitType
from simulators.synthetic.seeded import rng_for

PROVINCE = {"code": "H33", "name_vi": "Tỉnh Lào Cai"}
DEPARTMENTS = [
    ("Sở Tài chính", UnitType.DEPT_TTHC),
    ("Sở Xây dựng", UnitType.DEPT_TTHC),
    ("Sở Y tế", UnitType.DEPT_TTHC),
    ("Sở Giáo dục và Đào tạo", UnitType.DEPT_TTHC),
    ("Sở Nông nghiệp và Môi trường", UnitType.DEPT_TTHC),
    ("Sở Công Thương", UnitType.DEPT_TTHC),
    ("Sở Tư pháp", UnitType.DEPT_TTHC),
    ("Sở Nội vụ", UnitType.DEPT_TTHC),
    ("Sở Khoa học và Công nghệ", UnitType.DEPT_TTHC),
    ("Sở Văn hóa, Thể thao và Du lịch", UnitType.DEPT_TTHC),
    ("Văn phòng Đoàn ĐBQH và HĐND tỉnh", UnitType.DEPT_NO_TTHC),
    ("Ban Quản lý dự án đầu tư xây dựng", UnitType.DEPT_NO_TTHC),
    ("Sở Dân tộc và Tôn giáo", UnitType.DEPT_TTHC),
    ("Thanh tra tỉnh", UnitType.DEPT_TTHC),
    ("Ban Quản lý Khu kinh tế", UnitType.DEPT_TTHC),
    ("Văn phòng UBND tỉnh", UnitType.DEPT_NO_TTHC),
]
# 2025 reorganisation: departments merged into successors (old code → new unit index, effective date).
MERGERS = [
    ("Sở Thông tin và Truyền thông", 8, dt.date(2025, 3, 1)),
    ("Sở Tài nguyên và Môi trường", 4, dt.date(2025, 3, 1)),
]
COMMUNE_PREFIXES = ["Xã", "Phường"]
COMMUNE_NAMES = [
    "Bát Xát",
    "Mường Hum",
    "Bảo Yên",
    "Phố Ràng",
    "Sa Pa",
    "Cốc San",
    "Gia Phú",
    "Văn Bàn",
    "Khánh Yên",
    "Bắc Hà",
    "Si Ma Cai",
    "Mường Khương",
    "Cam Đường",
    "Hợp Thành",
    "Tằng Loỏng",
    "Nghĩa Lộ",
    "Lục Yên",
    "Mù Cang Chải",
    "Trạm Tấu",
    "Văn Chấn",
    "Yên Bình",
    "Trấn Yên",
]


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


def make_units(scale: Scale, seed: int) -> tuple[list[dict], list[dict]]:
    """The units (current ones, then the merged-away departments) and the predecessor→successor links."""
    units: list[dict] = []
    for i in range(scale.departments):
        name, utype = DEPARTMENTS[i % len(DEPARTMENTS)]
        if i >= len(DEPARTMENTS):
            name = f"{name} (đơn vị {i + 1})"
        units.append(
            {
                "code": f"000.00.{i + 1:02d}.{PROVINCE['code']}",
                "name_vi": name,
                "unit_type": utype,
                "province_code": PROVINCE["code"],
                "parent_code": None,
                "valid_from": "2025-03-01" if any(m[1] == i for m in MERGERS) else "2020-01-01",
                "valid_to": None,
            }
        )
    rng = rng_for(seed, "communes")
    for i in range(scale.communes):
        base = COMMUNE_NAMES[i % len(COMMUNE_NAMES)]
        suffix = "" if i < len(COMMUNE_NAMES) else f" {i // len(COMMUNE_NAMES) + 1}"
        units.append(
            {
                "code": f"{PROVINCE['code']}.X{i + 1:04d}",
                "name_vi": f"{rng.choice(COMMUNE_PREFIXES)} {base}{suffix}",
                "unit_type": UnitType.COMMUNE,
                "province_code": PROVINCE["code"],
                "parent_code": None,
                "valid_from": "2025-07-01",
                "valid_to": None,
            }
        )
    links: list[dict] = []
    for j, (old_name, new_index, effective) in enumerate(MERGERS):
        if new_index >= scale.departments:
            continue
        old_code = f"000.00.{90 + j:02d}.{PROVINCE['code']}"
        units.append(
            {
                "code": old_code,
                "name_vi": old_name,
                "unit_type": units[new_index]["unit_type"],
                "province_code": PROVINCE["code"],
                "parent_code": None,
                "valid_from": "2008-01-01",
                "valid_to": (effective - dt.timedelta(days=1)).isoformat(),
            }
        )
        links.append(
            {
                "predecessor_code": old_code,
                "successor_code": units[new_index]["code"],
                "effective": effective.isoformat(),
                "reason": "Hợp nhất sở năm 2025",
            }
        )
    return units, links


def predecessor_of(unit_code: str, links: list[dict]) -> str | None:
    """The code of the department merged into `unit_code`, whose old records may still carry it."""
    for link in links:
        if link["successor_code"] == unit_code:
            return link["predecessor_code"]
    return None


@dataclass
class UnitPerformance:
    """The chance that each good practice happens at one unit, across its dossiers, documents and
    security inventory; drawn once per unit, so a unit's systems tell a coherent story."""

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


def draw_performance(rng: random.Random) -> UnitPerformance:
    return UnitPerformance(
        p_online=rng.uniform(0.3, 0.9),
        p_full_given_online=rng.uniform(0.3, 0.8),
        p_on_time=rng.uniform(0.93, 0.998),
        p_paid_online=rng.uniform(0.3, 0.6),
        p_digitised=rng.uniform(0.6, 0.95),
        p_e_result=rng.uniform(0.6, 0.95),
        p_reuse=rng.uniform(0.1, 0.6),
        p_sync=rng.uniform(0.85, 1.0),
        p_satisfied=rng.uniform(0.85, 0.99),
        p_vneid=rng.uniform(0.4, 0.95),
        p_signed=rng.uniform(0.7, 0.95),
        p_axis=rng.uniform(0.8, 0.98),
        p_workfile_online=rng.uniform(0.4, 0.9),
        p_head_directive=rng.uniform(0.5, 1.0),
        meetings=rng.randint(1, 6),
        p_cert=rng.uniform(0.6, 1.0),
        managed_share=rng.uniform(0.7, 1.0),
        monitored_share=rng.uniform(0.5, 1.0),
        p_late_incident=rng.uniform(0.0, 0.25),
    )
