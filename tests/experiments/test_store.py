from __future__ import annotations

import pytest

from idrt.experiments import ExperimentError, RunStore
from idrt.scenario import Scenario


def test_write_load_and_done(tmp_path):
    store = RunStore(tmp_path / "out")
    assert store.done() == set()
    rows = [
        {"run_key": f"k{i}", "scenario": "s", "scenario_hash": "h", "seed": i, "x": i * 1.5}
        for i in range(3)
    ]
    for row in rows:
        store.write(row)
    assert store.done() == {"k0", "k1", "k2"}
    assert store.load(["k2", "k0"])["seed"].tolist() == [2, 0]
    assert store.row("k1") == rows[1]
    assert not list((tmp_path / "out" / "runs").glob(".*"))  # no temporary files left


def test_only_provably_stale_temporary_files_are_removed(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from idrt.experiments.store import _host

    runs = tmp_path / "runs"
    runs.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        gone = runs / f".abc.parquet.{_host()}.{dead.pid}.tmp"  # its writer died
        busy = runs / f".def.parquet.{_host()}.{alive.pid}.tmp"  # another sweep, writing
        mine = runs / f".ghi.parquet.{_host()}.{os.getpid()}.tmp"  # this process, writing
        remote = runs / ".jkl.parquet.otherhost.1.tmp"  # another machine's, recent
        old = runs / ".mno.parquet.otherhost.2.tmp"  # another machine's, two days old
        for path in (gone, busy, mine, remote, old):
            path.write_bytes(b"half a row")
        two_days = time.time() - 2 * 86400
        os.utime(old, (two_days, two_days))
        store = RunStore(tmp_path)
        assert store.done() == set()
        assert not gone.exists() and not old.exists()
        assert busy.exists() and mine.exists() and remote.exists()
    finally:
        alive.kill()
        alive.wait()


def test_scenarios_saved_by_content_hash(tmp_path):
    store = RunStore(tmp_path)
    scn = Scenario().with_overrides({"fleet.size": 11})
    path = store.save_scenario(scn)
    assert path.name == f"{scn.content_hash()}.toml"
    assert Scenario.from_toml(path).fleet.size == 11


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ExperimentError, match="holds no runs"):
        RunStore(tmp_path).load()
    with pytest.raises(ExperimentError, match="keep_requests"):
        RunStore(tmp_path).requests("nope")
