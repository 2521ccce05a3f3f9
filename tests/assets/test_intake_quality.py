"""The Great Expectations suite for self-report rows, on rows the domain rules would have refused."""

from __future__ import annotations

from expectations.self_reports import check_self_reports


def _row(key, code, **kw):
    base = {"row_key": key, "unit_code": "SO-A", "period": "2025-R1", "indicator_code": code,
            "rate_value": None, "numerator": None, "denominator": None, "self_points": None,
            "council_points": None, "max_points": None}
    return base | kw


def test_suite_names_the_failing_rows_by_key():
    outcome = check_self_reports([
        _row("!2", "A3", rate_value=1.2, numerator=6, denominator=5, self_points=25, max_points=20),
        _row("!3", "A3", rate_value=0.5, self_points=10, max_points=20, council_points=-1),
        _row("!4", None, self_points=3, max_points=20),
        _row("!5", "B1", self_points=5, max_points=25),
    ])
    failing = {r.name: sorted(x["row_key"] for x in r.failing_rows) for r in outcome.results if not r.success}
    assert failing == {
        "rates_between_0_and_1": ["!2"],
        "numerator_within_denominator": ["!2"],
        "self_points_within_max": ["!2"],
        "council_points_not_negative": ["!3"],
        "one_row_per_unit_period_indicator": ["!2", "!3"],
        "indicator_code_present": ["!4"],
    }


def test_clean_rows_pass_every_check():
    outcome = check_self_reports([
        _row("!2", "A3", rate_value=0.855, numerator=171, denominator=200, self_points=17.1, max_points=20),
        _row("!3", "A1", self_points=15, max_points=15, council_points=7.5),
    ])
    assert outcome.success and outcome.row_count == 2
