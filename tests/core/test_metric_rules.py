"""Boundary cases written from the metric rules' words (dti.metrics.rules), not from the SQL: each case's
expected value is worked out by hand below, and both the warehouse metrics and the rules' plain-Python
reference must give it on the same records."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dti.framework import load_all
from dti.framework.metric_catalogue import METRICS
from dti.metrics import compute_metrics
from dti.metrics.policy import MetricValue
from dti.metrics.reference import reference_values
from dti.metrics.rules import RULES, Policy, Window, on_time
from dti.reconciliation import SelfValue, reconcile_claim
from dti.scoring import score_leaf
from dti.settings import GROUPS, TZ
from dti.verification.units import period_units
from dti.warehouse.models import RawDocument, RawDossier, RawIncident
from tests.pipeline_helpers import PERIOD, verified_province
from tests.raw_records import DOSSIER_FIELDS

UTC = dt.UTC
ROOT = Path(__file__).resolve().parents[2]
WINDOW = Window(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OLD_CODE = "000.00.97.H33"  # a merged department's former code, still on some records


def local(y, m, d, h=12, mi=0, s=0):
    return dt.datetime(y, m, d, h, mi, s, tzinfo=TZ)


def _provenance(unit: str, source_id: str, **kw) -> dict:
    return dict(
        source_id=source_id,
        unit_code=unit,
        source_unit_code=kw.pop("source_unit_code", unit),
        updated_at=dt.datetime(2025, 12, 31, tzinfo=UTC),
        deleted=kw.pop("deleted", False),
        batch_id="b",
        fetched_at=dt.datetime(2026, 1, 5, tzinfo=UTC),
        checksum="x",
        **kw,
    )


def _dossier(unit, sid, received, due, finished, status, channel=2, **kw) -> RawDossier:
    return RawDossier(
        **_provenance(
            unit,
            sid,
            **{**DOSSIER_FIELDS, "channel": channel},
            dossier_code=sid,
            procedure_code="p1",
            received_at=received,
            due_at=due,
            finished_at=finished,
            status=status,
            satisfaction=None,
            **kw,
        )
    )


def dossiers(unit: str) -> list[RawDossier]:
    """F5 by its words: on time = done in the period by its due day; late = done after the due day, or not
    done by the period's end while due by then, or done without a due date. Here: 2 on time, 4 late, the
    rest out → 2/6."""
    return [
        # due on the last day, done at 23:59:59 local that day: on time
        _dossier(
            unit,
            "due-last-day-done-2359",
            local(2025, 12, 20),
            local(2025, 12, 31, 17),
            local(2025, 12, 31, 23, 59, 59),
            "done",
        ),
        # due 22/12, done on the first day after the period: late and in the denominator
        _dossier(
            unit,
            "done-first-day-after",
            local(2025, 12, 10),
            local(2025, 12, 22, 17),
            local(2026, 1, 1, 8),
            "done",
        ),
        # open at period end, past due: late
        _dossier(unit, "open-past-due", local(2025, 12, 1), local(2025, 12, 20, 17), None, "processing"),
        # open at period end, due in January: carried over, not counted
        _dossier(unit, "open-not-yet-due", local(2025, 12, 29), local(2026, 1, 10, 17), None, "paused"),
        # reopened: done in June, back in process, due in June: late
        _dossier(
            unit, "reopened", local(2025, 6, 1), local(2025, 6, 10, 17), local(2025, 6, 5, 9), "processing"
        ),
        # deleted at the source: never counts
        _dossier(
            unit,
            "deleted-late",
            local(2025, 3, 1),
            local(2025, 3, 5, 17),
            local(2025, 3, 20),
            "done",
            deleted=True,
        ),
        # received at 23:59:59+07:00 on 31/12 (in person): received in the period; not due yet
        _dossier(
            unit,
            "received-2359",
            dt.datetime(2025, 12, 31, 16, 59, 59, tzinfo=UTC),
            local(2026, 1, 15, 17),
            None,
            "processing",
            channel=1,
        ),
        # received at 00:00 local on 1/1 (17:00 UTC on 31/12): next period
        _dossier(
            unit,
            "received-new-year",
            dt.datetime(2025, 12, 31, 17, 0, 0, tzinfo=UTC),
            local(2026, 1, 5, 17),
            None,
            "processing",
        ),
        # rejected: not in F5
        _dossier(unit, "rejected", local(2025, 4, 1), local(2025, 4, 5, 17), local(2025, 4, 20), "rejected"),
        # done before the period: not in F5 nor in the received ratios
        _dossier(unit, "done-2024", local(2024, 11, 1), local(2024, 11, 20, 17), local(2024, 11, 18), "done"),
        # done without a due date: cannot be shown on time, so late
        _dossier(unit, "done-no-due", local(2025, 7, 1), None, local(2025, 7, 3), "done"),
        # under a merged unit's former code: counts for the successor (on time)
        _dossier(
            unit,
            "pre-merger-on-time",
            local(2025, 2, 1),
            local(2025, 2, 10, 17),
            local(2025, 2, 9),
            "done",
            source_unit_code=OLD_CODE,
        ),
    ]


def _document(unit, sid, issued, **kw) -> RawDocument:
    fields = dict(
        direction="out",
        number="1",
        notation="KH-UBND",
        issue_date=issued,
        doc_type="CV",
        topic_dx=False,
        signer_role="deputy",
        digitally_signed=True,
        inter_agency=False,
        via_axis=False,
        axis_status=None,
        confidential=False,
        work_file=False,
        work_file_online=False,
        summary="x",
    )
    fields.update(kw)
    return RawDocument(**_provenance(unit, sid, **fields))


def documents(unit: str) -> list[RawDocument]:
    """F12 = 4/5 (the confidential unsigned one left out; directives are outgoing too); F14 = 1/2 (the
    confidential offline work file left out); A3 = 1/2 (the confidential directive left out); the 1/1/2026
    and deleted documents never count."""
    d = dt.date
    return [
        _document(unit, "signed-3112", d(2025, 12, 31)),
        _document(unit, "unsigned", d(2025, 6, 1), digitally_signed=False),
        _document(unit, "signed-old-code", d(2025, 3, 1), source_unit_code=OLD_CODE),
        _document(unit, "confidential-unsigned", d(2025, 5, 1), digitally_signed=False, confidential=True),
        _document(unit, "unsigned-2026", d(2026, 1, 1), digitally_signed=False),
        _document(unit, "unsigned-deleted", d(2025, 7, 1), digitally_signed=False, deleted=True),
        _document(unit, "wf-online", d(2025, 8, 1), direction="in", work_file=True, work_file_online=True),
        _document(unit, "wf-offline", d(2025, 8, 2), direction="in", work_file=True),
        _document(
            unit, "wf-confidential-offline", d(2025, 8, 3), direction="in", work_file=True, confidential=True
        ),
        _document(unit, "directive-head", d(2025, 2, 1), doc_type="KH", topic_dx=True, signer_role="head"),
        _document(unit, "directive-deputy", d(2025, 2, 2), doc_type="QĐ", topic_dx=True),
        _document(
            unit, "directive-confidential", d(2025, 2, 3), doc_type="CT", topic_dx=True, confidential=True
        ),
    ]


def _incident(unit, sid, detected, resolved, sla, category="malware", **kw) -> RawIncident:
    return RawIncident(
        **_provenance(
            unit,
            sid,
            detected_at=detected,
            severity="medium",
            category=category,
            resolved_at=resolved,
            sla_hours=sla,
            **kw,
        )
    )


def incidents(unit: str) -> list[RawIncident]:
    """E5 by its words: late = resolved in the period after its SLA deadline, or unresolved at the period's
    end with the deadline passed; botnet IPs included. Here: the stale botnet IP and the late malware → 2."""
    return [
        _incident(unit, "botnet-stale", local(2025, 12, 1), None, 72, category="botnet_ip"),
        _incident(unit, "malware-late", local(2025, 5, 1, 8), local(2025, 5, 2, 9), 24),
        _incident(unit, "in-time", local(2025, 5, 1, 8), local(2025, 5, 1, 20), 24),
        _incident(unit, "detected-3112-evening", local(2025, 12, 31, 20), None, 24),  # deadline in 2026
        _incident(unit, "resolved-before", local(2024, 12, 1), local(2024, 12, 30), 4),  # previous period
        _incident(unit, "deleted-late", local(2025, 5, 1), None, 4, deleted=True),
    ]


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    url = f"sqlite:///{root / 'w.db'}"
    verified_province(root / "sim", url, seed=5, scale="tiny")
    with Session(sa.create_engine(url)) as s, s.begin():
        units = period_units(s, PERIOD)
        unit = next(u for u in units if u[1] == "dept_tthc")
        for model in (RawDossier, RawDocument, RawIncident):
            s.execute(sa.delete(model).where(model.unit_code == unit[0]))
        s.add_all([*dossiers(unit[0]), *documents(unit[0]), *incidents(unit[0])])
    return url, unit


def _both(url, unit, policy=Policy()) -> tuple[dict, dict]:
    """({metric: (value, numerator, denominator)} from the warehouse metrics, the same from the reference)."""
    sql = {
        m.metric: (m.value, m.numerator, m.denominator)
        for m in compute_metrics(PERIOD, [unit], url=url, as_of=dt.datetime(2026, 1, 6, tzinfo=TZ))
    }
    engine = sa.create_engine(url)
    kinds = {"dossiers": RawDossier, "documents": RawDocument, "incidents": RawIncident}
    with engine.connect() as conn:
        records = {
            k: [dict(r._mapping) for r in conn.execute(sa.select(m).where(m.unit_code == unit[0]))]
            for k, m in kinds.items()
        }
    ref = {metric: v for (u, metric), v in reference_values(records, WINDOW, policy).items() if u == unit[0]}
    return sql, ref


def _q(n, d):
    return (Decimal(n) / Decimal(d), Decimal(n), Decimal(d))


def test_boundary_cases_give_the_values_the_rules_state(province):
    url, unit = province
    sql, ref = _both(url, unit)
    expected = {
        # on time: due-last-day, pre-merger; late: first-day-after, open, reopened, no-due
        "dvc_on_time_rate": _q(2, 6),
        # received in 2025: all but the deleted, the new-year and the 2024 ones → 9; online: all but one → 8
        "dvc_online_submission_rate": _q(8, 9),
        "doc_signed_rate": _q(4, 5),
        "doc_online_workfile_rate": _q(1, 2),
        "doc_head_directives_rate": _q(1, 2),
        "sec_late_incidents": (Decimal(2), None, None),
    }
    for metric, value in expected.items():
        assert sql[metric] == value, metric
        assert ref[metric] == value, metric


def test_e5_takes_five_points_per_late_incident_botnet_ips_included(province):
    url, unit = province
    sql, _ref = _both(url, unit)
    e5 = next(
        leaf
        for fw in load_all().values()
        for leaf in fw.leaves()
        if leaf.code == "E5" and leaf.max_points == 30
    )
    assert score_leaf(e5, sql["sec_late_incidents"][0]) == Decimal(20)


def test_province_policies_change_the_rules_they_name(province, monkeypatch):
    url, unit = province
    monkeypatch.setenv("DTI_METRIC_OPEN_PAST_DUE_LATE", "false")
    monkeypatch.setenv("DTI_METRIC_BOTNET_AS_INCIDENT", "false")
    policy = Policy.from_settings()
    sql, ref = _both(url, unit, policy)
    # only dossiers done in the period: 2 on time and the one without a due date → 2/3
    assert sql["dvc_on_time_rate"] == ref["dvc_on_time_rate"] == _q(2, 3)
    assert sql["sec_late_incidents"][0] == ref["sec_late_incidents"][0] == 1


def test_on_time_rule_by_day_in_local_time():
    """The on-time rule alone: compared by local day, whatever the clock says in UTC."""
    due = local(2025, 5, 10, 17)
    record = {"received_at": local(2025, 5, 1), "due_at": due, "status": "done"}
    # 23:59:59+07:00 on the due day is 16:59:59Z: the same local day → on time
    assert on_time({**record, "finished_at": dt.datetime(2025, 5, 10, 16, 59, 59, tzinfo=UTC)}, WINDOW) == (
        1,
        1,
    )
    # 00:00:00+07:00 the next day is still 10 May in UTC → late
    assert on_time({**record, "finished_at": dt.datetime(2025, 5, 10, 17, 0, 0, tzinfo=UTC)}, WINDOW) == (
        0,
        1,
    )


def test_every_catalogue_metric_has_a_rule_in_words_and_code():
    assert set(RULES) == set(METRICS)
    for rule in RULES.values():
        assert rule.numerator.vi and rule.numerator.en and rule.window.vi and rule.exclusions.en
        assert (rule.denominator is None) == (METRICS[rule.metric].measure == "count")
    # the two the data cannot carry as written say so, and what they compute instead
    assert {m for m, r in RULES.items() if r.proxy} == {"dvc_satisfaction_rate", "doc_head_directives_rate"}


def test_the_framework_and_the_ledger_say_where_a_proxy_is_measured():
    """A3 and F11: the data cannot carry the written rule; the leaf carries the note and every checked claim
    says it was checked against the proxy."""
    fw = next(f for f in load_all().values() if f.id.startswith("default-dept"))
    for code, metric in (("A3", "doc_head_directives_rate"), ("F11", "dvc_satisfaction_rate")):
        leaf = fw.leaf(code)
        assert leaf.data_note_vi == RULES[metric].proxy.vi and leaf.data_note_en == RULES[metric].proxy.en
        measured = MetricValue("U", code, metric, leaf.source, "ok", value=Decimal("0.5"))
        claim = reconcile_claim(fw, leaf, "U", "dept_tthc", PERIOD, SelfValue(Decimal("0.9"), None), measured)
        assert claim.outcome == "discrepancy" and claim.reasons[-1] == "metric_proxy"
        assert "giá trị thay thế" in claim.reason_vi
    plain = fw.leaf("F3")
    measured = MetricValue("U", "F3", plain.metric, "DVC", "ok", value=Decimal("0.5"))
    claim = reconcile_claim(fw, plain, "U", "dept_tthc", PERIOD, SelfValue(Decimal("0.5"), None), measured)
    assert "metric_proxy" not in claim.reasons


def test_docs_print_every_rule_and_policy_setting_as_the_rules_module_states_them():
    spec = importlib.util.spec_from_file_location(
        "metric_rules_doc", ROOT / "scripts" / "metric_rules_doc.py"
    )
    doc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(doc)
    text = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    assert doc.rendered(text) == text, (
        "docs/frameworks.md is out of date: run python scripts/metric_rules_doc.py"
    )
    for metric in RULES:
        assert f"#### `{metric}`" in text
    for setting in GROUPS["metrics"]:
        assert f"| `{setting.name}` | `{setting.default}` |" in text
