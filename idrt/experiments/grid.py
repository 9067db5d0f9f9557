"""Run specifications: a parameter grid times a seed list, each run with a stable key.

A run is fully defined by its resolved scenario, the content of its input
files and its seed, so its key is a hash of the three
(:func:`run_key`): the same run always has the same key, in
any sweep, on any machine, which is what lets a rerun skip finished runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idrt.errors import ScenarioError
from idrt.experiments._errors import ExperimentError
from idrt.experiments.inputs import input_digests, inputs_hash
from idrt.scenario import Scenario

__all__ = ["RunSpec", "expand_grid", "run_key", "seed_list", "specs_for"]


@dataclass(frozen=True)
class RunSpec:
    """One simulation run of a sweep.

    Attributes
    ----------
    key : str
        :func:`run_key` of ``scenario`` and ``seed``.
    scenario : Scenario
        The resolved scenario (base plus ``params``).
    seed : int
        Seed of the run.
    params : tuple of (str, object)
        The dotted-path overrides that made ``scenario`` from the base, in
        grid order; they become columns of the result rows.
    label : str
        Name of the scenario in result rows (column ``scenario``).
    """

    key: str
    scenario: Scenario
    seed: int
    params: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    @property
    def network_key(self) -> str:
        """Identifies the road network the run needs (runs sharing it share one build)."""
        net = self.scenario.network
        source = str(self.scenario.data_path(net.source))
        content = input_digests(self.scenario).get("network.source", "")
        blob = json.dumps([source, content, sorted(net.speeds_kmh.items())], default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_key(scenario: Scenario, seed: int) -> str:
    """Stable key of a run: a hash of the scenario, its input files' contents and the seed.

    The scenario counts by its :meth:`~idrt.Scenario.content_hash` (its
    values, data files by path) and by the content of every input file it
    names (:func:`idrt.experiments.inputs.inputs_hash`), so editing a trip
    file, a profile or an area gives new keys and a resumed sweep runs again.
    """
    blob = f"{scenario.content_hash()}:{inputs_hash(scenario)}:{int(seed)}"
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def seed_list(seeds: int | Iterable[int], first: int = 1) -> list[int]:
    """The seeds of a sweep.

    Parameters
    ----------
    seeds
        A count ``n`` (seeds ``first, first + 1, ..., first + n - 1``) or
        the seeds themselves.
    first
        First seed when a count is given (a scenario's ``seed``).

    Raises
    ------
    ExperimentError
        On no seeds, a non-integer seed or a seed given twice.
    """
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            msg = f"seeds = {seeds}: give a count >= 1 or a list of seeds"
            raise ExperimentError(msg)
        return [int(first) + i for i in range(int(seeds))]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        msg = f"seeds = {seeds!r}: give a count (10) or a list of whole numbers ([1, 2, 3])"
        raise ExperimentError(msg)
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            msg = f"seed {s!r} is not a whole number; seeds must be integers"
            raise ExperimentError(msg)
        out.append(int(s))
    if not out:
        msg = "the seed list is empty; give at least one seed (or a count, e.g. seeds=10)"
        raise ExperimentError(msg)
    if len(set(out)) != len(out):
        dup = sorted({s for s in out if out.count(s) > 1})
        msg = f"seed(s) {dup} listed twice; each seed is one replication"
        raise ExperimentError(msg)
    return out


def _plain(value: Any) -> Any:
    """Numpy scalars and tuples to plain Python values (TOML/Parquet friendly)."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _values(key: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        values = [values]
    out = [_plain(v) for v in values]
    if not out:
        msg = f"grid parameter {key!r} has no values; give at least one"
        raise ExperimentError(msg)
    numbers_ = [v for v in out if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if any(isinstance(v, float) for v in numbers_) and len(numbers_) == len(out):
        out = [float(v) for v in out]  # [1, 1.5] -> one column type in every row
    seen: list[Any] = []
    for v in out:
        if any(_same(v, w) for w in seen):
            msg = f"grid parameter {key!r} lists {v!r} twice"
            raise ExperimentError(msg)
        seen.append(v)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return not isinstance(a, bool) and not isinstance(b, bool) and math.isclose(a, b)
    return a == b


def expand_grid(
    scenario: Scenario,
    grid: Mapping[str, Any],
    seeds: int | Iterable[int] = 10,
    *,
    label: str | None = None,
) -> list[RunSpec]:
    """Every combination of grid values, times every seed, as run specs.

    Every combination is validated (``Scenario.with_overrides``) before any
    run starts, so an unknown parameter or a bad value fails at once.

    Parameters
    ----------
    scenario
        The base scenario.
    grid
        ``{dotted.path: values}``, e.g. ``{"fleet.size": range(4, 15, 2),
        "demand.scale": [1, 1.5]}``; a single (non-list) value is a grid of one.
    seeds
        A count (seeds ``scenario.seed``, ``scenario.seed + 1``, ...) or a list.
    label
        Scenario name in the result rows; ``scenario.name`` when omitted.

    Returns
    -------
    list of RunSpec
        Grid points in row-major order (the first parameter varies slowest),
        seeds innermost.

    Raises
    ------
    ExperimentError
        On an empty grid, a parameter without values, or a bad seed list.
    ScenarioError
        On a parameter that is not a scenario key or a value of the wrong
        type (the message names the parameter and the valid keys).
    """
    if not isinstance(grid, Mapping):
        msg = f"grid must be a mapping {{'fleet.size': [4, 6, 8]}}, got {type(grid).__name__}"
        raise ExperimentError(msg)
    if not grid:
        msg = (
            "the grid is empty: give at least one parameter and its values, e.g. "
            "grid={'fleet.size': [4, 6, 8]} (use idrt.compare for replications of fixed scenarios)"
        )
        raise ExperimentError(msg)
    keys = [str(k) for k in grid]
    values = [_values(k, grid[k]) for k in grid]
    seed_values = seed_list(seeds, scenario.seed)
    points = [tuple(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    return specs_for(scenario, points, seed_values, label=label)


def specs_for(
    scenario: Scenario,
    points: Sequence[tuple[tuple[str, Any], ...]],
    seeds: Sequence[int],
    *,
    label: str | None = None,
) -> list[RunSpec]:
    """Run specs for given override points (``((key, value), ...)``) and seeds."""
    specs = []
    for params in points:
        try:
            scn = scenario.with_overrides(dict(params)) if params else scenario
        except ScenarioError as exc:
            keys = ", ".join(k for k, _ in params)
            msg = f"sweep parameter(s) {keys}: {exc}"
            raise ScenarioError(msg) from exc
        for seed in seeds:
            specs.append(
                RunSpec(
                    key=run_key(scn, seed),
                    scenario=scn,
                    seed=int(seed),
                    params=tuple(params),
                    label=label or scn.name,
                )
            )
    return specs
