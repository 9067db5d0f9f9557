"""What a run costs and earns: the money KPIs of :meth:`idrt.Result.summary`.

One run is one service day. With the ``[cost]`` section of the scenario
(:class:`idrt.scenario.CostConfig`, in its ``currency``):

- ``vehicle_hours`` = fleet size × service hours (a driver per vehicle for
  the whole service day, as ``passengers_per_vehicle_hour`` counts them);
- ``operating_cost_per_day`` = fleet × ``vehicle_capital_per_day``
  + ``vehicle_hours`` × ``driver_wage_per_hour``
  + vehicle-km × (``energy_per_km`` + ``maintenance_per_km``);
- ``cits_cost_per_day`` = equipped intersections ×
  ``cits_cost_per_intersection_per_year`` / ``service_days_per_year`` (0
  unless a C-ITS effect is switched on);
- ``cost_per_day`` = operating + C-ITS; ``cost_per_rider``,
  ``cost_per_vehicle_hour`` and ``cost_per_vehicle_km`` divide it;
- ``fare_revenue_per_day`` = passengers × ``fare_per_rider``;
- ``farebox_recovery_share`` = fare revenue / ``cost_per_day`` (may exceed 1);
- ``subsidy_per_rider`` = (``cost_per_day`` − fare revenue) / passengers.

A rider is a passenger carried (a group of three is three riders), as in the
``passengers`` KPI. The formulas are written here once and called by
:func:`idrt.sim.results.summarize`.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["COST_KPIS", "MONEY_KPIS", "annual", "cost_kpis"]

COST_KPIS = (
    "vehicle_hours",
    "operating_cost_per_day",
    "cits_cost_per_day",
    "cost_per_day",
    "cost_per_rider",
    "cost_per_vehicle_hour",
    "cost_per_vehicle_km",
    "fare_revenue_per_day",
    "farebox_recovery_share",
    "subsidy_per_day",
    "subsidy_per_rider",
)
"""Names of the KPIs :func:`cost_kpis` returns, in order."""

MONEY_KPIS = tuple(k for k in COST_KPIS if k not in {"vehicle_hours", "farebox_recovery_share"})
"""KPIs in money (the scenario's ``cost.currency``): :data:`COST_KPIS` but hours and shares."""


def cost_kpis(
    cost,
    *,
    fleet_size: int,
    service_hours: float,
    vehicle_km: float,
    passengers: int,
    equipped_intersections: int = 0,
    vehicle_hours: float | None = None,
) -> dict[str, float]:
    """The money KPIs of one service day.

    Parameters
    ----------
    cost : idrt.scenario.CostConfig
        Unit costs and the fare.
    fleet_size
        Vehicles in service.
    service_hours
        Hours of service per vehicle, h.
    vehicle_km
        Kilometres driven by the fleet, km.
    passengers
        Riders carried (group members counted one by one).
    equipped_intersections
        C-ITS intersections paid for (0 without C-ITS).
    vehicle_hours
        Paid driver hours when vehicles work shifts (``fleet.shifts``: the
        on-duty hours); ``fleet_size * service_hours`` when omitted.

    Returns
    -------
    dict
        :data:`COST_KPIS` to values; ratios over zero riders (or zero hours,
        zero km) are NaN.

    Examples
    --------
    >>> from idrt.scenario import CostConfig
    >>> k = cost_kpis(CostConfig(vehicle_capital_per_day=0, driver_wage_per_hour=10,
    ...     energy_per_km=1, maintenance_per_km=0, fare_per_rider=2,
    ...     cits_cost_per_intersection_per_year=0), fleet_size=2, service_hours=5,
    ...     vehicle_km=100, passengers=40)
    >>> k["cost_per_day"], k["cost_per_rider"], k["subsidy_per_rider"]
    (200.0, 5.0, 3.0)
    """
    if vehicle_hours is None:
        vehicle_hours = float(fleet_size) * float(service_hours)
    vehicle_hours = float(vehicle_hours)
    operating = (
        fleet_size * cost.vehicle_capital_per_day
        + vehicle_hours * cost.driver_wage_per_hour
        + vehicle_km * (cost.energy_per_km + cost.maintenance_per_km)
    )
    cits = (
        equipped_intersections
        * cost.cits_cost_per_intersection_per_year
        / cost.service_days_per_year
    )
    total = float(operating + cits)
    fares = float(passengers * cost.fare_per_rider)
    nan = float("nan")
    return {
        "vehicle_hours": vehicle_hours,
        "operating_cost_per_day": float(operating),
        "cits_cost_per_day": float(cits),
        "cost_per_day": total,
        "cost_per_rider": total / passengers if passengers else nan,
        "cost_per_vehicle_hour": total / vehicle_hours if vehicle_hours else nan,
        "cost_per_vehicle_km": total / vehicle_km if vehicle_km else nan,
        "fare_revenue_per_day": fares,
        "farebox_recovery_share": fares / total if total else nan,
        "subsidy_per_day": total - fares,
        "subsidy_per_rider": (total - fares) / passengers if passengers else nan,
    }


def annual(per_day: float | pd.Series, cost) -> float | pd.Series:
    """A per-day money figure as a yearly one (× ``cost.service_days_per_year``)."""
    return per_day * cost.service_days_per_year
