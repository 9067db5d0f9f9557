"""``idrt.calibrate`` and ``idrt calibrate``: a twin with known values is recovered."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest

import idrt
from idrt.errors import ScenarioError
from idrt.experiments import ExperimentError, RunStore
from idrt.experiments.calibrate import FitKey, loss, parse_fit

TWIN_KPIS = ["requests", "in_vehicle_mean_s", "ride_time_ratio", "wait_mean_s"]


def _twin_reference(scn, truth, seeds, net, kpis=TWIN_KPIS):
    """KPI means of the twin: the scenario with the true values, over ``seeds``."""
    runs = idrt.sweep(
        scn.with_overrides(truth), {"fleet.size": [scn.fleet.size]}, seeds=seeds, workers=0,
        network=net, progress=False,
    )  # fmt: skip
    return runs[kpis].mean().to_dict()


def _no_runs(monkeypatch):
    """Make any candidate run fail loudly (the test asserts none happens)."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a run was started")

    monkeypatch.setattr(sys.modules["idrt.experiments.sweep"], "execute", refuse)


# ------------------------------------------------------------ the parts
def test_loss_is_the_weighted_mean_squared_relative_error():
    ref = {"requests": 100.0, "wait_mean_s": 600.0, "served_share": 0.5}
    means = {"requests": 110.0, "wait_mean_s": 450.0, "served_share": 0.5}
    # relative errors 0.1, -0.25, 0
    assert loss(means, ref, dict.fromkeys(ref, 1.0)) == pytest.approx((0.01 + 0.0625) / 3)
    w = {"requests": 3.0, "wait_mean_s": 1.0, "served_share": 0.0}
    assert loss(means, ref, w) == pytest.approx((3 * 0.01 + 0.0625) / 4)
    assert loss(ref, ref, dict.fromkeys(ref, 1.0)) == 0.0
    # an undefined simulated mean is a large, finite penalty (relative error 10)
    assert loss({**means, "served_share": math.nan}, ref, dict.fromkeys(ref, 1.0)) > 30


def test_fit_keys_know_whole_numbers_and_round_inside_their_bounds(city):
    keys = parse_fit(city, {"fleet.size": (1, 6), "demand.trips_per_day": (80, 300)})
    fleet, trips = keys
    assert fleet == FitKey("fleet.size", 1.0, 6.0, True, 3.0)
    assert trips.integer is False and trips.start == 150.0
    assert fleet.value(3.6) == 4 and isinstance(fleet.value(3.6), int)
    assert fleet.value(99) == 6 and fleet.value(-5) == 1
    assert trips.value(123.456789) == 123.46 and trips.value(1e9) == 300.0
    # the scenario's own value is clipped into the bounds
    assert parse_fit(city, {"demand.trips_per_day": (200, 300)})[0].start == 200.0


# -------------------------------------------------------------- the twin
def test_a_twin_with_known_values_is_recovered_within_10_percent(city, city_net):
    """The model is exact here (same seeds as the twin): any miss is the calibrator's."""
    scn = city.with_overrides({"fleet.size": 6})  # starts at 150 trips/day, 30 s a stop
    truth = {"demand.trips_per_day": 120.0, "service.stop_time_s": 60.0}
    seeds = [11, 12]
    reference = _twin_reference(scn, truth, seeds, city_net)
    report = idrt.calibrate(
        scn, {"demand.trips_per_day": (60, 300), "service.stop_time_s": (10, 120)},
        seeds=seeds, reference=reference, max_candidates=60, sensitivity=False, workers=0,
        network=city_net, progress=False,
    )  # fmt: skip
    for key, value in truth.items():
        assert report.fitted[key] == pytest.approx(value, rel=0.10), (key, report.fitted)
    assert report.loss < 1e-3 and report.matched
    fit = report.fit.set_index("kpi")
    assert fit.loc["requests", "reference"] == reference["requests"]
    assert (fit["ci_low"] <= fit["mean"]).all() and (fit["mean"] <= fit["ci_high"]).all()
    assert (fit["ci_low"] >= 0).all()  # 2 seeds: wide t-intervals, clipped at 0
    assert report.scenario.service.stop_time_s == report.fitted["service.stop_time_s"]
    # the history holds every candidate; the best so far never rises
    h = report.history
    assert h["loss"].min() == report.loss
    assert (np.diff(h["best_loss"]) <= 0).all()
    assert h["demand.trips_per_day"].between(60, 300).all()


# ---------------------------------------- what cannot be matched, and resuming
def test_an_unmatchable_kpi_names_the_key_to_widen_and_a_rerun_reuses_runs(
    city, city_net, tmp_path, monkeypatch
):
    # observed demand of ~200 trips/day, but trips_per_day may not exceed 150
    reference = _twin_reference(
        city, {"demand.trips_per_day": 200.0}, [1, 2], city_net, kpis=["requests", "wait_mean_s"]
    )
    kwargs = dict(
        seeds=2, reference=reference, max_candidates=8, workers=0, network=city_net,
        progress=False, out=tmp_path,
    )  # fmt: skip
    fit = {"demand.trips_per_day": (80, 150), "fleet.size": (2, 4)}
    report = idrt.calibrate(city, fit, **kwargs)
    assert report.fitted["demand.trips_per_day"] == 150.0  # pressed against its upper bound
    assert isinstance(report.fitted["fleet.size"], int)
    assert set(report.history["fleet.size"]) <= {2, 3, 4}
    row = report.fit.set_index("kpi").loc["requests"]
    assert not row["matched"] and row["rel_error"] < -0.1
    assert "demand.trips_per_day above its upper bound 150" in row["advice"]
    assert any("demand.trips_per_day above its upper bound" in a for a in report.advice)
    # the slope of requests in trips_per_day is positive and clear (same seeds)
    sens = report.sensitivity.set_index(["kpi", "key"])
    assert sens.loc[("requests", "demand.trips_per_day"), "slope"] > 0
    assert sens.loc[("requests", "demand.trips_per_day"), "significant"]
    assert "KPIs not matched within the bounds" in str(report)

    # tidy outputs
    names = {p.name for p in tmp_path.iterdir()}
    assert {"calibration.csv", "fit.csv", "sensitivity.csv", "fitted.toml"} <= names
    assert {"convergence.png", "convergence.svg", "calibration.json", "runs"} <= names
    fit_csv = pd.read_csv(tmp_path / "fit.csv")
    assert list(fit_csv.columns[:9]) == [
        "kpi", "reference", "weight", "mean", "ci_low", "ci_high", "n", "rel_error", "matched",
    ]  # fmt: skip
    history = pd.read_csv(tmp_path / "calibration.csv")
    assert len(history) == len(report.history) and "loss" in history.columns
    fitted = idrt.Scenario.from_toml(tmp_path / "fitted.toml")
    assert fitted.demand.trips_per_day == 150.0
    assert fitted.fleet.size == report.fitted["fleet.size"]
    from matplotlib.image import imread

    height, width = imread(tmp_path / "convergence.png").shape[:2]
    assert (width, height) == (1400, 1280)  # 7.0 x 6.4 in at 200 dpi

    # every candidate x seed is a stored run; a rerun reuses all of them
    stored = RunStore(tmp_path).done()
    assert len(stored) >= 2 * len(set(map(tuple, report.history[list(fit)].values)))
    _no_runs(monkeypatch)
    again = idrt.calibrate(city, fit, **kwargs)
    assert RunStore(tmp_path).done() == stored
    pd.testing.assert_frame_equal(again.history, report.history)
    assert again.fitted == report.fitted


def test_differential_evolution_scores_generations_of_whole_numbers(city, city_net):
    reference = _twin_reference(city, {"fleet.size": 5}, [1, 2], city_net, kpis=["wait_mean_s"])
    report = idrt.calibrate(
        city, {"fleet.size": (1, 8)}, seeds=2, reference=reference,
        method="differential-evolution", popsize=5, max_candidates=10, sensitivity=False,
        workers=0, network=city_net, progress=False,
    )  # fmt: skip
    h = report.history
    assert len(h) == 10 and sorted(h["generation"].unique()) == [0, 1]
    assert h["fleet.size"].between(1, 8).all()
    assert (h["fleet.size"] == h["fleet.size"].round()).all()
    assert h.loc[0, "fleet.size"] == city.fleet.size  # the scenario's value starts
    assert report.method == "differential-evolution"
    assert report.loss == h["loss"].min()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("fit", "extra", "error", "match"),
    [
        ({"fleet.sise": (1, 4)}, {}, ScenarioError, "fit key 'fleet.sise' is not a scenario key"),
        ({"demand.trips_per_day": (900, 400)}, {}, ExperimentError, "reversed or empty"),
        ({"fleet.size": (0, 4)}, {}, ScenarioError, "lower bound 0: fleet.size = 0"),
        ({"fleet.size": (1.5, 4)}, {}, ExperimentError, "whole number; give whole bounds"),
        ({"dispatch.mode": (0, 1)}, {}, ExperimentError, "not a number"),
        ({"seed": (1, 4)}, {}, ExperimentError, "only model keys"),
        ({}, {}, ExperimentError, "at least one key"),
        ({"fleet.size": (1, 4)}, {"reference": {}}, ExperimentError, "no \\[reference\\] table"),
        ({"fleet.size": (1, 4)}, {"seeds": 1}, ExperimentError, "at least 2 seeds"),
        ({"fleet.size": (1, 4)}, {"weights": {"wait": 1}}, ExperimentError, "not a fitted KPI"),
        ({"fleet.size": (1, 4)}, {"kpis": ["served"]}, ExperimentError, "no reference value"),
        ({"fleet.size": (1, 4)}, {"method": "bfgs"}, ExperimentError, "choose one of"),
        ({"fleet.size": (1, 4)}, {"reference": {"requests": 0}}, ExperimentError, "non-zero"),
    ],
)
def test_bad_input_is_one_error_before_any_simulation(city, monkeypatch, fit, extra, error, match):
    def refuse(*_args, **_kwargs):
        raise AssertionError("simulated before checking the input")

    monkeypatch.setattr("idrt.sim.simulate", refuse)
    monkeypatch.setattr("idrt.sim.build_network", refuse)
    _no_runs(monkeypatch)
    kwargs = {"reference": {"requests": 150.0}, "seeds": 2, "progress": False, **extra}
    with pytest.raises(error, match=match):
        idrt.calibrate(city, fit, **kwargs)


def test_a_reference_kpi_no_run_reports_fails_before_any_candidate(city, city_net, monkeypatch):
    _no_runs(monkeypatch)
    with pytest.raises(ExperimentError, match=r"reference KPI\(s\) \['wait_mean'\].*valid KPI"):
        idrt.calibrate(
            city, {"fleet.size": (1, 4)}, reference={"wait_mean": 300.0}, seeds=2,
            network=city_net, progress=False,
        )  # fmt: skip


# ------------------------------------------------------------ the command
TINY_TOML = """
name = "tiny"
[network]
source = "city:400"
[demand]
trips_per_day = 150
area = ""
attractors = ""
[fleet]
size = 3
depots = [[126.53, 37.49]]
[service]
end_h = 10
max_wait_s = 600
[traffic]
signals = "none"
profile = ""
[output]
events = false
"""


def _parser_options(name: str):
    from idrt.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[name]
    return sub, [s for a in sub._actions for s in a.option_strings]


def test_calibrate_help_documents_every_option(capsys):
    from idrt.cli import main

    sub, options = _parser_options("calibrate")
    with pytest.raises(SystemExit) as exc:
        main(["calibrate", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in options:
        assert option in text, option
    # and each has words, not only its name
    for action in sub._actions:
        assert action.help and len(action.help) > 10, action.dest
    for option in ("--fit", "--seeds", "--kpi", "--weight", "--tolerance", "--method",
                   "--max-candidates", "--out", "--workers", "--scheduler", "--set"):  # fmt: skip
        assert option in options
    assert "[reference]" in text and "relative error" in text


def test_calibrate_command_end_to_end(tmp_path, capsys):
    from idrt.cli import main

    scn = tmp_path / "tiny.toml"
    scn.write_text(TINY_TOML + "[reference]\nrequests = 120\nwait_mean_s = 240\n")
    out = tmp_path / "cal"
    code = main([
        "calibrate", str(scn), "--fit", "demand.trips_per_day=60:300", "--seeds", "2",
        "--max-candidates", "8", "--workers", "0", "--no-progress", "--out", str(out),
        "--weight", "wait_mean_s=0.5", "--no-sensitivity",
    ])  # fmt: skip
    text = capsys.readouterr().out
    assert code in (0, 1)
    assert "calibrating 'tiny'" in text and "demand.trips_per_day in [60, 300]" in text
    assert "fitted values (nelder-mead" in text and "simulated mean [95% CI]" in text
    fit = pd.read_csv(out / "fit.csv").set_index("kpi")
    assert fit.loc["requests", "reference"] == 120 and fit.loc["wait_mean_s", "weight"] == 0.5
    assert code == (0 if fit["matched"].all() else 1)
    for name in ("calibration.csv", "fitted.toml", "convergence.png", "convergence.svg"):
        assert (out / name).is_file() and f"wrote {out / name.replace('.svg', '.png')}" in text


@pytest.mark.parametrize(
    ("args", "reference", "match"),
    [
        (["--fit", "demand.trips_per_day=300:60"], True, "reversed or empty"),
        (["--fit", "demand.trips_per_day=60-300"], True, "must look like KEY=LOW:HIGH"),
        (["--fit", "demand.trips_per_day=low:300"], True, "'low' is not a number"),
        (["--fit", "fleet.sise=1:4"], True, "'fleet.sise' is not a scenario key"),
        (["--fit", "fleet.size=1:4"], False, "no [reference] table"),
        (["--fit", "fleet.size=1:4", "--kpi", "served"], True, "no reference value"),
        (["--fit", "fleet.size=1:4", "--weight", "requests"], True, "KPI=WEIGHT"),
        (
            ["--fit", "fleet.size=1:4", "--scheduler", "tcp://127.0.0.1:1", "--timeout", "1"],
            True,
            "cannot reach the Dask scheduler",
        ),
    ],
)
def test_calibrate_command_bad_input_is_one_line(
    tmp_path, capsys, monkeypatch, args, reference, match
):
    from idrt.cli import main

    _no_runs(monkeypatch)
    scn = tmp_path / "tiny.toml"
    scn.write_text(TINY_TOML + ("[reference]\nrequests = 120\n" if reference else ""))
    code = main(["calibrate", str(scn), "--seeds", "2", "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("idrt: error: ") and err.count("\n") == 1, err
    assert match in err


# ------------------------------------------------------- slow: Dask, noisy twin
@pytest.mark.slow
def test_dask_and_in_process_score_the_same_candidates(city, city_net, tmp_path):
    from dask.distributed import Client, LocalCluster

    reference = _twin_reference(city, {"fleet.size": 5}, [1, 2], city_net, kpis=["wait_mean_s"])
    kwargs = dict(
        seeds=2, reference=reference, method="differential-evolution", popsize=5,
        max_candidates=10, sensitivity=False, network=city_net, progress=False,
    )  # fmt: skip
    here = idrt.calibrate(city, {"fleet.size": (1, 8)}, workers=0, **kwargs)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dask = idrt.calibrate(city, {"fleet.size": (1, 8)}, client=client, out=tmp_path, **kwargs)
    pd.testing.assert_frame_equal(here.history, dask.history)
    assert dask.fitted == here.fitted
    assert len(RunStore(tmp_path).done()) == 2 * here.history["fleet.size"].nunique()


@pytest.mark.slow
def test_a_twin_observed_with_other_seeds_is_recovered_within_10_percent(city, city_net):
    """The realistic twin: its KPIs come from seeds the calibration never runs."""
    scn = city.with_overrides({"fleet.size": 6})
    truth = {"demand.trips_per_day": 120.0, "service.stop_time_s": 60.0}
    reference = _twin_reference(scn, truth, list(range(101, 121)), city_net)
    report = idrt.calibrate(
        scn, {"demand.trips_per_day": (60, 300), "service.stop_time_s": (10, 120)},
        seeds=8, reference=reference, max_candidates=80, sensitivity=False, workers=0,
        network=city_net, progress=False,
    )  # fmt: skip
    for key, value in truth.items():
        assert report.fitted[key] == pytest.approx(value, rel=0.10), (key, report.fitted)


def test_an_interrupted_calibration_keeps_its_runs_and_resumes(
    city, city_net, tmp_path, monkeypatch
):
    sweep_module = sys.modules["idrt.experiments.sweep"]
    execute = sweep_module.execute
    calls = []

    def interrupted(*args, **kwargs):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(1)
        return execute(*args, **kwargs)

    kwargs = dict(
        seeds=2, reference={"requests": 120.0}, max_candidates=5, sensitivity=False, workers=0,
        network=city_net, progress=False,
    )  # fmt: skip
    fit = {"demand.trips_per_day": (80, 300)}
    monkeypatch.setattr(sweep_module, "execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        idrt.calibrate(city, fit, out=tmp_path, **kwargs)
    assert len(RunStore(tmp_path).done()) == 5  # every finished run kept
    assert len(pd.read_csv(tmp_path / "calibration.csv")) == 2  # candidates fully scored

    monkeypatch.setattr(sweep_module, "execute", execute)
    resumed = idrt.calibrate(city, fit, out=tmp_path, **kwargs)
    fresh = idrt.calibrate(city, fit, **kwargs)  # in memory, never interrupted
    pd.testing.assert_frame_equal(resumed.history, fresh.history)
    assert len(RunStore(tmp_path).done()) == 2 * len(set(fresh.history["demand.trips_per_day"]))
