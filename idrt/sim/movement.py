"""How long a drive really takes: realised link times under the traffic model.

The dispatcher plans with expected link times (the historical tables, or the
realised day's tables with real-time information). A vehicle follows the
path its planning oracle gives, but each link takes the *realised* time of
that day: the BPR running time of the day's background flow plus a signal
delay drawn for the moment it arrives in the cycle
(:meth:`idrt.traffic.TimeSlicedTravelTimes.realised_travel_time_s`). A leg is
drawn at once at departure, with the slice of its start time.

Every passage through a signalised intersection is recorded (time,
vehicle, intersection, realised and expected delay): the mean signal delay
per vehicle-passage and the delay saved per intersection come from this log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from idrt.sim._kernels import leg_profile
from idrt.sim.results import PASSAGE_COLUMNS
from idrt.traffic import TimeSlicedTravelTimes

__all__ = ["PASSAGE_COLUMNS", "Leg", "Movement"]


@dataclass(frozen=True)
class Leg:
    """One drive between two nodes along the planned path.

    Attributes
    ----------
    edges : numpy.ndarray
        int64 CSR edge indices along the path.
    nodes : numpy.ndarray
        int64 node after each edge (the last is the target).
    cum_s : numpy.ndarray
        Realised time from departure to each node, s.
    cum_expected_s : numpy.ndarray
        Planned (expected) time from departure to each node, s.
    cum_m : numpy.ndarray
        Distance from departure to each node, m.
    delay_s : numpy.ndarray
        Realised signal delay on each edge, s (0 off signal approaches).
    """

    edges: np.ndarray
    nodes: np.ndarray
    cum_s: np.ndarray
    cum_expected_s: np.ndarray
    cum_m: np.ndarray
    delay_s: np.ndarray


@dataclass
class Movement:
    """Realised link times of one run and the log of signal passages.

    Parameters
    ----------
    realised
        The realised day's tables (``build_travel_times(..., seed=day_rng)``).
    rng
        The stream the arrival-in-cycle draws come from (its own child stream
        of the run's seed, so the demand stream is untouched).
    heads, length_m
        The network's CSR heads and link lengths, m.
    signal_id
        Intersection id of each node (-1 where none).
    """

    realised: TimeSlicedTravelTimes
    rng: np.random.Generator
    heads: np.ndarray
    length_m: np.ndarray
    signal_id: np.ndarray
    passages: list[np.ndarray] = field(default_factory=list)
    _pending: list = field(default_factory=list, repr=False)

    def leg(self, oracle, a: int, b: int, time_s: float) -> Leg:
        """Draw the leg ``a -> b`` departing at ``time_s`` on ``oracle``'s path."""
        edges = oracle.path_edges(a, b)
        h = self.realised.slice_of(time_s)
        delay = self.realised.leg_signal_delay_s(self.rng, edges, h)
        nodes, cum_s, cum_expected_s, cum_m = leg_profile(
            edges, self.heads, self.realised.running_time_s[h], oracle.weights,
            self.length_m, delay,
        )  # fmt: skip
        return Leg(
            edges=edges,
            nodes=nodes,
            cum_s=cum_s,
            cum_expected_s=cum_expected_s,
            cum_m=cum_m,
            delay_s=delay,
        )

    def record(self, leg: Leg, vehicle: int, start_s: float, upto: int, time_s: float) -> None:
        """Log the signal passages of ``leg`` up to and including node ``upto``.

        Noted now, laid out as rows in one pass when they are read
        (:meth:`passage_table`, or :attr:`passages` after :meth:`flush`).
        """
        self._pending.append((leg, vehicle, start_s, upto, self.realised.slice_of(time_s)))

    def flush(self) -> None:
        """Turn the noted legs into rows of :attr:`passages` (one array per call)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        counts = np.array([p[3] + 1 for p in pending], dtype=np.int64)
        edges = np.concatenate([p[0].edges[: p[3] + 1] for p in pending])
        cum_s = np.concatenate([p[0].cum_s[: p[3] + 1] for p in pending])
        delay = np.concatenate([p[0].delay_s[: p[3] + 1] for p in pending])
        on = np.flatnonzero(self.realised.approach_of_edge[edges] >= 0)
        if on.size == 0:
            return
        vehicle = np.repeat(np.array([p[1] for p in pending], dtype=np.float64), counts)[on]
        start_s = np.repeat(np.array([p[2] for p in pending], dtype=np.float64), counts)[on]
        h = np.repeat(np.array([p[4] for p in pending], dtype=np.int64), counts)[on]
        e = edges[on]
        rows = np.empty((on.size, len(PASSAGE_COLUMNS)))
        rows[:, 0] = start_s + cum_s[on]
        rows[:, 1] = vehicle
        rows[:, 2] = self.signal_id[self.heads[e]]
        rows[:, 3] = h
        rows[:, 4] = delay[on]
        rows[:, 5] = self.realised.signal_delay_s[h, e]
        self.passages.append(rows)

    def passage_table(self):
        """The signal passages as a tidy table (:data:`PASSAGE_COLUMNS`)."""
        self.flush()
        rows = np.concatenate(self.passages) if self.passages else np.empty((0, 6))
        frame = pd.DataFrame(rows, columns=PASSAGE_COLUMNS)
        for column in ("vehicle", "intersection_id", "hour"):
            frame[column] = frame[column].astype(np.int64)
        return frame
