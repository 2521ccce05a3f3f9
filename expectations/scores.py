"""Great Expectations suite for verified scores (blocking checks on `verified_scores`)."""

from __future__ import annotations

import pandas as pd

from dti.scoring.unit_scores import UnitScoreRow
from expectations.adapter import ERROR, WARN, Check, SuiteOutcome, run_suite

KEYS = ["unit_code", "period"]


def scores_frame(scores: list[UnitScoreRow], expected_units: list[str]) -> pd.DataFrame:
    scored = {s.unit_code for s in scores}
    rows = [{"unit_code": s.unit_code, "period": s.period, "scored": True,
             "verified_dti": float(s.verified_dti), "self_dti": float(s.self_dti),
             "verified_rank": s.verified_rank, "dti_drop": float(s.self_dti - s.verified_dti)} for s in scores]
    rows += [{"unit_code": u, "period": None, "scored": False, "verified_dti": None, "self_dti": None,
              "verified_rank": None, "dti_drop": None} for u in sorted(set(expected_units) - scored)]
    return pd.DataFrame(rows, columns=["unit_code", "period", "scored", "verified_dti", "self_dti", "verified_rank",
                                       "dti_drop"])


CHECKS = [
    Check("every_unit_scored", ERROR,
          lambda E: E.ExpectColumnValuesToBeInSet(column="scored", value_set=[True]),
          vi="Mọi đơn vị đều được chấm điểm",
          en="every unit has a score"),
    Check("dti_between_0_and_1", ERROR,
          lambda E: E.ExpectColumnValuesToBeBetween(column="verified_dti", min_value=0, max_value=1),
          vi="Chỉ số DTI thẩm định nằm trong 0–1",
          en="verified DTI values lie between 0 and 1"),
    Check("ranks_start_at_1", ERROR,
          lambda E: E.ExpectColumnValuesToBeBetween(column="verified_rank", min_value=1),
          vi="Hạng bắt đầu từ 1",
          en="ranks start at 1"),
    Check("verified_close_to_self", WARN,
          lambda E: E.ExpectColumnValuesToBeBetween(column="dti_drop", max_value=0.15),
          vi="DTI thẩm định không thấp hơn DTI tự chấm quá 0,15",
          en="the verified DTI is at most 0.15 below the self-assessed DTI"),
]


def validate_scores(scores: list[UnitScoreRow], expected_units: list[str]) -> SuiteOutcome:
    return run_suite(scores_frame(scores, expected_units), "verified_scores", CHECKS, KEYS)
