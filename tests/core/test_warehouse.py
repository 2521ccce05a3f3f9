"""The warehouse schema migrates on SQLite and PostgreSQL, and the migration matches the models."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from dti.reports.exports import fmt
from dti.warehouse import init_db, session_scope
from dti.warehouse.models import Base, ClaimLedgerRow


def _roundtrip(url: str) -> None:
    init_db(url)
    init_db(url)  # idempotent
    with session_scope(url) as s:
        s.add(ClaimLedgerRow(unit_code="U1", period="2025-R3", indicator_code="F5", framework_id="fw",
                             main_index_code="F", source="DVC", measure="rate", max_points=Decimal("40"),
                             self_value=Decimal("0.99"), objective_value=Decimal("0.951234"),
                             outcome="discrepancy", reason_vi="Tự đánh giá cao hơn",
                             verified_points=Decimal("0.8965015") * 10))
    with session_scope(url) as s:
        row = s.get(ClaimLedgerRow, ("U1", "2025-R3", "F5"))
        assert row.objective_value == Decimal("0.951234")
        # points keep their exact value, and the CSV rounds it half up as docs/frameworks.md says
        assert row.verified_points == Decimal("8.965015")
        assert fmt("verified_points", row.verified_points) == "8.97"
        assert fmt("objective_value", Decimal("0.8965015")) == "0.896502"
        assert row.reason_vi == "Tự đánh giá cao hơn"
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_sqlite_warehouse_migrates_and_keeps_decimals(sqlite_url):
    _roundtrip(sqlite_url)


@pytest.mark.postgres
def test_postgres_warehouse_migrates_and_keeps_decimals(pg_url):
    _roundtrip(pg_url)


def test_migration_matches_models(sqlite_url):
    """A model change without a migration fails here (run scripts/regen-migration.sh)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = init_db(sqlite_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff[:5]}"
