"""The unit page explains the change of verified score and rank since the previous period as a waterfall, and
the claim page shows the same claim of the previous period."""

from __future__ import annotations

from decimal import Decimal

from dti.warehouse.db import session_scope
from dti.warehouse.models import ClaimLedgerRow, UnitScore
from review import create_app
from tests.review_fixtures import FRAMEWORK, PERIOD, Browser, seed_review

BEFORE = "2024-R3"


def _previous(warehouse, f5_points: str, f12_points: str, total: str, rank: int):
    with session_scope(warehouse) as s:
        for code, pts in (("F5", f5_points), ("F12", f12_points)):
            s.add(ClaimLedgerRow(unit_code="D01", period=BEFORE, indicator_code=code, framework_id=FRAMEWORK,
                                 main_index_code="F", source="DVC", measure="rate", max_points=Decimal("40"),
                                 self_value=Decimal("0.5"), self_points=Decimal(pts), outcome="verified",
                                 verified_value=Decimal("0.5"), verified_points=Decimal(pts)))
        s.add(UnitScore(unit_code="D01", period=BEFORE, framework_id=FRAMEWORK, unit_type="dept_tthc",
                        max_points=Decimal(1000), self_total=Decimal(total), verified_total=Decimal(total),
                        self_dti=Decimal("0.05"), verified_dti=Decimal("0.05"), self_rank=rank, verified_rank=rank,
                        rank_change=0))


def test_unit_page_shows_the_waterfall_since_the_previous_period(warehouse):
    seed_review(warehouse)
    _previous(warehouse, "20", "10", "30", 3)
    with session_scope(warehouse) as s:
        now = s.get(UnitScore, ("D01", PERIOD))
        f5, f12 = (s.get(ClaimLedgerRow, ("D01", PERIOD, c)).verified_points for c in ("F5", "F12"))
        total, rank = now.verified_total, now.verified_rank
    b = Browser(create_app(url=warehouse), "hoidong1")
    page = b.get(f"/don-vi/D01?ky={PERIOD}").get_data(as_text=True)
    assert f"Thay đổi so với kỳ {BEFORE}" in page and 'class="waterfall"' in page
    assert f"30,00 → <strong>{str(total.quantize(Decimal('0.01'))).replace('.', ',')}</strong>" in page
    assert f"hạng 3 → {rank}" in page
    for delta in (f5 - 20, f12 - 10):
        assert ("+" if delta > 0 else "") + str(delta.quantize(Decimal("0.01"))).replace(".", ",") in page
    claim = b.get(f"/chi-tieu/{PERIOD}/D01/F5").get_data(as_text=True)
    assert 'id="previous-period"' in claim and f"{BEFORE}: tự đánh giá" in claim


def test_no_previous_period_no_change_section(warehouse):
    seed_review(warehouse)
    page = Browser(create_app(url=warehouse), "hoidong1").get(f"/don-vi/D01?ky={PERIOD}").get_data(as_text=True)
    assert "Thay đổi so với kỳ" not in page and "waterfall" not in page
