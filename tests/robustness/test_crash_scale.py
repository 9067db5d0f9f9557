"""Issue 13 §2: runs that would never end or never fit are refused at once."""

from __future__ import annotations

import time

import pytest

import idrt
from idrt.errors import ScenarioError
from idrt.scenario import Scenario
from idrt.sim import assembly


def test_batch_interval_below_one_second_is_refused_naming_the_floor():
    # 1 ms batches: 47 million batches in a 13 h day, minutes without output
    with pytest.raises(ScenarioError, match=r"dispatch\.batch_interval_s = 0\.001.*at least 1 s"):
        Scenario().with_overrides({"dispatch.mode": "batch", "dispatch.batch_interval_s": 0.001})
    ok = Scenario().with_overrides({"dispatch.mode": "batch", "dispatch.batch_interval_s": 1.0})
    assert ok.dispatch.batch_interval_s == 1.0


@pytest.fixture
def sixteen_gib(monkeypatch):
    monkeypatch.setattr(assembly, "available_memory", lambda: 16.0 * 2**30)


@pytest.mark.parametrize(
    ("overrides", "what"),
    [({"fleet.size": 10**6}, "1,000,000 vehicles"), ({"demand.trips_per_day": 1e8}, "100,000,000")],
)
def test_runs_that_cannot_fit_fail_fast_with_the_estimate(sixteen_gib, overrides, what):
    scn = Scenario().with_overrides(overrides)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="needs an estimated") as info:
        idrt.simulate(scn, seed=1)
    assert time.perf_counter() - t0 < 60  # not the minutes it took to run out of memory
    message = str(info.value)
    assert what in message and "GiB" in message and "12.8 GiB" in message


def test_estimate_is_linear_in_vehicles_and_requests():
    e = assembly.estimate_run_memory
    assert e(0, 0) == 0
    assert e(10, 0) == 10 * assembly.BYTES_PER_VEHICLE
    assert e(3, 1000) == 3 * assembly.BYTES_PER_VEHICLE + 1000 * assembly.BYTES_PER_REQUEST


def test_ordinary_runs_pass_the_check(sixteen_gib):
    assembly.check_run_size(Scenario())  # the pilot: 8 vehicles, 735 requests


def test_a_trip_file_is_sized_from_its_bytes(sixteen_gib, tmp_path):
    trips = tmp_path / "trips.csv"
    trips.write_bytes(b"x" * 10_000)
    scn = Scenario().with_overrides({"demand.trips": str(trips)})
    assembly.check_run_size(scn)  # 200 rows at most
    with pytest.raises(ScenarioError, match="needs an estimated"):
        assembly.check_run_size(scn, n_requests=1e10)
