"""Tabular sources (issue 17): further systems of record without code — a CSV/Excel export or a SQL
query declared in YAML (spec.py), loaded into the warehouse with its refused rows kept (load.py), and
declarative metrics (numerator/denominator filters over the mapped fields) computed per unit and period
(metrics.py). A leaf binds with `source: TAB` and `metric: <the metric's id>`; the ledger, the claim page's
records and the report treat it like any measured claim."""

from dti.tabular.spec import SOURCE, TabularError, TabularMetric, TabularSource, load_sources, tabular_metrics

__all__ = ["SOURCE", "TabularError", "TabularMetric", "TabularSource", "load_sources", "tabular_metrics"]
