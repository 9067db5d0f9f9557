from __future__ import annotations

import pandas as pd
import pytest

import idrt
from idrt.errors import ScenarioError
from idrt.experiments import ExperimentError, RunStore, expand_grid
from idrt.experiments.sweep import TIMING_COLUMNS, read_sweep_file

GRID = {"fleet.size": [1, 3], "demand.scale": [1.0, 1.5]}


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c not in TIMING_COLUMNS]
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=True)


@pytest.mark.slow
def test_in_process_pool_and_dask_give_identical_rows(city, city_net, tmp_path):
    from dask.distributed import Client, LocalCluster

    here = idrt.sweep(city, GRID, seeds=2, workers=0, network=city_net, progress=False)
    pool = idrt.sweep(city, GRID, seeds=2, workers=2, out=tmp_path / "pool", progress=False)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        # by address (idrt connects) and with a client of the caller's
        dask = idrt.sweep(
            city, GRID, seeds=2, scheduler=cluster.scheduler_address, network=city_net,
            progress=False,
        )  # fmt: skip
        part = idrt.sweep(
            city, {"fleet.size": [3]}, seeds=2, client=client, network=city_net, progress=False
        )
    _same_rows(part, here[here["fleet.size"] == 3].iloc[:2].reset_index(drop=True)[part.columns])
    assert len(here) == 8
    _same_rows(here, pool)
    _same_rows(here, dask)
    # and the stored rows read back are the same numbers
    _same_rows(
        here, RunStore(tmp_path / "pool").load(here["run_key"]).reindex(columns=here.columns)
    )


def test_rows_hold_parameters_kpis_and_keys(tiny, yeongjong, tmp_path):
    runs = idrt.sweep(
        tiny, {"fleet.size": [2, 4]}, seeds=[5, 6], workers=0, network=yeongjong,
        out=tmp_path, keep_requests=True, progress=False,
    )  # fmt: skip
    assert runs[["fleet.size", "seed"]].values.tolist() == [[2, 5], [2, 6], [4, 5], [4, 6]]
    assert runs.columns[:5].tolist() == [
        "run_key",
        "scenario",
        "scenario_hash",
        "seed",
        "fleet.size",
    ]
    for kpi in ("wait_p95_s", "served_share", "reject_share", "fleet_size"):
        assert kpi in runs.columns
    assert (runs["fleet_size"] == runs["fleet.size"]).all()
    assert runs.columns[-2:].tolist() == TIMING_COLUMNS
    # same seed, same scenario: same request count whatever the fleet
    assert runs.groupby("seed")["requests"].nunique().eq(1).all()
    store = RunStore(tmp_path)
    for h in runs["scenario_hash"].unique():
        assert (tmp_path / "scenarios" / f"{h}.toml").is_file()
    requests = store.requests(runs["run_key"].iloc[0])
    assert len(requests) == runs["requests"].iloc[0]
    assert (tmp_path / "sweep.json").is_file()
    # out/runs is a Parquet dataset
    assert len(pd.read_parquet(tmp_path / "runs")) == 4


def test_interrupted_sweep_resumes_with_every_run_once(tiny, yeongjong, tmp_path):
    specs = expand_grid(tiny, {"fleet.size": [1, 2, 3]}, seeds=3)
    seen: list[str] = []

    def stop_after_four(row):
        seen.append(row["run_key"])
        if len(seen) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        idrt.sweep(
            tiny, {"fleet.size": [1, 2, 3]}, seeds=3, workers=0, network=yeongjong,
            out=tmp_path, on_run=stop_after_four, progress=False,
        )  # fmt: skip
    store = RunStore(tmp_path)
    assert store.done() == set(seen)
    rerun: list[str] = []
    runs = idrt.sweep(
        tiny, {"fleet.size": [1, 2, 3]}, seeds=3, workers=0, network=yeongjong,
        out=tmp_path, on_run=lambda row: rerun.append(row["run_key"]), progress=False,
    )  # fmt: skip
    assert sorted(seen + rerun) == sorted(s.key for s in specs)  # nothing run twice
    assert runs["run_key"].tolist() == [s.key for s in specs]
    assert store.done() == {s.key for s in specs}
    assert len(list((tmp_path / "runs").iterdir())) == len(specs)
    # a third run is a no-op
    again: list[str] = []
    idrt.sweep(
        tiny, {"fleet.size": [1, 2, 3]}, seeds=3, workers=0, network=yeongjong,
        out=tmp_path, on_run=lambda row: again.append(row), progress=False,
    )  # fmt: skip
    assert again == []


@pytest.mark.slow
def test_interrupted_pool_sweep_loses_nothing_finished(city, tmp_path):
    seen: list[str] = []

    def stop_after_two(row):
        seen.append(row["run_key"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        idrt.sweep(city, GRID, seeds=2, workers=2, out=tmp_path, on_run=stop_after_two,
                   progress=False)  # fmt: skip
    assert set(seen) <= RunStore(tmp_path).done()
    # resume (in this process: the backend does not matter to the store)
    runs = idrt.sweep(city, GRID, seeds=2, workers=0, out=tmp_path, progress=False)
    assert len(runs) == 8 and runs["run_key"].is_unique
    assert RunStore(tmp_path).done() == set(runs["run_key"])


def test_bad_grid_fails_before_any_run(tiny, tmp_path):
    with pytest.raises(ScenarioError, match=r"fleet\.buses"):
        idrt.sweep(tiny, {"fleet.size": [2], "fleet.buses": [1]}, seeds=2, out=tmp_path)
    with pytest.raises(ExperimentError, match="grid is empty"):
        idrt.sweep(tiny, {}, seeds=2, out=tmp_path)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unreachable_scheduler_is_one_clear_error(tiny, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ExperimentError, match="cannot reach the Dask scheduler"):
        idrt.sweep(
            tiny, {"fleet.size": [2]}, seeds=1, scheduler=f"tcp://127.0.0.1:{port}",
            timeout_s=1, out=tmp_path,
        )  # fmt: skip
    assert not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("workers", [0, 2])
def test_failed_run_names_the_run(tiny, yeongjong, workers):
    bad = tiny.with_overrides({"demand.profile": "no/such/profile.csv"})
    with pytest.raises(ExperimentError, match=r"fleet.size=2.*seed"):
        idrt.sweep(
            bad, {"fleet.size": [2]}, seeds=2, workers=workers, network=yeongjong, progress=False
        )


def test_sweep_file(tmp_path):
    (tmp_path / "base.toml").write_text('name = "base"\n[fleet]\nsize = 3\n')
    path = tmp_path / "s.toml"
    path.write_text(
        'scenario = "base.toml"\nseeds = [4, 5]\n[set]\n"dispatch.w_wait" = 0.5\n'
        '[grid]\n"fleet.size" = [2, 3]\ndemand.scale = [1.0, 2.0]\n'
    )
    spec = read_sweep_file(path)
    assert spec.scenario.name == "base" and spec.scenario.dispatch.w_wait == 0.5
    assert spec.grid == {"fleet.size": [2, 3], "demand.scale": [1.0, 2.0]}
    assert spec.seeds == [4, 5] and spec.name == "s"
    path.write_text('scenario = "base.toml"\ngird = {}\n')
    with pytest.raises(ExperimentError, match="gird"):
        read_sweep_file(path)
