"""The engine's compiled, branch-and-bound search against its search of every candidate.

With 16 or more candidates and a travel-time table the engine searches in one
compiled pass (:func:`idrt.dispatch.insertion.best_insertion_bounded`), by
branch and bound over the vehicles (for a static oracle with the bound of one
metric, for the traffic model's slices with the bound that allows for legs
planned in other slices). Forcing the search of
every candidate with full time arrays (the path it replaces) must give the
same day, bit for bit.
"""

from __future__ import annotations

import pandas as pd
import pytest

import idrt
from idrt.sim import build_network
from idrt.sim import engine as engine_module


def _scenario(mode: str, traffic: bool, buses: int = 20, trips: int = 500):
    scn = idrt.Scenario(name="pruning").with_overrides(
        {"fleet.size": buses, "demand.trips_per_day": trips, "service.mode": mode}
    )
    if not traffic:
        scn = scn.with_overrides({"traffic.signals": "none", "traffic.profile": ""})
    return scn


def _day(scn, net, seed, monkeypatch, search):
    calls = {"metric": 0, "table": 0}
    real_in_table = engine_module.Engine._in_table
    real_bounded = engine_module.best_insertion_bounded

    def in_table(self, candidates, orc):
        return real_in_table(self, candidates, orc) if search != "full" else False

    def bounded(*args, **kwargs):
        calls["table"] += 1
        calls["metric"] += bool(kwargs.get("metric", True))
        return real_bounded(*args, **kwargs)

    monkeypatch.setattr(engine_module.Engine, "_in_table", in_table)
    monkeypatch.setattr(engine_module, "best_insertion_bounded", bounded)
    result = idrt.simulate(scn, seed, network=net)
    monkeypatch.undo()
    return result, calls


@pytest.mark.parametrize(
    ("mode", "traffic"),
    [("door_to_door", False), ("door_to_door", True), ("stop_based", False)],
)
def test_same_day_as_searching_every_candidate(mode, traffic, monkeypatch):
    scn = _scenario(mode, traffic)
    net = build_network(scn)
    for seed in (1, 2):
        fast, calls = _day(scn, net, seed, monkeypatch, "compiled")
        full, none = _day(scn, net, seed, monkeypatch, "full")
        assert none["table"] == 0  # the reference really searched every candidate
        assert calls["table"] > 100  # and the compiled search really ran
        # branch and bound by the metric bound for the static oracle (free flow),
        # by the time-dependent one (legs' excess over the slice) with traffic
        assert (calls["metric"] > 0) == (not traffic)
        pd.testing.assert_frame_equal(fast.requests, full.requests)
        pd.testing.assert_frame_equal(fast.vehicles, full.vehicles)
