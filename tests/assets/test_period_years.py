"""Assessment periods have no fixed last year: settings bound them, or the clock and the frameworks do."""

from __future__ import annotations

import datetime as dt

from assets.partitions import period_keys, period_years


def test_periods_follow_the_clock_without_a_cap():
    assert period_years({}, dt.date(2031, 5, 1)) == (2024, 2032)
    keys = period_keys({}, dt.date(2031, 5, 1))
    assert keys[0] == "2024-R1" and keys[-1] == "2032-R3" and "2030-R2" in keys


def test_periods_bounded_by_settings():
    env = {"DTI_FIRST_PERIOD_YEAR": "2026", "DTI_LAST_PERIOD_YEAR": "2035"}
    assert period_years(env, dt.date(2026, 1, 1)) == (2026, 2035)
    assert period_keys(env, dt.date(2026, 1, 1))[-1] == "2035-R3"
