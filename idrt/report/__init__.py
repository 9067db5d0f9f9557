"""The HTML report a planner opens: ``idrt report RUN_DIR|SWEEP_DIR|COMPARE_DIR``.

One self-contained file per folder (plotly.js and every figure inlined; it
opens offline): for a run, an interactive service map with layers and a
time slider, the KPI table with reference figures and within-day intervals,
KPIs by area, charts and the run's PNG figures; for a sweep, wait and
served-share curves with 95 % bands per grid and their table; for a
comparison, the paired differences with their intervals and what they cost.
See ``docs/report.md``.
"""

from __future__ import annotations

from idrt.report.page import format_value
from idrt.report.reports import ReportError, load_run, report_kind, write_report

__all__ = ["ReportError", "format_value", "load_run", "report_kind", "write_report"]
