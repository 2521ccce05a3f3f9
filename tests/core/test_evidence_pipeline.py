"""Every uploaded evidence file of a period is read once and checked: the scanned decision is matched to
its citation through OCR; a wrong number, an out-of-period date, a file two units share and a blank form
are each flagged with a reason; a second run reads nothing again; a new upload is read on the next run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa

from dti.evidence.limits import ReadLimits
from dti.evidence.service import read_period
from dti.evidence.store import claim_verdict, file_verdict, period_verdicts, reading_text, verdicts_for_claim
from dti.settings import get_settings
from dti.vocabulary import EvidenceCheck as C
from dti.vocabulary import EvidenceProblem as P
from dti.vocabulary import EvidenceVerdict as V
from dti.warehouse import Warehouse, init_db
from dti.warehouse.models import EvidenceFile, EvidenceVerdictRow
from tests.evidence_fixtures import FILINGS, PERIOD, Filing, file_evidence, seed_evidence_world


@dataclasses.dataclass
class World:
    url: str
    ids: dict
    first: object
    files_dir: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("evidence-world")
    url = f"sqlite:///{root / 'warehouse.db'}"
    init_db(url)
    settings = dataclasses.replace(get_settings(), files_dir=root / "files")
    seed_evidence_world(url)
    ids = file_evidence(url, settings=settings)
    first = read_period(Warehouse(url), PERIOD, files_dir=settings.files_dir, limits=ReadLimits())
    return World(url, ids, first, settings.files_dir)


def _verdict(world: World, filing: Filing):
    with Warehouse(world.url).session() as s:
        return file_verdict(s, world.ids[f"{filing.unit}/{filing.file}"])


@pytest.mark.parametrize("filing", FILINGS, ids=lambda f: f"{f.unit}-{f.file}")
def test_every_uploaded_file_has_its_fields_and_the_verdicts_it_must_get(world, filing):
    got = _verdict(world, filing)
    assert got.verdict == filing.overall
    assert {c: got.check(c).verdict for c in filing.expect} == filing.expect
    assert [c.check for c in got.checks] == list(C)
    assert all(c.reason_vi and c.reason_en for c in got.checks)
    if filing.overall != V.BLANK_TEMPLATE:
        assert got.fields.number is not None and got.fields.date is not None and got.fields.doc_type is not None


def test_the_scanned_decision_is_matched_to_its_citation_through_ocr(world):
    got = _verdict(world, FILINGS[0])
    assert got.ocr_pages == 1 and got.kind == "pdf"
    assert got.check(C.CITATION).reason_vi == "Đúng văn bản được trích dẫn: số 123/QĐ-STP, ngày 05/03/2025"
    assert got.check(C.REGISTERED).reason_vi.startswith("Có trong hệ thống QLVB: văn bản đi số 123/QĐ-STP")
    with Warehouse(world.url).session() as s:
        text = reading_text(s, got.sha256)
    assert text[got.fields.number.start:got.fields.number.end] == "123/QĐ-STP"


def test_each_problem_is_flagged_with_a_reason_a_council_member_can_read(world):
    by_file = {f.file: f for f in FILINGS}
    mismatch = _verdict(world, by_file["wrong-number.pdf"]).check(C.CITATION)
    assert mismatch.reason_vi == "Văn bản mang số 128/QĐ-SNV, khác văn bản được trích dẫn (123/QĐ-SNV ngày 05/03/2025)"
    late = _verdict(world, by_file["old-plan.pdf"]).check(C.PERIOD)
    assert late.reason_vi == "Văn bản ngày 20/12/2024, trước kỳ 2025-R3 (01/01/2025–31/12/2025)"
    shared = _verdict(world, by_file["province-plan.pdf"]).check(C.SHARED)
    assert shared.reason_vi.startswith("Cùng một văn bản (") and "1 đơn vị khác (D03)" in shared.reason_vi
    scan_side = _verdict(world, by_file["province-plan-scan.pdf"]).check(C.SHARED)
    assert "(D02)" in scan_side.reason_vi  # different bytes (a scan of it), the same text
    blank = _verdict(world, by_file["notice-form.pdf"]).check(C.CONTENT)
    assert blank.reason_vi.startswith("Mẫu trống chưa điền") and blank.reason_en.startswith("a blank template")
    unrelated = _verdict(world, by_file["disaster.pdf"]).check(C.RELEVANCE)
    assert unrelated.reason_vi.startswith("Không thấy nội dung về chỉ số A1")


def test_the_run_says_what_it_read(world):
    first = world.first
    assert (first.filings, first.files_read, first.cache_hits, first.deferred) == (9, 9, 0, 0)
    assert first.ocr_pages == 2 and first.unreadable == 0
    assert first.verdicts == {V.OK: 3, V.SHARED: 2, V.MISMATCH: 1, V.OUT_OF_PERIOD: 1, V.UNRELATED: 1,
                              V.BLANK_TEMPLATE: 1}


def test_a_second_run_reads_nothing_again_and_gives_the_same_verdicts(world):
    def rows():
        with Warehouse(world.url).session() as s:
            return [(r.evidence_file_id, r.verdict, r.checks) for r in
                    s.scalars(sa.select(EvidenceVerdictRow).order_by(EvidenceVerdictRow.evidence_file_id))]
    before = rows()
    again = read_period(Warehouse(world.url), PERIOD, files_dir=world.files_dir, limits=ReadLimits())
    assert (again.files_read, again.cache_hits, again.ocr_pages) == (0, 9, 0)
    assert rows() == before


def test_a_claim_sees_its_own_files_and_the_unit_wide_ones(world):
    with Warehouse(world.url).session() as s:
        files = verdicts_for_claim(s, "D01", PERIOD, "B1")
        assert [f.filename for f in files] == ["letter.odt", "old-plan.pdf"]
        assert claim_verdict(files) == V.OUT_OF_PERIOD  # the claim's own file decides, not the unit-wide letter
        assert claim_verdict(verdicts_for_claim(s, "D02", PERIOD, "A4")) == V.MISSING
        by_key = period_verdicts(s, PERIOD)
    assert sorted(by_key, key=str)[0] == ("D01", "A1") and len(by_key) == 9


TEXT_ONLY = [Filing("old-plan.pdf", "D01", "B1"), Filing("report.docx", "D01", "B2")]


@pytest.fixture
def small_world(warehouse):
    seed_evidence_world(warehouse)
    return warehouse


def test_a_night_s_new_upload_is_read_that_night_and_only_it(small_world):
    files_dir = get_settings().files_dir
    file_evidence(small_world, TEXT_ONLY)
    first = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir)
    assert (first.files_read, first.cache_hits) == (2, 0)
    file_evidence(small_world, [Filing("province-plan.pdf", "D02", "B1")])
    night = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir)
    assert (night.files_read, night.cache_hits, night.filings) == (1, 2, 3)
    assert sum(night.verdicts.values()) == 3


def test_a_stored_file_that_went_missing_is_unreadable_until_it_is_back(small_world):
    files_dir = get_settings().files_dir
    ids = file_evidence(small_world, TEXT_ONLY[:1])
    with Warehouse(small_world).session() as s:
        stored = Path(s.get(EvidenceFile, ids["D01/old-plan.pdf"]).stored_path)
    data = stored.read_bytes()
    stored.unlink()
    gone = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir)
    assert gone.unreadable == 1
    with Warehouse(small_world).session() as s:
        got = file_verdict(s, ids["D01/old-plan.pdf"])
    assert got.verdict == V.UNREADABLE and got.problem == P.MISSING
    assert got.check(C.CONTENT).reason_vi == "Không đọc được tệp: Tệp không còn trong kho lưu trữ"
    stored.write_bytes(data)
    back = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir)
    assert back.files_read == 1 and back.verdicts == {V.OUT_OF_PERIOD: 1}


def test_scans_read_while_ocr_was_missing_are_read_again_once_it_is_installed(small_world):
    files_dir = get_settings().files_dir
    file_evidence(small_world, [Filing("decision-scan.pdf", "D01", "A1")])
    broken = dataclasses.replace(ReadLimits(), tesseract_cmd="/khong/co/tesseract")
    first = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir, limits=broken)
    assert first.verdicts == {V.UNREADABLE: 1}
    fixed = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir, limits=ReadLimits())
    assert fixed.files_read == 1 and fixed.ocr_pages == 1 and fixed.verdicts == {V.OK: 1}


def test_files_left_over_when_the_run_s_time_runs_out_are_read_by_the_next_run(small_world):
    files_dir = get_settings().files_dir
    file_evidence(small_world, TEXT_ONLY)
    short = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir, budget_s=0)
    assert (short.files_read, short.deferred, sum(short.verdicts.values())) == (0, 2, 0)
    full = read_period(Warehouse(small_world), PERIOD, files_dir=files_dir)
    assert (full.files_read, sum(full.verdicts.values())) == (2, 2)


@pytest.mark.postgres
def test_evidence_reads_on_postgres(pg_warehouse):
    seed_evidence_world(pg_warehouse)
    file_evidence(pg_warehouse, [*TEXT_ONLY, Filing("letter.odt", "D01", None)])
    out = read_period(Warehouse(pg_warehouse), PERIOD, files_dir=get_settings().files_dir)
    assert out.verdicts == {V.OUT_OF_PERIOD: 1, V.OK: 2}
    with Warehouse(pg_warehouse).session() as s:
        assert claim_verdict(verdicts_for_claim(s, "D01", PERIOD, "B2")) == V.OK
