"""Money KPIs: formulas against hand arithmetic, and a run's summary against its tables."""

from __future__ import annotations

import math

import pytest

from idrt.errors import ScenarioError
from idrt.scenario import CostConfig, Scenario
from idrt.sim import simulate
from idrt.sim.costs import COST_KPIS, MONEY_KPIS, cost_kpis

TINY = {
    "demand.trips_per_day": 120,
    "service.end_h": 10,
    "traffic.signals": "none",
    "traffic.profile": "",
}


def test_formulas_by_hand():
    cost = CostConfig(
        vehicle_capital_per_day=50_000,
        driver_wage_per_hour=20_000,
        energy_per_km=100,
        maintenance_per_km=50,
        fare_per_rider=1_800,
        cits_cost_per_intersection_per_year=3_650_000,
        service_days_per_year=365,
    )
    k = cost_kpis(
        cost,
        fleet_size=4,
        service_hours=10,
        vehicle_km=1_000,
        passengers=200,
        equipped_intersections=2,
    )
    # 4 x 50,000 + 40 h x 20,000 + 1,000 km x 150 = 200,000 + 800,000 + 150,000
    assert k["operating_cost_per_day"] == 1_150_000
    assert k["cits_cost_per_day"] == 20_000  # 2 x 3,650,000 / 365
    assert k["cost_per_day"] == 1_170_000
    assert k["cost_per_rider"] == 5_850
    assert k["cost_per_vehicle_hour"] == 1_170_000 / 40
    assert k["cost_per_vehicle_km"] == 1_170
    assert k["fare_revenue_per_day"] == 360_000
    assert k["farebox_recovery_share"] == pytest.approx(360_000 / 1_170_000)
    assert k["subsidy_per_rider"] == 4_050  # 5,850 - 1,800
    assert k["subsidy_per_day"] == 810_000
    assert list(k) == list(COST_KPIS)
    assert set(MONEY_KPIS) <= set(COST_KPIS)


def test_no_riders_gives_nan_ratios_not_zero_division():
    k = cost_kpis(CostConfig(), fleet_size=1, service_hours=1, vehicle_km=0, passengers=0)
    assert math.isnan(k["cost_per_rider"]) and math.isnan(k["subsidy_per_rider"])
    assert math.isnan(k["cost_per_vehicle_km"])
    assert k["cost_per_day"] == CostConfig().vehicle_capital_per_day + 20_000


@pytest.mark.parametrize(
    ("key", "value"),
    [("fare_per_rider", -1), ("energy_per_km", float("nan")), ("service_days_per_year", 0)],
)
def test_bad_cost_names_the_key(key, value):
    with pytest.raises(ScenarioError, match=f"cost.{key}"):
        Scenario().with_overrides({f"cost.{key}": value})


def test_cost_section_round_trips_through_toml(tmp_path):
    scn = Scenario().with_overrides({"cost.fare_per_rider": 1_500, "cost.currency": "EUR"})
    path = tmp_path / "s.toml"
    path.write_text(scn.to_toml())
    back = Scenario.from_toml(path)
    assert back.cost == scn.cost


def test_summary_costs_equal_the_tables():
    scn = Scenario().with_overrides(TINY)
    result = simulate(scn)
    s = result.summary()
    c = scn.cost
    km = result.vehicles["km"].sum()
    riders = result.requests.loc[result.requests["status"] == "served", "pax"].sum()
    hours = len(result.vehicles) * (scn.service.end_h - scn.service.start_h)
    expected = (
        len(result.vehicles) * c.vehicle_capital_per_day
        + hours * c.driver_wage_per_hour
        + km * (c.energy_per_km + c.maintenance_per_km)
    )
    assert s["cost_per_day"] == pytest.approx(expected, rel=1e-12)
    assert s["cits_cost_per_day"] == 0
    assert s["cost_per_rider"] == pytest.approx(expected / riders)
    assert s["subsidy_per_rider"] == pytest.approx((expected - riders * c.fare_per_rider) / riders)
    # unit costs change the money, never the simulation
    dearer = simulate(scn.with_overrides({"cost.driver_wage_per_hour": 40_000})).summary()
    assert dearer["vehicle_km"] == s["vehicle_km"]
    assert dearer["cost_per_day"] - s["cost_per_day"] == pytest.approx(hours * 20_000)


def test_cits_cost_counts_equipped_intersections():
    scn = Scenario().with_overrides(
        {**TINY, "traffic.signals": "fixed", "cits.bus_priority": True, "cits.equipped": [0, 1, 2]}
    )
    s = simulate(scn).summary()
    c = scn.cost
    assert s["cits_cost_per_day"] == pytest.approx(
        3 * c.cits_cost_per_intersection_per_year / c.service_days_per_year
    )
    off = simulate(scn.with_overrides({"cits.bus_priority": False})).summary()
    assert off["cits_cost_per_day"] == 0
