"""A small review world: three departments, F5/F12 claims of default-dept-2025, scores, users, records;
and the review web app over it, with a test-client Browser that logs in like a person."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from functools import lru_cache

import openpyxl
import pytest
from sqlalchemy import select

from dti.appraisal.accounts import hash_password
from dti.appraisal.claims import framework
from dti.appraisal.scores import recompute_scores
from dti.intake.template import write_template
from dti.scoring import competition_ranks, score_leaf
from dti.warehouse import Warehouse
from dti.warehouse.db import session_scope
from dti.warehouse.models import (
    ClaimLedgerRow,
    Decision,
    PeriodPhase,
    RawDossier,
    Unit,
    UnitScore,
    User,
)
from review import create_app

PERIOD = "2025-R3"
FRAMEWORK = "default-dept-2025"
PASSWORD = "mat-khau-rat-dai-1"
SCRIPT_NAME = "<script>alert(1)</script>"
USERS = {
    "hoidong1": ("council", None),
    "hoidong2": ("council", None),
    "canbo": ("staff", None),
    "donvi1": ("submitter", "D01"),
    "donvi2": ("submitter", "D02"),
    "quantri": ("admin", None),
}
UNITS = {"D01": "Sở Tư pháp", "D02": SCRIPT_NAME, "D03": "Sở Nội vụ"}
# (unit, indicator, self value, objective value): F5 is pass_mark 40 points at 98%, F12 ratio 30 points.
CLAIMS = [
    ("D01", "F5", "0.99", "0.90"),  # 40 claimed, 36 verified
    ("D01", "F12", "0.95", "0.60"),  # 28.5 claimed, 18 verified
    ("D02", "F5", "0.985", "0.985"),  # 40 / 40
    ("D02", "F12", "0.80", "0.50"),  # 24 / 15
    ("D03", "F5", "1.00", "0.95"),  # 40 / 38
    ("D03", "F12", "0.90", "0.90"),  # 27 / 27
]


@lru_cache(maxsize=1)
def password_hash() -> str:
    # Hashing once keeps each test from paying argon2's cost six times.
    return hash_password(PASSWORD)


def seed_review(url: str, phase: str = "appraisal", signed_off: bool = False) -> None:
    now = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)
    with session_scope(url) as s:
        for code, name in UNITS.items():
            s.add(
                Unit(
                    code=code,
                    name_vi=name,
                    unit_type="dept_tthc",
                    province_code="T01",
                    valid_from=dt.date(2025, 1, 1),
                    framework_id=FRAMEWORK,
                )
            )
        for username, (role, unit) in USERS.items():
            s.add(
                User(
                    username=username,
                    full_name=f"Người dùng {username}",
                    password_hash=password_hash(),
                    role=role,
                    unit_code=unit,
                    active=True,
                    created_at=now,
                )
            )
        s.add(
            PeriodPhase(
                period=PERIOD, phase=phase, signed_off=signed_off, changed_by="quantri", changed_at=now
            )
        )
        s.flush()
        fw = framework(FRAMEWORK)
        for unit, code, self_v, obj_v in CLAIMS:
            leaf = fw.leaf(code)
            self_value, obj_value = Decimal(self_v), Decimal(obj_v)
            self_points = score_leaf(leaf, self_value)
            obj_points = score_leaf(leaf, obj_value)
            record_ids = [f"DVC-{unit}-{code}-{i}" for i in range(3)] if code == "F5" else []
            s.add(
                ClaimLedgerRow(
                    unit_code=unit,
                    period=PERIOD,
                    indicator_code=code,
                    framework_id=FRAMEWORK,
                    main_index_code="F",
                    source=leaf.source,
                    measure=leaf.measure,
                    max_points=leaf.max_points,
                    self_value=self_value,
                    self_points=self_points,
                    objective_value=obj_value,
                    record_count=len(record_ids),
                    difference=self_value - obj_value,
                    tolerance=Decimal("0.02"),
                    outcome="verified" if self_value == obj_value else "discrepancy",
                    direction="over" if self_value > obj_value else None,
                    severity="high"
                    if self_points - obj_points >= 5
                    else ("low" if self_value != obj_value else None),
                    points_at_stake=self_points - obj_points,
                    verified_value=obj_value,
                    verified_points=obj_points,
                    snapshot_id="snap-2026-01-10",
                    record_ids=record_ids,
                    citations=[
                        {
                            "raw": "Kế hoạch số 45/KH-UBND ngày 12/3/2025",
                            "status": "found",
                            "document_id": "DOC-45",
                        }
                    ],
                )
            )
            for rid in record_ids:
                s.add(
                    RawDossier(
                        source_id=rid,
                        unit_code=unit,
                        source_unit_code=unit,
                        updated_at=now,
                        deleted=False,
                        batch_id="b1",
                        fetched_at=now,
                        checksum="0" * 64,
                        dossier_code=f"000.00.01.H26-251001-{rid[-1]}",
                        procedure_code="1.001",
                        channel=2,
                        service_level="full",
                        # finished in the period, after its due date: behind F5's value (denominator only)
                        received_at=dt.datetime(2025, 10, 1, 2, 0, tzinfo=dt.UTC),
                        due_at=dt.datetime(2025, 10, 10, 10, 0, tzinfo=dt.UTC),
                        finished_at=dt.datetime(2025, 10, 20, 3, 0, tzinfo=dt.UTC),
                        status="done",
                    )
                )
        s.flush()
        self_totals = {}
        for unit in UNITS:
            pts = {c: score_leaf(fw.leaf(c), Decimal(sv)) for u, c, sv, _ in CLAIMS if u == unit}
            self_totals[unit] = sum(pts.values(), Decimal(0))
        self_ranks = competition_ranks(self_totals)
        for unit in UNITS:
            s.add(
                UnitScore(
                    unit_code=unit,
                    period=PERIOD,
                    framework_id=FRAMEWORK,
                    unit_type="dept_tthc",
                    max_points=Decimal(1000),
                    self_total=self_totals[unit],
                    verified_total=Decimal(0),
                    self_dti=self_totals[unit] / 1000,
                    verified_dti=Decimal(0),
                    self_rank=self_ranks[unit],
                    verified_rank=0,
                    rank_change=0,
                    by_main_index={
                        "F": {"self": str(self_totals[unit]), "verified": "0.00", "max": "340.00"}
                    },
                )
            )
        s.flush()
        recompute_scores(s, PERIOD, FRAMEWORK, "dept_tthc")


def user(url: str, username: str) -> User:
    with session_scope(url) as s:
        return s.execute(select(User).where(User.username == username)).scalar_one()


def decision_count(url: str) -> int:
    with session_scope(url) as s:
        return s.query(Decision).count()


# --- the review web app ----------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that logs in like a person and picks the CSRF token from the last page."""

    def __init__(self, app, username: str | None = None):
        self.client = app.test_client()
        self.token = None
        if username:
            self.login(username)

    def get(self, path, **kw):
        r = self.client.get(path, **kw)
        m = _TOKEN.search(r.get_data().decode("utf-8", "replace"))
        if m:
            self.token = m.group(1)
        return r

    def post(self, path, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def login(self, username, password=PASSWORD):
        self.get("/dang-nhap")
        return self.post("/dang-nhap", {"username": username, "password": password})


def review_app(url: str, phase: str = "appraisal", signed_off: bool = False):
    """The review web app over the seeded review world, the period in `phase`."""
    seed_review(url, phase=phase, signed_off=signed_off)
    return create_app(url=url)


@pytest.fixture
def app(warehouse):
    """A test module takes this fixture with `app = review_fixtures.app`."""
    return review_app(warehouse)


def filled_form(tmp_path, unit: str) -> bytes:
    """The unit's self-assessment template for the period, every row filled in, as the bytes of an .xlsx."""
    path = write_template(Warehouse(), unit, PERIOD, out=tmp_path / f"form-{unit}.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Tự đánh giá"]
    col = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for row in range(8, ws.max_row + 1):
        code, measure = ws.cell(row, 1).value, ws.cell(row, col["Loại giá trị"]).value
        if measure == "Tỷ lệ (%)":
            ws.cell(row, col["Tử số"]).value = 60 if code == "F5" else 45
            ws.cell(row, col["Mẫu số"]).value = 50
        elif measure == "Số lượng":
            ws.cell(row, col["Giá trị tự đánh giá"]).value = "4"
        elif measure == "Mức":
            ws.cell(row, col["Giá trị tự đánh giá"]).value = "2 – Người đứng đầu chủ trì"
        ws.cell(
            row, col["Tài liệu kiểm chứng (số, ký hiệu, ngày)"]
        ).value = "Kế hoạch số 45/KH-UBND ngày 12/3/2025"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
