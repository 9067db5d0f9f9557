"""Figures render headless (Agg) and hold the expected series."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection

import idrt
from idrt import plot
from idrt.scenario import Scenario

TINY = {
    "demand.trips_per_day": 150,
    "service.end_h": 10,
    "service.max_wait_s": 600,
    "traffic.signals": "none",
    "traffic.profile": "",
}


@pytest.fixture(scope="module")
def results(yeongjong):
    scn = Scenario().with_overrides(TINY)
    return {
        "2 buses": idrt.simulate(scn.with_overrides({"fleet.size": 2}), 1, network=yeongjong),
        "6 buses": idrt.simulate(scn.with_overrides({"fleet.size": 6}), 1, network=yeongjong),
    }


@pytest.fixture(scope="module")
def runs():
    """Synthetic sweep rows: two demand scales x three fleet sizes x four seeds."""
    rng = np.random.default_rng(0)
    rows = []
    for scale in (1.0, 1.5):
        for size in (2, 4, 6):
            for seed in range(4):
                rows.append(
                    {"run_key": f"{scale}-{size}-{seed}", "scenario": "s", "scenario_hash": "h",
                     "seed": seed, "fleet.size": size, "demand.scale": scale,
                     "wait_p50_s": 600 / size * scale + rng.normal(0, 10),
                     "wait_p95_s": 1500 / size * scale + rng.normal(0, 30),
                     "served_share": min(1.0, 0.3 * size / scale) - rng.uniform(0, 0.02),
                     "fleet_size": size}
                )  # fmt: skip
    return pd.DataFrame(rows)


def _labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def teardown_function():
    plt.close("all")


def test_wait_time_cdfs(results):
    ax = plot.wait_time_cdfs(results, max_wait_s=600)
    labels = _labels(ax)
    assert any(label.startswith("2 buses: mean") for label in labels)
    assert any(label.startswith("6 buses: mean") for label in labels)
    ax2 = plot.wait_time_cdfs(list(results.values()))
    assert sum(label.startswith("yeongjong (seed 1)") for label in _labels(ax2)) == 2
    # the single-run function idrt run uses still works
    ax3 = plot.wait_time_cdf(results["6 buses"])
    (line,) = ax3.get_lines()
    y = line.get_ydata()
    assert y[-1] == pytest.approx(100) and np.all(np.diff(y) >= 0)


def test_wait_curves_have_p50_p95_lines_with_bands(runs):
    ax = plot.wait_curves(runs[runs["demand.scale"] == 1.0], x="fleet_size", target_s=300)
    assert _labels(ax)[:2] == ["wait p50", "wait p95"]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    p95 = ax.get_lines()[1]
    assert p95.get_xdata().tolist() == [2, 4, 6]
    expected = runs[runs["demand.scale"] == 1.0].groupby("fleet.size")["wait_p95_s"].mean() / 60
    assert np.allclose(p95.get_ydata(), expected.to_numpy())
    assert "target" in _labels(ax)
    assert ax.get_xlabel() == "fleet size (vehicles)" and "min" in ax.get_ylabel()


def test_curves_split_by_the_other_swept_parameter(runs):
    ax = plot.wait_curves(runs, x="fleet.size")
    labels = _labels(ax)
    assert "wait p95 (demand.scale=1.5)" in labels and "wait p50 (demand.scale=1.0)" in labels
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 4
    ax = plot.served_curves(runs, x="fleet.size", by="demand.scale", target=0.95)
    assert "served share (%) (demand.scale=1.0)" in _labels(ax)
    assert max(ax.get_lines()[0].get_ydata()) <= 100


def test_kpi_curves_accept_short_names_and_reject_unknown(runs):
    ax = plot.kpi_curves(runs, "fleet_size", ["wait_p95", "wait_p50"], by=[])
    assert _labels(ax) == ["wait p95 (min)", "wait p50 (min)"]
    with pytest.raises(KeyError, match=r"fleet\.size"):
        plot.kpi_curves(runs, "buses", "wait_p95")


def test_occupancy_over_day(results):
    result = results["2 buses"]
    ax = plot.occupancy_over_day(result, bin_s=600)
    (on_board,) = ax.get_lines()
    carrying, fleet = ax.right_axis.get_lines()
    assert on_board.get_label() == "riders on board (all vehicles)"
    assert carrying.get_label() == "vehicles carrying riders"
    assert carrying.get_ydata().max() <= 2 and on_board.get_ydata().max() >= 1
    assert np.all(on_board.get_ydata() >= carrying.get_ydata())
    assert fleet.get_ydata()[0] == 2
    # riders and vehicles on their own axes, never one "count" axis
    assert ax.get_ylabel() == "riders on board"
    assert ax.right_axis.get_ylabel() == "vehicles carrying riders"
    # the title's mean is the KPI table's mean_occupancy
    kpi = result.summary()["mean_occupancy"]
    assert f"mean occupancy {kpi:.2f}" in ax.get_title()


def test_wait_cdf_max_wait_label_clear_of_the_legend(results):
    ax = plot.wait_time_cdf(results["6 buses"], max_wait_s=600)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    (label,) = [t for t in ax.texts if t.get_text().startswith("max wait")]
    legend = ax.get_legend().get_window_extent(renderer)
    assert not label.get_window_extent(renderer).overlaps(legend)
    assert ax.get_xlim()[1] >= 10  # the rule is inside the axes


def test_split_grids_never_mixes_runs_of_different_grids(runs):
    other = (
        runs[runs["demand.scale"] == 1.0]
        .drop(columns="demand.scale")
        .assign(**{"fleet.capacity": 8})
    )  # a second sweep in the same folder, over another parameter
    mixed = pd.concat([runs, other], ignore_index=True)
    grids = plot.split_grids(mixed)
    assert [g for g, _ in grids] == [
        ["fleet.size", "demand.scale"],
        ["fleet.size", "fleet.capacity"],
    ]
    assert [len(r) for _, r in grids] == [len(runs), len(other)]
    assert "fleet.capacity" not in grids[0][1].columns
    with pytest.raises(ValueError, match="2 different grids"):
        plot.wait_curves(mixed, x="fleet.size")
    ax = plot.wait_curves(grids[0][1], x="fleet.size")
    assert not any("nan" in label for label in _labels(ax))
    ax = plot.kpi_curves(grids[0][1], "fleet.size", "wait_p95_s")
    assert "(mean, 95% CI, 4 runs a point)" in ax.get_title()  # 4 seeds per (size, scale)


def test_service_map(results, yeongjong):
    result = results["2 buses"]
    ax = plot.service_map(result, yeongjong)
    kinds = [type(c) for c in ax.collections]
    assert LineCollection in kinds  # road links
    assert PolyCollection in kinds  # demand density (hexbin)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    rejected = int((result.requests["status"] == "rejected").sum())
    assert rejected > 0
    assert len(scatters[0].get_offsets()) == rejected  # red crosses at rejected origins
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert any(label.startswith("rejected requests") for label in labels)
    assert "destinations" in labels
    assert "service area" in _labels(ax)
    # projected km with a scale bar and a north arrow
    assert ax.get_xlabel().startswith("km east") and ax.get_aspect() == 1.0
    x_km = (yeongjong.x_m.max() - yeongjong.x_m.min()) / 1000
    assert ax.get_xlim()[1] - ax.get_xlim()[0] == pytest.approx(x_km, rel=0.15)
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    assert any(isinstance(a, AnchoredSizeBar) for a in ax.artists)
    assert any(t.get_text() == "N" for t in ax.texts)


def test_service_map_draws_the_expansion_area_on_its_own(yeongjong):
    from pathlib import Path

    path = Path(__file__).parents[1] / "experiments" / "expansion_namdong_uncalibrated.toml"
    scn = Scenario.from_toml(path)
    scn = scn.with_overrides({**TINY, "expansion.trips_per_day": 40})
    result = idrt.simulate(scn, network=yeongjong)
    ax = plot.service_map(result, yeongjong)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert "service area" in lines and "expansion area" in lines
    assert lines["expansion area"].get_linestyle() == "--"


def test_save_writes_png_and_svg(runs, tmp_path):
    ax = plot.wait_curves(runs, x="fleet.size")
    paths = plot.save(ax, tmp_path / "sub" / "curves.png")
    assert [p.name for p in paths] == ["curves.png", "curves.svg"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and b"<svg" in paths[1].read_bytes()


def test_save_keeps_svg_text_and_prints_png_at_200_dpi(results, tmp_path):
    import matplotlib.image as mpimg

    ax = plot.wait_time_cdf(results["2 buses"])
    png, svg = plot.save(ax, tmp_path / "cdf")
    height, width = mpimg.imread(png).shape[:2]
    w_in, h_in = ax.figure.get_size_inches()
    assert (width, height) == (round(w_in * 200), round(h_in * 200))
    text = svg.read_text()
    assert "<text" in text and "Waiting times of served riders" in text  # editable text
