"""The terminal commands, run in-process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from idrt.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_run_writes_tables_plot_and_scenario(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "run", str(REPO / "experiments" / "yeongjong.toml"), "--out", str(out),
            "--set", "demand.trips_per_day=120", "--set", "fleet.size=3", "--seed", "2",
        ]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "wait_mean_s" in text and "reference" in text
    for name in (
        "requests.parquet",
        "vehicles.parquet",
        "events.parquet",
        "summary.csv",
        "scenario.toml",
        "wait_time_cdf.png",
        "run.json",
    ):
        assert (out / name).is_file(), name
    requests = pd.read_parquet(out / "requests.parquet")
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")["value"]
    assert summary["requests"] == len(requests)
    assert "fleet.size" not in (out / "scenario.toml").read_text()
    assert "size = 3" in (out / "scenario.toml").read_text()


def test_bad_override_is_one_clear_error(capsys):
    assert main(["run", "--set", "fleet.buses=3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("idrt: error:") and "buses" in err and err.count("\n") == 1


def test_network_info(capsys):
    assert main(["network", "info", "yeongjong"]) == 0
    text = capsys.readouterr().out
    assert "signalised intersections" in text and "area" in text


def test_network_info_unknown(capsys):
    assert main(["network", "info", "atlantis"]) == 2
    assert "unknown network 'atlantis'" in capsys.readouterr().err


def test_demand_describe(tmp_path, capsys, yeongjong):
    import idrt

    area = idrt.ServiceArea.from_geojson(REPO / "demand" / "yeongjong_area.geojson")
    demand = idrt.demand.poisson(yeongjong, area, 200, seed=3)
    path = tmp_path / "trips.csv"
    demand.to_csv(path)
    assert main(["demand", "describe", str(path)]) == 0
    text = capsys.readouterr().out
    assert f"{len(demand)} requests" in text and "by hour" in text


def test_demand_describe_missing_file(tmp_path, capsys):
    assert main(["demand", "describe", str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
