"""The calibrated pilot (experiments/yeongjong_pilot.toml) meets the pilot's figures."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from idrt.cli.common import format_kpi, kpi_table
from idrt.scenario import REPO_ROOT, Scenario
from idrt.sim import build_network, simulate
from tests.sim.behaviour_invariants import check_behaviour, check_shifts

PILOT = REPO_ROOT / "experiments" / "yeongjong_pilot.toml"
FIGURES = {  # published by the pilot (ZDNet Korea, Oct 2020 - Feb 2021)
    "requests": 735,
    "passengers": 350,
    "wait_mean_s": 12.7 * 60,
    "passengers_per_vehicle_hour": 3.3,
    "vehicle_km_per_passenger": 9.2,
}
SEEDS = range(1, 5)


@pytest.fixture(scope="module")
def pilot_runs():
    scn = Scenario.from_toml(PILOT)
    net = build_network(scn)
    return scn, [simulate(scn, seed=s, network=net) for s in SEEDS]


def test_reference_is_the_pilot(pilot_runs):
    scn, _ = pilot_runs
    for key, value in FIGURES.items():
        assert scn.reference[key] == pytest.approx(value)


def test_five_figures_within_ten_percent(pilot_runs):
    """The mean of a few seeds (20 in docs/behaviour.md) is within 10 % of each figure."""
    _, runs = pilot_runs
    means = pd.DataFrame([r.summary() for r in runs]).mean()
    for key, value in FIGURES.items():
        assert means[key] == pytest.approx(value, rel=0.10), f"{key}: {means[key]:.3f}"
    # the derived facts the fit must also respect: ~106 h on duty, ~30 km/h on shift
    assert means["vehicle_hours"] == pytest.approx(106, rel=0.01)
    assert means["vehicle_km"] / means["vehicle_hours"] == pytest.approx(30, rel=0.15)


def test_pilot_runs_are_consistent(pilot_runs):
    from tests.sim.invariants import check_result

    scn, runs = pilot_runs
    check_result(runs[0])
    check_behaviour(runs[0])
    check_shifts(runs[0])
    table = kpi_table(runs[0].summary(), scn.reference)
    for key in scn.reference:
        line = next(row for row in table.splitlines() if row.startswith(key + " "))
        assert line.rstrip().endswith(format_kpi(key, scn.reference[key])), key
    assert np.isfinite(runs[0].summary()[list(FIGURES)]).all()


EXPANSION = REPO_ROOT / "experiments" / "expansion_namdong.toml"


def test_expansion_is_sized_from_the_calibrated_pilot():
    """experiments/expansion_namdong.toml takes every calibrated value from the pilot.

    Single source: it extends the pilot and sets only the new area (and its
    output folder), so a fleet sized on it includes the pilot's rider behaviour,
    shifts, hours, service rules, network and demand.
    """
    import idrt

    pilot, expansion = Scenario.from_toml(PILOT), Scenario.from_toml(EXPANSION)
    a, b = pilot.to_dict(), expansion.to_dict()
    differ = sorted(k for k in a if a[k] != b[k])
    assert differ == ["expansion", "name", "output"], differ
    assert expansion.behaviour.enabled and expansion.fleet.shifts == pilot.fleet.shifts
    assert expansion.reference == pilot.reference
    # the resolved scenario saved with every run reads back the same, shifts included
    back = Scenario.from_dict(tomllib.loads(expansion.to_toml()), base_dir=expansion.base_dir)
    assert back.expansion.shifts == expansion.expansion.shifts
    assert back.content_hash() == expansion.content_hash()
    # every extra bus, at any size the search tries, works the assumed shifts
    from idrt.sim.shifts import duty_windows

    for extra in (1, 5):
        n = pilot.fleet.size + extra
        scn = expansion.with_overrides({"expansion.fleet_size": extra})
        hours = [sum(e - s for s, e in w) / 3600 for w in duty_windows(scn, n)]
        assert hours[pilot.fleet.size :] == [16.0] * extra
        assert sum(hours[: pilot.fleet.size]) == pytest.approx(106)
    # the new area is the pilot island's industrial estate: the same streets as the
    # default island's estate (demand/expansion_industrial.geojson there), which on
    # the stretched pilot island would fall on the new town instead
    net = build_network(expansion)
    area = idrt.ServiceArea.from_geojson(expansion.data_path(expansion.expansion.area))
    default = idrt.ServiceArea.from_geojson(REPO_ROOT / "demand/expansion_industrial.geojson")
    on_default = default.node_mask(idrt.load_network("yeongjong")).sum()
    assert area.node_mask(net).sum() == on_default > 20
    assert default.node_mask(net).sum() != on_default
    assert area.area_km2 == pytest.approx(default.area_km2, rel=0.01)


def test_calibrated_expansion_day_keeps_the_invariants():
    """A morning of the expansion: extra buses on their shifts, every status accounted for."""
    from tests.sim.invariants import check_result

    scn = Scenario.from_toml(EXPANSION).with_overrides(
        {"service.end_h": 11.0, "expansion.fleet_size": 2}
    )
    net = build_network(scn)
    result = simulate(scn, seed=3, network=net)
    check_result(result, net)
    check_behaviour(result)
    check_shifts(result)
    kpi = result.summary()
    assert kpi["fleet_size"] == 10
    req = result.requests
    assert req.loc[req["vehicle"] >= 8, "status"].eq("served").any(), "extra buses carry riders"
    statuses = ["served", "rejected", "declined", "cancelled", "no_show"]
    assert sum(kpi[s] for s in statuses) == kpi["requests"]
    assert kpi["riders_carried"] <= kpi["unique_riders"] <= kpi["requests"]
