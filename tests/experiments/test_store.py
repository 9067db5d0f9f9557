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


def test_stale_temporary_files_are_removed_and_ignored(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / ".abc.parquet.123.tmp").write_bytes(b"half a row")
    store = RunStore(tmp_path)
    assert store.done() == set()
    assert not (runs / ".abc.parquet.123.tmp").exists()


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
