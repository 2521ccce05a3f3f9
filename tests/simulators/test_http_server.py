"""The simulators' HTTP server: what a client sees on the wire (auth, paging, gzip, CSV, faults,
determinism of the fault sequence)."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest
import requests

from simulators import faults as F
from simulators.api.wire import decode_cursor, encode_cursor
from simulators.generator import generate
from simulators.server import SimulatorServer

AUTH = {"Authorization": "Bearer dti-sim-token"}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    generate(root, seed=11, scale="tiny")
    return root


def _count(root, db, table, where="1=1"):
    conn = sqlite3.connect(root / db)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]
    finally:
        conn.close()


def test_dvc_wrong_token_is_401_and_right_token_pages_by_cursor(province):
    with SimulatorServer(province) as server:
        bad = requests.get(
            f"{server.dvc_url}/api/v1/dossiers", headers={"Authorization": "Bearer nope"}, timeout=5
        )
        assert bad.status_code == 401
        assert "token" in bad.json()["error"]
        ids, cursor, pages = [], None, 0
        while pages < 100:
            params = {"limit": 400, **({"cursor": cursor} if cursor else {})}
            body = requests.get(
                f"{server.dvc_url}/api/v1/dossiers", params=params, headers=AUTH, timeout=5
            ).json()
            pages += 1
            ids += [item["Id"] for item in body["data"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert pages == 4  # 1500 dossiers in pages of 400
        assert len(ids) == len(set(ids)) == _count(province, "dvc.db", "dossiers")
        first = body["data"][0]
        assert {"MaHoSo", "MaTTHC", "KenhNop", "NgayTiepNhan", "NgayHenTra", "TrangThai"} <= set(first)
        assert first["TrangThai"] in {"DangXuLy", "TamDungBoSung", "DaTraKetQua", "TuChoi"}


def test_dvc_filters_by_unit_and_updated_since(province):
    conn = sqlite3.connect(province / "dvc.db")
    unit, since = conn.execute(
        "SELECT unit_code, updated_at FROM dossiers ORDER BY updated_at LIMIT 1 OFFSET 700"
    ).fetchone()
    expected = conn.execute(
        "SELECT COUNT(*) FROM dossiers WHERE unit_code = ? AND updated_at >= ?", (unit, since)
    ).fetchone()[0]
    conn.close()
    with SimulatorServer(province) as server:
        body = requests.get(
            f"{server.dvc_url}/api/v1/dossiers",
            headers=AUTH,
            timeout=5,
            params={"unit": unit, "updated_since": since, "limit": 1000},
        ).json()
    assert 0 < len(body["data"]) == expected
    assert {item["MaDonVi"] for item in body["data"]} == {unit}
    assert min(item["NgayCapNhat"] for item in body["data"]) >= since


def test_gzip_when_accepted(province):
    with SimulatorServer(province) as server:
        raw = requests.get(
            f"{server.dvc_url}/api/v1/dossiers",
            headers={**AUTH, "Accept-Encoding": "gzip"},
            timeout=5,
            stream=True,
        )
        assert raw.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(raw.raw.read()))["data"]
        plain = requests.get(
            f"{server.dvc_url}/api/v1/dossiers", headers={**AUTH, "Accept-Encoding": "identity"}, timeout=5
        )
        assert "Content-Encoding" not in plain.headers
        assert server.stats("DVC")["gzip"] == 1


def test_sec_pages_and_csv_export(province):
    with SimulatorServer(province) as server:
        page = requests.get(
            f"{server.sec_url}/api/v1/incidents", params={"page": 2, "size": 5}, headers=AUTH, timeout=5
        ).json()
        assert page["total"] == _count(province, "sec.db", "incidents")
        assert len(page["items"]) == 5 and page["page"] == 2
        csv = requests.get(f"{server.sec_url}/api/v1/export/inventories.csv", headers=AUTH, timeout=5)
        assert csv.headers["Content-Type"].startswith("text/csv")
        lines = csv.text.strip().splitlines()
        assert lines[0].split(",")[:3] == ["id", "org_unit", "as_of"]
        assert (
            len(lines) - 1 == int(csv.headers["X-Total-Count"]) == _count(province, "sec.db", "inventories")
        )


def test_bad_cursor_is_a_400_naming_it(province):
    with SimulatorServer(province) as server:
        r = requests.get(
            f"{server.dvc_url}/api/v1/dossiers", params={"cursor": "%%%"}, headers=AUTH, timeout=5
        )
    assert r.status_code == 400 and "cursor" in r.json()["error"]


def test_cursor_is_a_keyset():
    assert decode_cursor(encode_cursor("2025-01-01T08:00:00+07:00", "D-1", 3)) == (
        "2025-01-01T08:00:00+07:00",
        "D-1",
        3,
    )


def test_same_seed_same_fault_sequence_different_seed_different():
    def run(seed):
        inj = F.FaultInjector("flaky", seed)
        return [inj.decide("DVC", "/x") for _ in range(60)]

    assert run(1) == run(1)
    assert run(1) != run(2)
    seq = [f for f in run(1) if f]
    assert sorted(set(seq)) == sorted(set(F.RECOVERABLE))
    i = seq.index(F.UNAVAILABLE)
    assert seq[i : i + 3] == [F.UNAVAILABLE] * 3  # a burst: three 503s back to back
    for seed in range(50):  # whatever the seed, a faulted request's retry is clean (bar the burst)
        raw = run(seed)
        j = raw.index(F.UNAVAILABLE)
        assert raw[j : j + 4] == [F.UNAVAILABLE] * 3 + [None]
        chains = "".join("x" if f else "." for f in raw).split(".")
        assert max(len(c) for c in chains) == 3


def test_unknown_profile_lists_the_choices():
    with pytest.raises(ValueError, match="flaky"):
        F.get_profile("sometimes")


def test_dvc_down_answers_503_with_retry_after_and_refused_refuses(province):
    with SimulatorServer(province, faults="dvc-down") as server:
        r = requests.get(f"{server.dvc_url}/api/v1/dossiers", headers=AUTH, timeout=5)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert requests.get(f"{server.sec_url}/api/v1/incidents", headers=AUTH, timeout=5).status_code == 200
    with SimulatorServer(province, faults="dvc-refused") as server, pytest.raises(requests.ConnectionError):
        requests.get(f"{server.dvc_url}/api/v1/dossiers", headers=AUTH, timeout=2)
