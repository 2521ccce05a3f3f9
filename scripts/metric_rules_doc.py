"""Writes the metric rules and the metrics' province policy settings into docs/frameworks.md, from
dti/metrics/rules.py and dti/settings.py (between the markers; a test fails when the two differ).
Run: python scripts/metric_rules_doc.py"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dti.framework import load_all  # noqa: E402
from dti.metrics.reference import DOC_BEGIN, DOC_END, docs_section  # noqa: E402

DOC = ROOT / "docs" / "frameworks.md"


def leaves_by_metric() -> dict[str, list[str]]:
    """{metric: the shipped leaves measured by it}."""
    out: dict[str, set[str]] = {}
    for fw in load_all(ROOT / "frameworks").values():
        for leaf in fw.leaves():
            if leaf.metric:
                out.setdefault(leaf.metric, set()).add(leaf.code)
    return {m: sorted(codes) for m, codes in out.items()}


def rendered(text: str) -> str:
    """`text` (the doc) with its generated block replaced by the current one."""
    head, rest = text.split(DOC_BEGIN, 1)
    _old, tail = rest.split(DOC_END, 1)
    return head + docs_section(leaves_by_metric()) + tail


if __name__ == "__main__":
    DOC.write_text(rendered(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(DOC)
