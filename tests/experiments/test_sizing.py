from __future__ import annotations

import math

import pytest
from scipy import stats

import idrt
from idrt.experiments import ExperimentError, RunStore, summarize_runs
from idrt.experiments.sizing import parse_targets

TARGETS = {"wait_p95_s": 400, "reject_share": 0.05}
SEEDS = [1, 2, 3, 4, 5]


def _wilson(p, n, z):
    # Wilson score interval, written out (Wilson 1927)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _bound_rule_meets(group) -> bool:
    """Rule 'bound', computed independently: t upper bound of the p95 wait, Wilson for shares."""
    n = len(group)
    t = stats.t.ppf(0.975, n - 1)
    w = group["wait_p95_s"].to_numpy(float)
    wait_high = w.mean() + t * w.std(ddof=1) / math.sqrt(n)
    r = group["reject_share"].to_numpy(float)
    p, var_mean = r.mean(), r.var(ddof=1) / n
    pooled = group["requests"].sum()
    n_eff = min(p * (1 - p) / var_mean, pooled) if var_mean > 0 else pooled
    reject_high = _wilson(p, n_eff, t)[1] if p > 0 else _wilson(0.0, n_eff, t)[1]
    return wait_high <= 400 and reject_high <= 0.05


@pytest.fixture(scope="module")
def curve(city, city_net):
    return idrt.sweep(
        city, {"fleet.size": range(1, 13)}, seeds=SEEDS, workers=0, network=city_net,
        progress=False,
    )  # fmt: skip


def test_bound_rule_picks_the_smallest_size_whose_ci_meets_and_the_one_below_fails(
    city, city_net, curve, tmp_path
):
    by_size = {n: g for n, g in curve.groupby("fleet.size")}
    ok = {n: _bound_rule_meets(g) for n, g in by_size.items()}
    expected = min(n for n, good in ok.items() if good)
    assert 2 < expected < 12 and not ok[expected - 1]
    # judging the mean alone would accept a smaller fleet: the rule matters here
    means = curve.groupby("fleet.size")[list(TARGETS)].mean()
    by_mean = (means["wait_p95_s"] <= 400) & (means["reject_share"] <= 0.05)
    assert int(by_mean[by_mean].index.min()) < expected

    report = idrt.size_fleet(
        city, TARGETS, seeds=SEEDS, max_size=12, workers=0, network=city_net, out=tmp_path,
        progress=False,
    )  # fmt: skip
    assert report.rule == "bound"
    assert report.met and report.size == expected == report.best_size
    assert report.parameter == "fleet.size" and report.mode == "base"
    assert sorted(report.table["size"].unique()) == [expected - 1, expected]
    at = report.table.set_index(["size", "kpi"])
    assert at.loc[(expected, "wait_p95_s"), "ci_high"] <= 400
    assert at.loc[(expected, "reject_share"), "ci_high"] <= 0.05
    below = report.table[report.table["size"] == expected - 1].set_index("kpi")["meets"]
    assert not (below["wait_p95_s"] and below["reject_share"])
    row = at.loc[(expected, "wait_p95_s")]
    assert row["mean"] == pytest.approx(means.loc[expected, "wait_p95_s"])
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["n"] == 5
    # every share interval is inside [0, 1]
    shares = report.table[report.table["kpi"].str.endswith("_share")]
    assert ((shares["ci_low"] >= 0) & (shares["ci_high"] <= 1)).all()
    # bracketing + bisection: fewer candidates than a scan, every run stored once
    assert len(report.candidates) < 12
    assert RunStore(tmp_path).done() == set(report.runs["run_key"])
    text = str(report)
    assert f"smallest size meeting every target by this rule: {expected}" in text
    assert "rule 'bound'" in text and "95% CI" in text and "common random numbers" in text
    # CI bands of the sweep agree with the report's
    summary = summarize_runs(curve, "fleet.size", "reject_share")
    assert summary.set_index("fleet.size").loc[expected, "ci_high"] == pytest.approx(
        at.loc[(expected, "reject_share"), "ci_high"]
    )


def test_p_meet_rule_needs_the_share_of_days_meeting_every_target(city, city_net, curve):
    def days_ok(g):
        return ((g["wait_p95_s"] <= 400) & (g["reject_share"] <= 0.05)).mean()

    share = curve.groupby("fleet.size").apply(days_ok)
    for level in (0.9, 0.6):
        good = share[share >= level - 1e-12]
        expected = int(good.index.min())
        assert share.loc[expected - 1] < level
        report = idrt.size_fleet(
            city, TARGETS, seeds=SEEDS, max_size=12, rule="p_meet", level=level, workers=0,
            network=city_net, progress=False,
        )  # fmt: skip
        assert report.size == expected, (level, share.to_dict())
        cand = report.candidates.set_index("size")
        assert cand.loc[expected, "p_meet"] == pytest.approx(share.loc[expected])
        assert not cand.loc[expected - 1, "meets"]
        need = math.ceil(level * 5)
        assert f"at least {level:.0%} of the simulated days (here {need} of 5 seeds)" in str(report)


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
    with pytest.raises(ExperimentError, match="rule = 'mean'"):
        idrt.size_fleet(tiny, {"reject_share": 0.05}, rule="mean")
    with pytest.raises(ExperimentError, match="level"):
        idrt.size_fleet(tiny, {"reject_share": 0.05}, rule="p_meet", level=1.5)


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
