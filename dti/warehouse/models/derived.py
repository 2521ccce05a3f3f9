"""What the pipeline derives for a period: objective metrics, the claim ledger, unit scores, check history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from dti.warehouse.models.base import POINTS, SHARE, VALUE, Base, UTCDateTime


class ObjectiveMetric(Base):
    __tablename__ = "objective_metrics"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # ok / unavailable / stale / no_data / incomplete
    reason: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[Decimal | None] = mapped_column(SHARE)
    freshness_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[list | None] = mapped_column(JSON)  # sample of ids behind the value


class ClaimLedgerRow(Base):
    __tablename__ = "claim_ledger"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    main_index_code: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    measure: Mapped[str] = mapped_column(String(16))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    self_value: Mapped[Decimal | None] = mapped_column(VALUE)
    self_points: Mapped[Decimal | None] = mapped_column(POINTS)
    objective_value: Mapped[Decimal | None] = mapped_column(VALUE)
    objective_numerator: Mapped[Decimal | None] = mapped_column(VALUE)
    objective_denominator: Mapped[Decimal | None] = mapped_column(VALUE)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    difference: Mapped[Decimal | None] = mapped_column(VALUE)
    tolerance: Mapped[Decimal | None] = mapped_column(VALUE)
    outcome: Mapped[str] = mapped_column(String(24), index=True)
    direction: Mapped[str | None] = mapped_column(String(8))  # over / under
    severity: Mapped[str | None] = mapped_column(String(8))  # low / medium / high / critical
    points_at_stake: Mapped[Decimal | None] = mapped_column(POINTS)
    verified_value: Mapped[Decimal | None] = mapped_column(VALUE)
    verified_points: Mapped[Decimal | None] = mapped_column(POINTS)
    reason: Mapped[str | None] = mapped_column(String(255))  # machine-readable codes, ';'-joined
    reason_vi: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[str | None] = mapped_column(String(64))
    record_ids: Mapped[list | None] = mapped_column(JSON)
    citations: Mapped[list | None] = mapped_column(JSON)  # [{raw, status, document_id}]
    decision_id: Mapped[int | None] = mapped_column(Integer)  # latest council decision applied
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking
    __mapper_args__ = {"version_id_col": version}


class UnitScore(Base):
    __tablename__ = "unit_scores"
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    unit_type: Mapped[str] = mapped_column(String(32))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    self_total: Mapped[Decimal] = mapped_column(POINTS)
    verified_total: Mapped[Decimal] = mapped_column(POINTS)
    self_dti: Mapped[Decimal] = mapped_column(SHARE)
    verified_dti: Mapped[Decimal] = mapped_column(SHARE)
    self_rank: Mapped[int] = mapped_column(Integer)
    verified_rank: Mapped[int] = mapped_column(Integer)
    rank_change: Mapped[int] = mapped_column(Integer)
    movers: Mapped[list | None] = mapped_column(JSON)  # indicators that moved the rank
    by_main_index: Mapped[dict | None] = mapped_column(JSON)
    # How verified the total is (dti.scoring.unit_scores.count_outcomes) and what the rank is computed on.
    measured_points: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(0), server_default="0")
    evidence_points: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(0), server_default="0")
    provisional_points: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(0), server_default="0")
    coverage: Mapped[Decimal] = mapped_column(SHARE, default=Decimal(1), server_default="1")
    ranking_dti: Mapped[Decimal | None] = mapped_column(SHARE)
    rank_on_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    self_grade: Mapped[str | None] = mapped_column(String(64))  # grading band (xếp loại) of the self DTI
    verified_grade: Mapped[str | None] = mapped_column(String(64))  # … of the verified DTI


class CheckResult(Base):
    """History of every data-quality check run (Great Expectations and domain rules)."""

    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    check_name: Mapped[str] = mapped_column(String(128))
    partition: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))  # ERROR / WARN
    success: Mapped[bool] = mapped_column(Boolean)
    failing_count: Mapped[int] = mapped_column(Integer, default=0)
    failing_rows: Mapped[list | None] = mapped_column(JSON)  # business keys of failing rows
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
