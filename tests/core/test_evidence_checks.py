"""Each check gives a verdict and a reason a council member can read, naming what it compared."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from dti.evidence.checks import (
    Peer,
    Record,
    check_citation,
    check_period,
    check_registered,
    check_relevance,
    check_shared,
    overall,
)
from dti.evidence.context import Print, identity_of, same_text_groups
from dti.evidence.extract import extract
from dti.evidence.fields import read_fields
from dti.evidence.fingerprint import SAME_TEXT, signature, similarity
from dti.evidence.limits import ReadLimits
from dti.evidence.relevance import leaf_terms
from dti.framework import load_framework
from dti.intake.citations import parse_citations
from dti.vocabulary import EvidenceCheck as C
from dti.vocabulary import EvidenceVerdict as V
from simulators.synthetic.evidence_docs import text_pdf
from tests.evidence_fixtures import DECISION, SO_NOI_VU, document

TEXT = """UBND TỈNH LÀO CAI
SỞ TƯ PHÁP
Số: 123/QĐ-STP Lào Cai, ngày 05 tháng 3 năm 2025
QUYẾT ĐỊNH
Về việc thành lập Ban chỉ đạo chuyển đổi số của Sở Tư pháp
Điều 1. Giám đốc Sở làm Trưởng ban.
GIÁM ĐỐC
Trần Thị Bình"""
FIELDS = read_fields(TEXT)
WINDOW = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def cites(text: str):
    return parse_citations(text)


def test_the_cited_document_matches_by_number_and_date():
    ok = check_citation(FIELDS, cites("Quyết định số 123/QĐ-STP ngày 05/3/2025"))
    assert ok.check == C.CITATION and ok.verdict == V.OK and "123/QĐ-STP" in ok.reason_vi
    # Leading zeros, case and spaces in the citation do not matter.
    assert check_citation(FIELDS, cites("QĐ số 0123/qđ-stp")).verdict == V.OK


def test_another_number_is_a_mismatch_that_names_both_numbers():
    r = check_citation(FIELDS, cites("Quyết định số 124/QĐ-STP ngày 05/3/2025"))
    assert r.verdict == V.MISMATCH
    assert r.reason_vi == ("Văn bản mang số 123/QĐ-STP, khác văn bản được trích dẫn (124/QĐ-STP ngày 05/03/2025)")
    assert "123/QĐ-STP" in r.reason_en and "124/QĐ-STP" in r.reason_en


def test_the_same_number_under_another_date_is_a_date_mismatch():
    r = check_citation(FIELDS, cites("Quyết định số 123/QĐ-STP ngày 15/3/2025"))
    assert r.verdict == V.DATE_MISMATCH and "05/03/2025" in r.reason_vi and "15/03/2025" in r.reason_vi


def test_without_a_citation_or_a_readable_number_the_citation_check_says_so():
    assert check_citation(FIELDS, []).verdict == V.NOT_CHECKED
    no_number = read_fields("QUYẾT ĐỊNH\nVề việc abc")
    assert check_citation(no_number, cites("Quyết định số 123/QĐ-STP")).verdict == V.UNKNOWN
    # A file filed for the whole unit need not be any one of the unit's citations.
    assert check_citation(FIELDS, cites("Kế hoạch số 45/KH-STP"), whole_unit=True).verdict == V.NOT_CHECKED


def test_a_date_outside_the_period_is_flagged_with_the_window():
    assert check_period(FIELDS, "2025-R3", WINDOW).verdict == V.OK
    r = check_period(FIELDS, "2025-R1", (dt.date(2025, 1, 1), dt.date(2025, 2, 28)))
    assert r.verdict == V.OUT_OF_PERIOD
    assert r.reason_vi == "Văn bản ngày 05/03/2025, sau kỳ 2025-R1 (01/01/2025–28/02/2025)"
    before = check_period(FIELDS, "2026-R1", (dt.date(2026, 1, 1), dt.date(2026, 5, 31)))
    assert before.verdict == V.OUT_OF_PERIOD and "trước kỳ 2026-R1" in before.reason_vi
    assert check_period(read_fields("abc"), "2025-R3", WINDOW).verdict == V.UNKNOWN


def test_registration_needs_the_same_number_notation_and_date():
    rec = Record("DOC-1", "D01", "QĐ-STP", dt.date(2025, 3, 5), "out")
    ok = check_registered(FIELDS, "D01", [rec])
    assert ok.verdict == V.OK and "văn bản đi số 123/QĐ-STP ngày 05/03/2025 (mã DOC-1)" in ok.reason_vi
    other_day = check_registered(FIELDS, "D01", [dataclasses.replace(rec, issue_date=dt.date(2025, 3, 6))])
    assert other_day.verdict == V.DATE_MISMATCH and "06/03/2025" in other_day.reason_vi
    other_issuer = check_registered(FIELDS, "D01", [dataclasses.replace(rec, notation="QĐ-UBND")])
    assert other_issuer.verdict == V.NOT_REGISTERED
    assert other_issuer.reason_vi == "Không có văn bản số 123/QĐ-STP của đơn vị D01 trong hệ thống QLVB"
    assert check_registered(FIELDS, None, None).verdict == V.NOT_CHECKED


def test_relevance_shows_the_terms_it_found_and_where():
    terms = leaf_terms(load_framework("default-dept-2025").leaf("A1"))
    assert terms == ["Ban chỉ đạo", "chuyển đổi số", "Trưởng ban", "BCĐ", "CĐS"]
    r = check_relevance(TEXT, FIELDS, "A1", terms)
    assert r.verdict == V.OK and "«Ban chỉ đạo» (trích yếu)" in r.reason_vi
    spans = [m["span"] for m in r.detail["matches"]]
    assert TEXT[spans[0][0]:spans[0][1]] == "Ban chỉ đạo"
    flood = TEXT.replace("Ban chỉ đạo chuyển đổi số", "Ban chỉ huy phòng chống thiên tai")
    bad = check_relevance(flood, read_fields(flood), "A1", terms)
    assert bad.verdict == V.UNRELATED
    assert bad.reason_vi == ("Không thấy nội dung về chỉ số A1: không có «Ban chỉ đạo», «chuyển đổi số», «BCĐ», «CĐS»; "
                             "chỉ thấy «Trưởng ban» (cần một từ khoá trong trích yếu hoặc hai trong văn bản)")


def test_an_unrelated_reason_reads_right_when_every_term_was_seen_once_outside_the_subject():
    text = "QUYẾT ĐỊNH\nVề việc tổ chức hội nghị\nĐiều 1. Thông qua kết luận cuộc họp tháng 3."
    r = check_relevance(text, read_fields(text), "A2", ["kết luận cuộc họp"])
    assert r.verdict == V.UNRELATED
    assert r.reason_vi == ("Không thấy nội dung về chỉ số A2: không có từ khoá nào trong trích yếu; chỉ thấy "
                           "«kết luận cuộc họp» (cần một từ khoá trong trích yếu hoặc hai trong văn bản)")


def test_relevance_forgives_a_scan_lost_diacritics_only_for_phrases():
    text = "KẾ HOẠCH\nChuyen doi so nam 2025 cua so"
    r = check_relevance(text, read_fields(text), "B1", ["chuyển đổi số", "số"])
    assert r.verdict == V.OK and r.detail["matches"] == [
        {"term": "chuyển đổi số", "where": "subject", "span": [9, 22], "exact": False}]


def test_requirements_without_keywords_give_their_own_phrases():
    leaf = load_framework("district-2024").leaf("4.17")  # an extra district component: no keywords
    assert leaf.evidence_vi == "Danh mục cơ sở dữ liệu, nhật ký cập nhật" and leaf.evidence_keywords is None
    assert leaf_terms(leaf) == ["cơ sở dữ liệu", "cập nhật"]


def test_the_shared_check_names_the_other_units_and_indicators():
    peers = [Peer(7, "D02", "B1", "kh.pdf", 1.0), Peer(8, "D01", "B2", "kh.pdf", 0.93), Peer(9, "D01", "B1", "x", 1)]
    r = check_shared("D01", "B1", peers)
    assert r.verdict == V.SHARED
    assert r.reason_vi == ("Cùng một văn bản (giống 93% nội dung trở lên) cũng được nộp bởi 1 đơn vị khác (D02) "
                           "và chính đơn vị cho chỉ số B2")
    assert check_shared("D01", "B1", []).verdict == V.OK


def test_a_scan_and_its_original_are_one_text_and_a_sibling_from_the_same_template_is_not():
    limits = ReadLimits()
    text, scan = (extract(document(n), limits).text for n in ("province-plan.pdf", "province-plan-scan.pdf"))
    assert similarity(signature(text), signature(scan)) >= SAME_TEXT
    sibling = dataclasses.replace(DECISION, number="130/QĐ-SNV", issuer=SO_NOI_VU,
                                  subject=DECISION.subject.replace("Tư pháp", "Nội vụ"))
    own, other = (extract(d, limits).text for d in (document("decision.pdf"), text_pdf(sibling)))
    prints = [Print(i, u, "A1", "f", None, signature(t), identity_of(read_fields(t)))
              for i, (u, t) in enumerate([("D01", own), ("D02", other), ("D03", own), ("D04", text)])]
    assert similarity(prints[0].signature, prints[1].signature) >= SAME_TEXT  # alike, yet another number
    groups = same_text_groups(prints)
    assert [p.unit_code for p in groups[0]] == ["D03"] and groups[1] == [] and groups[3] == []


def test_the_overall_verdict_is_the_most_serious_and_never_hidden_by_a_check_that_could_not_run():
    ok = check_period(FIELDS, "2025-R3", WINDOW)
    skipped = check_citation(FIELDS, [])
    bad = check_citation(FIELDS, cites("124/QĐ-STP"))
    assert overall([ok, skipped]) == V.OK
    assert overall([skipped, skipped]) == V.NOT_CHECKED
    assert overall([ok, bad, check_period(read_fields("x"), "2025-R3", WINDOW)]) == V.MISMATCH
    assert [v for v in V][:3] == [V.UNREADABLE, V.NO_TEXT, V.BLANK_TEMPLATE]


def test_docs_explain_every_check_its_verdicts_what_it_cannot_know_and_how_to_tune_keywords():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "evidence.md").read_text(encoding="utf-8")
    table = doc[doc.index("## The checks"):doc.index("### What the checks cannot know")]
    cannot = doc[doc.index("### What the checks cannot know"):doc.index("## Tuning keywords per leaf")]
    for check in C:
        assert f"| {check} |" in table
    for verdict in V:
        assert f"`{verdict}`" in doc
    for name in ("Citation", "Period", "Registered", "Relevance", "Shared", "OCR"):
        assert f"- **{name}**" in cannot
    assert "evidence_keywords:" in doc and "dti framework validate" in doc
