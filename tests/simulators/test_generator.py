"""The synthetic province: the same seed gives the same bytes, and its answer key tells the truth
about the self-reports and the document system."""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal

import pytest

from simulators.generator import generate
from simulators.synthetic.self_reports import STYLES

FILES = ["doc.db", "dvc.db", "meta.json", "sec.db", "self_reports.json", "truth.json", "units.json"]


def _contents(root) -> dict[str, str]:
    """Every generated file: SQLite files as their SQL dump, the rest as text."""
    out = {}
    for path in sorted(root.iterdir()):
        if path.suffix == ".db":
            conn = sqlite3.connect(path)
            try:
                out[path.name] = "\n".join(conn.iterdump())
            finally:
                conn.close()
        else:
            out[path.name] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    gen = generate(root, seed=7, scale="tiny")
    return root, gen


def test_same_seed_same_files_other_seed_other_files(tiny, tmp_path):
    root, _gen = tiny
    again = generate(tmp_path / "again", seed=7, scale="tiny")
    other = generate(tmp_path / "other", seed=8, scale="tiny")
    first = _contents(root)
    assert sorted(first) == FILES
    assert _contents(again.root) == first
    assert (again.root / "dvc.db").read_bytes() == (root / "dvc.db").read_bytes()
    different = _contents(other.root)
    # The departments are fixed; only communes' names are drawn, and the tiny scale has none.
    assert {name for name in FILES if different[name] != first[name]} == set(FILES) - {"units.json"}


def test_the_answer_key_says_which_claims_are_misreported(tiny):
    _root, gen = tiny
    checked = [row for row in gen.truth if row["kind"] in ("honest", "planted")]
    verdicts = {(row["kind"], row["beyond_tolerance"]) for row in checked}
    # misreports are always beyond the tolerance; honest units err both ways (rounding, last year's figure,
    # another definition or window), as people do
    assert verdicts == {("honest", False), ("honest", True), ("planted", True)}
    assert {row["style"] for row in checked} == {name for name, _share in STYLES}
    for row in checked:
        distance = Decimal(row["distance"])
        assert distance == 1 or row["beyond_tolerance"] == (distance > 1), row  # (4 decimals at the line)
    near = [Decimal(row["distance"]) for row in checked if row["style"] == "edge"]
    assert any(0.85 <= d <= 1 for d in near) and any(1 < d <= Decimal("1.15") for d in near)
    reported = {(r["unit_code"], r["indicator_code"]) for r in gen.self_reports}
    assert len(reported) == len(gen.self_reports)  # one claim per unit and indicator
    missing = {(r["unit_code"], r["indicator_code"]) for r in gen.truth if r["kind"] == "missing"}
    assert missing and not missing & reported


def test_citations_the_answer_key_confirms_are_in_the_document_system(tiny):
    root, gen = tiny
    cited = {
        (r["unit_code"], r["indicator_code"]): r["evidence_text"]
        for r in gen.self_reports
        if r["evidence_text"]
    }
    conn = sqlite3.connect(root / "doc.db")
    found = {True: 0, False: 0}
    for row in (r for r in gen.truth if r["kind"] == "citation"):
        number, notation = re.search(
            r"(\d+)/(\w+-\w+)", cited[(row["unit_code"], row["indicator_code"])]
        ).groups()
        hits = conn.execute(
            "SELECT COUNT(*) FROM vb_van_ban WHERE id LIKE ? AND so = ? AND ky_hieu = ? AND "
            "trich_yeu != 'Văn bản hành chính'",
            (f"VB-{row['unit_code']}-out-%", number, notation),
        ).fetchone()[0]
        found[row["citation_in_doc_system"]] += bool(hits)
        if row["citation_in_doc_system"]:
            assert hits, (row, number, notation)
    conn.close()
    assert found[True] > 0 and found[False] == 0


def test_meta_records_the_seed_scale_and_the_moment_the_systems_stand_at(tiny):
    root, gen = tiny
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 7 and meta["scale"]["name"] == "tiny"
    assert meta["sim_now"] == gen.snapshot_at.isoformat() == "2026-01-05T06:00:00+07:00"
    assert meta["counts"] == gen.counts and gen.counts["dossiers"] == 5 * 300
