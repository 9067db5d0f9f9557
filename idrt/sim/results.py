"""Result tables of one run and the KPIs a planner reads first."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt.scenario import CostConfig
from idrt.sim.costs import cost_kpis

__all__ = ["Result", "behaviour_kpis", "cost_summary", "summarize"]

EVENT_COLUMNS = ["time_s", "vehicle", "kind", "node", "request", "load"]
PASSAGE_COLUMNS = ["time_s", "vehicle", "intersection_id", "hour", "delay_s", "expected_delay_s"]
CLOCK_COLUMNS = (
    "booking_time_s",
    "request_time_s",
    "promised_pickup_s",
    "planned_pickup_s",
    "planned_dropoff_s",
    "pickup_s",
    "pickup_departure_s",
    "dropoff_s",
)
"""Columns of the request table that are times of day (seconds after midnight)."""


@dataclass(frozen=True)
class Result:
    """Tidy tables of one simulation run.

    Attributes
    ----------
    requests : pandas.DataFrame
        One row per request: times in seconds after midnight (``*_s``),
        ``status`` (``served`` / ``rejected`` / ``pending``; with rider
        behaviour also ``declined`` / ``cancelled`` / ``no_show``, and the
        columns ``rider_id`` and ``attempt``), ``reason`` for rejections,
        ``wait_s`` (request or desired time to pickup), ``walk_m``,
        ``in_vehicle_s``, ``direct_s``, ``detour_ratio``.
    vehicles : pandas.DataFrame
        One row per vehicle: ``km``, ``empty_km``, ``pax_km``,
        ``rebalancing_km`` (driven on rebalancing moves, also in ``km`` and
        ``empty_km``), ``busy_h``, ``mean_occupancy`` (passenger-km per km),
        ``pickups``, ``dropoffs``; with shifts ``on_duty_h`` (scheduled
        on-duty hours), with rider behaviour ``no_show_wait_h``,
        ``no_show_km`` and ``cancel_km``.
    events : pandas.DataFrame
        The event log: ``time_s, vehicle, kind, node, request, load``
        (vehicle ``-1`` for dispatcher events).
    scenario : Scenario
        The resolved scenario that produced it.
    seed : int
        The seed.
    service_hours : float
        Hours of service per vehicle (for per-vehicle-hour KPIs).
    wall_s : float
        Wall-clock time of the simulation itself, s.
    signal_passages : pandas.DataFrame
        One row per passage of a vehicle through a signalised intersection
        (traffic model on; empty otherwise): ``time_s``, ``vehicle``,
        ``intersection_id``, ``hour``, realised ``delay_s`` and its
        expectation ``expected_delay_s`` (the day's flows), s.
    equipped_intersections : int
        C-ITS intersections of the run (0 when no C-ITS effect is on); the
        C-ITS cost of :mod:`idrt.sim.costs` counts them.
    """

    requests: pd.DataFrame
    vehicles: pd.DataFrame
    events: pd.DataFrame
    scenario: Any
    seed: int
    service_hours: float
    wall_s: float = float("nan")
    signal_passages: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PASSAGE_COLUMNS)
    )
    equipped_intersections: int = 0

    def summary(
        self, by: str | None = None, *, zones: Any = None, network: Any = None
    ) -> pd.Series | pd.DataFrame:
        """Headline KPIs (see :func:`summarize`) and money KPIs (:mod:`idrt.sim.costs`).

        Parameters
        ----------
        by : {None, "area"}
            ``None``: one Series for the whole run. ``"area"``: one row per
            area (see :func:`idrt.sim.areas.summary_by_area`).
        zones
            With ``by="area"``: a zones layer (GeoJSON path or GeoDataFrame)
            to split by instead of the service and expansion areas.
        network
            With ``by="area"``: the run's network (built from the scenario
            when omitted).
        """
        if by is not None:
            # cycle: idrt.sim.areas builds on summarize() and cost_summary() here
            from idrt.sim.areas import summary_by_area  # noqa: PLC0415 - import cycle

            if by != "area":
                msg = f"summary(by={by!r}): only by='area' is supported"
                raise ValueError(msg)
            return summary_by_area(self, zones=zones, network=network)
        kpis = summarize(self.requests, self.vehicles, self.service_hours, self.signal_passages)
        from idrt.sim.areas import area_kpis  # noqa: PLC0415 - import cycle, as above

        parts = [kpis, cost_summary(self, kpis), area_kpis(self)]
        return pd.concat([p for p in parts if len(p)]).rename("kpi")

    def intersection_delays(self) -> pd.DataFrame:
        """Realised signal delay per intersection: passages and mean delay, s.

        Returns
        -------
        pandas.DataFrame
            One row per intersection the fleet passed: ``intersection_id``,
            ``passages``, ``delay_mean_s``, ``delay_total_s``,
            ``expected_delay_mean_s``.
        """
        p = self.signal_passages
        grouped = p.groupby("intersection_id")
        return pd.DataFrame(
            {
                "passages": grouped.size(),
                "delay_mean_s": grouped["delay_s"].mean(),
                "delay_total_s": grouped["delay_s"].sum(),
                "expected_delay_mean_s": grouped["expected_delay_s"].mean(),
            }
        ).reset_index()

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the tables (Parquet), the KPIs (CSV) and the resolved scenario.

        Returns
        -------
        pathlib.Path
            The folder.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.requests.to_parquet(folder / "requests.parquet", index=False)
        self.vehicles.to_parquet(folder / "vehicles.parquet", index=False)
        self.events.to_parquet(folder / "events.parquet", index=False)
        if len(self.signal_passages):
            self.signal_passages.to_parquet(folder / "signal_passages.parquet", index=False)
            self.intersection_delays().to_csv(folder / "intersection_delays.csv", index=False)
        self.summary().rename("value").to_csv(folder / "summary.csv", index_label="kpi")
        (folder / "scenario.toml").write_text(self.scenario.to_toml(), encoding="utf-8")
        meta = {
            "seed": self.seed,
            "scenario_hash": self.scenario.content_hash(),
            "wall_s": self.wall_s,
            # relative data paths of scenario.toml resolve against this folder
            "base_dir": str(self.scenario.base_dir),
        }
        (folder / "run.json").write_text(json.dumps(meta, indent=2))
        return folder


def summarize(
    requests: pd.DataFrame,
    vehicles: pd.DataFrame,
    service_hours: float,
    signal_passages: pd.DataFrame | None = None,
) -> pd.Series:
    """KPIs of a run.

    Returns
    -------
    pandas.Series
        ``requests``, ``served``, ``rejected``, ``pending``, ``served_share``,
        ``reject_share``, ``wait_mean_s``, ``wait_p50_s``, ``wait_p95_s``,
        ``in_vehicle_mean_s``, ``ride_time_ratio`` (mean in-vehicle / direct),
        ``walk_mean_m``, ``passengers``, ``vehicle_km``, ``rebalancing_km``
        (of ``vehicle_km``), ``empty_km_share``,
        ``vehicle_km_per_passenger``, ``passengers_per_vehicle_hour``,
        ``shared_ride_share``, ``mean_occupancy``, ``fleet_size``;
        ``missed_promise_share`` (served riders picked up after their
        promised latest pickup), ``late_pickup_share`` (served riders picked
        up later than the time quoted at booking by more than the tolerance
        in the ``late_pickup`` column) and ``late_pickup_mean_s`` (mean
        lateness against the quote, s, of those); ``signal_passages_per_km``
        and ``signal_delay_per_passage_s`` (realised mean, s; NaN without
        the traffic model); with today's transit as a baseline (``[transit]
        gtfs``), ``transit_door_to_door_mean_s``, ``drt_time_saved_mean_s``
        (transit minus DRT door-to-door, mean over served riders) and
        ``faster_than_transit_share`` (NaN without a feed).
    """
    served = requests[requests["status"] == "served"]
    n = len(requests)
    passengers = int(served["pax"].sum())
    km = float(vehicles["km"].sum())
    fleet_hours = len(vehicles) * service_hours
    if "on_duty_h" in vehicles.columns:  # shifts: count on-duty hours only
        fleet_hours = float(vehicles["on_duty_h"].sum())
    wait = served["wait_s"].to_numpy(float)

    def q(values: np.ndarray, p: float) -> float:
        return float(np.quantile(values, p)) if values.size else float("nan")

    kpis = pd.Series(
        {
            "requests": n,
            "served": len(served),
            "rejected": int((requests["status"] == "rejected").sum()),
            "pending": int((requests["status"] == "pending").sum()),
            "served_share": len(served) / n if n else float("nan"),
            "reject_share": float((requests["status"] == "rejected").mean()) if n else float("nan"),
            "wait_mean_s": float(wait.mean()) if wait.size else float("nan"),
            "wait_p50_s": q(wait, 0.5),
            "wait_p95_s": q(wait, 0.95),
            "in_vehicle_mean_s": float(served["in_vehicle_s"].mean()),
            "ride_time_ratio": float(served["detour_ratio"].mean()),
            "walk_mean_m": float(served["walk_m"].mean()),
            "passengers": passengers,
            "vehicle_km": km,
            "rebalancing_km": float(vehicles["rebalancing_km"].sum())
            if "rebalancing_km" in vehicles.columns
            else 0.0,
            "empty_km_share": float(vehicles["empty_km"].sum()) / km if km else float("nan"),
            "vehicle_km_per_passenger": km / passengers if passengers else float("nan"),
            "passengers_per_vehicle_hour": passengers / fleet_hours
            if fleet_hours
            else float("nan"),
            "shared_ride_share": float(served["shared"].mean()) if len(served) else float("nan"),
            "mean_occupancy": float(vehicles["pax_km"].sum()) / km if km else float("nan"),
            "fleet_size": len(vehicles),
            "missed_promise_share": _share(served, "missed_promise"),
            "late_pickup_share": _share(served, "late_pickup"),
            "late_pickup_mean_s": _late_mean(served),
            "signal_passages_per_km": len(signal_passages) / km
            if signal_passages is not None and len(signal_passages) and km
            else float("nan"),
            "signal_delay_per_passage_s": float(signal_passages["delay_s"].mean())
            if signal_passages is not None and len(signal_passages)
            else float("nan"),
            **_transit_kpis(served),
        },
        name="kpi",
    )
    extra = behaviour_kpis(requests, vehicles)
    if extra:
        kpis = pd.concat([kpis, pd.Series(extra, dtype=float)]).rename("kpi")
    return kpis


def behaviour_kpis(requests: pd.DataFrame, vehicles: pd.DataFrame) -> dict[str, float]:
    """KPIs of rider behaviour and shifts; empty when the run had neither.

    Returns
    -------
    dict
        With rider behaviour (a ``rider_id`` column): ``unique_riders``,
        ``riders_carried`` (riders served on some attempt),
        ``repeat_request_share`` (requests that are a second or later
        attempt), ``declined``, ``cancelled``, ``no_show`` and their shares of
        the requests (``*_share``), ``no_show_wait_h`` (bus time spent
        waiting for riders who did not come) and ``lost_km`` (km driven
        since the previous stop towards a no-show, or towards a pickup
        cancelled while the bus was on its way). With shifts (an
        ``on_duty_h`` column): ``vehicle_hours`` (on-duty hours, the
        denominator of ``passengers_per_vehicle_hour``) and
        ``km_per_on_duty_hour``.
    """
    out: dict[str, float] = {}
    n = len(requests)
    if "rider_id" in requests.columns:
        status = requests["status"].astype(str)
        out["unique_riders"] = float(requests["rider_id"].nunique())
        out["riders_carried"] = float(requests.loc[status == "served", "rider_id"].nunique())
        out["repeat_request_share"] = float((requests["attempt"] > 1).mean()) if n else math.nan
        for key in ("declined", "cancelled", "no_show"):
            count = int((status == key).sum())
            out[key] = float(count)
            out[f"{key}_share"] = count / n if n else math.nan
        if "no_show_wait_h" in vehicles.columns:
            out["no_show_wait_h"] = float(vehicles["no_show_wait_h"].sum())
            out["lost_km"] = float(vehicles["no_show_km"].sum() + vehicles["cancel_km"].sum())
    if "on_duty_h" in vehicles.columns:
        hours = float(vehicles["on_duty_h"].sum())
        out["vehicle_hours"] = hours
        out["km_per_on_duty_hour"] = float(vehicles["km"].sum()) / hours if hours else math.nan
    return out


def _transit_kpis(served: pd.DataFrame) -> dict[str, float]:
    """DRT next to today's transit (``[transit] gtfs``); NaN without a feed.

    DRT door-to-door is walk + wait + in-vehicle time (drop-off minus request
    time plus walking); transit's is ``transit_door_to_door_s``. Means are over
    the served riders transit (or walking) gets there at all that day.
    """
    nan = float("nan")
    if "transit_door_to_door_s" not in served.columns or not len(served):
        return {
            "transit_door_to_door_mean_s": nan,
            "drt_time_saved_mean_s": nan,
            "faster_than_transit_share": nan,
        }
    walk = served["walk_s"].fillna(0.0) if "walk_s" in served.columns else 0.0
    drt = (served["dropoff_s"] - served["request_time_s"] + walk).to_numpy(float)
    transit = served["transit_door_to_door_s"].to_numpy(float)
    reach = np.isfinite(transit)
    return {
        "transit_door_to_door_mean_s": float(transit[reach].mean()) if reach.any() else nan,
        "drt_time_saved_mean_s": float((transit - drt)[reach].mean()) if reach.any() else nan,
        "faster_than_transit_share": float((drt < transit).mean()),
    }


def cost_summary(result: Result, kpis: pd.Series) -> pd.Series:
    """The money KPIs of a run (:func:`idrt.sim.costs.cost_kpis`) from its KPIs."""
    cost = getattr(result.scenario, "cost", None)
    if cost is None:
        cost = CostConfig()
    return pd.Series(
        cost_kpis(
            cost,
            fleet_size=int(kpis["fleet_size"]),
            service_hours=result.service_hours,
            vehicle_km=float(kpis["vehicle_km"]),
            passengers=int(kpis["passengers"]),
            equipped_intersections=result.equipped_intersections,
            # with shifts, drivers are paid for their on-duty hours (behaviour_kpis)
            vehicle_hours=float(kpis["vehicle_hours"]) if "vehicle_hours" in kpis else None,
        ),
        name="kpi",
    ).drop(["vehicle_hours"] if "vehicle_hours" in kpis else [])


def _share(served: pd.DataFrame, column: str) -> float:
    if column not in served.columns or not len(served):
        return float("nan")
    return float(served[column].mean())


def _late_mean(served: pd.DataFrame) -> float:
    if "late_pickup" not in served.columns or not served["late_pickup"].any():
        return 0.0 if len(served) else float("nan")
    late = served[served["late_pickup"]]
    return float((late["pickup_s"] - late["planned_pickup_s"]).mean())
