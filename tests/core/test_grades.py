"""Grading bands (xếp loại) per framework: each unit's self and verified DTI value graded, stored, exported
as the last two columns of verified_scores.csv, and recomputed when the council changes a score."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from dti.framework import load_framework
from dti.framework.loader import FrameworkError, parse_framework
from dti.reconciliation import Claim
from dti.reports.exports import SCORE_COLUMNS, scores_csv
from dti.scoring.unit_scores import score_units
from dti.verification.store import load_scores, store_scores
from dti.warehouse import Warehouse

FRAMEWORKS = Path(__file__).resolve().parents[2] / "frameworks"
GRADES = [
    {"code": "xuat_sac", "label_vi": "Xuất sắc", "label_en": "excellent", "at_least": "0.9"},
    {"code": "tot", "label_vi": "Tốt", "label_en": "good", "at_least": "0.8"},
    {"code": "kha", "label_vi": "Khá", "label_en": "fair", "at_least": "0.65"},
    {"code": "trung_binh", "label_vi": "Trung bình", "label_en": "average", "at_least": "0.5"},
]


def graded(grades=GRADES):
    fw = load_framework("default-dept-2025", FRAMEWORKS)
    data = fw.model_dump(mode="json")
    data["grades"] = grades
    return parse_framework(data)


def claims_for(fw, unit: str, self_share: str, verified_share: str) -> list[Claim]:
    out = []
    for leaf in fw.applicable_leaves("dept_tthc"):
        claim = Claim(unit_code=unit, period="2025-R3", indicator_code=leaf.code, framework_id=fw.id,
                      main_index_code=fw.main_index_of(leaf.code).code, source=leaf.source or "EVD",
                      measure=leaf.measure or "bool", max_points=leaf.max_points, outcome="verified")
        claim.self_points = leaf.max_points * D(self_share)
        claim.verified_points = leaf.max_points * D(verified_share)
        out.append(claim)
    return out


def test_bands_grade_self_and_verified_values():
    fw = graded()
    assert fw.grade_for(D("0.9")).code == "xuat_sac" and fw.grade_for(D("0.899999")).code == "tot"
    assert fw.grade_for(D("0.49")) is None
    claims = claims_for(fw, "U1", "0.95", "0.7") + claims_for(fw, "U2", "0.6", "0.4")
    rows = {r.unit_code: r for r in score_units("2025-R3", [("U1", "dept_tthc", fw), ("U2", "dept_tthc", fw)],
                                                claims)}
    assert (rows["U1"].self_grade, rows["U1"].verified_grade) == ("Xuất sắc", "Khá")
    assert (rows["U2"].self_grade, rows["U2"].verified_grade) == ("Trung bình", None)
    header, first, second = scores_csv(list(rows.values())).splitlines()
    assert header.split(",")[-2:] == ["self_grade", "verified_grade"] == SCORE_COLUMNS[-2:]
    assert first.endswith(",Xuất sắc,Khá") and second.endswith(",Trung bình,")


def test_grades_survive_the_warehouse(warehouse):
    fw = graded()
    rows = score_units("2025-R3", [("U1", "dept_tthc", fw)], claims_for(fw, "U1", "0.85", "0.92"))
    store_scores(Warehouse(warehouse), "2025-R3", rows)
    with Warehouse(warehouse).session() as s:
        back = load_scores(s, "2025-R3")
    assert (back[0].self_grade, back[0].verified_grade) == ("Tốt", "Xuất sắc")


def test_bands_are_checked():
    with pytest.raises(FrameworkError) as info:
        graded(GRADES + [{"code": "tot", "label_vi": "Tốt (trùng)", "at_least": "0.8"}])
    text = str(info.value)
    assert "mã xếp loại bị trùng / duplicate grade code" in text and "same threshold as grades[1]" in text
    with pytest.raises(FrameworkError) as info:
        graded([{"code": "x", "label_vi": "X", "at_least": "90"}])
    assert "grades[0].at_least" in str(info.value) and "≤ 1" in str(info.value)
