"""The report in a real browser: no console errors, map and charts drawn, numbers right."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.report.browser import find_chromium, open_page

BINARY = find_chromium()
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="no Chromium/Chrome on this machine (Debian: apt-get install chromium; .ci/run "
    "installs it)",
)


class _Cells(HTMLParser):
    """``data-kpi`` cells of the KPI table: kpi -> (data-value, shown text)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.current = table_id, False, None
        self.cells: dict[str, tuple[float, str]] = {}
        self.charts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.inside = True
        if self.inside and tag == "td" and "data-kpi" in a:
            self.current = (a["data-kpi"], float(a["data-value"]))
        if "js-plotly-plot" in (a.get("class") or "").split():
            self.charts += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.current is not None:
            kpi, value = self.current
            self.cells[kpi] = (value, data.strip())
            self.current = None


def _shown_number(text: str) -> tuple[float, float]:
    """The number a cell shows, in the KPI's own unit, and half its last digit (same unit)."""
    digits = re.sub(r"[^0-9.\-]", "", text.replace(",", ""))
    decimals = len(digits.partition(".")[2])
    number, half = float(digits), 0.5 * 10.0**-decimals
    if text.endswith("%"):
        return number / 100, half / 100
    if text.endswith(" min"):
        return number * 60, half * 60
    return number, half


def test_a_broken_page_is_caught(tmp_path):
    # the console check can fail: an uncaught error is reported
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    _, console = open_page(BINARY, page)
    assert any("boom" in line for line in console)


def test_run_report_in_the_browser(report_run: Path, tmp_path):
    page = report_run / "report.html"
    dom, console = open_page(BINARY, page)
    assert console == [], console  # the report logs nothing and throws nothing
    cells = _Cells("kpis")
    cells.feed(dom)
    assert cells.charts >= 3  # map, wait CDF, occupancy drawn by plotly.js
    summary = pd.read_csv(report_run / "summary.csv", index_col="kpi")["value"]
    assert set(cells.cells) == set(summary.index)
    for kpi, (value, text) in cells.cells.items():
        truth = float(summary[kpi])
        if math.isnan(truth):
            assert text == "-" and math.isnan(value)
            continue
        assert value == truth, kpi  # the page's data is the KPI table's
        shown, half = _shown_number(text)
        assert abs(shown - truth) <= half * (1 + 1e-9), (kpi, text, truth)


def test_run_report_screenshot_is_not_blank(report_run: Path, tmp_path):
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    _, console = open_page(BINARY, report_run / "report.html", screenshot=shot)
    assert console == [], console
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[0] >= 2000
    map_band = img[150:950]  # the map is the first section
    charts_band = img[-900:]  # charts further down
    for band in (map_band, charts_band):
        colours = np.unique((band * 255).astype(np.uint8).reshape(-1, 3), axis=0)
        assert len(colours) > 50  # lines, markers, text: not an empty page
        assert band.std() > 0.05


def test_sweep_and_compare_reports_in_the_browser(tmp_path):
    from idrt.cli import main
    from tests.experiments.test_cli import _tiny

    a = _tiny(tmp_path, "a.toml")
    b = a.read_text().replace("size = 2", "size = 3").replace('name = "tiny"', 'name = "more"')
    (tmp_path / "b.toml").write_text(b)
    sweep, cmp = tmp_path / "sweep", tmp_path / "cmp"
    common = ["--seeds", "2", "--workers", "0", "--no-progress"]
    assert main(["sweep", str(a), "--grid", "fleet.size=1,2", "--out", str(sweep), *common]) == 0
    assert main(["compare", str(a), str(tmp_path / "b.toml"), "--out", str(cmp), *common]) == 0
    for folder, charts in ((sweep, 2), (cmp, 1)):
        assert main(["report", str(folder)]) == 0
        dom, console = open_page(BINARY, folder / "report.html")
        assert console == [], console
        cells = _Cells("none")
        cells.feed(dom)
        assert cells.charts == charts
    # the comparison's numbers are compare.csv's
    table = pd.read_csv(cmp / "compare.csv").set_index("kpi")
    cells = _Cells("compare-more")
    cells.feed(dom)
    assert cells.cells
    for kpi, (value, _) in cells.cells.items():
        assert value == pytest.approx(table.loc[kpi, "mean_a"], rel=1e-12, nan_ok=True)
