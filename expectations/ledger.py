"""Great Expectations suite for the claim ledger (run as blocking checks on `claim_ledger`)."""

from __future__ import annotations

import pandas as pd

from dti.reconciliation import OUTCOMES, Claim
from expectations.adapter import ERROR, WARN, Check, SuiteOutcome, run_suite

KEYS = ["unit_code", "period", "indicator_code"]


def ledger_frame(claims: list[Claim]) -> pd.DataFrame:
    rows = []
    for c in claims:
        both = c.self_value is not None and c.objective_value is not None
        rows.append({
            "unit_code": c.unit_code, "period": c.period, "indicator_code": c.indicator_code,
            "outcome": c.outcome, "measure": c.measure, "severity": c.severity,
            "self_rate": float(c.self_value) if c.measure == "rate" and c.self_value is not None else None,
            "objective_rate": float(c.objective_value) if c.measure == "rate" and c.objective_value is not None
            else None,
            "verified_points": float(c.verified_points) if c.verified_points is not None else None,
            "max_points": float(c.max_points),
            "points_headroom": float(c.max_points - c.verified_points) if c.verified_points is not None else None,
            # a discrepancy exactly when both values exist and the difference exceeds the tolerance
            "outcome_consistent": (c.outcome == "discrepancy") == (both and abs(c.difference) > c.tolerance)
            if c.outcome in ("verified", "discrepancy") else True,
            "unverifiable_has_reason": bool(c.reasons) if c.outcome == "unverifiable" else True,
        })
    return pd.DataFrame(rows, columns=["unit_code", "period", "indicator_code", "outcome", "measure", "severity",
                                       "self_rate", "objective_rate", "verified_points", "max_points",
                                       "points_headroom", "outcome_consistent", "unverifiable_has_reason"])


CHECKS = [
    Check("outcome_is_known", ERROR,
          lambda E: E.ExpectColumnValuesToBeInSet(column="outcome", value_set=list(OUTCOMES)),
          vi="Mỗi chỉ tiêu có một kết quả đối chiếu hợp lệ",
          en="every claim has a known outcome"),
    Check("objective_rates_between_0_and_1", ERROR,
          lambda E: E.ExpectColumnValuesToBeBetween(column="objective_rate", min_value=0, max_value=1),
          vi="Tỷ lệ tính từ hệ thống nguồn nằm trong 0–100 %",
          en="rates computed from the systems of record lie between 0 and 100 %"),
    Check("verified_points_not_negative", ERROR,
          lambda E: E.ExpectColumnValuesToBeBetween(column="verified_points", min_value=0),
          vi="Điểm thẩm định không âm",
          en="verified points are not negative"),
    Check("verified_points_within_max", ERROR,
          lambda E: E.ExpectColumnValuesToBeBetween(column="points_headroom", min_value=0),
          vi="Điểm thẩm định không vượt điểm tối đa của chỉ số",
          en="verified points do not exceed the indicator's maximum"),
    Check("discrepancy_iff_beyond_tolerance", ERROR,
          lambda E: E.ExpectColumnValuesToBeInSet(column="outcome_consistent", value_set=[True]),
          vi="Chỉ tiêu là chênh lệch khi và chỉ khi số liệu lệch quá ngưỡng cho phép",
          en="a claim is a discrepancy exactly when its difference exceeds the tolerance"),
    Check("unverifiable_claims_say_why", ERROR,
          lambda E: E.ExpectColumnValuesToBeInSet(column="unverifiable_has_reason", value_set=[True]),
          vi="Chỉ tiêu không xác minh được đều ghi lý do",
          en="every unverifiable claim says why"),
    Check("self_rates_between_0_and_1", WARN,
          lambda E: E.ExpectColumnValuesToBeBetween(column="self_rate", min_value=0, max_value=1),
          vi="Tỷ lệ tự đánh giá nằm trong 0–100 %",
          en="self-reported rates lie between 0 and 100 %"),
    Check("every_discrepancy_below_critical", WARN,
          lambda E: E.ExpectColumnValuesToNotBeInSet(column="severity", value_set=["critical"]),
          vi="Không có chênh lệch nào ở mức nghiêm trọng (cảnh báo khi có)",
          en="no discrepancy is critical (warns when some are)"),
]


def validate_ledger(claims: list[Claim]) -> SuiteOutcome:
    return run_suite(ledger_frame(claims), "claim_ledger", CHECKS, KEYS)
