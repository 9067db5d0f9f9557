"""Rider behaviour: offers, repeated requests, cancellations, no-shows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from idrt.errors import ScenarioError
from idrt.scenario import BehaviourConfig, Scenario
from idrt.sim import build_network, simulate
from idrt.sim.behaviour import accept_probability, cancel_time
from tests.sim.behaviour_invariants import check_behaviour

BASE = {"demand.trips_per_day": 300.0, "service.end_h": 14.0}


@pytest.fixture(scope="module")
def net():
    return build_network(Scenario())


def run(net, seed=1, **overrides):
    scn = Scenario().with_overrides({**BASE, **overrides})
    return simulate(scn, seed=seed, network=net)


# ------------------------------------------------------------------ formulas
def test_logit_matches_closed_form():
    cfg = BehaviourConfig(
        accept_asc=2.0, accept_beta_wait_per_min=0.1, accept_beta_ride_per_min=0.05
    )
    for wait_min, ride_min in [(0, 0), (10, 20), (30, 10), (60, 60)]:
        u = 2.0 - 0.1 * wait_min - 0.05 * ride_min
        expected = 1.0 / (1.0 + math.exp(-u))
        got = accept_probability(wait_min * 60.0, ride_min * 60.0, cfg)
        assert got == pytest.approx(expected, rel=1e-12)
    # monotone: a longer quoted wait is never more attractive
    p = [accept_probability(w, 600.0, cfg) for w in np.linspace(0, 7200, 50)]
    assert np.all(np.diff(p) < 0)


def test_threshold_and_always():
    cfg = BehaviourConfig(accept_model="threshold", accept_max_wait_s=900, accept_max_ride_s=1800)
    assert accept_probability(900, 1800, cfg) == 1.0
    assert accept_probability(901, 100, cfg) == 0.0
    assert accept_probability(100, 1801, cfg) == 0.0
    assert accept_probability(1e6, 1e6, BehaviourConfig(accept_model="always")) == 1.0


@pytest.mark.parametrize("accepted_s", [0.0, 900.0])
def test_cancel_times_follow_the_hazard(accepted_s):
    """Empirical survival of the drawn times against exp(-integral of h), integrated numerically."""
    cfg = BehaviourConfig(cancel_hazard_per_min=0.02, cancel_hazard_growth_per_min2=0.01)
    quoted = 600.0

    def hazard(t):  # per second, written independently of the module
        return 0.02 / 60.0 + 0.01 / 3600.0 * max(0.0, t - quoted)

    rng = np.random.default_rng(3)
    times = np.array([cancel_time(rng, accepted_s, quoted, cfg) for _ in range(20_000)])
    assert (times >= accepted_s).all()
    for t in accepted_s + np.array([120.0, 600.0, 1200.0, 2400.0]):
        h, _ = integrate.quad(hazard, accepted_s, t, points=[quoted])
        expected = math.exp(-h)
        observed = float((times > t).mean())
        assert observed == pytest.approx(
            expected, abs=4 * math.sqrt(expected * (1 - expected) / 20_000) + 1e-3
        )


def test_no_hazard_never_cancels():
    cfg = BehaviourConfig(cancel_hazard_per_min=0.0, cancel_hazard_growth_per_min2=0.0)
    assert cancel_time(np.random.default_rng(0), 0.0, 100.0, cfg) == math.inf


# ---------------------------------------------------------------- simulation
def test_transparent_when_riders_do_everything_asked(net):
    """Behaviour on but inert (always accept, never cancel or miss) = behaviour off."""
    off = run(net)
    inert = run(
        net,
        **{
            "behaviour.enabled": True,
            "behaviour.accept_model": "always",
            "behaviour.retry_probability": 0.0,
            "behaviour.cancel_hazard_per_min": 0.0,
            "behaviour.cancel_hazard_growth_per_min2": 0.0,
            "behaviour.no_show_probability": 0.0,
        },
    )
    cols = list(off.requests.columns)
    a = off.requests[cols].assign(status=off.requests["status"].astype(str))
    b = inert.requests[cols].assign(status=inert.requests["status"].astype(str))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(off.events, inert.events)
    assert (inert.requests["rider_id"] == inert.requests["request_id"]).all()
    assert (inert.requests["attempt"] == 1).all()


def test_default_behaviour_is_consistent_and_reproducible(net):
    on = {"behaviour.enabled": True, "behaviour.no_show_probability": 0.1}
    r1 = run(net, seed=4, **on)
    check_behaviour(r1)
    kpi = r1.summary()
    assert kpi["declined"] > 0 and kpi["cancelled"] > 0 and kpi["no_show"] > 0
    assert kpi["no_show_wait_h"] == pytest.approx(kpi["no_show"] * 120 / 3600)
    assert kpi["lost_km"] > 0
    r2 = run(net, seed=4, **on)
    pd.testing.assert_frame_equal(r1.requests, r2.requests)
    pd.testing.assert_frame_equal(r1.events, r2.events)


def test_retries_after_refusals(net):
    """One bus, many requests: refused riders ask again, each attempt a request."""
    r = run(
        net,
        **{
            "fleet.size": 1,
            "behaviour.enabled": True,
            "behaviour.retry_probability": 1.0,
            "behaviour.max_attempts": 3,
            "behaviour.retry_delay_mean_s": 300.0,
        },
    )
    check_behaviour(r)
    req = r.requests
    kpi = r.summary()
    assert req["attempt"].max() == 3
    assert kpi["requests"] > kpi["unique_riders"]
    retried = req[req["attempt"] > 1]
    assert kpi["repeat_request_share"] == pytest.approx(len(retried) / len(req))
    # every retry comes after a refused attempt of the same rider, later in time
    first = req.set_index(["rider_id", "attempt"])
    for row in retried.itertuples(index=False):
        before = first.loc[(row.rider_id, row.attempt - 1)]
        assert str(before["status"]) in {"rejected", "declined"}
        assert row.booking_time_s > before["booking_time_s"]


def test_every_no_show_wastes_the_wait(net):
    r = run(
        net,
        **{
            "behaviour.enabled": True,
            "behaviour.no_show_probability": 1.0,
            "behaviour.accept_model": "always",
            "behaviour.no_show_wait_s": 180.0,
        },
    )
    check_behaviour(r)
    kpi = r.summary()
    assert kpi["served"] == 0 and kpi["passengers"] == 0
    assert kpi["no_show"] > 0
    assert kpi["no_show_wait_h"] == pytest.approx(kpi["no_show"] * 180 / 3600)
    assert (r.vehicles["pickups"] == 0).all()


def test_impatient_riders_cancel(net):
    r = run(
        net,
        **{
            "behaviour.enabled": True,
            "behaviour.accept_model": "always",
            "behaviour.cancel_hazard_per_min": 0.5,
            "behaviour.no_show_probability": 0.0,
        },
    )
    check_behaviour(r)
    kpi = r.summary()
    assert kpi["cancelled_share"] > 0.5  # waits of minutes at a hazard of 0.5/min
    cancelled = r.requests[r.requests["status"] == "cancelled"]
    assert cancelled["pickup_s"].isna().all()


def test_behaviour_needs_immediate_dispatch():
    with pytest.raises(ScenarioError, match="immediate dispatch"):
        Scenario().with_overrides({"behaviour.enabled": True, "dispatch.mode": "batch"})
    with pytest.raises(ScenarioError, match="retry_probability"):
        Scenario().with_overrides({"behaviour.retry_probability": 1.5})


def test_prebooked_riders_ask_again_for_the_same_time(net):
    r = run(
        net,
        **{
            "fleet.size": 1,
            "demand.prebooked_share": 0.5,
            "behaviour.enabled": True,
            "behaviour.retry_probability": 1.0,
        },
    )
    check_behaviour(r)
    req = r.requests.set_index(["rider_id", "attempt"])
    retried = req[req.index.get_level_values("attempt") > 1]
    assert len(retried)
    for (rider, attempt), row in retried.iterrows():
        first = req.loc[(rider, attempt - 1)]
        assert row["request_time_s"] == max(row["booking_time_s"], first["request_time_s"])
        assert row["prebooked"] == (row["request_time_s"] > row["booking_time_s"])
