"""Randomised stress suite of the simulator (issue 13 §1).

Every case draws one combination of network (yeongjong, Delft, Nootdorp,
munich_mvg) × door-to-door / stop-based × immediate / batch (k = 1, 2) ×
re-optimisation × rebalancing strategy × traffic (off, fixed, adaptive, all
C-ITS) × diversion × pre-booked share × fleet size from starved to ample,
runs it and checks every result with the invariant checker
(:func:`tests.sim.invariants.check_result`): loads, conservation, promises and
ride limits (strict under traffic: only slow legs may break them).

The CI cases are a covering draw (every value of every dimension at least
once, in small runs); the ``slow`` sweep draws :data:`N_SLOW` random cases
(``pytest tests/robustness --run-slow`` or ``IDRT_SLOW=1``). A failure
prints the case so it can be replayed with :func:`run_case`.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from idrt.network import load_network
from idrt.scenario import Scenario
from idrt.sim import simulate
from tests.conftest import REAL_NETWORKS, shared_path
from tests.sim.invariants import check_result

N_CI = 24
N_SLOW = 500

NETWORKS = ("yeongjong", "Nootdorp", "Delft", "munich_mvg")
SERVICE = ("door_to_door", "stop_based")
DISPATCH = ("immediate", "batch1", "batch2")
REOPTIMISE = (False, True)
REBALANCING = ("none", "return_to_depot", "demand_anticipating", "min_cost_flow")
TRAFFIC = ("off", "fixed", "adaptive", "all_cits")
DIVERSION = (True, False)
PREBOOKED = (0.0, 0.3, 1.0)
FLEET = (1, 2, 4, 8, 20)  # starved .. ample
DIMENSIONS = {
    "network": NETWORKS,
    "service": SERVICE,
    "dispatch": DISPATCH,
    "reoptimise": REOPTIMISE,
    "rebalancing": REBALANCING,
    "traffic": TRAFFIC,
    "diversion": DIVERSION,
    "prebooked": PREBOOKED,
    "fleet": FLEET,
}


def draw_random(seed: int) -> dict:
    """One case of the slow sweep: every dimension drawn uniformly from ``seed``."""
    rng = np.random.default_rng([seed, 13])
    case = {k: v[int(rng.integers(len(v)))] for k, v in DIMENSIONS.items()}
    case["requests"] = int(rng.integers(10, 80))
    case["seed"] = seed
    return case


def draw_covering(n: int) -> list[dict]:
    """``n`` small cases in which every value of every dimension occurs.

    Dimension ``d`` walks its values in a shuffled order with its own period,
    so values of different dimensions meet in varied pairs.
    """
    rng = np.random.default_rng(1300)
    cases = []
    orders = {k: rng.permutation(len(v)) for k, v in DIMENSIONS.items()}
    for i in range(n):
        case = {k: v[int(orders[k][i % len(v)])] for k, v in DIMENSIONS.items()}
        case["requests"] = 15
        case["seed"] = 100 + i
        cases.append(case)
    return cases


def case_id(case: dict) -> str:
    rb = {"none": "-", "return_to_depot": "depot", "demand_anticipating": "anticip",
          "min_cost_flow": "mcf"}[case["rebalancing"]]  # fmt: skip
    return "-".join(
        str(x)
        for x in (
            case["network"],
            "d2d" if case["service"] == "door_to_door" else "stops",
            case["dispatch"] + ("+reopt" if case["reoptimise"] else ""),
            rb,
            case["traffic"],
            "div" if case["diversion"] else "nodiv",
            f"pre{case['prebooked']}",
            f"v{case['fleet']}",
            f"s{case['seed']}",
        )
    )


_NETWORKS: dict = {}


def network(name: str):
    """Each network built once per session (the reference data skips when missing)."""
    if name not in _NETWORKS:
        source = "yeongjong" if name == "yeongjong" else shared_path(name)
        _NETWORKS[name] = load_network(str(source))
    return _NETWORKS[name]


def scenario_of(case: dict, net) -> Scenario:
    """The scenario of a case: a 1.5 h window with about ``requests`` requests."""
    overrides: dict = {
        "service.mode": case["service"],
        "service.start_h": 7.5,
        "service.end_h": 9.0,
        "fleet.size": case["fleet"],
        "fleet.capacity": 4,
        "dispatch.mode": "immediate" if case["dispatch"] == "immediate" else "batch",
        "dispatch.max_trip_size": 2 if case["dispatch"] == "batch2" else 1,
        # (a batch clock runs in batch mode or with re-optimisation only)
        **(
            {"dispatch.batch_interval_s": 60.0}
            if case["dispatch"] != "immediate" or case["reoptimise"]
            else {}
        ),
        "dispatch.reoptimise": case["reoptimise"],
        "dispatch.diversion": case["diversion"],
        "rebalancing.strategy": case["rebalancing"],
        "rebalancing.interval_s": 600.0,
        "demand.prebooked_share": case["prebooked"],
        "demand.booking_lead_s": (600.0, 3600.0),
        # the weekday profile has about 11.8 % of the day in 7:30-9:00
        "demand.trips_per_day": case["requests"] / 0.118,
    }
    if case["network"] != "yeongjong":
        nodes = net.node_ids
        depots = nodes[np.linspace(0, len(nodes) - 1, 3).astype(int)]
        overrides |= {
            "network.source": str(REAL_NETWORKS[case["network"]]),
            "demand.area": "",
            "demand.attractors": "",
            "fleet.depots": [int(d) for d in depots],
        }
    traffic = case["traffic"]
    if traffic == "off":
        overrides |= {"traffic.signals": "none", "traffic.profile": ""}
    else:
        overrides["traffic.signals"] = "adaptive" if traffic == "adaptive" else "fixed"
        if traffic == "all_cits":
            overrides |= {
                "cits.equipped": "all",
                "cits.adaptive_signals": True,
                "cits.bus_priority": True,
                "cits.realtime_info": True,
            }
    return Scenario().with_overrides(overrides)


def run_case(case: dict):
    """Simulate one case and check every invariant; returns the result."""
    net = network(case["network"])
    scn = scenario_of(case, net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # demand or network notes on real OSM extracts
        result = simulate(scn, seed=case["seed"], network=net)
    check_result(result, network=net)
    assert len(result.requests) > 0
    return result


CI_CASES = draw_covering(N_CI)


def test_ci_cases_cover_every_value():
    for key, values in DIMENSIONS.items():
        assert {c[key] for c in CI_CASES} == set(values), key


@pytest.mark.parametrize("case", CI_CASES, ids=case_id)
def test_stress_ci(case):
    run_case(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [draw_random(s) for s in range(N_SLOW)], ids=case_id)
def test_stress_slow(case):
    run_case(case)


def _pairs_covered(cases) -> float:  # a diagnostic for tuning the covering draw
    keys = list(DIMENSIONS)
    total = seen = 0
    for a, b in itertools.combinations(keys, 2):
        combos = set(itertools.product(DIMENSIONS[a], DIMENSIONS[b]))
        total += len(combos)
        seen += len(combos & {(c[a], c[b]) for c in cases})
    return seen / total
