"""The grading bands a framework defines (xếp loại) are shown beside the DTI values in report.html and in the
council workbook's ranking sheet; a period whose frameworks have none shows no empty grade columns."""

from __future__ import annotations

import dataclasses

from dti.reports.excel import build_workbook
from dti.reports.html import render_report
from tests.core.test_report_point_split import _data, _table
from tests.report_fixtures import big_context

BANDS = ("Xuất sắc", "Tốt", "Khá")


def _graded(units: int = 4):
    ctx = big_context(units)
    ctx.scores = [dataclasses.replace(s, self_grade=BANDS[i % 3], verified_grade=BANDS[(i + 1) % 3] if i else None)
                  for i, s in enumerate(ctx.scores)]
    return ctx


def test_each_units_grades_are_in_the_report_and_the_ranking_sheet():
    ctx = _graded()
    data = _data(render_report(ctx))
    assert data["grades"] is True
    by_unit = {r["u"]: r for r in data["ranking"]}
    for s in ctx.scores:
        assert by_unit[s.unit_code]["sg"] == s.self_grade
        assert by_unit[s.unit_code]["vg"] == (s.verified_grade or "—")  # below every band: no grade
    rows = {r["Mã đơn vị"]: r for r in _table(build_workbook(ctx)["Xếp hạng"])}
    for s in ctx.scores:
        assert rows[s.unit_code]["Xếp loại tự chấm"] == s.self_grade
        assert rows[s.unit_code]["Xếp loại thẩm định"] == s.verified_grade
    titles = list(rows[ctx.scores[0].unit_code])
    assert titles.index("Xếp loại tự chấm") == titles.index("DTI thẩm định") + 1


def test_without_grading_bands_there_are_no_grade_columns():
    ctx = big_context(4)
    assert _data(render_report(ctx))["grades"] is False
    rows = _table(build_workbook(ctx)["Xếp hạng"])
    assert "Xếp loại thẩm định" not in rows[0] and "Hạng dựa trên điểm tạm tính" in rows[0]
