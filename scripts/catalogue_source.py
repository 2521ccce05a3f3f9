"""Writes frameworks/*.yaml for the default catalogue (domain brief §7) from one table.

Kept in the repository so a catalogue change is a reviewed diff of this table, and the YAML stays
the only thing the product reads.  Run: python scripts/catalogue_source.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dti.metrics.rules import RULES  # noqa: E402  (this checkout's rules, also when run as a script)

TIERS3 = [
    {"level": 2, "label_vi": "Đầy đủ", "label_en": "full", "fraction": "1"},
    {"level": 1, "label_vi": "Một phần", "label_en": "partial", "fraction": "0.5"},
    {"level": 0, "label_vi": "Không", "label_en": "none", "fraction": "0"},
]
HEAD_TIERS = [
    {"level": 2, "label_vi": "Người đứng đầu chủ trì", "label_en": "chaired by the head", "fraction": "1"},
    {"level": 1, "label_vi": "Cấp phó chủ trì", "label_en": "chaired by a deputy", "fraction": "0.5"},
    {"level": 0, "label_vi": "Không có", "label_en": "none", "fraction": "0"},
]
MEETING_STEPS = [{"at_least": 4, "points": 20}, {"at_least": 3, "points": 15},
                 {"at_least": 2, "points": 10}, {"at_least": 1, "points": 5}]
PORTAL_STEPS = [{"at_least": 4, "points": 25}, {"at_least": 3, "points": 18},
                {"at_least": 2, "points": 12}, {"at_least": 1, "points": 6}]

# code, vi, en, max, method, measure, source, metric, evidence
ROWS = [
    ("A", "Nhận thức số", "Digital awareness", [
        ("A1", "Người đứng đầu làm Trưởng Ban chỉ đạo CĐS", "Head of unit chairs the DX steering committee", 15,
         {"kind": "tiers", "tiers": HEAD_TIERS}, "tier", "EVD", None, "Quyết định thành lập Ban chỉ đạo"),
        ("A2", "Số cuộc họp về CĐS do người đứng đầu chủ trì", "DX meetings chaired by the head", 20,
         {"kind": "steps", "steps": MEETING_STEPS}, "count", "DOC", "doc_dx_meetings_count", "Thông báo kết luận cuộc họp"),
        ("A3", "Văn bản chỉ đạo CĐS do người đứng đầu ký", "DX directives signed by the head ÷ required", 20,
         {"kind": "ratio"}, "rate", "DOC", "doc_head_directives_rate", "Danh mục văn bản chỉ đạo"),
        ("A4", "Chuyên mục CĐS trên cổng thông tin, số quý có cập nhật", "DX section on the portal, quarters updated", 25,
         {"kind": "steps", "steps": PORTAL_STEPS}, "count", "EVD", None, "Đường dẫn chuyên mục, ảnh chụp"),
    ]),
    ("B", "Thể chế số", "Digital institutions", [
        ("B1", "Ban hành kế hoạch, quy chế CĐS hằng năm đúng hạn", "Annual DX plan and rules issued on time", 25,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Kế hoạch CĐS năm"),
        ("B2", "Nhiệm vụ kế hoạch CĐS hoàn thành đúng hạn / tổng nhiệm vụ", "DX plan tasks done on time ÷ tasks", 35,
         {"kind": "ratio"}, "rate", "EVD", None, "Báo cáo kết quả thực hiện kế hoạch"),
        ("B3", "Kinh phí CĐS giải ngân / được giao (mục tiêu 90%)", "DX budget disbursed ÷ allocated (target 90%)", 20,
         {"kind": "target", "target": "0.9"}, "rate", "EVD", None, "Báo cáo giải ngân"),
    ]),
    ("C", "Hạ tầng số", "Digital infrastructure", [
        ("C1", "Cán bộ có máy tính đáp ứng / tổng cán bộ", "Staff with adequate computers ÷ staff", 20,
         {"kind": "ratio"}, "rate", "EVD", None, "Danh sách thiết bị"),
        ("C2", "Kết nối mạng TSLCD, Internet, IPv6", "Government network, Internet, IPv6", 25,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Hợp đồng, xác nhận kết nối"),
        ("C3", "Hệ thống đặt tại trung tâm dữ liệu/điện toán đám mây tỉnh / tổng hệ thống",
         "Systems hosted in the provincial data centre/cloud ÷ systems", 25,
         {"kind": "ratio"}, "rate", "EVD", None, "Danh mục hệ thống"),
        ("C4", "Hệ thống kết nối nền tảng chia sẻ dữ liệu / tổng hệ thống",
         "Systems connected to the data-sharing platform ÷ systems", 30,
         {"kind": "ratio"}, "rate", "EVD", None, "Danh mục kết nối LGSP"),
    ]),
    ("D", "Nhân lực số", "Digital human resources", [
        ("D1", "Có cán bộ chuyên trách CNTT/CĐS được đào tạo", "Dedicated, trained IT/DX officer", 20,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Quyết định phân công"),
        ("D2", "Cán bộ được tập huấn kỹ năng số / tổng cán bộ (mục tiêu 90%)",
         "Staff trained in digital skills ÷ staff (target 90%)", 30,
         {"kind": "target", "target": "0.9"}, "rate", "EVD", None, "Danh sách tập huấn"),
        ("D3", "Cán bộ sử dụng chữ ký số cá nhân / cán bộ thuộc diện",
         "Staff signing with a personal digital signature ÷ eligible staff", 30,
         {"kind": "ratio"}, "rate", "DOC", "doc_personal_signature_rate", "Danh sách chứng thư số"),
    ]),
    ("E", "An toàn thông tin mạng", "Cyber security", [
        ("E1", "Hệ thống có hồ sơ cấp độ được phê duyệt / tổng hệ thống",
         "Systems with an approved security-level dossier ÷ systems", 25,
         {"kind": "ratio"}, "rate", "EVD", None, "Quyết định phê duyệt cấp độ"),
        ("E2", "Triển khai phương án bảo vệ, kiểm tra/diễn tập hằng năm", "Protection plan implemented, annual audit/drill", 25,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Báo cáo kiểm tra, diễn tập"),
        ("E3", "Máy trạm có phần mềm phòng chống mã độc quản lý tập trung / tổng máy trạm",
         "Workstations with centrally managed anti-malware ÷ workstations", 20,
         {"kind": "ratio"}, "rate", "SEC", "sec_antimalware_rate", "Báo cáo từ hệ thống quản trị tập trung"),
        ("E4", "Hệ thống được giám sát bởi SOC / tổng hệ thống", "Systems under SOC monitoring ÷ systems", 20,
         {"kind": "ratio"}, "rate", "SEC", "sec_soc_monitored_rate", "Xác nhận của SOC tỉnh"),
        ("E5", "Sự cố được xử lý trong thời hạn; gỡ IP botnet (trừ 5 điểm mỗi sự cố quá hạn)",
         "Incidents resolved within SLA; botnet IPs cleared (−5 per late incident)", 30,
         {"kind": "deduction", "penalty": "5"}, "count", "SEC", "sec_late_incidents", "Báo cáo xử lý sự cố"),
    ]),
    ("F", "Hoạt động chính quyền số", "Digital government activities", [
        ("F1", "TTHC cung cấp trực tuyến / TTHC đủ điều kiện", "Procedures offered online ÷ eligible procedures", 20,
         {"kind": "ratio"}, "rate", "DVC", "dvc_online_procedures_rate", None),
        ("F2", "DVCTT phát sinh hồ sơ trực tuyến / DVCTT (đạt 80%)",
         "Online services that received ≥1 online dossier ÷ online services (pass 80%)", 25,
         {"kind": "pass_mark", "threshold": "0.8"}, "rate", "DVC", "dvc_online_services_used_rate", None),
        ("F3", "Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận", "Dossiers submitted online ÷ received", 35,
         {"kind": "target", "target": "0.8"}, "rate", "DVC", "dvc_online_submission_rate", None),
        ("F4", "Hồ sơ trực tuyến toàn trình / hồ sơ tiếp nhận", "Full-process online dossiers ÷ received", 25,
         {"kind": "target", "target": "0.5"}, "rate", "DVC", "dvc_full_online_rate", None),
        ("F5", "Hồ sơ giải quyết đúng hạn / hồ sơ đã giải quyết (đạt 98%)",
         "Dossiers finished before/on due date ÷ finished (pass 98%)", 40,
         {"kind": "pass_mark", "threshold": "0.98"}, "rate", "DVC", "dvc_on_time_rate", None),
        ("F6", "Hồ sơ có phí thanh toán trực tuyến / hồ sơ có phí", "Fee dossiers paid online ÷ fee dossiers", 25,
         {"kind": "target", "target": "0.5"}, "rate", "DVC", "dvc_online_payment_rate", None),
        ("F7", "Hồ sơ có thành phần số hoá / hồ sơ tiếp nhận (đạt 80%)",
         "Dossiers with digitised components ÷ received (pass 80%)", 20,
         {"kind": "pass_mark", "threshold": "0.8"}, "rate", "DVC", "dvc_digitised_rate", None),
        ("F8", "Hồ sơ trả kết quả điện tử / hồ sơ đã giải quyết (đạt 80%)",
         "Finished dossiers with electronic result ÷ finished (pass 80%)", 20,
         {"kind": "pass_mark", "threshold": "0.8"}, "rate", "DVC", "dvc_e_result_rate", None),
        ("F9", "Thành phần số hoá được tái sử dụng / thành phần hồ sơ", "Reused digitised components ÷ components", 15,
         {"kind": "target", "target": "0.5"}, "rate", "DVC", "dvc_reuse_rate", None),
        ("F10", "Hồ sơ đồng bộ lên Cổng DVC quốc gia / hồ sơ tiếp nhận",
         "Dossiers synced to the national portal ÷ received", 10,
         {"kind": "ratio"}, "rate", "DVC", "dvc_portal_sync_rate", None),
        ("F11", "Mức độ hài lòng (theo Quyết định 766)", "Satisfaction (Decision 766 ratios)", 15,
         {"kind": "ratio"}, "rate", "DVC", "dvc_satisfaction_rate", None),
        ("F12", "Văn bản đi được ký số / văn bản đi (không mật)",
         "Outgoing documents digitally signed ÷ outgoing (non-confidential)", 30,
         {"kind": "ratio"}, "rate", "DOC", "doc_signed_rate", None),
        ("F13", "Văn bản liên thông qua Trục quốc gia / văn bản gửi cơ quan khác",
         "Documents exchanged electronically via the axis ÷ inter-agency documents", 25,
         {"kind": "ratio"}, "rate", "DOC", "doc_axis_exchange_rate", None),
        ("F14", "Hồ sơ công việc xử lý trên môi trường mạng / hồ sơ công việc", "Work files handled online ÷ work files", 15,
         {"kind": "ratio"}, "rate", "DOC", "doc_online_workfile_rate", None),
        ("F15", "Kết nối hệ thống báo cáo; dữ liệu chia sẻ/mở", "Reporting system connected; shared/open datasets", 20,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Danh mục dữ liệu mở"),
    ]),
    ("G", "Kinh tế số", "Digital economy", [
        ("G1", "Doanh nghiệp sử dụng hoá đơn điện tử/nền tảng số (theo kế hoạch)",
         "Businesses using e-invoices/digital platforms (per plan)", 35,
         {"kind": "target", "target": "1"}, "rate", "EVD", None, "Báo cáo của đơn vị"),
        ("G2", "Sản phẩm địa phương trên sàn TMĐT (theo kế hoạch)", "Local products on e-commerce platforms (per plan)", 30,
         {"kind": "target", "target": "1"}, "rate", "EVD", None, "Danh sách sản phẩm"),
        ("G3", "Thanh toán không dùng tiền mặt trong dịch vụ công (theo kế hoạch)",
         "Cashless payment in public services (per plan)", 35,
         {"kind": "target", "target": "1"}, "rate", "EVD", None, "Báo cáo thanh toán"),
    ]),
    ("H", "Xã hội số", "Digital society", [
        ("H1", "Hồ sơ trực tuyến xác thực VNeID / hồ sơ trực tuyến",
         "Online dossiers authenticated with VNeID ÷ online dossiers", 35,
         {"kind": "target", "target": "0.8"}, "rate", "DVC", "dvc_vneid_rate", None),
        ("H2", "Tổ công nghệ số cộng đồng hoạt động", "Community digital-technology teams active", 30,
         {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Quyết định thành lập, báo cáo hoạt động"),
        ("H3", "Hộ gia đình có băng rộng; điểm truy cập công cộng (theo kế hoạch)",
         "Household broadband / public access points (per plan)", 35,
         {"kind": "target", "target": "1"}, "rate", "EVD", None, "Báo cáo của đơn vị"),
    ]),
]
# What an evidence file for an EVD leaf is expected to mention (dti.evidence.relevance: one of them in the
# subject line, or two anywhere in the text). Phrases of two words or more also match a scan that lost
# a diacritic; a province tunes them per leaf in its framework file (docs/evidence.md).
EVIDENCE_KEYWORDS = {
    "A1": ["Ban chỉ đạo", "chuyển đổi số", "Trưởng ban"],
    "A4": ["chuyên mục", "cổng thông tin", "chuyển đổi số"],
    "B1": ["kế hoạch chuyển đổi số", "quy chế", "chuyển đổi số"],
    "B2": ["kết quả thực hiện", "kế hoạch", "chuyển đổi số"],
    "B3": ["kinh phí", "giải ngân", "chuyển đổi số"],
    "C1": ["máy tính", "thiết bị", "trang bị"],
    "C2": ["mạng truyền số liệu chuyên dùng", "Internet", "IPv6", "kết nối"],
    "C3": ["trung tâm dữ liệu", "điện toán đám mây", "hệ thống thông tin"],
    "C4": ["chia sẻ dữ liệu", "LGSP", "kết nối", "nền tảng tích hợp"],
    "C5": ["Wi-Fi", "điểm truy cập", "Internet công cộng"],
    "D1": ["chuyên trách", "công nghệ thông tin", "chuyển đổi số", "phân công"],
    "D2": ["tập huấn", "kỹ năng số", "đào tạo"],
    "E1": ["cấp độ", "an toàn hệ thống thông tin", "hồ sơ đề xuất cấp độ"],
    "E2": ["an toàn thông tin", "diễn tập", "phương án bảo vệ", "kiểm tra"],
    "F15": ["dữ liệu mở", "hệ thống thông tin báo cáo", "chia sẻ dữ liệu"],
    "G1": ["hóa đơn điện tử", "nền tảng số", "doanh nghiệp"],
    "G2": ["thương mại điện tử", "sàn giao dịch", "sản phẩm"],
    "G3": ["không dùng tiền mặt", "thanh toán"],
    "H2": ["tổ công nghệ số cộng đồng", "công nghệ số"],
    "H3": ["băng rộng", "cáp quang", "điểm truy cập"],
}
PILLARS = [
    ("CQS", "Chính quyền số", "Digital government", "ABCDEF"),
    ("KTS", "Kinh tế số", "Digital economy", "G"),
    ("XHS", "Xã hội số", "Digital society", "H"),
]
ROUNDS = [
    {"round": 1, "name_vi": "Đợt 1 (số liệu 1/1–31/5)", "data_from": "01-01", "data_to": "05-31",
     "deadlines": {"*": "06-15"}},
    {"round": 2, "name_vi": "Đợt 2 (số liệu 1/1–30/11)", "data_from": "01-01", "data_to": "11-30",
     "deadlines": {"*": "11-30"}},
    {"round": 3, "name_vi": "Đợt 3 – giải trình (số liệu đến 31/12)", "data_from": "01-01", "data_to": "12-31",
     "deadlines": {"*": "+1:03-15"}},
]


def _leaf(row, applies_to=None, catalogue_code=None):
    code, vi, en, max_points, method, measure, source, metric, evidence = row
    out = {"code": code, "name_vi": vi, "name_en": en, "max_points": max_points, "method": method,
           "measure": measure, "source": source}
    if metric:
        out["metric"] = metric
        proxy = RULES[metric].proxy
        if proxy is not None:  # the data cannot carry the written rule: the leaf says what it measures
            out["data_note_vi"], out["data_note_en"] = proxy.vi, proxy.en
    if evidence:
        out["evidence_vi"] = evidence
    keywords = EVIDENCE_KEYWORDS.get(catalogue_code or code)
    if source == "EVD" and evidence and keywords:
        out["evidence_keywords"] = keywords
    if applies_to:
        out["applies_to"] = applies_to
    return out


def build(fid, name_vi, name_en, unit_types, na_policy, public_service_types):
    pillars = []
    for pcode, pvi, pen, groups in PILLARS:
        mains = []
        for gcode, gvi, gen, rows in ROWS:
            if gcode not in groups:
                continue
            comps = []
            for row in rows:
                dvc_only = row[0] in {f"F{i}" for i in range(1, 12)}
                comps.append(_leaf(row, public_service_types if dvc_only else None))
            mains.append({"code": gcode, "name_vi": gvi, "name_en": gen, "components": comps})
        pillars.append({"code": pcode, "name_vi": pvi, "name_en": pen, "main_indices": mains})
    return {
        "id": fid, "version": "1.0", "name_vi": name_vi, "name_en": name_en, "province": None,
        "legal_basis": {"number": "405/QĐ-BKHCN", "date": "2025-04-03", "issuer": "Bộ Khoa học và Công nghệ",
                        "title_vi": "Danh mục mặc định mô phỏng theo cấu trúc 922/405 (đề xuất)"},
        "valid_from": "2025-01-01", "valid_to": None,
        "unit_types": unit_types, "rounds": ROUNDS,
        "policy": {"not_applicable": na_policy},
        "pillars": pillars,
    }


# ---- communes (xã, phường, đặc khu), 2025 -----------------------------------------------------
# Same groups and metric ids as the department catalogue, so a DVC/DOC/SEC metric means the same
# thing at every level.  Communes own no information systems (C3, C4, E1, E4 drop out), carry more
# procedures (F weighs more) and add public Wi-Fi access.
COMMUNE_MAX = {"C1": 35, "C2": 35, "E2": 30, "E3": 35, "E5": 35,
               "F3": 45, "F5": 50, "H1": 30, "H2": 35, "H3": 35}
COMMUNE_DROP = {"C3", "C4", "E1", "E4"}
COMMUNE_EXTRA = {
    "C": [("C5", "Điểm truy cập Internet/Wi-Fi công cộng tại trụ sở, nhà văn hoá thôn/tổ dân phố",
           "Public Internet/Wi-Fi access points at the office and village halls", 30,
           {"kind": "target", "target": "1"}, "rate", "EVD", None, "Danh sách điểm truy cập, ảnh chụp")],
}
COMMUNE_ROUNDS = [
    {"round": 1, "name_vi": "Đợt 1 (số liệu 1/1–31/5)", "data_from": "01-01", "data_to": "05-31",
     "deadlines": {"commune": "06-15"}},
    {"round": 2, "name_vi": "Đợt 2 (số liệu 1/1–30/11)", "data_from": "01-01", "data_to": "11-30",
     "deadlines": {"commune": "12-15"}},
    {"round": 3, "name_vi": "Đợt 3 – giải trình (số liệu đến 31/12)", "data_from": "01-01", "data_to": "12-31",
     "deadlines": {"commune": "+1:03-15"}},
]


def build_commune():
    pillars = []
    for pcode, pvi, pen, groups in PILLARS:
        mains = []
        for gcode, gvi, gen, rows in ROWS:
            if gcode not in groups:
                continue
            comps = []
            for row in rows + COMMUNE_EXTRA.get(gcode, []):
                if row[0] in COMMUNE_DROP:
                    continue
                row = row[:3] + (COMMUNE_MAX.get(row[0], row[3]),) + row[4:]
                comps.append(_leaf(row))
            mains.append({"code": gcode, "name_vi": gvi, "name_en": gen, "components": comps})
        pillars.append({"code": pcode, "name_vi": pvi, "name_en": pen, "main_indices": mains})
    return {
        "id": "default-commune-2025", "version": "1.0",
        "name_vi": "Bộ chỉ số DTI mặc định – xã, phường, đặc khu (2025)",
        "name_en": "Default DTI index set – communes, wards and special zones (2025)", "province": None,
        "legal_basis": {"number": "405/QĐ-BKHCN", "date": "2025-04-03", "issuer": "Bộ Khoa học và Công nghệ",
                        "title_vi": "Danh mục mặc định cấp xã mô phỏng theo cấu trúc 922/405 (đề xuất)"},
        "valid_from": "2025-07-01", "valid_to": None,
        "unit_types": [{"type": "commune", "scale": 1000, "name_vi": "Xã, phường, đặc khu"}],
        "rounds": COMMUNE_ROUNDS,
        "policy": {"not_applicable": "shrink"},
        "pillars": pillars,
    }


# ---- districts (huyện, thị xã, thành phố), 2024 — historical ----------------------------------
# The district level was abolished on 1/7/2025; this set lets 2024 data still score.  It follows the
# numbered style of provincial decisions (Lào Cai 3019/QĐ-UBND): main indices 1–8, components 4.1…,
# criteria 4.22.1…4.22.11, so natural ordering (4.9 < 4.10 < 4.22.11) is exercised on real data.
DISTRICT_ORDER = ["A", "B", "C", "F", "D", "E", "G", "H"]
DISTRICT_F_MAX = {"F1": 15, "F2": 20, "F3": 30, "F4": 20, "F5": 35, "F6": 20, "F7": 15, "F8": 15, "F9": 10,
                  "F10": 10, "F11": 15, "F12": 25, "F13": 20, "F14": 10, "F15": 15}
DISTRICT_F_EXTRA = [
    ("Hệ thống hội nghị truyền hình kết nối đến UBND cấp xã", "Video-conference system reaching every commune", 8,
     {"kind": "tiers", "tiers": TIERS3}, "tier", "EVD", None, "Danh sách điểm cầu, biên bản nghiệm thu"),
    ("Cơ sở dữ liệu chuyên ngành cấp huyện được cập nhật / cơ sở dữ liệu được giao",
     "District sector databases kept up to date ÷ databases assigned", 7,
     {"kind": "ratio"}, "rate", "EVD", None, "Danh mục cơ sở dữ liệu, nhật ký cập nhật"),
    ("Phản ánh, kiến nghị được tiếp nhận và xử lý trên nền tảng số / tổng phản ánh",
     "Citizen feedback received and handled on the digital platform ÷ feedback", 7,
     {"kind": "ratio"}, "rate", "EVD", None, "Báo cáo từ nền tảng tiếp nhận phản ánh"),
    ("Hệ thống báo cáo cấp huyện kết nối Hệ thống thông tin báo cáo tỉnh",
     "District reporting system connected to the provincial reporting system", 7,
     {"kind": "binary"}, "bool", "EVD", None, "Xác nhận kết nối"),
    ("Bộ dữ liệu mở được công bố (1 điểm/bộ, tối đa 7 điểm)", "Open datasets published (1 point each, at most 7)", 7,
     {"kind": "capped_sum", "per_item": "1", "cap": "7"}, "count", "EVD", None, "Đường dẫn cổng dữ liệu mở"),
    ("Số hoá sổ hộ tịch, hồ sơ lưu trữ (theo kế hoạch)", "Civil registers and archives digitised (per plan)", 7,
     {"kind": "target", "target": "1"}, "rate", "EVD", None, "Báo cáo số hoá"),
]
# Decree 42/2022/NĐ-CP lists what a government web portal must publish; each item is a criterion.
PORTAL_ITEMS = [
    ("Giới thiệu cơ cấu tổ chức, chức năng, nhiệm vụ", "Organisation, functions and duties"),
    ("Tin tức, sự kiện", "News and events"),
    ("Văn bản quy phạm pháp luật, văn bản chỉ đạo điều hành", "Legal and executive documents"),
    ("Thông tin chỉ đạo, điều hành của lãnh đạo", "Leadership directions"),
    ("Chiến lược, quy hoạch, kế hoạch phát triển", "Strategies, plans and development programmes"),
    ("Thủ tục hành chính và dịch vụ công trực tuyến", "Administrative procedures and online services"),
    ("Dự án đầu tư, đấu thầu, mua sắm công", "Investment projects, tenders and public procurement"),
    ("Thông tin ngân sách, thống kê", "Budget and statistics"),
    ("Lấy ý kiến góp ý dự thảo văn bản", "Consultation on draft documents"),
    ("Thông tin liên hệ, hỏi đáp", "Contacts and questions and answers"),
    ("Danh mục dữ liệu mở", "Open data catalogue"),
]
DISTRICT_ROUNDS = [
    {"round": 1, "name_vi": "Tự đánh giá (số liệu 1/1–30/11)", "data_from": "01-01", "data_to": "11-30",
     "deadlines": {"district": "12-25"}},
    {"round": 2, "name_vi": "Giải trình (số liệu đến 31/12)", "data_from": "01-01", "data_to": "12-31",
     "deadlines": {"district": "+1:01-15"}},
]


def build_district():
    groups = {gcode: (gvi, gen, rows) for gcode, gvi, gen, rows in ROWS}
    mains = []
    for number, gcode in enumerate(DISTRICT_ORDER, start=1):
        gvi, gen, rows = groups[gcode]
        comps = []
        for i, row in enumerate(rows, start=1):
            code = f"{number}.{i}"
            max_points = DISTRICT_F_MAX.get(row[0], row[3]) if gcode == "F" else row[3]
            # relative_to_best is supported (dti.scoring.score_peer_group) but not shipped: a unit
            # cannot self-score it, and every caller would need the whole peer group first.
            comps.append(_leaf((code,) + row[1:3] + (max_points, row[4]) + row[5:], catalogue_code=row[0]))
        if gcode == "F":
            for j, extra in enumerate(DISTRICT_F_EXTRA, start=len(rows) + 1):
                comps.append(_leaf((f"{number}.{j}",) + extra))
            portal_code = f"{number}.{len(rows) + len(DISTRICT_F_EXTRA) + 1}"
            criteria = [
                _leaf((f"{portal_code}.{k}", vi, en, 2, {"kind": "binary"}, "bool", "EVD", None, "Đường dẫn chuyên mục"))
                for k, (vi, en) in enumerate(PORTAL_ITEMS, start=1)
            ]
            comps.append({"code": portal_code,
                          "name_vi": "Cung cấp thông tin trên cổng/trang thông tin điện tử (Nghị định 42/2022/NĐ-CP)",
                          "name_en": "Information published on the web portal (Decree 42/2022/ND-CP)",
                          "max_points": 2 * len(PORTAL_ITEMS), "criteria": criteria})
        mains.append({"code": str(number), "name_vi": gvi, "name_en": gen, "components": comps})
    pillars = []
    for pcode, pvi, pen, letters in PILLARS:
        pillars.append({"code": pcode, "name_vi": pvi, "name_en": pen,
                        "main_indices": [m for m, g in zip(mains, DISTRICT_ORDER, strict=True) if g in letters]})
    return {
        "id": "district-2024", "version": "1.0",
        "name_vi": "Bộ chỉ số DTI cấp huyện (2024, lịch sử)",
        "name_en": "District DTI index set (2024, historical)", "province": None,
        "legal_basis": {"number": "922/QĐ-BTTTT", "date": "2022-05-20", "issuer": "Bộ Thông tin và Truyền thông",
                        "title_vi": "Cấp huyện đã bãi bỏ từ 1/7/2025; giữ để chấm điểm số liệu 2024 (đề xuất)"},
        "valid_from": "2024-01-01", "valid_to": "2025-06-30",
        "unit_types": [{"type": "district", "scale": 1000, "name_vi": "Huyện, thị xã, thành phố thuộc tỉnh"}],
        "rounds": DISTRICT_ROUNDS,
        "policy": {"not_applicable": "shrink"},
        "pillars": pillars,
    }


HEADER = "# Generated by scripts/catalogue_source.py from the default catalogue (domain brief §7).\n"


def write(fw) -> Path:
    path = ROOT / "frameworks" / f"{fw['id']}.yaml"
    path.write_text(HEADER + yaml.safe_dump(fw, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return path


def main():
    fw = build("default-dept-2025", "Bộ chỉ số DTI mặc định – sở, ban, ngành cấp tỉnh (2025)",
               "Default DTI index set – provincial departments (2025)",
               [{"type": "dept_tthc", "scale": 1000, "name_vi": "Sở, ban, ngành có TTHC"},
                {"type": "dept_no_tthc", "scale": 750, "name_vi": "Sở, ban, ngành không có TTHC"}],
               "shrink", ["dept_tthc"])
    for framework in (fw, build_commune(), build_district()):
        print(write(framework))


if __name__ == "__main__":
    main()
