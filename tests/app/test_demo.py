"""`dti demo`: the main job end to end, its four files, its summary, and byte-identical reruns."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from openpyxl import load_workbook

from application.cli import main
from dti.settings import get_settings
from tests.independent_metrics import disagreements


def _demo(tmp_path, capsys, monkeypatch, *extra):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    rc = main(["demo", "--json", "--scale", "tiny", *extra])
    out = capsys.readouterr().out
    assert rc == 0
    return json.loads(out)


@pytest.mark.slow
def test_demo_writes_four_files_and_reruns_byte_identically(tmp_path, capsys, monkeypatch):
    first = _demo(tmp_path, capsys, monkeypatch)
    out = tmp_path / "out"
    files = {n: (out / n) for n in ("report.html", "council.xlsx", "claim_ledger.csv", "verified_scores.csv")}
    assert all(p.exists() and p.stat().st_size > 0 for p in files.values())
    ledger1, scores1 = files["claim_ledger.csv"].read_bytes(), files["verified_scores.csv"].read_bytes()
    workbook1 = files["council.xlsx"].read_bytes()

    assert first["units"] == 5
    assert first["discrepancies"] > 0
    assert set(first["discrepancies_by_severity"]) == {"critical", "high", "medium", "low"}
    acc = first["accuracy"]
    assert acc["recall"] == 1.0 and acc["false_positive_rate"] == 0.0, acc["missed"]
    assert [b["band"] for b in acc["by_distance"]] == ["<1×", "1–1.5×", "1.5–3×", ">3×"]
    assert acc["confusion"]["beyond_tolerance"]["discrepancy"] == acc["detected"]
    # the demo's objective values are those the written rules give from its raw records
    compared, differ = disagreements(get_settings().database_url, first["period"],
                                     (dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    assert compared > 50 and differ == []
    assert first["top_over_reporting_units"]
    assert first["phase"] == "appraisal"  # a council member can decide at once
    rule = re.compile(r"^\w+\.\w+: \d[\d.]* dòng không đạt điều kiện «.+» / ")
    assert first["warnings"] and all(rule.search(w) for w in first["warnings"])

    evidence = first["evidence"]  # every uploaded file read, its fields found, each planted fault caught
    assert evidence["filings"] == evidence["read"] == evidence["with_fields"] == 8
    assert evidence["ocr_files"] == evidence["ocr_matched"] == 1  # the image-only scan matched its citation
    assert [p["got"] for p in evidence["planted"]] == [p["expected"] for p in evidence["planted"]]
    assert {p["expected"] for p in evidence["planted"]} >= {
        "evidence_mismatch", "evidence_out_of_period", "evidence_shared", "evidence_blank_template"}
    flagged = {p["verdict"]: p["reason_vi"] for p in evidence["problems"]}
    assert "khác văn bản được trích dẫn" in flagged["evidence_mismatch"]
    assert "trước kỳ" in flagged["evidence_out_of_period"]
    assert "cũng được nộp bởi 1 đơn vị khác" in flagged["evidence_shared"]
    assert "Mẫu trống" in flagged["evidence_blank_template"]

    second = _demo(tmp_path, capsys, monkeypatch)
    assert files["claim_ledger.csv"].read_bytes() == ledger1
    assert files["verified_scores.csv"].read_bytes() == scores1
    assert files["council.xlsx"].read_bytes() == workbook1
    assert second["outcomes"] == first["outcomes"]

    assert ledger1.startswith(b"\xef\xbb\xbf") and scores1.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    header = ledger1.decode("utf-8-sig").splitlines()[0].split(",")
    for column in ("unit_code", "period", "indicator_code", "self_value", "objective_value", "verified_value",
                   "tolerance", "outcome", "severity", "self_points", "verified_points", "reason"):
        assert column in header
    assert scores1.decode("utf-8-sig").splitlines()[0].startswith(
        "unit_code,period,framework_id,unit_type,max_points,self_total,verified_total")

    html = files["report.html"].read_text(encoding="utf-8")
    assert "Báo cáo đối chiếu" in html
    just_synced = r"DVC cập nhật (vừa xong|\d+ phút trước) \(lúc \d\d/\d\d/\d{4} \d\d:\d\d\)"
    assert re.search(just_synced, html)
    assert "0 giờ trước" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the report must not fetch anything"
    wb = load_workbook(files["council.xlsx"])
    assert wb.sheetnames[:2] == ["Xếp hạng", "Chênh lệch cần xem xét"]
    queue = wb["Chênh lệch cần xem xét"]
    assert queue.freeze_panes == "A8" and queue.auto_filter.ref == f"A7:W{7 + first['discrepancies']}"
    assert [c.value for c in queue[7]][-4:] == ["Quyết định của Hội đồng", "Người quyết định", "Thời điểm",
                                                "Lý do quyết định"]
    assert (out / "claim_ledger.xlsx").exists() and (out / "verified_scores.xlsx").exists()


def test_report_escapes_unit_names(tmp_path, sqlite_url):
    """A unit named like a script renders as text in the HTML report."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from dti.reports.context import gather
    from dti.reports.html import render_report
    from dti.warehouse.models import Unit
    from tests.pipeline_helpers import PERIOD, verified_province

    verified_province(tmp_path / "sim", sqlite_url, seed=2, scale="tiny")
    with Session(sa.create_engine(sqlite_url)) as s, s.begin():
        unit = s.scalars(sa.select(Unit).order_by(Unit.code)).first()
        unit.name_vi = "<script>alert(1)</script>"
    with Session(sa.create_engine(sqlite_url)) as s:
        html = render_report(gather(s, PERIOD))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.slow
def test_demo_fault_profiles(tmp_path, capsys, monkeypatch):
    """`--faults flaky` changes nothing in the results; `--faults dvc-down` makes every DVC claim
    unverifiable with a reason and still writes the reports."""
    import csv

    monkeypatch.setenv("DTI_DATA_DIR", str(tmp_path / "clean"))
    _demo(tmp_path, capsys, monkeypatch)
    out = tmp_path / "out"
    clean = {n: (out / n).read_bytes() for n in ("claim_ledger.csv", "verified_scores.csv")}

    monkeypatch.setenv("DTI_DATA_DIR", str(tmp_path / "flaky"))
    _demo(tmp_path, capsys, monkeypatch, "--faults", "flaky")
    assert {n: (out / n).read_bytes() for n in clean} == clean

    monkeypatch.setenv("DTI_DATA_DIR", str(tmp_path / "down"))
    summary = _demo(tmp_path, capsys, monkeypatch, "--faults", "dvc-down")
    rows = list(csv.DictReader((out / "claim_ledger.csv").open(encoding="utf-8-sig")))
    dvc = [r for r in rows if r["source"] == "DVC" and r["outcome"] not in ("not_applicable", "missing_self_report")]
    assert dvc and all(r["outcome"] == "unverifiable" for r in dvc)
    assert all(r["reason"].startswith("source_failed") and r["objective_value"] == "" for r in dvc)
    assert all(r["verified_points"] == r["self_points"] for r in dvc)  # never zero, never verified
    assert summary["unverifiable"] == len(dvc)
    others = [r for r in rows if r["source"] in ("DOC", "SEC")]
    assert others and not any(r["outcome"] == "unverifiable" for r in others)
    assert (out / "council.xlsx").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "DVC chưa từng đồng bộ thành công / DVC has never synced successfully" in html
