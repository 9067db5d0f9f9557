"""The invariant checker is strict under the traffic model (issue 17 §1).

With the traffic model on, vehicles drive realised link times while plans use
expected ones, so a promise can be missed, but only by legs that took longer
than planned. Any other cause (here: a dwell longer than planned) must fail
the checker.
"""

from __future__ import annotations

import pytest

from idrt.scenario import Scenario
from idrt.sim import simulate
from idrt.sim.assembly import build_network, traffic_active
from idrt.sim.engine import Engine
from tests.sim.invariants import check_result

SMALL = {
    "demand.trips_per_day": 250,
    "service.start_h": 7.0,
    "service.end_h": 11.0,
    "fleet.size": 3,
    "service.max_wait_s": 900.0,
}


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def _slow_dwell(monkeypatch, extra_s: float) -> None:
    serve = Engine._serve

    def slower(self, vehicle):
        yield from serve(self, vehicle)
        yield self.env.timeout(extra_s)  # the plan does not know

    monkeypatch.setattr(Engine, "_serve", slower)


def test_traffic_run_with_missed_promises_passes(island):
    scn = Scenario().with_overrides(SMALL)
    assert traffic_active(scn)
    result = simulate(scn, seed=1, network=island)
    assert result.requests["missed_promise"].any()  # the check has work to do
    check_result(result, network=island)


@pytest.mark.parametrize("traffic", [False, True])
def test_lateness_not_caused_by_driving_fails_the_checker(island, monkeypatch, traffic):
    overrides = dict(SMALL)
    if not traffic:
        overrides |= {"traffic.signals": "none", "traffic.profile": ""}
    scn = Scenario().with_overrides(overrides)
    assert traffic_active(scn) == traffic
    _slow_dwell(monkeypatch, 120.0)
    result = simulate(scn, seed=1, network=island)
    with pytest.raises(AssertionError, match=r"promise|limit"):
        check_result(result, network=island)
