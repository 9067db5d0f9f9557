"""Reports of a run, a sweep and a comparison: kinds, contents, intervals, errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from idrt.cli import main
from idrt.report import ReportError, format_value, report_kind, write_report
from idrt.report.reports import run_intervals
from tests.experiments.test_cli import _tiny


def test_run_folder_has_a_report_and_geo_layers(report_run):
    assert report_kind(report_run) == "run"
    text = (report_run / "report.html").read_text()
    assert "https://" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)  # offline
    assert text.count('class="plotly-graph-div"') == 3
    assert 'id="kpis"' in text and "cost_per_rider" in text
    assert (report_run / "geo" / "trajectories.geojson").is_file()


def test_unknown_folder_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(ReportError, match="not a run, sweep or compare folder"):
        report_kind(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    assert "give the --out folder" in capsys.readouterr().err


def test_sweep_report_plots_each_grid_on_its_own(tmp_path, capsys):
    _tiny(tmp_path)
    out = tmp_path / "runs"
    for grid in (["--grid", "fleet.size=1,2"], ["--grid", "demand.scale=1.0,1.5"]):
        args = ["sweep", str(tmp_path / "tiny.toml"), "--seeds", "2", "--out", str(out),
                "--workers", "0", "--no-progress", *grid]  # fmt: skip
        assert main(args) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert "sweep report written to" in capsys.readouterr().out
    text = (out / "report.html").read_text()
    assert "Grid 1: fleet.size (4 runs)" in text or "Grid 1: demand.scale (4 runs)" in text
    assert "Grid 2:" in text and "=nan" not in text
    # the CLI plot splits the grids too: one file per grid, never mixed
    assert main(["plot", str(out), "--x", "fleet_size", "--format", "png"]) == 0
    capsys.readouterr()
    assert (out / "plots" / "wait_vs_fleet_size.png").is_file()  # only the fleet.size grid


def test_compare_report_has_paired_deltas_and_money(tmp_path, capsys):
    a = _tiny(tmp_path, "a.toml")
    b = a.read_text().replace("size = 2", "size = 3").replace('name = "tiny"', 'name = "more"')
    (tmp_path / "b.toml").write_text(b)
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(tmp_path / "b.toml"), "--seeds", "2", "--workers", "0",
                 "--out", str(out), "--no-progress"]) == 0  # fmt: skip
    path = write_report(out)
    text = path.read_text()
    table = pd.read_csv(out / "compare.csv").set_index("kpi")
    diff = table.loc["cost_per_day", "diff"]
    assert f"more costs {abs(diff):,.0f} KRW a day" in text
    assert "more (B) vs tiny (A), paired over 2 seeds" in text
    assert text.count('class="plotly-graph-div"') == 1


def test_run_intervals_hold_the_estimate_and_stay_in_0_1():
    rng = np.random.default_rng(0)
    n = 200
    req = pd.DataFrame(
        {
            "status": np.where(rng.uniform(size=n) < 0.9, "served", "rejected"),
            "wait_s": rng.exponential(300, n),
            "in_vehicle_s": rng.exponential(600, n),
            "walk_m": np.zeros(n),
            "shared": rng.uniform(size=n) < 0.5,
        }
    )
    ci = run_intervals(req)
    share = (req["status"] == "served").mean()
    low, high = ci["served_share"]
    assert 0 <= low < share < high <= 1
    served = req[req["status"] == "served"]
    w = served["wait_s"]
    half = 1.96 * w.std() / math.sqrt(len(w))
    assert ci["wait_mean_s"] == pytest.approx((w.mean() - half, w.mean() + half))
    all_served = req.assign(status="served")
    assert run_intervals(all_served)["served_share"][1] == 1.0


def test_format_value():
    assert format_value("served_share", 0.95) == "95.0%"
    assert format_value("wait_p95_s", 1193.0) == "19.9 min"
    assert format_value("subsidy_per_rider", -415.2) == "-415 KRW"
    assert format_value("vehicle_km", float("nan")) == "-"


def test_basemap_only_on_request(report_run, tmp_path):
    plain = (report_run / "report.html").read_text()
    assert '"style":"open-street-map"' not in plain
    path = write_report(report_run, tmp_path / "online.html", basemap=True)
    assert '"style":"open-street-map"' in path.read_text()
