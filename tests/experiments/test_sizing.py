from __future__ import annotations

import pytest

import idrt
from idrt.experiments import ExperimentError, RunStore, summarize_runs
from idrt.experiments.sizing import parse_targets

TARGETS = {"wait_p95_s": 400, "reject_share": 0.05}
SEEDS = [1, 2, 3, 4, 5]


def test_size_fleet_matches_the_curve_of_a_direct_sweep(city, city_net, tmp_path):
    runs = idrt.sweep(
        city, {"fleet.size": range(1, 10)}, seeds=SEEDS, workers=0, network=city_net,
        progress=False,
    )  # fmt: skip
    means = runs.groupby("fleet.size")[list(TARGETS)].mean()
    ok = (means["wait_p95_s"] <= 400) & (means["reject_share"] <= 0.05)
    expected = int(ok[ok].index.min())
    assert 2 < expected < 9  # the search has something to find
    assert not ok.loc[: expected - 1].any() and ok.loc[expected:].all()  # monotone here

    report = idrt.size_fleet(
        city, TARGETS, seeds=SEEDS, workers=0, network=city_net, out=tmp_path, progress=False
    )
    assert report.met and report.size == expected == report.best_size
    assert report.parameter == "fleet.size" and report.mode == "base"
    assert sorted(report.table["size"].unique()) == [expected - 1, expected]
    row = report.table.set_index(["size", "kpi"]).loc[(expected, "wait_p95_s")]
    assert row["mean"] == pytest.approx(means.loc[expected, "wait_p95_s"])
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["n"] == 5
    below = report.table[report.table["size"] == expected - 1].set_index("kpi")["meets"]
    assert not (below["wait_p95_s"] and below["reject_share"])
    # bracketing + bisection: fewer candidates than a scan, every run stored once
    assert len(report.candidates) < 9
    assert RunStore(tmp_path).done() == set(report.runs["run_key"])
    text = str(report)
    assert f"smallest size meeting every target: {expected}" in text and "95% CI" in text
    # CI bands of the sweep agree with the report's
    summary = summarize_runs(runs, "fleet.size", "reject_share")
    assert summary.set_index("fleet.size").loc[expected, "mean"] == pytest.approx(
        report.table.set_index(["size", "kpi"]).loc[(expected, "reject_share"), "mean"]
    )


def test_unmet_targets_report_the_best_found(city, city_net):
    report = idrt.size_fleet(
        city, {"wait_p95_s": 1.0, "reject_share": 0.05}, seeds=5, max_size=6, workers=0,
        network=city_net, progress=False,
    )  # fmt: skip
    assert not report.met and report.size is None
    assert report.best_size == 6  # the largest fleet comes closest
    assert "NO size from 1 to 6 meets every target; best found: 6" in str(report)
    assert 6 in report.table["size"].tolist()


def test_expansion_mode_sizes_the_extra_vehicles(tiny, yeongjong):
    scn = tiny.with_overrides(
        {
            "demand.trips_per_day": 60,
            "expansion.area": "demand/expansion_oldtown.geojson",
            "expansion.attractors": "demand/expansion_oldtown_attractors.toml",
            "expansion.trips_per_day": 150,
            "expansion.fleet_size": 0,
            "fleet.size": 2,
        }
    )
    report = idrt.size_fleet(
        scn, {"reject_share": 0.05}, seeds=5, max_size=8, workers=0, network=yeongjong,
        progress=False,
    )  # fmt: skip
    assert report.mode == "expansion" and report.parameter == "expansion.fleet_size"
    assert report.met and report.size >= 1
    assert (report.runs["fleet_size"] == 2 + report.runs["expansion.fleet_size"]).all()
    assert "existing fleet fleet.size = 2 kept" in str(report)


def test_bad_sizing_requests(tiny):
    with pytest.raises(ExperimentError, match="at least 5 seeds"):
        idrt.size_fleet(tiny, {"reject_share": 0.05}, seeds=3)
    with pytest.raises(ExperimentError, match="needs an \\[expansion\\] area"):
        idrt.size_fleet(tiny, {"reject_share": 0.05}, mode="expansion")
    with pytest.raises(ExperimentError, match="search range"):
        idrt.size_fleet(tiny, {"reject_share": 0.05}, min_size=10, max_size=5)
    with pytest.raises(ExperimentError, match="at least one target"):
        idrt.size_fleet(tiny, {})


def test_unknown_target_kpi_is_named(city, city_net):
    with pytest.raises(ExperimentError, match=r"wait_p96_s.*valid KPIs"):
        idrt.size_fleet(city, {"wait_p96_s": 5}, workers=0, network=city_net, progress=False)


def test_target_directions():
    assert parse_targets({"served_share": 0.9, "wait_p95_s": 900}) == {
        "served_share": (">=", 0.9),
        "wait_p95_s": ("<=", 900.0),
    }
    assert parse_targets({"vehicle_km": (">=", 10)}) == {"vehicle_km": (">=", 10.0)}
    with pytest.raises(ExperimentError):
        parse_targets({"wait_p95_s": ("<", 3)})
