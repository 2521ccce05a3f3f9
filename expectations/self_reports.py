"""The Great Expectations suite for self-report rows: a second, declarative line of checks run on
the rows the intake domain rules accepted, recorded in the check history."""

from __future__ import annotations

import pandas as pd

from expectations.adapter import ERROR, Check, SuiteOutcome, run_suite

SUITE = "self_reports"
KEY_COLUMNS = ["row_key"]
COLUMNS = ["row_key", "unit_code", "period", "indicator_code", "rate_value", "numerator", "denominator",
           "self_points", "council_points", "max_points"]


def self_report_checks() -> list[Check]:
    return [
        Check("indicator_code_present", ERROR,
              lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column="indicator_code"),
              vi="Mỗi dòng tự đánh giá có mã chỉ số",
              en="each self-report row has an indicator code"),
        Check("one_row_per_unit_period_indicator", ERROR,
              lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                  column_list=["unit_code", "period", "indicator_code"]),
              vi="Mỗi đơn vị, kỳ, chỉ số chỉ có một dòng",
              en="one row per unit, period and indicator"),
        Check("rates_between_0_and_1", ERROR,
              lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="rate_value", min_value=0, max_value=1),
              vi="Tỷ lệ tự đánh giá nằm trong 0–100 %",
              en="self-reported rates lie between 0 and 100 %"),
        Check("self_points_not_negative", ERROR,
              lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="self_points", min_value=0),
              vi="Điểm tự chấm không âm",
              en="self-scored points are not negative"),
        Check("council_points_not_negative", ERROR,
              lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="council_points", min_value=0),
              vi="Điểm Hội đồng chấm không âm",
              en="council points are not negative"),
        Check("self_points_within_max", ERROR,
              lambda gxe: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                  column_A="max_points", column_B="self_points", or_equal=True,
                  ignore_row_if="either_value_is_missing"),
              vi="Điểm tự chấm không vượt điểm tối đa",
              en="self-scored points do not exceed the maximum"),
        Check("council_points_within_max", ERROR,
              lambda gxe: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                  column_A="max_points", column_B="council_points", or_equal=True,
                  ignore_row_if="either_value_is_missing"),
              vi="Điểm Hội đồng chấm không vượt điểm tối đa",
              en="council points do not exceed the maximum"),
        Check("numerator_within_denominator", ERROR,
              lambda gxe: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                  column_A="denominator", column_B="numerator", or_equal=True,
                  ignore_row_if="either_value_is_missing"),
              vi="Tử số không vượt mẫu số",
              en="numerators do not exceed denominators"),
    ]


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as a typed frame: numbers as floats (GX compares floats), codes as strings."""
    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in COLUMNS[4:]:
        df[col] = pd.to_numeric(df[col].map(lambda v: None if v is None else float(v)), errors="coerce")
    return df


def check_self_reports(rows: list[dict]) -> SuiteOutcome:
    """Run the suite on rows shaped like COLUMNS; failing rows come back by `row_key`."""
    return run_suite(frame(rows), SUITE, self_report_checks(), KEY_COLUMNS)
