"""``idrt sweep | size-fleet | plot | compare``, run in-process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from idrt.cli import main
from idrt.experiments import RunStore

REPO = Path(__file__).resolve().parents[2]

# a 400-node synthetic city: quick to build, to route on and to draw
TINY_TOML = """
name = "tiny"
[network]
source = "city:400"
[demand]
trips_per_day = 120
area = ""
attractors = ""
[fleet]
size = 2
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


def _tiny(tmp_path: Path, name: str = "tiny.toml", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(TINY_TOML + extra)
    return path


def test_sweep_then_plot(tmp_path, capsys):
    _tiny(tmp_path)
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        'scenario = "tiny.toml"\nseeds = 2\n[grid]\n"fleet.size" = [1, 3]\n'
        '"demand.scale" = [1.0, 1.5]\n'
    )
    out = tmp_path / "runs"
    args = ["sweep", str(sweep_file), "--out", str(out), "--workers", "0", "--no-progress"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "8 runs (4 grid points x 2 seeds), 0 already in" in text
    assert "wait_p95_s" in text and "demand.scale" in text
    assert len(RunStore(out).done()) == 8
    # rerun: nothing to do
    assert main(args) == 0
    assert "8 already in" in capsys.readouterr().out

    assert main(["plot", str(out), "--x", "fleet_size", "--y", "wait_p95"]) == 0
    written = capsys.readouterr().out
    for suffix in ("png", "svg"):
        path = out / "plots" / f"wait_p95_vs_fleet_size.{suffix}"
        assert path.is_file() and str(path) in written
    assert main(["plot", str(out), "--x", "fleet_size", "--y", "wait", "--y", "served_share"]) == 0


def test_sweep_of_a_scenario_file_with_grid_options(tmp_path, capsys):
    scn = _tiny(tmp_path)
    out = tmp_path / "o"
    assert main(["sweep", str(scn), "--grid", "fleet.size=2,4", "--seeds", "1", "--out",
                 str(out), "--workers", "0", "--set", "dispatch.w_wait=1.0"]) == 0  # fmt: skip
    runs = RunStore(out).load()
    assert sorted(runs["fleet.size"]) == [2, 4]


def test_sweep_errors_are_one_line(tmp_path, capsys):
    scn = _tiny(tmp_path)
    assert main(["sweep", str(scn), "--grid", "fleet.buses=1,2", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("idrt: error:") and "fleet.buses" in err and err.count("\n") == 1
    assert main(["sweep", str(scn), "--out", str(tmp_path / "x")]) == 2
    assert "grid is empty" in capsys.readouterr().err
    assert main(["sweep", str(scn), "--grid", "fleet.size=2", "--scheduler",
                 "tcp://127.0.0.1:1", "--timeout", "1", "--out", str(tmp_path)]) == 2  # fmt: skip
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_size_fleet_expansion(tmp_path, capsys):
    code = main(
        [
            "size-fleet", str(REPO / "experiments" / "expansion_namdong_uncalibrated.toml"),
            "--max-reject", "0.05", "--wait-p95", "1200", "--workers", "0",
            "--out", str(tmp_path), "--max-size", "6",
            "--set", "service.end_h=9", "--set", "demand.trips_per_day=40",
            "--set", "expansion.trips_per_day=20", "--set", "expansion.fleet_size=2",
            "--set", "traffic.signals=\"none\"", "--set", "traffic.profile=\"\"",
            "--set", "fleet.size=2",
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "expansion mode: sizing expansion.fleet_size" in text
    assert "smallest size meeting every target" in text and "95% CI" in text
    assert "in search order: 2+, 1-" in text  # the start meets, one below does not


def test_size_fleet_unmet_exits_1(tmp_path, capsys):
    scn = _tiny(tmp_path)
    code = main(["size-fleet", str(scn), "--wait-p95", "1", "--max-size", "3", "--workers", "0",
                 "--out", str(tmp_path / "o")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "NO size from 1 to 3" in captured.out
    assert "best found: 3" in captured.err


def test_compare(tmp_path, capsys):
    a = _tiny(tmp_path, "a.toml")
    b = _tiny(tmp_path, "b.toml", "").read_text().replace("size = 2", "size = 4")
    (tmp_path / "b.toml").write_text(b.replace('name = "tiny"', 'name = "more"'))
    out = tmp_path / "cmp"
    code = main(["compare", str(a), str(tmp_path / "b.toml"), "--seeds", "3", "--workers", "0",
                 "--out", str(out), "--kpi", "served_share", "--kpi", "wait_p95_s"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "more (B) vs tiny (A), paired over 3 seeds" in text
    assert "served_share" in text and "95% CI" in text
    table = pd.read_csv(out / "compare.csv")
    assert table["kpi"].tolist() == ["served_share", "wait_p95_s"]
    assert main(["compare", str(a)]) == 2


def test_run_writes_the_run_plots(tmp_path, capsys):
    scn = _tiny(tmp_path)
    assert main(["run", str(scn), "--out", str(tmp_path / "r")]) == 0
    for name in ("wait_time_cdf.png", "occupancy.png", "service_map.png", "service_map.svg"):
        assert (tmp_path / "r" / name).is_file(), name
