"""Synthetic demand: time-varying Poisson requests on the nodes of a service area.

When
    Requests arrive as a non-homogeneous Poisson process whose rate follows
    a 24-hour :class:`~idrt.demand.profile.Profile` inside the service hours,
    scaled so that the expected number of requests is exactly
    ``trips_per_day``. It is sampled by thinning (Lewis and Shedler, 1979):
    candidate times from a homogeneous process at the peak rate, each kept
    with probability ``rate(t) / peak``.

Where (one of three models; every trip end is a node inside the area)
    - *zone weights* (default): origin and destination are drawn
      independently from the node weights of the attractors
      (:mod:`idrt.demand.attractors`; uniform without attractors);
    - *gravity* (``gravity_beta_per_s``): the origin is drawn from the node
      weights ``w``, the destination with ``P(d | o) ∝ w_d · exp(-β t_od)``,
      ``t_od`` the free-flow driving time in seconds from the routing core;
    - *OD matrix* (``od_matrix``): a zone pair is drawn in proportion to its
      matrix entry, then an origin and a destination uniformly within the two
      zones (zones are attractor names, or node ids).

    In every model the destination differs from the origin and lies at least
    ``min_trip_m`` (straight line) from it: ``P(d | o)`` is the model's
    distribution restricted to those nodes and renormalised; origins with no
    such destination are never drawn.

Who
    A group size per request from ``group_sizes``, and with probability
    ``prebooked_share`` a pre-booked request, booked ``booking_lead_s``
    before its requested time (never before midnight).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.spatial import ConvexHull

from idrt import routing
from idrt.demand._validate import (
    SECONDS_PER_HOUR,
    as_generator,
    discrete_distribution,
    positive,
    service_window_s,
)
from idrt.demand.area import ServiceArea
from idrt.demand.attractors import Attractors, load_attractors
from idrt.demand.profile import Profile, load_profile
from idrt.demand.trips import Demand
from idrt.errors import DemandError

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["DEFAULT_GROUP_SIZES", "PoissonSpec", "generate", "poisson"]

DEFAULT_GROUP_SIZES: Mapping[int, float] = MappingProxyType({1: 0.85, 2: 0.12, 3: 0.03})
"""Share of requests by number of riders travelling together."""

_CHUNK = 512
"""Origins handled at once when building destination distributions (memory bound)."""


@dataclass(frozen=True, eq=False)
class PoissonSpec:
    """Everything :func:`poisson` needs besides the network, the area and the seed.

    Fields are converted and validated on construction (see :func:`poisson`
    for their meaning); a bad value raises :class:`~idrt.errors.DemandError`.
    """

    trips_per_day: float
    profile: Profile | str | os.PathLike[str] | Sequence[float] | None = None
    attractors: Attractors | Mapping[str, Any] | str | os.PathLike[str] | None = None
    gravity_beta_per_s: float | None = None
    od_matrix: pd.DataFrame | str | os.PathLike[str] | None = None
    group_sizes: Mapping[int, float] | tuple[tuple[int, float], ...] = tuple(
        DEFAULT_GROUP_SIZES.items()
    )
    prebooked_share: float = 0.0
    booking_lead_s: tuple[float, float] | Any = (1800.0, 7200.0)
    service_hours: tuple[float, float] = (0.0, 24.0)
    min_trip_m: float = 200.0

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(
            self,
            "trips_per_day",
            positive(self.trips_per_day, name="trips_per_day", allow_zero=True),
        )
        put(self, "profile", load_profile(self.profile))
        put(self, "attractors", load_attractors(self.attractors))
        start_s, end_s = service_window_s(self.service_hours)
        put(self, "service_hours", (start_s / SECONDS_PER_HOUR, end_s / SECONDS_PER_HOUR))
        self.profile.hour_weights(self.service_hours)  # demand inside the service hours
        put(self, "min_trip_m", positive(self.min_trip_m, name="min_trip_m", allow_zero=True))
        share = positive(self.prebooked_share, name="prebooked_share", allow_zero=True)
        if share > 1.0:
            msg = f"prebooked_share must lie in [0, 1], got {self.prebooked_share!r}"
            raise DemandError(msg)
        put(self, "prebooked_share", share)
        groups = self.group_sizes
        if not isinstance(groups, Mapping):
            try:
                groups = dict(groups)
            except (TypeError, ValueError):
                msg = f"group_sizes must be a mapping {{riders: probability}}, got {groups!r}"
                raise DemandError(msg) from None
        sizes, probs = discrete_distribution(groups, name="group_sizes")
        ints = [_riders(s) for s in sizes]  # TOML keys arrive as strings: "1", "2"
        if None in ints:
            msg = f"group_sizes keys must be whole numbers of riders >= 1, got {sizes.tolist()}"
            raise DemandError(msg)
        put(self, "group_sizes", tuple(zip(ints, probs.tolist(), strict=True)))
        lead = self.booking_lead_s
        if not hasattr(lead, "rvs"):
            try:
                lo, hi = (float(v) for v in lead)
            except (TypeError, ValueError):
                msg = (
                    "booking_lead_s must be (min_s, max_s) of a uniform lead time or a "
                    f"scipy.stats distribution in seconds, got {lead!r}"
                )
                raise DemandError(msg) from None
            if not (0.0 <= lo <= hi < math.inf):
                msg = f"booking_lead_s=(min_s, max_s) needs 0 <= min_s <= max_s, got {lead!r}"
                raise DemandError(msg)
            put(self, "booking_lead_s", (lo, hi))
        if self.gravity_beta_per_s is not None:
            put(
                self,
                "gravity_beta_per_s",
                positive(self.gravity_beta_per_s, name="gravity_beta_per_s", allow_zero=True),
            )
        if self.od_matrix is not None:
            if self.gravity_beta_per_s is not None:
                msg = "give either gravity_beta_per_s or od_matrix, not both"
                raise DemandError(msg)
            put(self, "od_matrix", _load_od_matrix(self.od_matrix))


def _riders(value: Any) -> int | None:
    """A group size as an int >= 1, or None if it is not one."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() and f >= 1 else None


def poisson(
    net: RoadNetwork,
    area: ServiceArea,
    trips_per_day: float,
    *,
    profile: Profile | str | os.PathLike[str] | Sequence[float] | None = None,
    attractors: Attractors | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    gravity_beta_per_s: float | None = None,
    od_matrix: pd.DataFrame | str | os.PathLike[str] | None = None,
    group_sizes: Mapping[int, float] = DEFAULT_GROUP_SIZES,
    prebooked_share: float = 0.0,
    booking_lead_s: tuple[float, float] | Any = (1800.0, 7200.0),
    service_hours: tuple[float, float] = (0.0, 24.0),
    min_trip_m: float = 200.0,
    seed: int | np.random.Generator | None = None,
    name: str = "poisson",
) -> Demand:
    """Generate a day of requests: time-varying Poisson arrivals on the area's nodes.

    See the module docstring for the models.

    Parameters
    ----------
    net
        The road network; trip ends are its nodes.
    area
        Service area; only nodes inside it are origins or destinations.
    trips_per_day
        Expected number of requests within the service hours (the realised
        count is Poisson distributed around it).
    profile
        24 hourly shares: a :class:`Profile`, an ``hour,share`` CSV path, a
        profile name in ``demand/profiles`` (``"weekday"``) or 24 numbers;
        default flat. Shares outside ``service_hours`` are dropped and the
        rest renormalised.
    attractors
        Points or zones with weights (TOML path, mapping or
        :class:`Attractors`); default uniform over the area's nodes.
    gravity_beta_per_s
        If given, destinations follow the gravity model
        ``P(d | o) ∝ w_d · exp(-β t_od)`` with β in 1/s and ``t_od`` the
        free-flow driving time in seconds (e.g. ``1/600``: a destination 10
        minutes farther is e times less likely). 0 gives zone weights.
    od_matrix
        Origin-destination weights between zones (DataFrame or CSV path with
        the origin zones in the first column). Labels are attractor names
        (zones of ``attractors``) or node ids.
    group_sizes
        ``{riders: probability}``.
    prebooked_share
        Probability that a request is pre-booked, in [0, 1].
    booking_lead_s
        Lead time of pre-booked requests in seconds: ``(min, max)`` of a
        uniform distribution, or a frozen ``scipy.stats`` distribution
        (sampled with ``rvs(size=..., random_state=generator)``).
    service_hours
        ``(start_h, end_h)``, e.g. ``(6, 23)``; requests fall inside.
    min_trip_m
        Minimum straight-line distance between origin and destination, metres.
    seed
        Seed (or generator) of the one random generator of this call: same
        seed, same arguments → identical requests.
    name
        Label of the result.

    Returns
    -------
    Demand

    Raises
    ------
    DemandError
        Bad arguments, an area with fewer than two nodes, attractors or OD
        zones outside the area, or no admissible origin-destination pair.

    Examples
    --------
    >>> net = idrt.load_network("yeongjong")                      # doctest: +SKIP
    >>> area = ServiceArea.from_geojson("demand/yeongjong_area.geojson")  # doctest: +SKIP
    >>> demand = poisson(net, area, 3000, profile="weekday",
    ...                  attractors="demand/yeongjong_attractors.toml", seed=7)  # doctest: +SKIP
    """
    spec = PoissonSpec(
        trips_per_day=trips_per_day,
        profile=profile,
        attractors=attractors,
        gravity_beta_per_s=gravity_beta_per_s,
        od_matrix=od_matrix,
        group_sizes=group_sizes,
        prebooked_share=prebooked_share,
        booking_lead_s=booking_lead_s,
        service_hours=service_hours,
        min_trip_m=min_trip_m,
    )
    return generate(net, area, spec, seed=seed, name=name)


def generate(
    net: RoadNetwork,
    area: ServiceArea,
    spec: PoissonSpec,
    *,
    seed: int | np.random.Generator | None = None,
    name: str = "poisson",
) -> Demand:
    """Generate requests from a :class:`PoissonSpec` (what :func:`poisson` calls)."""
    if not isinstance(area, ServiceArea):
        msg = f"area must be a ServiceArea, got {type(area).__name__}; see ServiceArea.from_geojson"
        raise DemandError(msg)
    rng = as_generator(seed)
    candidates = np.flatnonzero(area.node_mask(net))
    if candidates.size < 2:
        msg = (
            f"service area {area.name!r} holds {candidates.size} node(s) of network "
            f"{net.name!r}; it needs at least two. Check that it overlaps the network"
        )
        raise DemandError(msg)

    # The order of the draws below is fixed: it is what makes a seed reproducible.
    times = _arrival_times(spec, rng)
    n = times.size
    sizes = np.array([s for s, _ in spec.group_sizes], dtype=np.int64)
    probs = np.array([p for _, p in spec.group_sizes], dtype=np.float64)
    pax = sizes[_pick(np.cumsum(probs), rng.random(n))]
    prebooked = rng.random(n) < spec.prebooked_share
    lead = _lead_times(spec.booking_lead_s, n, rng)
    booking = np.where(prebooked, np.maximum(times - lead, 0.0), times)

    if spec.od_matrix is not None:
        o_pos, d_pos = _od_matrix_ends(net, candidates, spec, n, rng)
    else:
        o_pos, d_pos = _weighted_ends(net, candidates, spec, n, rng)
    o_idx, d_idx = candidates[o_pos], candidates[d_pos]
    frame = pd.DataFrame(
        {
            "request_time_s": times,
            "booking_time_s": booking,
            "prebooked": prebooked,
            "origin_node": net.node_ids[o_idx],
            "destination_node": net.node_ids[d_idx],
            "pax": pax,
            "origin_lon": net.lon[o_idx],
            "origin_lat": net.lat[o_idx],
            "destination_lon": net.lon[d_idx],
            "destination_lat": net.lat[d_idx],
            "origin_snap_m": 0.0,
            "destination_snap_m": 0.0,
        }
    )
    return Demand.from_frame(frame, service_hours=spec.service_hours, name=name)


# --------------------------------------------------------------------- when
def _arrival_times(spec: PoissonSpec, rng: np.random.Generator) -> np.ndarray:
    """Sorted request times (s) of a Poisson process with the profile's rate, by thinning."""
    start_s, end_s = service_window_s(spec.service_hours)
    rate = spec.profile.rate_per_s(spec.trips_per_day, spec.service_hours)
    peak = float(rate.max())
    if peak <= 0.0:
        return np.empty(0, dtype=np.float64)
    n_candidates = rng.poisson(peak * (end_s - start_s))
    t = rng.uniform(start_s, end_s, size=n_candidates)
    hour = np.minimum((t // SECONDS_PER_HOUR).astype(np.int64), 23)
    keep = rng.random(n_candidates) * peak < rate[hour]
    return np.sort(t[keep])


def _lead_times(lead: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    if hasattr(lead, "rvs"):
        values = np.asarray(lead.rvs(size=n, random_state=rng), dtype=np.float64).reshape(n)
        if n and not (np.all(np.isfinite(values)) and values.min() >= 0.0):
            msg = (
                "booking_lead_s distribution gave negative or non-finite lead times; "
                "use one on [0, inf)"
            )
            raise DemandError(msg)
        return values
    lo, hi = lead
    return rng.uniform(lo, hi, size=n)


# -------------------------------------------------------------------- where
def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws: index ``i`` with ``cdf[i-1] <= u * cdf[-1] < cdf[i]``.

    Entries of zero weight (flat steps of the CDF) are never chosen.
    """
    total = cdf[-1]
    idx = np.searchsorted(cdf, u * total, side="right")
    last = int(np.flatnonzero(np.diff(cdf, prepend=0.0) > 0)[-1])
    return np.minimum(idx, last)


def _allowed(net: RoadNetwork, o_idx: np.ndarray, d_idx: np.ndarray, min_trip_m: float):
    """Boolean matrix: destination ``d_idx[j]`` is admissible for origin ``o_idx[i]``."""
    dx = net.x_m[o_idx][:, None] - net.x_m[d_idx][None, :]
    dy = net.y_m[o_idx][:, None] - net.y_m[d_idx][None, :]
    ok = o_idx[:, None] != d_idx[None, :]
    if min_trip_m > 0:
        ok &= np.hypot(dx, dy) >= min_trip_m
    return ok


def _reach(
    net: RoadNetwork, candidates: np.ndarray, positive: np.ndarray, min_trip_m: float
) -> np.ndarray:
    """Whether each candidate origin has an admissible destination of positive weight.

    The farthest point of a set from any origin is a vertex of the set's convex
    hull, so only hull vertices are compared: O(n x hull) instead of O(n^2).
    """
    dest = candidates[positive]
    if dest.size == 0:
        return np.zeros(candidates.size, dtype=bool)
    xy = np.column_stack([net.x_m[dest], net.y_m[dest]])
    try:
        far = xy[ConvexHull(xy).vertices] if dest.size >= 3 else xy
    except Exception:  # collinear or duplicate points: compare with all
        far = xy
    ox, oy = net.x_m[candidates], net.y_m[candidates]
    farthest = np.zeros(candidates.size)
    for lo in range(0, far.shape[0], _CHUNK):
        chunk = far[lo : lo + _CHUNK]
        d = np.hypot(ox[:, None] - chunk[None, :, 0], oy[:, None] - chunk[None, :, 1])
        farthest = np.maximum(farthest, d.max(axis=1))
    if min_trip_m > 0:
        return farthest >= min_trip_m
    # destination must differ from the origin: any other positive node will do
    return (dest.size > 1) | ~positive


def _zone_destinations(
    net: RoadNetwork,
    candidates: np.ndarray,
    w: np.ndarray,
    o_pos: np.ndarray,
    min_trip_m: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Destinations ∝ w among admissible nodes, by rejection sampling.

    Draws from the whole weight vector and redraws the inadmissible ones (the
    origin itself, or closer than ``min_trip_m``): exactly the distribution
    restricted to the admissible set, in O(n) per round instead of an O(n^2)
    admissibility matrix. Trips still rejected after 64 rounds (origins whose
    admissible set carries almost no weight) are drawn from that set directly.
    """
    cdf = np.cumsum(w)
    n = o_pos.size
    d_pos = np.full(n, -1, dtype=np.int64)
    todo = np.arange(n)
    for _ in range(64):
        if todo.size == 0:
            return d_pos
        draw = _pick(cdf, rng.random(todo.size))
        ok = _allowed_pairs(net, candidates[o_pos[todo]], candidates[draw], min_trip_m)
        d_pos[todo[ok]] = draw[ok]
        todo = todo[~ok]
    for trip in todo.tolist():
        allowed = _allowed(net, candidates[o_pos[trip : trip + 1]], candidates, min_trip_m)[0]
        d_pos[trip] = _pick(np.cumsum(np.where(allowed, w, 0.0)), rng.random(1))[0]
    return d_pos


def _allowed_pairs(net: RoadNetwork, o: np.ndarray, d: np.ndarray, min_trip_m: float):
    """Elementwise: destination ``d[k]`` is admissible for origin ``o[k]``."""
    ok = o != d
    if min_trip_m > 0:
        ok &= np.hypot(net.x_m[o] - net.x_m[d], net.y_m[o] - net.y_m[d]) >= min_trip_m
    return ok


def _weighted_ends(
    net: RoadNetwork, candidates: np.ndarray, spec: PoissonSpec, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Origins ∝ w, destinations ∝ w (zone weights) or w·exp(-βt) (gravity)."""
    w = spec.attractors.node_weights(net, candidates)
    # An origin can be drawn only if some admissible destination has weight.
    reach = _reach(net, candidates, w > 0, spec.min_trip_m)
    w_origin = np.where(reach, w, 0.0)
    if not w_origin.sum() > 0.0:
        msg = (
            f"no origin-destination pair of the service area is at least min_trip_m="
            f"{spec.min_trip_m} m apart; lower min_trip_m or widen the area"
        )
        raise DemandError(msg)
    o_pos = _pick(np.cumsum(w_origin), rng.random(n))
    beta = spec.gravity_beta_per_s
    if not beta:
        return o_pos, _zone_destinations(net, candidates, w, o_pos, spec.min_trip_m, rng)
    u_dest = rng.random(n)
    d_pos = np.empty(n, dtype=np.int64)
    order = np.argsort(o_pos, kind="stable")
    uniq, starts = np.unique(o_pos[order], return_index=True)
    bounds = np.append(starts, n)
    for lo in range(0, uniq.size, _CHUNK):
        rows = uniq[lo : lo + _CHUNK]
        weights = np.where(_allowed(net, candidates[rows], candidates, spec.min_trip_m), w, 0.0)
        if beta:
            t = routing.many_to_many(net.csr, candidates[rows], candidates).astype(np.float64)
            t_min = np.min(np.where(weights > 0, t, np.inf), axis=1, keepdims=True)
            with np.errstate(invalid="ignore"):
                weights = weights * np.exp(-beta * (t - t_min))
            weights = np.where(np.isfinite(t), weights, 0.0)
            stuck = ~(weights.sum(axis=1) > 0.0)
            if stuck.any():
                node = int(net.node_ids[candidates[rows[np.flatnonzero(stuck)[0]]]])
                msg = (
                    f"gravity model: no destination can be reached from node {node}; "
                    "check that the service area lies on one connected network"
                )
                raise DemandError(msg)
        for k in range(rows.size):
            trips = order[bounds[lo + k] : bounds[lo + k + 1]]
            d_pos[trips] = _pick(np.cumsum(weights[k]), u_dest[trips])
    return o_pos, d_pos


def _load_od_matrix(source: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            msg = f"OD matrix file {str(path)!r} does not exist; check the path"
            raise DemandError(msg)
        try:
            frame = pd.read_csv(path, index_col=0, comment="#")
        except (ValueError, pd.errors.ParserError) as exc:
            msg = f"OD matrix {str(path)!r} is not a CSV matrix (origins in column 1): {exc}"
            raise DemandError(msg) from None
        where = str(path)
    elif isinstance(source, pd.DataFrame):
        frame, where = source, "od_matrix"
    else:
        msg = f"od_matrix must be a pandas DataFrame or a CSV path, got {type(source).__name__}"
        raise DemandError(msg)
    try:
        values = frame.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{where}: OD matrix entries must be numbers"
        raise DemandError(msg) from None
    if values.size == 0 or not np.all(np.isfinite(values)) or values.min() < 0:
        msg = f"{where}: OD matrix entries must be finite numbers >= 0"
        raise DemandError(msg)
    if not values.sum() > 0:
        msg = f"{where}: OD matrix entries are all 0; give some pairs a positive weight"
        raise DemandError(msg)
    return pd.DataFrame(
        values, index=[_label(v) for v in frame.index], columns=[_label(v) for v in frame.columns]
    )


def _label(v: Any) -> Any:
    """Zone label: an int for whole numbers (node ids read from CSV as text), else str."""
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return int(v)
    s = str(v).strip()
    try:
        return int(s)
    except ValueError:
        return s


def _od_matrix_ends(
    net: RoadNetwork, candidates: np.ndarray, spec: PoissonSpec, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Zone pair ∝ matrix entry, then origin and destination uniform within the zones."""
    od = spec.od_matrix
    labels = list(dict.fromkeys([*od.index, *od.columns]))
    zones = _od_zones(net, candidates, spec.attractors, labels)
    values = od.to_numpy()
    cells = np.argwhere(values > 0)
    weights = values[values > 0]
    cell = _pick(np.cumsum(weights), rng.random(n))
    u_orig = rng.random(n)
    u_dest = rng.random(n)
    o_pos = np.empty(n, dtype=np.int64)
    d_pos = np.empty(n, dtype=np.int64)
    for c in np.unique(cell):
        a, b = _label(od.index[cells[c][0]]), _label(od.columns[cells[c][1]])
        zone_a, zone_b = zones[a], zones[b]
        ok = _allowed(net, candidates[zone_a], candidates[zone_b], spec.min_trip_m)
        valid = np.flatnonzero(ok.any(axis=1))
        if valid.size == 0:
            msg = (
                f"OD pair ({a!r}, {b!r}) has no origin and destination at least "
                f"min_trip_m={spec.min_trip_m} m apart (and distinct); set its entry to 0 "
                "or lower min_trip_m"
            )
            raise DemandError(msg)
        trips = np.flatnonzero(cell == c)
        rows = valid[np.minimum((u_orig[trips] * valid.size).astype(np.int64), valid.size - 1)]
        o_pos[trips] = zone_a[rows]
        for r in np.unique(rows):
            sel = trips[rows == r]
            allowed = np.flatnonzero(ok[r])
            k = np.minimum((u_dest[sel] * allowed.size).astype(np.int64), allowed.size - 1)
            d_pos[sel] = zone_b[allowed[k]]
    return o_pos, d_pos


def _od_zones(
    net: RoadNetwork, candidates: np.ndarray, attractors: Attractors, labels: list[Any]
) -> dict[Any, np.ndarray]:
    """Candidate positions of each OD-matrix zone (attractor name or node id)."""
    names = set(attractors.names)
    if all(isinstance(v, str) for v in labels):
        unknown = [v for v in labels if v not in names]
        if unknown:
            msg = (
                f"OD matrix zones {unknown} are not attractor names {sorted(names)}; name "
                "the zones in attractors= or label the matrix with node ids"
            )
            raise DemandError(msg)
        members = attractors.zone_members(net, candidates)
        return {v: members[v] for v in labels}
    if all(isinstance(v, int) for v in labels):
        out = {}
        for v in labels:
            try:
                idx = net.index_of(v)
            except ValueError:
                idx = -1
            pos = np.flatnonzero(candidates == idx)
            if pos.size == 0:
                msg = f"OD matrix node {v} is not a node of the service area; check the ids"
                raise DemandError(msg)
            out[v] = pos
        return out
    msg = f"OD matrix labels must all be attractor names or all node ids, got {labels[:6]}"
    raise DemandError(msg)
