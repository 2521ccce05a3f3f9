"""Table/column mappings for document systems: real systems name things differently.

A mapping says, for each canonical field, which column holds it, plus how to read the odd ones
(direction codes, a deleted flag). `VENDOR_VN` is the schema of the bundled simulator, modelled on
Vietnamese QLVB&ĐH products; `VENDOR_EN` an English-named product, proving the mapping is data.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str
    columns: dict[str, str]  # canonical field -> source column
    values: dict[str, dict[str, str]] = {}  # canonical field -> {source value: canonical value}


class DocMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    documents: TableMapping
    staff: TableMapping


VENDOR_VN = DocMapping(
    name="qlvb-vn",
    documents=TableMapping(
        table="vb_van_ban",
        columns={
            "source_id": "id", "unit_code": "ma_dv", "updated_at": "ngay_cap_nhat", "deleted": "da_xoa",
            "direction": "huong", "number": "so", "notation": "ky_hieu", "issue_date": "ngay_bh",
            "doc_type": "loai_vb", "topic_dx": "chu_de_cds", "signer_role": "chuc_vu_nguoi_ky",
            "digitally_signed": "ky_so", "inter_agency": "lien_co_quan", "via_axis": "qua_truc",
            "axis_status": "trang_thai_truc", "confidential": "do_mat", "work_file": "la_hscv",
            "work_file_online": "hscv_truc_tuyen", "summary": "trich_yeu",
        },
        values={"direction": {"di": "out", "den": "in"}},
    ),
    staff=TableMapping(
        table="vb_nguoi_dung",
        columns={"source_id": "id", "unit_code": "ma_dv", "updated_at": "ngay_cap_nhat", "deleted": "da_xoa",
                 "eligible_signer": "thuoc_dien_ky", "personal_certificate": "co_cts_ca_nhan"},
    ),
)
VENDOR_EN = DocMapping(
    name="docman-en",
    documents=TableMapping(
        table="documents",
        columns={
            "source_id": "doc_id", "unit_code": "org_code", "updated_at": "modified_at", "deleted": "is_deleted",
            "direction": "flow", "number": "doc_no", "notation": "doc_symbol", "issue_date": "issued_on",
            "doc_type": "doc_kind", "topic_dx": "is_dx_topic", "signer_role": "signer_position",
            "digitally_signed": "is_e_signed", "inter_agency": "is_external", "via_axis": "via_national_axis",
            "axis_status": "axis_state", "confidential": "is_secret", "work_file": "is_case_file",
            "work_file_online": "case_file_online", "summary": "abstract",
        },
        values={"direction": {"OUTGOING": "out", "INCOMING": "in"}},
    ),
    staff=TableMapping(
        table="users",
        columns={"source_id": "user_id", "unit_code": "org_code", "updated_at": "modified_at",
                 "deleted": "is_deleted", "eligible_signer": "may_sign", "personal_certificate": "has_personal_cert"},
    ),
)
MAPPINGS = {m.name: m for m in (VENDOR_VN, VENDOR_EN)}
