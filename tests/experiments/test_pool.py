"""Local worker processes: no main-module guard needed, exit with the parent, warnings once,
run keys that follow the input files' contents, progress on a pseudo-terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import idrt
from idrt.experiments import RunOptions, RunStore, input_digests, run_key
from idrt.experiments.pool import read_shared, write_shared

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable

# the README's sweep example, in the shape a user pastes it into a script: no
# `if __name__ == "__main__":` guard, the default pool; on a tiny scenario
README_LIKE = """
import idrt

scn = idrt.Scenario().with_overrides({
    "network.source": "city:400", "demand.area": "", "demand.attractors": "",
    "demand.trips_per_day": 60, "service.end_h": 8, "traffic.signals": "none",
    "traffic.profile": "", "output.events": False, "fleet.depots": [[126.53, 37.49]],
})
runs = idrt.sweep(scn, grid={"fleet.size": range(2, 5, 2), "demand.scale": [1, 1.5]}, seeds=2)
print("ROWS", len(runs), runs["served_share"].between(0, 1).all())
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.mark.parametrize("how", ["script", "stdin"])
def test_unguarded_script_and_stdin_sweep_on_the_pool_finish(tmp_path, how):
    script = tmp_path / "readme_sweep.py"
    script.write_text(README_LIKE)
    args = [PY, str(script)] if how == "script" else [PY, "-"]
    stdin = None if how == "script" else script.read_text()
    done = subprocess.run(
        args, input=stdin, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=_env()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ROWS 8 True" in done.stdout
    assert "bootstrapping phase" not in done.stderr


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    script = tmp_path / "long_sweep.py"
    script.write_text(
        README_LIKE.replace("seeds=2", "seeds=40, out='runs'").replace('print("ROWS"', "#")
    )
    proc = subprocess.Popen([PY, str(script)], cwd=tmp_path, env=_env())
    try:
        deadline = time.monotonic() + 180
        workers: set[int] = set()
        while time.monotonic() < deadline:  # until both workers run and one run is stored
            workers = _children(proc.pid)
            runs = tmp_path / "runs" / "runs"
            if len(workers) >= 2 and runs.is_dir() and any(runs.glob("*.parquet")):
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.2)
        assert len(workers) >= 2
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "pool workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_shared_objects_map_their_arrays(tmp_path, city_net):
    path = write_shared({"net": city_net, "x": np.arange(10.0)}, tmp_path / "n.shared")
    back = read_shared(path)
    assert np.array_equal(back["x"], np.arange(10.0))
    net = back["net"]
    assert net.n_nodes == city_net.n_nodes
    for name in ("indptr", "heads", "edge_travel_time_s"):
        if hasattr(city_net, name):
            assert np.array_equal(getattr(net, name), getattr(city_net, name))
    assert net.travel_time_s(int(net.node_ids[0]), int(net.node_ids[-1])) == pytest.approx(
        city_net.travel_time_s(int(city_net.node_ids[0]), int(city_net.node_ids[-1]))
    )
    back["x"][0] = 5.0  # copy-on-write: writable, private
    assert read_shared(path)["x"][0] == 0.0


def _trips(path: Path, net, n: int, same_node_rows: int = 1) -> Path:
    rng = np.random.default_rng(3)
    ids = net.node_ids
    lines = ["request_time_s,origin_node,destination_node"]
    for i in range(n):
        o, d = rng.choice(len(ids), 2, replace=False)
        if i < same_node_rows:
            d = o  # unserviceable: warned about on every import
        lines.append(f"{7 * 3600 + 30 * i},{ids[o]},{ids[d]}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def replay(city, city_net, tmp_path):
    """A scenario replaying a trip file with one unserviceable row (warned about)."""
    trips = _trips(tmp_path / "trips.csv", city_net, 40)
    return city.with_overrides({"demand.trips": str(trips)}), trips


@pytest.fixture
def clean_replay(city, city_net, tmp_path):
    trips = _trips(tmp_path / "clean.csv", city_net, 40, same_node_rows=0)
    return city.with_overrides({"demand.trips": str(trips)}), trips


@pytest.mark.parametrize("workers", [0, 2])
def test_each_warning_is_shown_once_per_sweep(replay, city_net, workers):
    scn, _ = replay
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = idrt.sweep(
            scn, {"fleet.size": [1, 2, 3]}, seeds=2, network=city_net,
            options=RunOptions(workers=workers, progress=False),
        )  # fmt: skip
    assert len(runs) == 6
    same = [w for w in caught if "same node" in str(w.message).lower()]
    assert len(same) == 1, [str(w.message)[:80] for w in caught]
    assert issubclass(same[0].category, idrt.IdrtWarning)


def test_editing_an_input_file_changes_the_run_keys(clean_replay, city_net, tmp_path):
    scn, trips = clean_replay
    scn = scn.with_overrides({"fleet.size": 2})
    key = run_key(scn, 1)
    assert "demand.trips" in input_digests(scn)
    first = idrt.sweep(
        scn, {"fleet.size": [2]}, seeds=1, workers=0, network=city_net, out=tmp_path / "o",
        progress=False,
    )  # fmt: skip
    assert first["run_key"].tolist() == [key]
    _trips(trips, city_net, 25, same_node_rows=0)  # edited in place: fewer trips
    os.utime(trips, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert run_key(scn, 1) != key
    rerun: list[str] = []
    second = idrt.sweep(
        scn, {"fleet.size": [2]}, seeds=1, workers=0, network=city_net, out=tmp_path / "o",
        on_run=lambda row: rerun.append(row["run_key"]), progress=False,
    )  # fmt: skip
    assert rerun == second["run_key"].tolist() != [key]  # ran again, not reused
    assert second["requests"].iloc[0] < first["requests"].iloc[0]
    assert RunStore(tmp_path / "o").done() == {key, rerun[0]}


def test_replayed_demand_says_what_the_intervals_cover(clean_replay, city_net):
    scn, _ = clean_replay
    runs = idrt.sweep(
        scn, {"fleet.size": [3]}, seeds=3, workers=0, network=city_net, progress=False
    )
    assert "replayed" in runs.attrs["interval_covers"]
    assert "not demand uncertainty" in runs.attrs["interval_covers"]
    assert runs["requests"].nunique() == 1  # the same demand on every seed


@pytest.mark.skipif(sys.platform != "linux", reason="uses util-linux `script` for a pty")
def test_progress_bar_appears_on_a_pseudo_terminal(tmp_path):
    import shutil

    if shutil.which("script") is None:
        pytest.skip("no `script` command")
    scn = tmp_path / "t.toml"
    scn.write_text(
        textwrap.dedent(
            """
            [network]
            source = "city:400"
            [demand]
            trips_per_day = 40
            area = ""
            attractors = ""
            [fleet]
            depots = [[126.53, 37.49]]
            [service]
            end_h = 8
            [traffic]
            signals = "none"
            profile = ""
            [output]
            events = false
            """
        )
    )
    command = (
        f"{PY} -m idrt.cli sweep {scn} --grid fleet.size=1,2 --seeds 1 --workers 0 "
        f"--out {tmp_path / 'o'}"
    )
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path, env=_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert "sweep t:" in done.stdout and "2/2 [" in done.stdout and "run/s" in done.stdout


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_ctrl_c_stops_a_pool_sweep_cleanly_and_keeps_finished_runs(tmp_path):
    scn = tmp_path / "t.toml"
    scn.write_text(
        '[network]\nsource = "city:400"\n[demand]\ntrips_per_day = 60\narea = ""\n'
        'attractors = ""\n[fleet]\ndepots = [[126.53, 37.49]]\n[service]\nend_h = 8\n'
        '[traffic]\nsignals = "none"\nprofile = ""\n[output]\nevents = false\n'
    )
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [PY, "-m", "idrt.cli", "sweep", str(scn), "--grid", "fleet.size=1,2,3", "--seeds",
         "40", "--workers", "2", "--out", str(out), "--no-progress"],
        cwd=tmp_path, env=_env(), start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        workers: set[int] = set()
        while time.monotonic() < deadline:
            workers = _children(proc.pid)
            if len(workers) >= 2 and len(list((out / "runs").glob("*.parquet"))) >= 2:
                break
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err[-2000:]
        assert "interrupted:" in err and "Traceback" not in err
        stored = len(list((out / "runs").glob("*.parquet")))
        assert f"{stored} of 120 runs are stored" in err
        assert not list((out / "runs").glob(".*.tmp"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_size_fleet_shows_each_warning_once_not_once_per_replication(replay, city_net):
    scn, _ = replay
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = idrt.size_fleet(
            scn, {"reject_share": 0.5}, seeds=5, max_size=4, network=city_net,
            options=RunOptions(workers=0, progress=False),
        )  # fmt: skip
    assert len(report.runs) >= 10  # at least two sizes x five seeds, each importing the file
    same = [w for w in caught if "same node" in str(w.message).lower()]
    assert len(same) == 1
