"""The document-system (DOC) metrics: documents and signing staff counted per unit in the warehouse, by the
rules of dti.metrics.rules. Confidential documents are left out of every ratio (signed, axis, work files and
directives alike)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa

from dti.metrics.counting import fails, first_ids, ratio, totals
from dti.metrics.rules import AXIS_FAILED, DIRECTIVE_TYPES, HEAD, MEETING_TYPE, OUTGOING
from dti.metrics.sql import Reading, bytewise
from dti.warehouse.models import RawDocument, RawStaff


class Rules(NamedTuple):
    """The document rules of a data window, as SQL conditions on the document table (the metrics count by
    them, dti.metrics.records lists the records behind a value by them)."""

    base: sa.ColumnElement  # not deleted, issued in the window
    head: sa.ColumnElement  # signed by the head of the unit
    meeting: sa.ColumnElement  # a meeting notice on digital transformation signed by the head
    directive: sa.ColumnElement  # an outgoing plan, directive or decision on digital transformation
    public: sa.ColumnElement  # outgoing and not confidential (confidential documents are left out)
    inter: sa.ColumnElement  # public and sent to another agency
    axis_ok: sa.ColumnElement  # sent over the national document axis without failing
    work_files: sa.ColumnElement  # work files (hồ sơ công việc)
    online: sa.ColumnElement  # work files handled online


def rules(r, window) -> Rules:
    base = sa.and_(r.c.deleted.is_(False), r.c.issue_date >= window[0], r.c.issue_date <= window[1])
    outgoing = bytewise(r.c.direction) == OUTGOING
    head = bytewise(r.c.signer_role) == HEAD
    open_doc = sa.not_(r.c.confidential)  # confidential documents are left out of every ratio
    # The rarest test first (few documents are on digital transformation), as in the dossier samples.
    meeting = sa.and_(r.c.topic_dx, bytewise(r.c.doc_type) == MEETING_TYPE, outgoing, head)
    directive = sa.and_(r.c.topic_dx, outgoing, bytewise(r.c.doc_type).in_(DIRECTIVE_TYPES), open_doc)
    public = sa.and_(outgoing, open_doc)
    inter = sa.and_(public, r.c.inter_agency)
    axis_ok = sa.and_(r.c.via_axis, bytewise(sa.func.coalesce(r.c.axis_status, "")) != AXIS_FAILED)
    work_files = sa.and_(r.c.work_file, open_doc)  # confidential work files are left out (F14)
    online = sa.and_(work_files, r.c.work_file_online)
    return Rules(base, head, meeting, directive, public, inter, axis_ok, work_files, online)


def staff_rules(st):
    """The signing staff counted: not deleted and eligible to sign."""
    return sa.and_(st.c.deleted.is_(False), st.c.eligible_signer.is_(True))


def submit(run, units: list[str], window, reading: Reading):
    """Submit the DOC queries through `run`; returns how to put their results together ({unit: {metric: …}})."""
    r = reading.table(RawDocument)
    base, head, meeting, directive, public, inter, axis_ok, work_files, online = rules(r, window)
    ids = run(
        first_ids,
        r,
        units,
        base,
        {
            "meetings": meeting,
            "not_by_head": fails(directive, head),
            "not_signed": sa.and_(public, sa.not_(r.c.digitally_signed)),
            "not_axis": fails(inter, axis_ok),
            "not_online": sa.and_(work_files, sa.not_(r.c.work_file_online)),
        },
    )
    counted = run(
        totals,
        r,
        units,
        base,
        {
            "meetings": meeting,
            "directives": directive,
            "by_head": sa.and_(directive, head),
            "public": public,
            "signed": sa.and_(public, r.c.digitally_signed),
            "inter": inter,
            "axis": sa.and_(inter, axis_ok),
            "work_files": work_files,
            "online": online,
        },
    )
    st = RawStaff.__table__
    st_base = staff_rules(st)
    staff = run(totals, st, units, st_base, {"certified": st.c.personal_certificate})
    staff_ids = run(first_ids, st, units, st_base, {"no_certificate": sa.not_(st.c.personal_certificate)})
    return lambda: values(units, counted.result(), ids.result(), staff.result(), staff_ids.result())


def values(units, counted, ids, staff, staff_ids) -> dict[str, dict[str, tuple]]:
    """{unit: {metric: (value, numerator, denominator, record count, sample ids)}} from the query results."""
    out: dict[str, dict[str, tuple]] = {u: {} for u in units}
    for unit in units:
        res = out[unit]
        t = counted.get(unit)
        got = ids.get(unit, {})
        if t:
            res["doc_dx_meetings_count"] = (
                Decimal(t["meetings"]),
                None,
                None,
                t["meetings"],
                got.get("meetings", []),
            )
            if t["directives"]:
                res["doc_head_directives_rate"] = (
                    *ratio(t["by_head"], t["directives"]),
                    t["directives"],
                    got.get("not_by_head", []),
                )
            if t["public"]:
                res["doc_signed_rate"] = (
                    *ratio(t["signed"], t["public"]),
                    t["public"],
                    got.get("not_signed", []),
                )
                if t["inter"]:
                    res["doc_axis_exchange_rate"] = (
                        *ratio(t["axis"], t["inter"]),
                        t["inter"],
                        got.get("not_axis", []),
                    )
            if t["work_files"]:
                res["doc_online_workfile_rate"] = (
                    *ratio(t["online"], t["work_files"]),
                    t["work_files"],
                    got.get("not_online", []),
                )
        s = staff.get(unit)
        if s:
            res["doc_personal_signature_rate"] = (
                *ratio(s["certified"], s["rows"]),
                s["rows"],
                staff_ids.get(unit, {}).get("no_certificate", []),
            )
    return out
