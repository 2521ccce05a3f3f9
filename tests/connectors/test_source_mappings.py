"""Declarative source mappings: each connector reads the vendor's field names, coded values and spellings from
a YAML file the province writes — the built-in schemas are the shipped files — and SEC exports can be read
from a local folder an officer was sent."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
import yaml

from connectors.base import SchemaDriftError, SourceError
from connectors.dvc.client import WIRE_FIELDS, WIRE_VALUES, DossierApi
from connectors.mappings import SHIPPED, MappingFileError, load_source_mapping
from connectors.resources import source_resources
from connectors.sec.client import SecurityFiles
from dti.settings import TZ

NATIONAL = {"Id": "7", "MaDonVi": "S01", "MaHoSo": "HS-7", "MaTTHC": "1.0001", "KenhNop": 2, "MucDo": "ToanTrinh",
            "NgayTiepNhan": "2025-03-01T08:00:00+07:00", "NgayHenTra": "2025-03-05T17:00:00+07:00",
            "NgayKetThuc": "2025-03-04T10:00:00+07:00", "TrangThai": "DaTraKetQua", "CoSoHoa": True,
            "KetQuaDienTu": True, "ThanhToanTrucTuyen": False, "CoPhi": False, "XacThucVNeID": True,
            "DongBoCongQG": True, "SoThanhPhan": 3, "SoThanhPhanTaiSuDung": 1, "HaiLong": 5,
            "NgayCapNhat": "2025-03-04T10:00:00+07:00", "DaXoa": False}
VENDOR_STATUS = {"DaTraKetQua": "3"}
VENDOR_LEVEL = {"ToanTrinh": "TT"}


def vendor_mapping(tmp_path: Path) -> Path:
    """A vendor naming every field its own way (ho_so_*), coding status and level as it likes, and writing
    booleans as X / blank."""
    path = tmp_path / "dvc-nha-cung-cap.yaml"
    path.write_text(yaml.safe_dump({
        "id": "dvc-nha-cung-cap", "system": "DVC", "name_vi": "Phần mềm một cửa của nhà cung cấp",
        "entities": {e: {"fields": {c: f"ho_so_{w.lower()}" for c, w in f.items()}} for e, f in WIRE_FIELDS.items()},
        "values": {"status": {"1": "processing", "2": "paused", "3": "done", "4": "rejected"},
                   "service_level": {"TT": "full", "MP": "partial", "TTin": "info"}},
        "booleans": [["X"], [""]],
    }, allow_unicode=True), encoding="utf-8")
    return path


def vendor_item() -> dict:
    item = {}
    for wire, value in NATIONAL.items():
        if isinstance(value, bool):
            value = "X" if value else ""
        value = VENDOR_STATUS.get(value, VENDOR_LEVEL.get(value, value)) if isinstance(value, str) else value
        item[f"ho_so_{wire.lower()}"] = value
    return item


@pytest.fixture
def vendor_server():
    pages = {"/api/v1/dossiers": {"data": [vendor_item()], "next_cursor": None}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            body = json.dumps(pages.get(self.path.split("?")[0], {"data": [], "next_cursor": None})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_shipped_schemas_are_the_mapping_files():
    shipped = load_source_mapping("dvc-cong-quoc-gia", "DVC")
    assert shipped.fields("dossiers")["status"] == "TrangThai" == WIRE_FIELDS["dossiers"]["status"]
    assert WIRE_VALUES["status"]["DaTraKetQua"] == "done"
    assert sorted(p.name for p in SHIPPED.glob("*.yaml")) == [
        "doc-docman-en.yaml", "doc-qlvb-vn.yaml", "dvc-cong-quoc-gia.yaml", "sec-soc.yaml"]


def test_dvc_reads_a_vendor_schema_given_only_as_a_mapping_file(tmp_path, vendor_server):
    api = DossierApi(base_url=vendor_server, token="t", mapping=str(vendor_mapping(tmp_path)), max_retries=0)
    [record] = list(api.fetch("dossiers"))
    assert record["source_id"] == "7" and record["dossier_code"] == "HS-7"
    assert record["status"] == "done" and record["service_level"] == "full"
    assert record["e_result"] is True and record["paid_online"] is False
    assert record["received_at"] == dt.datetime(2025, 3, 1, 8, 0, tzinfo=TZ)
    # the same server read with the national-portal names: every field is drift
    with pytest.raises(SchemaDriftError):
        list(DossierApi(base_url=vendor_server, token="t", max_retries=0).fetch("dossiers"))


def test_a_mapping_by_id_from_the_provinces_folder(tmp_path, monkeypatch, vendor_server):
    vendor_mapping(tmp_path)
    monkeypatch.setenv("DTI_SOURCE_MAPPINGS_DIR", str(tmp_path))
    monkeypatch.setenv("DTI_DVC_MAPPING", "dvc-nha-cung-cap")
    dvc = source_resources()["dvc"]
    assert dvc.mapping == "dvc-nha-cung-cap"
    api = DossierApi(base_url=vendor_server, token="t", mapping="dvc-nha-cung-cap", max_retries=0)
    assert [r["status"] for r in api.fetch("dossiers")] == ["done"]


def test_a_bad_mapping_file_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"id": "bad", "system": "DVC", "name_vi": "x",
                                   "entities": {"dossiers": {"fields": {"trang_thai": "TT"}}}}), encoding="utf-8")
    with pytest.raises(MappingFileError) as info:
        load_source_mapping(str(bad), "DVC")
    text = str(info.value)
    assert "bad.yaml" in text and "trang_thai" in text and "missing procedures" in text
    with pytest.raises(MappingFileError, match="is for DVC, not SEC"):
        load_source_mapping("dvc-cong-quoc-gia", "SEC")
    with pytest.raises(SourceError, match="invalid mapping"):
        list(DossierApi(base_url="http://127.0.0.1:9", token="t", mapping=str(bad)).fetch("dossiers"))


SEC_VENDOR = {"id": "soc-tinh", "system": "SEC", "name_vi": "SOC của tỉnh",
              "entities": {"incidents": {"fields": {
                  "source_id": "Mã sự cố", "unit_code": "Đơn vị", "detected_at": "Phát hiện lúc",
                  "severity": "Mức độ", "category": "Loại", "resolved_at": "Xử lý xong lúc", "sla_hours": "Hạn (giờ)",
                  "updated_at": "Cập nhật", "deleted": "Đã xoá"}},
                  "inventories": {"fields": {
                      "source_id": "Mã", "unit_code": "Đơn vị", "as_of": "Ngày", "workstations": "Số máy trạm",
                      "managed_endpoints": "Số máy được quản lý", "systems": "Số hệ thống",
                      "monitored_systems": "Số hệ thống được giám sát", "updated_at": "Cập nhật",
                      "deleted": "Đã xoá"}}}}


def test_sec_exports_from_a_local_folder(tmp_path, monkeypatch):
    folder = tmp_path / "soc"
    folder.mkdir()
    (tmp_path / "soc-tinh.yaml").write_text(yaml.safe_dump(SEC_VENDOR, allow_unicode=True), encoding="utf-8")
    inc = SEC_VENDOR["entities"]["incidents"]["fields"]
    (folder / "incidents.csv").write_text(
        ",".join(inc.values()) + "\n"
        "I2,S02,2025-04-02T09:00:00+07:00,high,malware,,24,2025-04-03T09:00:00+07:00,0\n"
        "I1,S01,2025-04-01T09:00:00+07:00,low,phishing,2025-04-01T12:00:00+07:00,24,2025-04-01T12:00:00+07:00,0\n",
        encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(SEC_VENDOR["entities"]["inventories"]["fields"].values()))
    ws.append(["V1", "S01", dt.date(2025, 6, 30), 40, 38, 3, 2, dt.datetime(2025, 7, 1, 8, 0), 0])
    wb.save(folder / "inventories.xlsx")
    monkeypatch.setenv("DTI_SEC_MODE", "file")
    monkeypatch.setenv("DTI_SEC_PATH", str(folder))
    monkeypatch.setenv("DTI_SEC_MAPPING", str(tmp_path / "soc-tinh.yaml"))
    sec = source_resources()["sec"]
    assert isinstance(sec, SecurityFiles)
    records = list(sec.fetch("incidents"))
    assert [r["source_id"] for r in records] == ["I1", "I2"]  # oldest first
    assert records[0]["resolved_at"] == dt.datetime(2025, 4, 1, 12, 0, tzinfo=TZ) and records[1]["resolved_at"] is None
    since = dt.datetime(2025, 4, 2, tzinfo=TZ)
    assert [r["source_id"] for r in sec.fetch("incidents", since)] == ["I2"]
    assert [r["source_id"] for r in sec.fetch("incidents", unit="S01")] == ["I1"]
    [inventory] = list(sec.fetch("inventories"))
    assert (inventory["workstations"], inventory["as_of"]) == (40, dt.date(2025, 6, 30))
    (folder / "inventories.xlsx").unlink()
    with pytest.raises(SourceError, match="no inventories.csv or inventories.xlsx"):
        list(sec.fetch("inventories"))
    (folder / "incidents.csv").write_text("Mã sự cố,Đơn vị\nI1,S01\n", encoding="utf-8")
    with pytest.raises(SchemaDriftError, match="column missing from the CSV export"):
        list(sec.fetch("incidents"))


def test_doc_reads_a_schema_given_only_as_a_mapping_file(tmp_path):
    from connectors.doc.client import DocumentDb
    from simulators.docdb import copy_doc_db
    from simulators.generator import generate

    generate(tmp_path / "p", seed=11, scale="tiny")
    url = f"sqlite:///{tmp_path / 'en.db'}"
    copy_doc_db(tmp_path / "p" / "doc.db", url, "docman-en")
    own = yaml.safe_load((SHIPPED / "doc-docman-en.yaml").read_text(encoding="utf-8"))
    own["id"] = "qlvb-cua-tinh"
    path = tmp_path / "qlvb-cua-tinh.yaml"
    path.write_text(yaml.safe_dump(own, allow_unicode=True), encoding="utf-8")
    reference = DocumentDb(url=f"sqlite:///{tmp_path / 'p' / 'doc.db'}")
    db = DocumentDb(url=url, mapping=str(path))
    try:
        for entity in ("documents", "staff"):
            got = {r["source_id"]: r for r in db.fetch(entity)}
            assert got and got == {r["source_id"]: r for r in reference.fetch(entity)}
    finally:
        db.dispose()
        reference.dispose()
