"""Network-wide, time-dependent link travel times: BPR congestion plus signal delay.

:func:`build_travel_times` turns a :class:`~idrt.network.RoadNetwork`, a
:class:`~idrt.traffic.TrafficConfig` and a :class:`~idrt.traffic.CITSConfig`
into a :class:`TimeSlicedTravelTimes`: one link-time array per hour of the
day, each a drop-in replacement for ``net.edge_travel_time_s``::

    link time[h, e] = BPR(t0[e], v/c[h, class(e)])  +  signal delay[h, e]

The signal model
----------------
* **Where**: the delay of passing a signalised intersection is put on the
  edge *entering* it (head node ``signal_id >= 0``), once per passage: an edge
  whose tail and head belong to the same intersection (a cluster of tagged
  nodes) gets none.
* **Phases**: each intersection runs two phases. Its approaches are grouped
  by direction: those within 45° of the axis of its highest-class approach
  form the main-street phase, the others the side-street phase.
* **Flows**: an approach's volume is the background ``v/c`` of its road class
  times its capacity: the link capacity (:mod:`idrt.traffic.congestion`),
  but no more per lane than the saturation flow times ``green_ratio_main`` (a
  trunk road ending at a signal is as wide as the signal lets it be). Its
  flow ratio is ``y = v / (s lanes)`` and its degree of saturation
  ``X = y / (g/C)``.
* **Fixed plans**: cycle ``cycle_s``; g/C ``green_ratio_main`` and
  ``green_ratio_side`` where the main street is of a higher class than the
  side street (or there is no side street), their mean on both otherwise.
* **Adaptive plans** (``signals = "adaptive"``, or C-ITS
  ``adaptive_signals`` at equipped intersections): every hour, Webster's
  cycle from the sum of the phases' critical flow ratios and greens in
  proportion to them (:func:`~idrt.traffic.delay.webster_cycle_s`).
* **Delay**: expected control delay ``(1 - p) d1 + d2``
  (:mod:`idrt.traffic.delay`), ``p`` the share of red wait removed by bus
  priority at equipped intersections (0 elsewhere). The tables are what a
  DRT vehicle expects; the realised delay of one passage is drawn by
  :meth:`TimeSlicedTravelTimes.sample_signal_delay_s`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from idrt import routing
from idrt.errors import ScenarioError
from idrt.network.road_network import RoadNetwork
from idrt.network.speeds import ROAD_CLASSES
from idrt.traffic.config import CITSConfig, TrafficConfig, resolve_equipped
from idrt.traffic.congestion import (
    N_SLICES,
    ROAD_CLASS_RANK,
    CongestionProfile,
    _bpr,
    capacity_per_lane_vph,
    load_congestion_profile,
)
from idrt.traffic.delay import (
    _green_split,
    _incremental,
    _realised,
    _uniform,
    _webster_cycle,
    combine_delay_s,
)

__all__ = ["TimeSlicedTravelTimes", "build_travel_times", "delay_saved_by_intersection"]

_RANK_BY_CODE = np.array([ROAD_CLASS_RANK[c] for c in ROAD_CLASSES], dtype=np.int64)
_SECONDS_PER_DAY = 86_400.0
_PHASE_HALF_ANGLE = math.pi / 4


@dataclass(frozen=True, eq=False)
class TimeSlicedTravelTimes:
    """Expected link travel times per time slice, and the signal states behind them.

    Build with :func:`build_travel_times`. Slice ``h`` covers
    ``[h slice_s, (h+1) slice_s)`` seconds after midnight; times wrap around
    the day (``time_s`` of 25 h is slice 1). All arrays are read-only.

    Attributes
    ----------
    slice_s : float
        Length of a slice, s (3600).
    edge_travel_time_s : numpy.ndarray
        float64 ``(n_slices, m)``: expected link time of a DRT vehicle, s,
        ``running_time_s + signal_delay_s``. Row ``h`` replaces
        ``net.edge_travel_time_s`` in routing.
    running_time_s : numpy.ndarray
        float64 ``(n_slices, m)``: BPR link running time, s.
    signal_delay_s : numpy.ndarray
        float64 ``(n_slices, m)``: expected signal delay of a DRT vehicle on
        the edge (with priority where it applies), s; 0 off approaches.
    approach_edge : numpy.ndarray
        int64 ``(k,)``: edges entering a signalised intersection (approaches).
    approach_intersection : numpy.ndarray
        int32 ``(k,)``: intersection id of each approach.
    approach_phase : numpy.ndarray
        int8 ``(k,)``: 0 main street, 1 side street.
    approach_flow_vph : numpy.ndarray
        float64 ``(n_slices, k)``: background volume on the approach, veh/h.
    cycle_s, green_ratio, degree_of_saturation : numpy.ndarray
        float64 ``(n_slices, k)``: C (s), g/C and X of the approach.
    uniform_delay_s, incremental_delay_s : numpy.ndarray
        float64 ``(n_slices, k)``: d1 and d2 of general traffic, s.
    red_share_removed : numpy.ndarray
        float64 ``(k,)``: share of red wait priority removes for DRT vehicles.
    equipped, adaptive : numpy.ndarray
        bool ``(n_signals,)``: C-ITS equipped; running adaptive plans.
    """

    slice_s: float
    edge_travel_time_s: np.ndarray
    running_time_s: np.ndarray
    signal_delay_s: np.ndarray
    approach_edge: np.ndarray
    approach_intersection: np.ndarray
    approach_phase: np.ndarray
    approach_flow_vph: np.ndarray
    cycle_s: np.ndarray
    green_ratio: np.ndarray
    degree_of_saturation: np.ndarray
    uniform_delay_s: np.ndarray
    incremental_delay_s: np.ndarray
    red_share_removed: np.ndarray
    equipped: np.ndarray
    adaptive: np.ndarray

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __repr__(self) -> str:
        return (
            f"TimeSlicedTravelTimes(slices={self.n_slices}, edges={self.n_edges}, "
            f"approaches={self.approach_edge.size}, equipped={int(self.equipped.sum())})"
        )

    @property
    def n_slices(self) -> int:
        """Number of time slices."""
        return int(self.edge_travel_time_s.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges ``m``."""
        return int(self.edge_travel_time_s.shape[1])

    # ----------------------------------------------------------- lookups
    def slice_of(self, time_s: ArrayLike) -> Any:
        """Slice index of times (seconds after midnight of day 0; wraps daily).

        With hourly slices 08:30 is slice 8 and 01:00 of the next day (25 h,
        service past midnight) is slice 1.
        """
        if isinstance(time_s, float | int):  # one time: no array round trip
            if not math.isfinite(time_s):
                msg = f"time_s must be finite seconds after midnight, got {time_s!r}"
                raise ScenarioError(msg)
            return math.floor(time_s / self.slice_s) % self.n_slices
        t = np.asarray(time_s, dtype=np.float64)
        if not np.isfinite(t).all():
            msg = f"time_s must be finite seconds after midnight, got {time_s!r}"
            raise ScenarioError(msg)
        idx = np.floor(t / self.slice_s).astype(np.int64) % self.n_slices
        return int(idx) if idx.ndim == 0 else idx

    def weights_s(self, time_s: float) -> np.ndarray:
        """Expected link times (s, read-only ``(m,)``) of the slice holding ``time_s``."""
        return self.edge_travel_time_s[self.slice_of(time_s)]

    def graph(self, net: RoadNetwork, time_s: float) -> routing.CSRGraph:
        """The routing graph of ``net`` with the link times of the slice at ``time_s``."""
        if net.n_edges != self.n_edges:
            msg = (
                f"these travel times are for {self.n_edges} edges, the network "
                f"{net.name!r} has {net.n_edges}; build them from the same network"
            )
            raise ScenarioError(msg)
        return routing.CSRGraph(net.indptr, net.heads, self.weights_s(time_s))

    @cached_property
    def approach_of_edge(self) -> np.ndarray:
        """int64 ``(m,)``: approach index of every edge, -1 off approaches."""
        out = np.full(self.n_edges, -1, dtype=np.int64)
        out[self.approach_edge] = np.arange(self.approach_edge.size)
        out.flags.writeable = False
        return out

    # -------------------------------------------------------- realisation
    def sample_signal_delay_s(
        self, rng: np.random.Generator, edges: ArrayLike, time_s: ArrayLike
    ) -> Any:
        """Realised signal delay of DRT vehicles entering ``edges`` at ``time_s``.

        Each passage arrives at a uniformly random moment of the cycle
        (:func:`~idrt.traffic.delay.sample_signal_delay_s`); its expectation
        is ``signal_delay_s`` of the slice. Edges that are not approaches give 0.

        Parameters
        ----------
        rng
            The run's random generator.
        edges
            Edge indices (broadcast with ``time_s``).
        time_s
            Time each passage enters the edge, s after midnight.

        Returns
        -------
        float or numpy.ndarray
            Delay in seconds.
        """
        e = np.asarray(edges, dtype=np.int64)
        if e.size and (e.min() < 0 or e.max() >= self.n_edges):
            msg = f"edge indices must be in 0..{self.n_edges - 1}, got {edges!r}"
            raise ScenarioError(msg)
        if e.ndim == 1 and isinstance(time_s, float | int):
            return self.leg_signal_delay_s(rng, e, self.slice_of(time_s))
        s = np.asarray(self.slice_of(time_s))
        e, s = np.broadcast_arrays(e, s)
        a = self.approach_of_edge[e]
        on = a >= 0
        out = np.zeros(e.shape, dtype=np.float64)
        if on.any():
            sa, aa = s[on], a[on]
            u = rng.random(aa.shape)
            out[on] = _realised(
                u,
                self.cycle_s[sa, aa],
                self.green_ratio[sa, aa],
                self.degree_of_saturation[sa, aa],
                self.incremental_delay_s[sa, aa],
                self.red_share_removed[aa],
            )
        return float(out) if out.ndim == 0 else out

    def leg_signal_delay_s(self, rng: np.random.Generator, edges: np.ndarray, slice_index: int):
        """Realised signal delay on each edge of one leg entered in slice ``slice_index``, s.

        The draws and arithmetic of :meth:`sample_signal_delay_s` for a 1-D
        array of valid edge indices (int64) and one slice, without checks or
        broadcasting: the simulator's case, once per leg driven.
        """
        a = self.approach_of_edge[edges]
        on = np.flatnonzero(a >= 0)
        out = np.zeros(edges.shape, dtype=np.float64)
        if on.size:
            h = slice_index
            aa = a[on]
            u = rng.random(aa.shape)
            out[on] = _realised(
                u,
                self.cycle_s[h, aa],
                self.green_ratio[h, aa],
                self.degree_of_saturation[h, aa],
                self.incremental_delay_s[h, aa],
                self.red_share_removed[aa],
            )
        return out

    def realised_travel_time_s(
        self, rng: np.random.Generator, edges: ArrayLike, time_s: ArrayLike
    ) -> Any:
        """Realised link time: BPR running time plus a sampled signal delay, s."""
        e = np.asarray(edges, dtype=np.int64)
        s = np.asarray(self.slice_of(time_s))
        delay = np.asarray(self.sample_signal_delay_s(rng, e, time_s))
        out = self.running_time_s[s, e] + delay
        return float(out) if np.ndim(out) == 0 else out

    # ----------------------------------------------------------- reports
    def intersection_delays(self) -> pd.DataFrame:
        """Expected delay per intersection and slice, flow-weighted over approaches.

        Returns
        -------
        pandas.DataFrame
            One row per (slice, intersection): ``slice``, ``intersection_id``,
            ``equipped``, ``adaptive``, ``flow_vph`` (total approach volume),
            ``cycle_s`` (mean over approaches), ``delay_s`` (DRT vehicle,
            with priority) and ``general_delay_s`` (general traffic), both
            mean seconds per passage weighted by approach volume (unweighted
            when there is no volume).
        """
        d1, d2 = self.uniform_delay_s, self.incremental_delay_s
        drt = combine_delay_s(d1, d2, self.red_share_removed)
        general = combine_delay_s(d1, d2)
        n_sl, k = self.uniform_delay_s.shape
        frame = pd.DataFrame(
            {
                "slice": np.repeat(np.arange(n_sl), k),
                "intersection_id": np.tile(self.approach_intersection, n_sl),
                "flow_vph": self.approach_flow_vph.ravel(),
                "cycle_s": self.cycle_s.ravel(),
                "delay_s": drt.ravel(),
                "general_delay_s": general.ravel(),
            }
        )
        frame["w"] = frame["flow_vph"].where(
            frame.groupby(["slice", "intersection_id"])["flow_vph"].transform("sum") > 0, 1.0
        )
        for col in ("delay_s", "general_delay_s"):
            frame[col + "_w"] = frame[col] * frame["w"]
        g = frame.groupby(["slice", "intersection_id"], sort=True)
        out = g.agg(
            flow_vph=("flow_vph", "sum"),
            cycle_s=("cycle_s", "mean"),
            w=("w", "sum"),
            delay_w=("delay_s_w", "sum"),
            general_w=("general_delay_s_w", "sum"),
        ).reset_index()
        out["delay_s"] = out.pop("delay_w") / out["w"]
        out["general_delay_s"] = out.pop("general_w") / out.pop("w")
        ids = out["intersection_id"].to_numpy()
        out.insert(2, "equipped", self.equipped[ids])
        out.insert(3, "adaptive", self.adaptive[ids])
        return out

    def mean_delay_per_passage_s(self, *, drt: bool = True) -> float:
        """Expected signal delay per passage, weighted by approach volume over all slices, s.

        Parameters
        ----------
        drt
            Delay of a DRT vehicle (with priority where it applies); ``False``
            for general traffic.
        """
        if self.approach_edge.size == 0:
            return 0.0
        p = self.red_share_removed if drt else 0.0
        delay = combine_delay_s(self.uniform_delay_s, self.incremental_delay_s, p)
        w = self.approach_flow_vph
        return float(np.average(delay, weights=w) if w.sum() > 0 else delay.mean())


def delay_saved_by_intersection(
    base: TimeSlicedTravelTimes, other: TimeSlicedTravelTimes
) -> pd.DataFrame:
    """Expected delay saved per intersection and slice, ``base`` minus ``other``.

    Parameters
    ----------
    base
        Travel times without the measure (e.g. fixed-time signals).
    other
        Travel times with it (e.g. C-ITS), built on the same network.

    Returns
    -------
    pandas.DataFrame
        ``slice``, ``intersection_id``, ``equipped`` (in ``other``),
        ``flow_vph``, ``delay_base_s``, ``delay_s`` and ``saved_s`` (DRT
        vehicle, seconds per passage).
    """
    if base.n_edges != other.n_edges:
        msg = "compare travel times built on the same network (edge counts differ)"
        raise ScenarioError(msg)
    a = base.intersection_delays()[["slice", "intersection_id", "delay_s"]]
    b = other.intersection_delays()[["slice", "intersection_id", "equipped", "flow_vph", "delay_s"]]
    out = a.rename(columns={"delay_s": "delay_base_s"}).merge(
        b, on=["slice", "intersection_id"], how="outer"
    )
    out["saved_s"] = out["delay_base_s"].fillna(0.0) - out["delay_s"].fillna(0.0)
    return out


# --------------------------------------------------------------- building
def build_travel_times(
    net: RoadNetwork,
    traffic: TrafficConfig | None = None,
    cits: CITSConfig | None = None,
    *,
    seed: int | np.random.Generator | None = None,
    profile: CongestionProfile | None = None,
    base_dir: str = "",
) -> TimeSlicedTravelTimes:
    """Hourly link travel times of a network under a traffic and C-ITS configuration.

    Parameters
    ----------
    net
        The road network.
    traffic
        Background congestion and signals (default :class:`TrafficConfig`:
        no background traffic, fixed-time signals).
    cits
        Smart intersections (default: no C-ITS effect).
    seed
        ``None``: the historical expectation (the profile as given). An int
        or a Generator: one realised day, every hour's background v/c times a
        mean-1 lognormal factor with ``traffic.day_to_day_cv`` (adaptive
        signals re-time to it; fixed ones do not).
    profile
        A loaded profile, used instead of ``traffic.profile``.
    base_dir
        Folder of the scenario file, searched first for ``traffic.profile``.

    Returns
    -------
    TimeSlicedTravelTimes

    Raises
    ------
    ScenarioError
        Invalid profile, or C-ITS intersection ids not in the network.

    Examples
    --------
    >>> from idrt.network import load_network
    >>> net = load_network("yeongjong")
    >>> free = build_travel_times(net, TrafficConfig(signals="none"))
    >>> bool((free.edge_travel_time_s == net.edge_travel_time_s).all())
    True
    >>> tt = build_travel_times(
    ...     net,
    ...     TrafficConfig(profile="congestion_weekday"),
    ...     CITSConfig(adaptive_signals=True, bus_priority=True),
    ... )
    >>> tt.n_slices, int(tt.equipped.sum())
    (24, 69)
    >>> route_graph = tt.graph(net, 8.5 * 3600)  # link times of 08:00-09:00
    """
    traffic = TrafficConfig() if traffic is None else traffic
    cits = CITSConfig() if cits is None else cits
    prof = profile
    if prof is None:
        prof = load_congestion_profile(traffic.profile, base_dir=base_dir)
    if seed is not None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        prof = prof.perturbed(rng, traffic.day_to_day_cv, traffic.day_to_day_correlation)
    equipped = resolve_equipped(cits, net.n_signals, net)

    vc_edge = prof.edge_vc(net.road_class)
    running = _bpr(net.edge_travel_time_s[None, :], vc_edge, traffic.bpr_alpha, traffic.bpr_beta)

    if traffic.signals == "none":
        adaptive = np.zeros(net.n_signals, dtype=bool)
        edges = np.empty(0, dtype=np.int64)
    elif traffic.signals == "adaptive":
        adaptive = np.ones(net.n_signals, dtype=bool)
        edges = _approach_edges(net)
    else:
        adaptive = equipped & cits.adaptive_signals
        edges = _approach_edges(net)
    inter = net.signal_id[net.heads[edges]].astype(np.int32)
    phase, main_wins = _phases(net, edges, inter)

    cap_pl = capacity_per_lane_vph(traffic.capacity_vphpl)
    cls = net.road_class[edges].astype(np.intp)
    lanes = net.lanes[edges].astype(np.float64)
    s = traffic.saturation_flow_vphpl
    # An approach carries its class's v/c of at most what a signal lets a lane
    # pass (saturation flow x main-street g/C): a trunk road ending at a signal
    # is as wide as the signal lets it be.
    approach_cap_pl = np.minimum(cap_pl[cls], s * traffic.green_ratio_main)
    y = vc_edge[:, edges] * approach_cap_pl / s  # (S, k) flow ratio v / (s lanes)
    flow = y * s * lanes

    cycle, green = _plans(traffic, y, inter, phase, main_wins, adaptive, net.n_signals)
    x = y / green
    d1 = _uniform(cycle, green, x)
    d2 = _incremental(
        x, s * lanes * green, traffic.analysis_period_h, traffic.incremental_k, traffic.upstream_i
    )
    share = cits.priority_red_share_removed if cits.bus_priority else 0.0
    p = np.where(equipped[inter], share, 0.0)

    delay = np.zeros_like(running)
    delay[:, edges] = combine_delay_s(d1, d2, p)
    return TimeSlicedTravelTimes(
        slice_s=_SECONDS_PER_DAY / N_SLICES,
        edge_travel_time_s=running + delay,
        running_time_s=running,
        signal_delay_s=delay,
        approach_edge=edges,
        approach_intersection=inter,
        approach_phase=phase,
        approach_flow_vph=flow,
        cycle_s=cycle,
        green_ratio=green,
        degree_of_saturation=x,
        uniform_delay_s=d1,
        incremental_delay_s=d2,
        red_share_removed=p,
        equipped=equipped,
        adaptive=adaptive,
    )


def _approach_edges(net: RoadNetwork) -> NDArray[np.int64]:
    """Edges entering a signalised intersection from outside it."""
    sig = net.signal_id
    tail_sig = sig[net.edge_tails]
    head_sig = sig[net.heads]
    return np.flatnonzero((head_sig >= 0) & (tail_sig != head_sig)).astype(np.int64)


def _phases(
    net: RoadNetwork, edges: np.ndarray, inter: np.ndarray
) -> tuple[NDArray[np.int8], NDArray[np.bool_]]:
    """Main (0) / side (1) phase of every approach, and main-street dominance.

    The second array says, per intersection, whether the main street outranks
    the side street (then it gets the main green ratio).
    """
    phase = np.zeros(edges.size, dtype=np.int8)
    main_wins = np.ones(net.n_signals, dtype=bool)
    if edges.size == 0:
        return phase, main_wins
    tails = net.edge_tails[edges]
    heads = net.heads[edges]
    bearing = np.arctan2(net.y_m[heads] - net.y_m[tails], net.x_m[heads] - net.x_m[tails])
    rank = _RANK_BY_CODE[net.road_class[edges]]
    lanes = net.lanes[edges].astype(np.int64)
    # reference approach per intersection: highest rank, then most lanes, then lowest edge
    order = np.lexsort((edges, -lanes, -rank, inter))
    first = np.ones(order.size, dtype=bool)
    first[1:] = inter[order][1:] != inter[order][:-1]
    ref_bearing = np.zeros(net.n_signals)
    ref_bearing[inter[order][first]] = bearing[order][first]
    diff = np.abs(bearing - ref_bearing[inter]) % math.pi
    diff = np.minimum(diff, math.pi - diff)
    phase[diff > _PHASE_HALF_ANGLE + 1e-9] = 1
    rank_main = np.full(net.n_signals, -1, dtype=np.int64)
    rank_side = np.full(net.n_signals, -1, dtype=np.int64)
    np.maximum.at(rank_main, inter[phase == 0], rank[phase == 0])
    np.maximum.at(rank_side, inter[phase == 1], rank[phase == 1])
    return phase, rank_main > rank_side


def _plans(
    traffic: TrafficConfig,
    y: np.ndarray,
    inter: np.ndarray,
    phase: np.ndarray,
    main_wins: np.ndarray,
    adaptive: np.ndarray,
    n_signals: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cycle (s) and g/C of every approach in every slice, shape (S, k)."""
    n_sl, k = y.shape
    g_main, g_side = traffic.green_ratio_main, traffic.green_ratio_side
    g_equal = 0.5 * (g_main + g_side)
    fixed_green = np.where(main_wins[inter], np.where(phase == 0, g_main, g_side), g_equal)
    cycle = np.full((n_sl, k), traffic.cycle_s)
    green = np.broadcast_to(fixed_green, (n_sl, k)).copy()
    on = adaptive[inter]
    if on.any():
        crit = np.zeros((n_sl, n_signals, 2))
        for h in range(n_sl):
            np.maximum.at(crit[h], (inter, phase.astype(np.intp)), y[h])
        lost = np.full((n_sl, n_signals), traffic.lost_time_s)
        c_adapt = _webster_cycle(lost, crit.sum(axis=2), traffic.min_cycle_s, traffic.max_cycle_s)
        g_adapt = _green_split(crit, c_adapt[..., None], lost[..., None], traffic.min_green_s)
        cols = np.flatnonzero(on)
        cycle[:, cols] = c_adapt[:, inter[cols]]
        green[:, cols] = g_adapt[:, inter[cols], phase[cols]]
    return cycle, green
