"""Reference tables of idrt, generated from the code: scenario keys, table columns, KPIs, CLI.

The documentation site's reference pages are written from these functions
(``docs/gen_reference.py``), and a test fails when a scenario key, a column
of a result table or a KPI has no entry, so the reference cannot drift from
the code:

* :func:`scenario_keys` — every ``section.key`` with type, unit, default and
  meaning, read from the configuration dataclasses and their numpydoc
  ``Attributes`` sections;
* :data:`REQUEST_COLUMNS`, :data:`VEHICLE_COLUMNS`, :data:`EVENT_COLUMNS`,
  :data:`PASSAGE_COLUMNS` and :data:`KPIS` — name → (unit, meaning);
* :func:`cli_reference` — every command and option of ``idrt``, from argparse.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re

import pandas as pd

from idrt.cli import build_parser
from idrt.scenario import SECTIONS, Scenario

__all__ = [
    "AREA_KPI_PREFIXES",
    "EVENT_COLUMNS",
    "KPIS",
    "PASSAGE_COLUMNS",
    "REQUEST_COLUMNS",
    "VEHICLE_COLUMNS",
    "cli_reference",
    "documented_kpi",
    "markdown_table",
    "scenario_keys",
    "unit_of",
]

REQUEST_COLUMNS: dict[str, tuple[str, str]] = {
    "request_id": ("", "request id, 0..n-1 in booking order"),
    "booking_time_s": ("s", "when the request was made, seconds after midnight"),
    "request_time_s": ("s", "requested (earliest) pickup time, seconds after midnight"),
    "origin_node": ("", "origin node id (source network id)"),
    "destination_node": ("", "destination node id"),
    "pax": ("riders", "group size"),
    "prebooked": ("", "booked ahead of the requested time"),
    "status": ("", "served / rejected / pending (more with rider behaviour)"),
    "reason": ("", "why a request was rejected (empty otherwise)"),
    "vehicle": ("", "vehicle that served it (-1: none)"),
    "pickup_node": ("", "where the rider boarded (a stop in stop-based service)"),
    "dropoff_node": ("", "where the rider alighted"),
    "promised_pickup_s": ("s", "latest pickup promised at booking"),
    "planned_pickup_s": ("s", "pickup time quoted at booking"),
    "planned_dropoff_s": ("s", "drop-off time quoted at booking"),
    "pickup_s": ("s", "realised pickup (bus at the stop and rider there)"),
    "pickup_departure_s": ("s", "departure after the pickup dwell"),
    "dropoff_s": ("s", "realised drop-off"),
    "direct_s": ("s", "direct drive time origin → destination (free flow)"),
    "max_ride_s": ("s", "longest ride allowed (alpha · direct + beta)"),
    "walk_m": ("m", "walking to and from the stops (stop-based service)"),
    "walk_pickup_s": ("s", "walk to the pickup stop"),
    "walk_dropoff_s": ("s", "walk from the drop-off stop"),
    "walk_s": ("s", "total walking time"),
    "wait_s": ("s", "pickup minus requested time"),
    "in_vehicle_s": ("s", "drop-off minus pickup"),
    "ride_s": ("s", "drop-off minus departure from the pickup"),
    "detour_ratio": ("", "in-vehicle time over direct time"),
    "shared": ("", "shared the bus with another group on the way"),
    "missed_promise": ("", "picked up after the promised latest pickup"),
    "late_pickup": ("", "picked up later than quoted by more than the tolerance"),
    "transit_door_to_door_s": ("s", "door to door by today's transit ([transit] gtfs)"),
    "rider_id": ("", "the person asking ([behaviour]): repeated requests share it"),
    "attempt": ("", "1 for a rider's first request, 2, 3, … for requests made again"),
}
"""Columns of ``Result.requests``: name → (unit, meaning)."""

VEHICLE_COLUMNS: dict[str, tuple[str, str]] = {
    "vehicle": ("", "vehicle index"),
    "depot_node": ("", "node id where it started"),
    "capacity": ("seats", "seats"),
    "km": ("km", "distance driven"),
    "empty_km": ("km", "distance driven with nobody on board"),
    "pax_km": ("passenger-km", "rider-kilometres carried (group size × km)"),
    "rebalancing_km": ("km", "driven on rebalancing moves (part of km and empty_km)"),
    "busy_h": ("h", "hours not idle"),
    "mean_occupancy": ("riders", "pax_km / km"),
    "pickups": ("", "pickups made"),
    "dropoffs": ("", "drop-offs made"),
    "final_node": ("", "node id at the end of the day"),
    "no_show_wait_h": ("h", "time spent waiting for riders who did not come"),
    "no_show_km": ("km", "driven since the previous stop towards riders who did not come"),
    "cancel_km": ("km", "driven towards pickups cancelled while the bus was on its way"),
    "on_duty_h": ("h", "on-duty hours of the vehicle's shifts (fleet.shifts)"),
}
"""Columns of ``Result.vehicles``: name → (unit, meaning)."""

EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "time_s": ("s", "seconds after midnight"),
    "vehicle": ("", "vehicle index (-1: the dispatcher)"),
    "kind": ("", "request, accept, reject, depart, arrive, divert, pickup, dropoff, idle, …"),
    "node": ("", "node id where it happened (-1: none)"),
    "request": ("", "request id (-1: none)"),
    "load": ("riders", "riders on board after the event"),
}
"""Columns of ``Result.events``: name → (unit, meaning)."""

PASSAGE_COLUMNS: dict[str, tuple[str, str]] = {
    "time_s": ("s", "when the vehicle reached the intersection"),
    "vehicle": ("", "vehicle index"),
    "intersection_id": ("", "signalised intersection id"),
    "hour": ("h", "hour of the day"),
    "delay_s": ("s", "realised signal delay of this passage"),
    "expected_delay_s": ("s", "expected delay at the day's flows"),
}
"""Columns of ``Result.signal_passages``: name → (unit, meaning)."""

KPIS: dict[str, tuple[str, str]] = {
    "requests": ("", "requests in the day"),
    "served": ("", "requests served"),
    "rejected": ("", "requests rejected"),
    "pending": ("", "requests neither served nor rejected at the end (0 in a full day)"),
    "served_share": ("0-1", "served / requests"),
    "reject_share": ("0-1", "rejected / requests"),
    "wait_mean_s": ("s", "mean wait of served requests (pickup - requested time)"),
    "wait_p50_s": ("s", "median wait"),
    "wait_p95_s": ("s", "95th percentile wait (numpy linear interpolation)"),
    "in_vehicle_mean_s": ("s", "mean in-vehicle time"),
    "ride_time_ratio": ("", "mean in-vehicle / direct time"),
    "walk_mean_m": ("m", "mean walking distance (stop-based)"),
    "passengers": ("riders", "riders carried (group sizes summed)"),
    "vehicle_km": ("km", "fleet distance"),
    "rebalancing_km": ("km", "of which rebalancing"),
    "empty_km_share": ("0-1", "empty km / km"),
    "vehicle_km_per_passenger": ("km", "vehicle_km / passengers"),
    "passengers_per_vehicle_hour": ("riders/h", "passengers / (vehicles × service hours)"),
    "shared_ride_share": ("0-1", "served requests that shared the bus"),
    "mean_occupancy": ("riders", "passenger-km / vehicle-km"),
    "fleet_size": ("vehicles", "vehicles in the run"),
    "missed_promise_share": ("0-1", "served riders picked up after the promise"),
    "late_pickup_share": ("0-1", "served riders picked up later than quoted (tolerance)"),
    "late_pickup_mean_s": ("s", "mean lateness of those late riders"),
    "signal_passages_per_km": ("1/km", "signal passages per vehicle-km (traffic model)"),
    "signal_delay_per_passage_s": ("s", "mean realised signal delay per passage"),
    "transit_door_to_door_mean_s": ("s", "mean door to door by today's transit"),
    "drt_time_saved_mean_s": ("s", "transit minus DRT door to door, mean per rider"),
    "faster_than_transit_share": ("0-1", "served riders faster by DRT than by transit"),
    "unique_riders": ("riders", "people who asked (rider_id), counted once"),
    "riders_carried": ("riders", "people served on some attempt"),
    "repeat_request_share": ("0-1", "requests that are a second or later attempt"),
    "declined": ("", "offers the rider turned down"),
    "declined_share": ("0-1", "declined / requests"),
    "cancelled": ("", "requests cancelled while waiting"),
    "cancelled_share": ("0-1", "cancelled / requests"),
    "no_show": ("", "riders who did not come to the bus"),
    "no_show_share": ("0-1", "no-shows / requests"),
    "no_show_wait_h": ("h", "bus time spent waiting for no-shows"),
    "lost_km": ("km", "km driven towards no-shows and cancelled pickups"),
    "km_per_on_duty_hour": ("km/h", "vehicle-km / on-duty hours (shifts)"),
    "vehicle_hours": ("h", "vehicle-hours the cost is counted on (on duty, or service hours)"),
    "operating_cost_per_day": ("currency", "capital + drivers + energy + maintenance, per day"),
    "cits_cost_per_day": ("currency", "equipped C-ITS intersections' annual cost / service days"),
    "cost_per_day": ("currency", "operating + C-ITS cost per day"),
    "cost_per_rider": ("currency", "cost per day / passengers"),
    "cost_per_vehicle_hour": ("currency", "cost per day / vehicle-hours"),
    "cost_per_vehicle_km": ("currency", "cost per day / vehicle-km"),
    "fare_revenue_per_day": ("currency", "fare x passengers"),
    "farebox_recovery_share": ("0-1", "fare revenue / cost"),
    "subsidy_per_day": ("currency", "cost - fare revenue, per day"),
    "subsidy_per_rider": ("currency", "subsidy per day / passengers"),
}
"""KPIs of ``Result.summary()``: name → (unit, meaning).

Scenarios with an expansion area also report ``base_<kpi>`` and
``expansion_<kpi>`` for the KPIs of :data:`AREA_KPI_PREFIXES`' areas (requests by
origin area): same unit and meaning, restricted to that area.
"""

AREA_KPI_PREFIXES = ("base_", "expansion_")
"""Prefixes of the per-area KPIs of expansion scenarios (see :data:`KPIS`)."""


def documented_kpi(name: str) -> bool:
    """Whether a KPI name is in :data:`KPIS`, directly or as an area prefix of one."""
    if name in KPIS:
        return True
    return any(name.startswith(p) and name[len(p) :] in KPIS for p in AREA_KPI_PREFIXES)


_UNITS = (
    ("_kmh", "km/h"),
    ("_mps", "m/s"),
    ("_per_s", "1/s"),
    ("_s", "s"),
    ("_m", "m"),
    ("_h", "h"),
    ("_km", "km"),
    ("_share", "0-1"),
)


def unit_of(name: str) -> str:
    """The unit a key's name declares by its suffix (``_s`` seconds, ``_m`` metres, …)."""
    for suffix, unit in _UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def _attributes(cls: type) -> dict[str, str]:
    """Meaning of each attribute from a numpydoc ``Attributes`` section."""
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"Attributes\n-+\n(.*?)(?=\n\n[A-Z][\w ]+\n-+\n|\Z)", doc, re.S)
    out: dict[str, str] = {}
    if not match:
        return out
    current: list[str] = []
    for line in match.group(1).splitlines():
        if line and not line.startswith(" "):
            current = [n.strip() for n in line.split(":")[0].split(",")]
            for n in current:
                out[n] = ""
        elif current and line.strip():
            for n in current:
                out[n] = (out[n] + " " + line.strip()).strip()
    return out


def _default(f: dataclasses.Field) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def scenario_keys() -> pd.DataFrame:
    """Every scenario key: ``key``, ``type``, ``unit``, ``default``, ``meaning``.

    Defaults are those of :class:`idrt.Scenario()` (the embedded pilot),
    including section defaults that the scenario sets itself.
    """
    scn = Scenario()
    rows = []
    for section, cls in SECTIONS.items():
        docs = _attributes(cls)
        current = getattr(scn, section)
        for f in dataclasses.fields(cls):
            value = getattr(current, f.name, _default(f))
            rows.append(
                {
                    "key": f"{section}.{f.name}",
                    "type": str(f.type),
                    "unit": unit_of(f.name),
                    "default": repr(value),
                    "meaning": docs.get(f.name, ""),
                }
            )
    return pd.DataFrame(rows)


def cli_reference() -> pd.DataFrame:
    """Every ``idrt`` command and option: ``command``, ``option``, ``help``."""
    rows: list[dict[str, str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                for name, sub in action.choices.items():
                    rows.append({"command": f"{prefix} {name}".strip(), "option": "",
                                 "help": helps.get(name, sub.description or "")})  # fmt: skip
                    walk(sub, f"{prefix} {name}")
            elif not isinstance(action, argparse._HelpAction):
                name = ", ".join(action.option_strings) or action.dest.upper()
                rows.append({"command": prefix.strip(), "option": name, "help": action.help or ""})

    walk(build_parser(), "idrt")
    return pd.DataFrame(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (pipes and newlines escaped)."""

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])
