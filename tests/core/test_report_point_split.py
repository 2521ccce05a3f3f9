"""report.html and council.xlsx say how verified each verified score is (points measured, confirmed by checked
evidence, provisional; coverage), mark the ranks that rest on provisional points, state the ranking policy in
words, and explain each unit's change against the previous period (issue 16)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dti import formatting as f
from dti.framework import load_all
from dti.framework.model import Policy
from dti.reports.context import PROVISIONAL_MARK, gather, policy_words
from dti.reports.excel import build_workbook, save_deterministic
from dti.reports.html import render_report
from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, UnitScore
from tests.report_fixtures import PREVIOUS, big_context, previous_shift, unit_code, with_previous
from tests.review_fixtures import FRAMEWORK, PERIOD, seed_review

HEADER = 7
UNITS = 6


@pytest.fixture(scope="module")
def ctx():
    return with_previous(big_context(UNITS))


@pytest.fixture(scope="module")
def html(ctx):
    return render_report(ctx)


@pytest.fixture(scope="module")
def workbook(ctx, tmp_path_factory):
    path = save_deterministic(build_workbook(ctx), tmp_path_factory.mktemp("wb") / "council.xlsx")
    return load_workbook(path)


def _data(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text)


def _table(ws) -> list[dict]:
    titles = [c.value for c in ws[HEADER]]
    rows = []
    for values in ws.iter_rows(min_row=HEADER + 1, values_only=True):
        if values[0] is None or values[2] is None:
            break  # notes and signatures start under the table
        rows.append(dict(zip(titles, values, strict=True)))
    return rows


def test_the_fixture_has_ranks_on_provisional_points_and_ranks_without(ctx):
    marks = {s.rank_on_provisional for s in ctx.scores}
    assert marks == {True, False}
    for s in ctx.scores:  # the split adds up to the verified total and says where each point comes from
        assert s.measured_points + s.evidence_points + s.provisional_points == s.verified_total
        assert s.provisional_points > 0


def test_the_report_shows_each_units_point_split_and_coverage(ctx, html):
    ranking = {r["u"]: r for r in _data(html)["ranking"]}
    for s in ctx.scores:
        row = ranking[s.unit_code]
        assert (row["mpt"], row["ept"], row["ppt"], row["covt"]) == (
            f.points(s.measured_points),
            f.points(s.evidence_points),
            f.points(s.provisional_points),
            f.percent(s.coverage),
        )
        # and the scorecard says it in words a council member reads
        assert (
            f"đo từ hệ thống {f.points(s.measured_points)} · minh chứng đã kiểm tra "
            f"{f.points(s.evidence_points)} · tạm tính {f.points(s.provisional_points)} · "
            f"độ phủ {f.percent(s.coverage)}"
        ) in html


def test_ranks_resting_on_provisional_points_are_marked_with_a_legend(ctx, html):
    ranking = {r["u"]: r for r in _data(html)["ranking"]}
    for s in ctx.scores:
        assert ranking[s.unit_code]["vrp"] is s.rank_on_provisional
        shown = (
            f"hạng {s.verified_rank} ({PROVISIONAL_MARK})"
            if s.rank_on_provisional
            else f"hạng {s.verified_rank})"
        )
        assert shown in html, s.unit_code
    legend = re.search(r'<p class="note" id="provisional-legend">(.*?)</p>', html, re.S).group(1)
    assert "«tạm»" in legend and "điểm tạm tính" in legend
    assert f"{sum(s.rank_on_provisional for s in ctx.scores)} đơn vị" in legend


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        (Policy(), "tính đủ điểm tạm tính"),
        (
            Policy(provisional_points="discount", provisional_discount=Decimal("0.3")),
            "chỉ tính 30 % điểm tạm tính",
        ),
        (Policy(provisional_points="exclude"), "không tính điểm tạm tính"),
    ],
)
def test_the_ranking_policy_is_stated_in_words(ctx, policy, words):
    ctx = with_previous(big_context(2))
    ctx.policies = {FRAMEWORK: policy_words(policy)}
    html = render_report(ctx)
    stated = re.search(r'<p class="note" id="ranking-policy">(.*?)</p>', html, re.S).group(1)
    assert words in stated and "the verified ranking" in stated
    sheet = build_workbook(ctx)["Xếp hạng"]
    assert words in sheet.cell(row=4, column=1).value


def test_the_shipped_frameworks_policy_is_the_one_the_report_states(html):
    policy = load_all()[FRAMEWORK].policy
    assert policy_words(policy) in html


def test_the_changes_section_compares_each_unit_with_its_previous_period(ctx, html):
    assert "Thay đổi so với kỳ trước / change against the previous period" in html
    assert f"so với kỳ {PREVIOUS}" in html
    data = _data(html)
    changes = {r["u"]: r for r in data["changes"]}
    before = {s.unit_code: s for s in ctx.previous_scores}
    for s in ctx.scores:
        row, then = changes[s.unit_code], before.get(s.unit_code)
        assert row["dtit"] == f.number(s.verified_dti, 4) and row["r"] == s.verified_rank
        if then is None:  # the unit new this period has no previous side
            assert row["pdtit"] == f.DASH and row["d"] is None and row["wf"] == []
            continue
        assert row["pdtit"] == f.number(then.verified_dti, 4) and row["pr"] == then.verified_rank
        assert row["dt"] == f.signed_points(s.verified_total - then.verified_total)
        assert row["rc"] == then.verified_rank - s.verified_rank
        # the waterfall starts at the previous total and its steps end exactly at the current one
        wf = row["wf"]
        assert wf[0][1:] == [0, float(then.verified_total)] and wf[-1][1:] == [0, float(s.verified_total)]
        assert wf[-2][2] == pytest.approx(float(s.verified_total))


def test_top_contributions_are_the_indicators_that_moved_most(ctx, html):
    code = unit_code(0)
    mine = [c for c in ctx.claims if c.unit_code == code]
    # the fixture shifted each claim by previous_shift; the largest shifts lead the list
    moved = {c.indicator_code: -max(previous_shift(n), -(c.verified_points or 0)) for n, c in enumerate(mine)}
    biggest = max(abs(d) for d in moved.values())
    top = next(r for r in _data(html)["changes"] if r["u"] == code)["top"]
    first = top.split(", ")[0]
    code_, delta = re.match(r"(\w+) \((.+)\)", first).groups()
    assert abs(moved[code_]) == biggest and delta == f.signed_points(moved[code_])


def test_the_waterfall_chart_opens_on_the_unit_that_moved_most(ctx, html):
    data = _data(html)
    compared = [r for r in data["changes"] if r["d"] is not None]
    most = max(compared, key=lambda r: abs(r["d"]))
    assert f'<option value="{most["u"]}" selected>' in html
    assert 'id="chart-change"' in html


def test_without_a_previous_period_the_section_says_so():
    html = render_report(big_context(2))
    assert "Chưa có kỳ trước trong kho dữ liệu để so sánh" in html and 'id="chart-change"' not in html


def test_the_workbook_ranking_has_the_split_coverage_and_the_mark(ctx, workbook):
    ws = workbook["Xếp hạng"]
    rows = {r["Mã đơn vị"]: r for r in _table(ws)}
    for s in ctx.scores:
        row = rows[s.unit_code]
        assert row["Điểm đo từ hệ thống"] == float(s.measured_points)
        assert row["Điểm minh chứng đã kiểm tra"] == float(s.evidence_points)
        assert row["Điểm tạm tính"] == float(s.provisional_points)
        assert row["Độ phủ"] == pytest.approx(float(s.coverage))
        assert row["Hạng dựa trên điểm tạm tính"] == (PROVISIONAL_MARK if s.rank_on_provisional else None)
    titles = [c.value for c in ws[HEADER]]
    coverage = titles.index("Độ phủ") + 1
    assert ws.cell(row=HEADER + 1, column=coverage).number_format == "0.0%"
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "«tạm»: hạng dựa trên điểm tạm tính" in text
    assert policy_words(load_all()[FRAMEWORK].policy) in text


def test_the_workbook_has_a_changes_sheet(ctx, workbook):
    ws = workbook["So với kỳ trước"]
    assert ws.cell(row=3, column=1).value == "THAY ĐỔI SO VỚI KỲ TRƯỚC"
    rows = {r["Mã đơn vị"]: r for r in _table(ws)}
    assert set(rows) == {s.unit_code for s in ctx.scores}
    before = {s.unit_code: s for s in ctx.previous_scores}
    changes = ctx.changes()
    for s in ctx.scores:
        row, then = rows[s.unit_code], before.get(s.unit_code)
        assert row["Hạng kỳ này"] == s.verified_rank and row["Điểm kỳ này"] == float(s.verified_total)
        if then is None:
            assert row["Điểm kỳ trước"] is None and row["Chênh điểm"] is None
            continue
        assert row["Kỳ trước"] == PREVIOUS and row["Hạng kỳ trước"] == then.verified_rank
        assert row["Chênh điểm"] == pytest.approx(float(s.verified_total - then.verified_total))
        assert row["DTI kỳ trước"] == pytest.approx(float(then.verified_dti))
        step = changes[s.unit_code].steps[0]
        assert row["Chỉ số đóng góp nhiều nhất"].startswith(f"{step.label} ({f.signed_points(step.delta)})")
    assert ws.print_title_rows == f"${HEADER}:${HEADER}"


def test_gather_reads_the_previous_period_from_the_warehouse(warehouse, tmp_path):
    seed_review(warehouse)
    with session_scope(warehouse) as s:
        now = s.get(UnitScore, ("D01", PERIOD))
        s.add(
            ClaimLedgerRow(
                unit_code="D01",
                period=PREVIOUS,
                indicator_code="F5",
                framework_id=FRAMEWORK,
                main_index_code="F",
                source="DVC",
                measure="rate",
                max_points=Decimal("40"),
                self_value=Decimal("0.5"),
                self_points=Decimal("1"),
                outcome="verified",
                verified_value=Decimal("0.5"),
                verified_points=Decimal("1"),
            )
        )
        s.add(
            UnitScore(
                unit_code="D01",
                period=PREVIOUS,
                framework_id=FRAMEWORK,
                unit_type="dept_tthc",
                max_points=Decimal(1000),
                self_total=Decimal(1),
                verified_total=Decimal(1),
                self_dti=Decimal("0.001"),
                verified_dti=Decimal("0.001"),
                self_rank=2,
                verified_rank=2,
                rank_change=0,
            )
        )
        total = now.verified_total
    with session_scope(warehouse) as s:
        ctx = gather(s, PERIOD)
        assert ctx.previous_period == PREVIOUS and [c.indicator_code for c in ctx.previous_claims] == ["F5"]
        html = render_report(ctx)
        path = save_deterministic(build_workbook(ctx), tmp_path / "council.xlsx")
    row = next(r for r in _data(html)["changes"] if r["u"] == "D01")
    assert row["pt"] == 1.0 and row["dt"] == f.signed_points(total - 1) and row["pr"] == 2
    sheet = {r["Mã đơn vị"]: r for r in _table(load_workbook(path)["So với kỳ trước"])}
    assert sheet["D01"]["Chênh điểm"] == pytest.approx(float(total - 1))


def test_rows_link_to_their_claim_pages_only_when_the_apps_address_is_set(tmp_path):
    ctx = big_context(2)
    assert _data(render_report(ctx))["link"] is None
    assert build_workbook(ctx)["Tất cả chỉ số"].cell(row=HEADER + 1, column=3).hyperlink is None
    ctx.link_base = "https://dti.example.gov.vn"
    assert _data(render_report(ctx))["link"] == {"base": "https://dti.example.gov.vn", "period": PERIOD}
    ws = build_workbook(ctx)["Tất cả chỉ số"]
    cell = ws.cell(row=HEADER + 1, column=3)
    assert (
        cell.hyperlink.target
        == f"https://dti.example.gov.vn/chi-tieu/{PERIOD}/{ws.cell(row=HEADER + 1, column=1).value}/{cell.value}"
    )


def test_gather_takes_the_apps_address_from_the_setting(warehouse, monkeypatch):
    seed_review(warehouse)
    monkeypatch.setenv("DTI_REVIEW_PUBLIC_URL", "http://127.0.0.1:8765/")
    with session_scope(warehouse) as s:
        ctx = gather(s, PERIOD)
    assert ctx.link_base == "http://127.0.0.1:8765"
    assert ctx.claim_url(ctx.claims[0]).startswith(f"http://127.0.0.1:8765/chi-tieu/{PERIOD}/")
