"""Published means frozen (issue 21): after `dti period publish`, intake, `dti run`, decisions and phase
changes refuse the period; the published copy and the public page stay byte-identical; a correction is
a reopening a second person approves, and the earlier publication stays readable."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from application.cli import main
from dti.appraisal.accounts import hash_password
from dti.appraisal.decisions import decide
from dti.audit import utc_now
from dti.publication import current
from dti.warehouse import Warehouse
from dti.warehouse.models import ClaimLedgerRow, PeriodPhase, Publication, UnitScore, User
from review import create_app
from tests.pipeline_helpers import NOW, PERIOD, verified_province

AS_OF = "2026-01-06T15:00:00+07:00"


@pytest.fixture
def published(tmp_path, warehouse, capsys):
    gen, _run = verified_province(tmp_path / "sim", warehouse)
    wh = Warehouse(warehouse)
    with wh.transaction() as s:
        for name, role in (("quantri", "admin"), ("quantri2", "admin"), ("hoidong1", "council")):
            s.add(User(username=name, password_hash=hash_password("mat-khau-rat-dai-1"), role=role, active=True,
                       created_at=utc_now()))
        s.add(PeriodPhase(period=PERIOD, phase="final", signed_off=True, changed_by="quantri", changed_at=NOW))
    assert main(["period", "publish", PERIOD, "--decision", "123/QĐ-UBND", "--signed-on", "2026-03-31",
                 "--signer", "Chủ tịch UBND tỉnh", "--by", "quantri"]) == 0
    out = capsys.readouterr().out
    return wh, out


def _public(wh) -> bytes:
    app = create_app(url=wh.url)
    return app.test_client().get(f"/cong-khai/{PERIOD}").data


def _frozen(wh) -> tuple[bytes, list, list]:
    with wh.session() as s:
        pub = current(s, PERIOD)
        live_ledger = [(r.unit_code, r.indicator_code, r.verified_value) for r in s.scalars(
            sa.select(ClaimLedgerRow).order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code))]
        live_scores = [(r.unit_code, r.self_total, r.verified_total) for r in s.scalars(
            sa.select(UnitScore).order_by(UnitScore.unit_code))]
        return pub.snapshot, live_ledger, live_scores


def test_the_publication_record_shows_the_decision_its_date_and_the_snapshot_hash(published):
    wh, out = published
    with wh.session() as s:
        pub = current(s, PERIOD)
        assert (pub.decision_number, pub.signed_on.isoformat(), pub.signer) == (
            "123/QĐ-UBND", "2026-03-31", "Chủ tịch UBND tỉnh")
        assert hashlib.sha256(pub.snapshot).hexdigest() == pub.snapshot_sha256
    assert pub.snapshot_sha256 in out and "123/QĐ-UBND" in out
    page = _public(wh).decode()
    assert "123/QĐ-UBND" in page and "31/03/2026" in page and pub.snapshot_sha256 in page


def test_after_publication_dti_run_and_intake_refuse_and_nothing_published_moves(published, tmp_path, capsys):
    wh, _out = published
    before, page = _frozen(wh), _public(wh)
    assert main(["run", "--period", PERIOD, "--as-of", AS_OF]) != 0
    assert "đã công bố" in capsys.readouterr().out
    form = tmp_path / "form.csv"
    form.write_text("Mã đơn vị,Kỳ đánh giá,Mã chỉ số,Giá trị tự đánh giá\n"
                    f"000.00.01.H33,{PERIOD},D3,80%\n", encoding="utf-8")
    assert main(["intake", "import", str(form)]) != 0
    refused = capsys.readouterr().out
    assert "đã công bố theo Quyết định 123/QĐ-UBND" in refused and "takes no more data" in refused
    assert _frozen(wh) == before and _public(wh) == page


def test_a_published_period_cannot_be_moved_by_a_phase_change(published, capsys):
    assert main(["period", "phase", PERIOD, "appraisal", "--by", "quantri"]) == 2
    assert "đã công bố" in capsys.readouterr().err


def test_a_correction_needs_a_second_person_and_keeps_the_old_publication_readable(published, capsys):
    wh, _out = published
    old_page = _public(wh)
    assert main(["period", "reopen", PERIOD, "--reason", "Sai số liệu F5 của một sở", "--by", "quantri"]) == 0
    assert main(["period", "reopen", PERIOD, "--approve", "--by", "quantri"]) == 2  # the same person: refused
    assert "khác người yêu cầu" in capsys.readouterr().err
    assert main(["period", "reopen", PERIOD, "--approve", "--by", "hoidong1"]) == 0
    with wh.session() as s:
        assert s.get(PeriodPhase, PERIOD).phase == "explanation"
        first = s.scalars(sa.select(Publication)).one()
        assert first.withdrawn_at is not None
    app = create_app(url=wh.url)
    assert app.test_client().get(f"/cong-khai/{PERIOD}?ban=1").data.count("123/QĐ-UBND".encode()) >= 1
    assert main(["run", "--period", PERIOD, "--as-of", AS_OF]) == 0  # open again: the pipeline runs
    assert main(["period", "phase", PERIOD, "final", "--signed-off", "--by", "quantri"]) == 0
    assert main(["period", "publish", PERIOD, "--decision", "130/QĐ-UBND", "--signed-on", "2026-04-15",
                 "--by", "quantri2"]) == 0
    with wh.session() as s:
        assert [p.version for p in s.scalars(sa.select(Publication).order_by(Publication.version))] == [1, 2]
    assert "130/QĐ-UBND" in _public(wh).decode() and old_page != _public(wh)
    assert main(["audit", "verify"]) == 0


OUTPUTS = ("claim_ledger.csv", "verified_scores.csv", "report.html", "council.xlsx", "claim_ledger.xlsx")


def _text(xlsx: bytes) -> str:
    wb = load_workbook(io.BytesIO(xlsx))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


def _files(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_the_published_outputs_come_from_the_frozen_copy_whatever_the_live_tables_say(published, tmp_path, capsys):
    wh, out = published
    first = tmp_path / "out" / "cong-bo" / PERIOD / "lan-1"
    assert str(first) in out  # publishing writes the publication's outputs, and says where
    written = _files(first)
    with wh.session() as s:
        pub = current(s, PERIOD)
    claim_rows = written["claim_ledger.csv"].decode("utf-8-sig").splitlines()
    assert len(claim_rows) - 1 == len(json.loads(pub.snapshot)["ledger"])
    # someone with database access rewrites live rows behind the publication's back
    with wh.transaction() as s:
        s.execute(sa.update(ClaimLedgerRow).values(verified_value=0, verified_points=0))
        s.execute(sa.update(UnitScore).values(verified_total=0))
    again = tmp_path / "again"
    assert main(["period", "export", PERIOD, "--out", str(again)]) == 0
    assert _files(again) == written
    assert "123/QĐ-UBND" not in written["claim_ledger.csv"].decode("utf-8-sig")  # the rows, not the record


def test_an_earlier_publication_can_be_written_again_and_a_missing_one_is_named(published, tmp_path, capsys):
    wh, _out = published
    first = _files(tmp_path / "out" / "cong-bo" / PERIOD / "lan-1")
    assert main(["period", "reopen", PERIOD, "--reason", "Sai số liệu", "--by", "quantri"]) == 0
    assert main(["period", "reopen", PERIOD, "--approve", "--by", "hoidong1"]) == 0
    assert main(["period", "export", PERIOD]) == 2  # reopened: nothing is in force
    assert "chưa công bố" in capsys.readouterr().err
    with wh.transaction() as s:  # the correction changes a verified value, and the council decides anew
        row = s.scalars(sa.select(ClaimLedgerRow).order_by(ClaimLedgerRow.unit_code).limit(1)).one()
        row.verified_value = (row.verified_value or 0) + 1
        claim = s.scalars(sa.select(ClaimLedgerRow).where(ClaimLedgerRow.outcome == "discrepancy")
                          .order_by(ClaimLedgerRow.unit_code, ClaimLedgerRow.indicator_code).limit(1)).one()
        council = s.scalars(sa.select(User).where(User.username == "hoidong1")).one()
        decide(s, council, claim, "keep_claim", "Đính chính sau công bố", claim.version)
    assert main(["period", "phase", PERIOD, "final", "--signed-off", "--by", "quantri"]) == 0
    assert main(["period", "publish", PERIOD, "--decision", "130/QĐ-UBND", "--signed-on", "2026-04-15",
                 "--by", "quantri2"]) == 0
    second = _files(tmp_path / "out" / "cong-bo" / PERIOD / "lan-2")
    assert second["claim_ledger.csv"] != first["claim_ledger.csv"]
    old = tmp_path / "old"
    assert main(["period", "export", PERIOD, "--version", "1", "--out", str(old)]) == 0
    assert _files(old) == first  # the first publication as it was: without the correction's decision
    assert _text(second["council.xlsx"]).count("Đính chính sau công bố") >= 1
    assert main(["period", "export", PERIOD, "--version", "9"]) == 2
    assert "Không có bản công bố lần 9" in capsys.readouterr().err
    assert main(["period", "export", PERIOD, "--version", "99999999999999999999999"]) == 2  # no crash either
    assert main(["period", "export", "2024-R1"]) == 2


def test_a_published_copy_edited_with_its_hash_recomputed_is_caught_by_the_audit(published, capsys):
    wh, _out = published
    assert main(["audit", "verify"]) == 0
    with wh.transaction() as s:
        pub = current(s, PERIOD)
        data = json.loads(pub.snapshot)
        data["scores"][0]["verified_total"] = "999.000000000000"  # a better total for the first unit
        pub.snapshot = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        pub.snapshot_sha256 = hashlib.sha256(pub.snapshot).hexdigest()
    capsys.readouterr()
    assert main(["audit", "verify"]) != 0
    said = capsys.readouterr()
    assert f"bản công bố kỳ {PERIOD} (lần 1) không khớp bản đã niêm phong" in said.out + said.err


def test_exporting_from_a_warehouse_that_does_not_exist_yet_says_nothing_is_published(capsys):
    assert main(["period", "export", PERIOD]) == 2  # a first command on a new machine: no traceback
    assert f"Kỳ {PERIOD} chưa công bố" in capsys.readouterr().err
