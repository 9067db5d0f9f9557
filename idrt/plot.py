"""Matplotlib figures from result tables, ready for a planner's report.

One run (:class:`idrt.Result`):

- :func:`wait_time_cdf` / :func:`wait_time_cdfs`: waiting-time distributions;
- :func:`occupancy_over_day`: riders on board and vehicles carrying riders;
- :func:`service_map`: the road network, the service area, where requests
  come from (density) and where the rejected ones were.

Many runs (the rows of :func:`idrt.sweep`), means with confidence bands
over the seeds:

- :func:`wait_curves`: wait p50 and p95 against a parameter (fleet size);
- :func:`served_curves`: served share against a parameter;
- :func:`kpi_curves`: any KPI against any parameter.

Every function draws on ``ax`` (a new figure when omitted) and returns the
Axes; :func:`save` writes a figure as PNG and SVG. Column and KPI names may
be given short: ``fleet_size`` for the ``fleet.size`` column, ``wait_p95``
for ``wait_p95_s``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from idrt.experiments.stats import summarize_runs
from idrt.sim.areas import scenario_areas
from idrt.sim.assembly import build_network

__all__ = [
    "cits_effects_figure",
    "kpi_curves",
    "occupancy_over_day",
    "occupancy_series",
    "resolve_column",
    "save",
    "save_run_figures",
    "served_curves",
    "service_map",
    "split_grids",
    "wait_curves",
    "wait_time_cdf",
    "wait_time_cdfs",
]

_LABELS = {
    "fleet.size": "fleet size (vehicles)",
    "fleet_size": "fleet size (vehicles)",
    "expansion.fleet_size": "extra vehicles for the expansion area",
    "demand.scale": "demand scale (× base demand)",
    "demand.trips_per_day": "requests per day",
    "fleet.capacity": "seats per vehicle",
    "dispatch.batch_interval_s": "batch interval (s)",
    "service.max_wait_s": "maximum wait (s)",
}


def _axes(ax, figsize=(6.4, 4.0)):
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib: ~1 s to import

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# ------------------------------------------------------------------ one run
def wait_time_cdf(results, *, ax=None, max_wait_s: float | None = None):
    """Cumulative distribution of waiting times of served riders, in minutes.

    Parameters
    ----------
    results
        A :class:`idrt.sim.Result`, or a mapping ``label -> Result`` to compare.
    ax
        Matplotlib Axes to draw on; a new figure when omitted.
    max_wait_s
        Draw the maximum-wait rule as a vertical line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if not isinstance(results, Mapping):
        results = {results.scenario.name: results}
    for label, result in results.items():
        req = result.requests
        wait_min = np.sort(req.loc[req["status"] == "served", "wait_s"].to_numpy()) / 60.0
        if wait_min.size == 0:
            continue
        share = np.arange(1, wait_min.size + 1) / wait_min.size
        summary = result.summary()
        ax.step(
            wait_min,
            share * 100,
            where="post",
            label=f"{label}: mean {summary.wait_mean_s / 60:.1f} min, "
            f"p95 {summary.wait_p95_s / 60:.1f} min, served {summary.served_share:.0%}",
        )
    if max_wait_s is not None:
        ax.axvline(max_wait_s / 60.0, color="0.4", linestyle="--", linewidth=1)
        # at the top, away from the legend in the lower right
        ax.annotate(
            f"max wait {max_wait_s / 60.0:g} min", (max_wait_s / 60.0, 97), rotation=90,
            ha="right", va="top", color="0.3", fontsize="small",
        )  # fmt: skip
    ax.set_xlabel("waiting time from request to pickup (min)")
    ax.set_ylabel("served riders (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    if max_wait_s is not None:
        ax.set_xlim(right=max(ax.get_xlim()[1], max_wait_s / 60.0 * 1.05))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Waiting times of served riders")
    return ax


def wait_time_cdfs(results, *, ax=None, max_wait_s: float | None = None):
    """Waiting-time CDFs of several runs (scenarios) on one Axes.

    Parameters
    ----------
    results
        A mapping ``label -> Result``, or a sequence of Results (labelled by
        scenario name, with the seed when names repeat).
    ax, max_wait_s
        As for :func:`wait_time_cdf`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(results, Mapping):
        results = list(results) if isinstance(results, Sequence) else [results]
        names = [r.scenario.name for r in results]
        labelled = {}
        for name, result in zip(names, results, strict=True):
            label = name if names.count(name) == 1 else f"{name} (seed {result.seed})"
            while label in labelled:
                label += "'"
            labelled[label] = result
        results = labelled
    ax = wait_time_cdf(results, ax=ax, max_wait_s=max_wait_s)
    ax.set_title("Waiting times of served riders by scenario")
    return ax


def occupancy_series(result, *, bin_s: float = 300.0):
    """Riders on board and vehicles carrying riders, sampled every ``bin_s``.

    Returns
    -------
    t_s, riders, vehicles : numpy.ndarray
        Sample times (s after midnight), riders on board over the fleet, and
        vehicles with at least one rider on board.
    """
    req = result.requests
    served = req[req["status"].astype(str) == "served"]
    start_s = float(req["request_time_s"].min()) if len(req) else 0.0
    start_s = min(start_s, float(getattr(result.scenario.service, "start_h", 0.0)) * 3600.0)
    end_s = float(served["dropoff_s"].max()) if len(served) else start_s + 3600.0
    t = np.arange(math.floor(start_s / bin_s) * bin_s, end_s + bin_s, bin_s)
    pick = served["pickup_s"].to_numpy(float)
    drop = served["dropoff_s"].to_numpy(float)
    pax = served["pax"].to_numpy(float)
    veh = served["vehicle"].to_numpy(int)
    on_board = np.zeros(t.size)
    busy = np.zeros(t.size)
    if pick.size:
        inside = (pick[None, :] <= t[:, None]) & (t[:, None] < drop[None, :])
        on_board = (inside * pax[None, :]).sum(axis=1)
        for v in np.unique(veh):
            busy += inside[:, veh == v].any(axis=1)
    return t, on_board, busy


def occupancy_over_day(result, *, ax=None, bin_s: float = 300.0):
    """Riders on board (left axis) and vehicles carrying riders (right axis) over the day.

    Parameters
    ----------
    result
        One run (:class:`idrt.Result`); uses the served requests' pickup and
        drop-off times, group sizes and vehicles.
    ax
        Axes to draw on; a new figure when omitted.
    bin_s
        Sampling step of the curves, s.

    Returns
    -------
    matplotlib.axes.Axes
        The riders axis; its twin (``ax.right_axis``) holds ``vehicles
        carrying riders`` and the fleet size (dotted). The title gives the
        run's ``mean_occupancy`` KPI (passenger-km per vehicle-km), the same
        number as the KPI table.
    """
    ax = _axes(ax, figsize=(7.2, 4.0))
    fleet = len(result.vehicles)
    t, on_board, busy = occupancy_series(result, bin_s=bin_s)
    hours = t / 3600.0
    ax.plot(hours, on_board, color="C0", linewidth=1.6, label="riders on board (all vehicles)")
    right = ax.twinx()
    right.plot(hours, busy, color="C1", linewidth=1.6, label="vehicles carrying riders")
    right.axhline(fleet, color="C1", linestyle=":", linewidth=1, label=f"fleet ({fleet} vehicles)")
    ax.set_xlabel("time of day (h)")
    ax.set_ylabel("riders on board", color="C0")
    right.set_ylabel("vehicles carrying riders", color="C1")
    ax.set_ylim(bottom=0)
    right.set_ylim(0, fleet * 1.15 + 0.5)
    ax.grid(True, alpha=0.3)
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper center", fontsize="small")
    ax.right_axis = right
    km = float(result.vehicles["km"].sum())
    mean_occ = float(result.vehicles["pax_km"].sum()) / km if km else float("nan")
    ax.set_title(
        f"Occupancy over the day (mean occupancy {mean_occ:.2f}: passenger-km per vehicle-km)"
    )
    return ax


def service_map(result, network=None, area=None, *, ax=None, gridsize: int = 30):
    """Map of the network, the service (and expansion) area, trip ends and rejections.

    Drawn in the network's projected metres (shown in km), with a scale bar
    and a north arrow (grid north of the projected CRS, within a degree of
    true north in a UTM zone).

    Parameters
    ----------
    result
        One run (:class:`idrt.Result`).
    network
        Its road network; built from the run's scenario when omitted.
    area
        A service area (:class:`idrt.ServiceArea`) to draw instead of the
        scenario's base and expansion areas.
    ax
        Axes to draw on; a new figure when omitted.
    gridsize
        Hexagons across the map for the density of request origins.

    Returns
    -------
    matplotlib.axes.Axes
        Road links (light grey line collection), each area outline (the
        expansion area on its own, dashed), a hexbin of request origins,
        destinations (small orange dots), rejected requests (red crosses at
        their origins) and the depots (black squares).
    """
    from matplotlib.collections import LineCollection  # noqa: PLC0415 - matplotlib: ~1 s to import
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar  # noqa: PLC0415 - matplotlib: ~1 s to import

    net = network if network is not None else build_network(result.scenario)
    areas = (
        [(area.name, area.geometry)]
        if area is not None
        else scenario_areas(result.scenario, net)[::-1]  # base first, expansion on top
    )
    x0, y0 = float(net.x_m.min()), float(net.y_m.min())

    def km(x, y):
        return (np.asarray(x, float) - x0) / 1000.0, (np.asarray(y, float) - y0) / 1000.0

    nx_, ny_ = km(net.x_m, net.y_m)
    span_x = float(np.ptp(nx_)) or 1.0
    span_y = float(np.ptp(ny_)) or 1.0
    width = 8.0
    ax = _axes(ax, figsize=(width, min(max(width * 0.8 * span_y / span_x + 1.4, 3.5), 10.0)))
    tails = net.edge_tails
    segments = np.stack(
        [
            np.column_stack([nx_[tails], ny_[tails]]),
            np.column_stack([nx_[net.heads], ny_[net.heads]]),
        ],
        axis=1,
    )
    roads = LineCollection(segments, colors="0.82", linewidths=0.5, zorder=1, rasterized=True)
    ax.add_collection(roads)  # rasterized: thousands of links make heavy SVGs
    styles = {"base": ("C2", "-", "service area"), "expansion": ("C4", "--", "expansion area")}
    for name, geom in areas:
        colour, style, label = styles.get(name, ("C2", "-", f"{name} area"))
        for i, poly in enumerate(getattr(geom, "geoms", [geom])):
            px, py = km(*net.project(*np.asarray(poly.exterior.xy)))
            ax.plot(px, py, color=colour, linestyle=style, linewidth=1.6, zorder=3,
                    label=label if i == 0 else None)  # fmt: skip
    req = result.requests
    o_idx = np.asarray(net.index_of(req["origin_node"].to_numpy(np.int64)), dtype=np.int64)
    d_idx = np.asarray(net.index_of(req["destination_node"].to_numpy(np.int64)), dtype=np.int64)
    ox, oy = nx_[o_idx], ny_[o_idx]
    if len(req):
        from matplotlib.colors import LogNorm  # noqa: PLC0415 - matplotlib: ~1 s to import

        sx = float(np.ptp(ox)) or 1.0
        sy = float(np.ptp(oy)) or 1.0
        rows = max(1, round(gridsize * sy / sx / math.sqrt(3)))
        hb = ax.hexbin(
            ox, oy, gridsize=(gridsize, rows), mincnt=1, cmap="Blues", norm=LogNorm(),
            alpha=0.85, zorder=2, linewidths=0.0,
        )  # fmt: skip
        ax.figure.colorbar(
            hb, ax=ax, shrink=0.8, pad=0.01, label="request origins per cell (log scale)"
        )
    rejected = (req["status"].astype(str) == "rejected").to_numpy()
    ax.scatter(
        ox[rejected], oy[rejected], marker="x", s=14, color="red", linewidths=0.8, zorder=5,
        label=f"rejected requests ({int(rejected.sum())})",
    )  # fmt: skip
    ax.scatter(
        nx_[d_idx], ny_[d_idx], marker=".", s=4, color="C1", alpha=0.5, zorder=4,
        linewidths=0, label="destinations",
    )  # fmt: skip
    depots = np.unique(result.vehicles["depot_node"].to_numpy(np.int64))
    dep = np.asarray(net.index_of(depots), dtype=np.int64)
    ax.scatter(nx_[dep], ny_[dep], marker="s", s=40, color="black", zorder=6, label="depots")
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel(f"km east ({net.crs})")
    ax.set_ylabel("km north")
    bar_km = _nice_length(span_x / 5)
    ax.add_artist(
        AnchoredSizeBar(ax.transData, bar_km, f"{bar_km:g} km", loc="lower left", pad=0.6,
                        frameon=True, size_vertical=span_y / 300)
    )  # fmt: skip
    ax.annotate(
        "N", xy=(0.96, 0.95), xytext=(0.96, 0.82), xycoords="axes fraction",
        ha="center", va="center", fontsize=11, fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
    )  # fmt: skip
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize="small", frameon=False
    )
    served = float((req["status"].astype(str) == "served").mean()) if len(req) else float("nan")
    ax.set_title(f"{result.scenario.name}: {len(req)} requests, {served:.0%} served", pad=40)
    return ax


def _nice_length(target: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) not above ``target``."""
    if target <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


# ---------------------------------------------------------------- many runs
def resolve_column(runs, name: str) -> str:
    """The column of ``runs`` that ``name`` means (short names accepted).

    ``fleet_size`` finds ``fleet.size`` (a swept parameter) before the
    ``fleet_size`` KPI; ``wait_p95`` finds ``wait_p95_s``.

    Raises
    ------
    KeyError
        Naming the valid columns.
    """
    columns = list(runs.columns)
    candidates = [name]
    if "." not in name and "_" in name:
        head, _, tail = name.partition("_")
        candidates.insert(0, f"{head}.{tail}")  # a swept parameter first
    candidates += [f"{c}_s" for c in list(candidates)]
    for c in candidates:
        if c in columns:
            return c
    params = [c for c in columns if "." in c]
    kpis = [c for c in columns if "." not in c and c not in ("run_key", "scenario_hash")]
    msg = f"no column {name!r} in the runs; parameters are {params}, KPIs are {kpis}"
    raise KeyError(msg)


def split_grids(runs) -> list[tuple[list[str], Any]]:
    """Rows of a results folder split by the grid that produced them.

    A folder reused by several sweeps holds rows of different grids: a row's
    grid is the set of swept parameters it has a value for (its non-empty
    dotted columns). Each grid is returned with only its own parameter
    columns, so no curve mixes grids and no label reads ``demand.scale=nan``.

    Returns
    -------
    list of (list of str, pandas.DataFrame)
        The parameters of each grid (in column order) and its rows, largest
        grid first.
    """
    params = [c for c in runs.columns if "." in c]
    present = runs[params].notna().to_numpy() if params else np.zeros((len(runs), 0), bool)
    keys = [tuple(p for p, ok in zip(params, row, strict=True) if ok) for row in present]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    out = []
    for key, rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        drop = [p for p in params if p not in key]
        out.append((list(key), runs.iloc[rows].drop(columns=drop).reset_index(drop=True)))
    return out


def _check_one_grid(runs, x: str) -> None:
    grids = split_grids(runs)
    if len(grids) > 1:
        msg = (
            f"the runs come from {len(grids)} different grids "
            f"({'; '.join(', '.join(g) or 'no grid' for g, _ in grids)}); plot each on its own: "
            "for params, rows in idrt.plot.split_grids(runs): ..."
        )
        raise ValueError(msg)


def _groups(runs, x: str, by) -> list[str]:
    if by is None:
        by = [
            c
            for c in runs.columns
            if ("." in c or c == "scenario") and c != x and runs[c].nunique(dropna=False) > 1
        ]
    elif isinstance(by, str):
        by = [resolve_column(runs, by)]
    else:
        by = [resolve_column(runs, b) for b in by]
    return by


def _scale(kpi: str) -> tuple[float, str]:
    if kpi.endswith("_share"):
        return 100.0, f"{kpi.removesuffix('_share').replace('_', ' ')} share (%)"
    if kpi.endswith("_s"):
        return 1 / 60.0, f"{kpi.removesuffix('_s').replace('_', ' ')} (min)"
    return 1.0, kpi.replace("_", " ")


def _curve(ax, runs, x, y, *, by, confidence, color, linestyle, label, marker="o"):
    """Mean of ``y`` per ``x`` with its confidence band, one series per ``by`` group."""
    factor, _ = _scale(y)
    groups = [((), runs)] if not by else list(runs.groupby(by, sort=True, dropna=False))
    for i, (key, group) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        table = summarize_runs(group, x, y, confidence=confidence).sort_values(x)
        xs = table[x].to_numpy(float)
        c = color if len(groups) == 1 else f"C{i % 10}"
        suffix = ", ".join(f"{b}={k}" for b, k in zip(by, key, strict=True))
        text = label + (f" ({suffix})" if suffix else "")
        ax.plot(
            xs, table["mean"] * factor, color=c, linestyle=linestyle, marker=marker,
            markersize=3.5, linewidth=1.6, label=text,
        )  # fmt: skip
        low, high = table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float)
        if np.isfinite(low).any():
            ax.fill_between(xs, low * factor, high * factor, color=c, alpha=0.18, linewidth=0)


def kpi_curves(
    runs,
    x: str = "fleet.size",
    y: str | Sequence[str] = "wait_p95_s",
    *,
    by: str | Sequence[str] | None = None,
    ax=None,
    confidence: float = 0.95,
    target: float | None = None,
):
    """Mean KPI against a swept parameter, with a confidence band over seeds.

    Parameters
    ----------
    runs
        Rows of :func:`idrt.sweep` (or a :class:`~idrt.experiments.RunStore`
        folder's :meth:`~idrt.experiments.RunStore.load`).
    x
        The parameter on the x axis (``fleet.size`` or ``fleet_size``).
    y
        One KPI or several (``wait_p95_s``, ``served_share``, ...); shares are
        drawn in %, seconds in minutes.
    by
        Column(s) giving one curve each; default every other swept
        parameter (and ``scenario``) that takes more than one value.
    ax
        Axes to draw on; a new figure when omitted.
    confidence
        Coverage of the bands (Student t over the seeds).
    target
        Draw a target as a horizontal line (in the KPI's own unit: s, 0–1).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    x = resolve_column(runs, x)
    _check_one_grid(runs, x)
    ys = [y] if isinstance(y, str) else list(y)
    ys = [resolve_column(runs, v) for v in ys]
    groups = _groups(runs, x, by)
    styles = ["-", "--", "-.", ":"]
    for j, kpi in enumerate(ys):
        _curve(
            ax, runs, x, kpi, by=groups, confidence=confidence, color=f"C{j}",
            linestyle=styles[j % len(styles)] if groups else "-", label=_scale(kpi)[1],
        )  # fmt: skip
    if target is not None:
        factor = _scale(ys[0])[0]
        ax.axhline(target * factor, color="0.3", linestyle=":", linewidth=1, label="target")
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel(_scale(ys[0])[1] if len(ys) == 1 else "value")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    n = int(runs.groupby([x, *groups], dropna=False).size().max()) if len(runs) else 0
    ax.set_title(
        f"{', '.join(_scale(v)[1] for v in ys)} (mean, {confidence:.0%} CI, {n} runs a point)"
    )
    return ax


def wait_curves(
    runs,
    x: str = "fleet.size",
    *,
    by: str | Sequence[str] | None = None,
    ax=None,
    confidence: float = 0.95,
    target_s: float | None = None,
):
    """Wait p50 and p95 (minutes) against a parameter, with confidence bands.

    Parameters
    ----------
    runs
        Rows of :func:`idrt.sweep`: one per run, with the KPIs
        ``wait_p50_s`` and ``wait_p95_s``.
    x
        The swept parameter (``"fleet.size"``).
    by
        Column(s) giving one pair of curves each (default: every other
        swept parameter with more than one value).
    ax
        Axes to draw on; a new figure when omitted.
    confidence
        Coverage of the bands (Student t over the seeds).
    target_s
        A wait target drawn as a horizontal line, s.

    Returns
    -------
    matplotlib.axes.Axes
        Lines labelled ``wait p50`` and ``wait p95`` (with the group when
        ``by``), each with a filled band.

    Examples
    --------
    >>> runs = idrt.sweep(scn, grid={"fleet.size": range(4, 15, 2)}, seeds=10)  # doctest: +SKIP
    >>> ax = idrt.plot.wait_curves(runs, x="fleet.size", target_s=900)          # doctest: +SKIP
    """
    ax = _axes(ax)
    x = resolve_column(runs, x)
    _check_one_grid(runs, x)
    groups = _groups(runs, x, by)
    for kpi, style, color in (("wait_p50_s", "--", "C0"), ("wait_p95_s", "-", "C3")):
        _curve(
            ax, runs, x, resolve_column(runs, kpi), by=groups, confidence=confidence,
            color=color, linestyle=style, label=kpi.removesuffix("_s").replace("_", " "),
        )  # fmt: skip
    if target_s is not None:
        ax.axhline(target_s / 60.0, color="0.3", linestyle=":", linewidth=1, label="target")
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel("waiting time, request to pickup (min)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(f"Waiting time vs {_LABELS.get(x, x)} (mean, {confidence:.0%} CI)")
    return ax


def served_curves(
    runs,
    x: str = "fleet.size",
    *,
    by: str | Sequence[str] | None = None,
    ax=None,
    confidence: float = 0.95,
    target: float | None = None,
):
    """Served share of requests (%) against a parameter, with confidence bands.

    Parameters are those of :func:`wait_curves`; ``target`` is a share in
    0–1 drawn as a horizontal line.

    Returns
    -------
    matplotlib.axes.Axes
        Lines labelled ``served share (%)`` with filled bands.
    """
    ax = kpi_curves(runs, x, "served_share", by=by, ax=ax, confidence=confidence, target=target)
    ax.set_ylim(top=100.5)
    ax.set_title(f"Served requests vs {_LABELS.get(resolve_column(runs, x), x)}")
    return ax


# ------------------------------------------------------------------ saving
def save(
    figure: Any,
    path: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
) -> list[Path]:
    """Save a figure (or an Axes' figure) in several formats.

    Parameters
    ----------
    figure
        A matplotlib Figure or Axes.
    path
        File name; its suffix is replaced by each format.
    formats
        File formats (``"png"``, ``"svg"``, ``"pdf"``).
    dpi
        Resolution of raster formats (200 by default: sharp in a printed report).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    fig = getattr(figure, "figure", figure)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    import matplotlib  # noqa: PLC0415 - matplotlib: ~1 s to import

    # text stays text in SVG (editable in Inkscape/Illustrator), fonts embedded in PDF
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            fig.savefig(target, dpi=dpi)
            out.append(target)
    return out


def save_run_figures(result, network, out: str | Path) -> list[Path]:
    """The figures ``idrt run`` writes for one run (PNG; the map also SVG).

    ``wait_time_cdf.png``, ``occupancy.png`` and ``service_map.png`` /
    ``.svg`` in ``out``.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib: ~1 s to import

    out = Path(out)
    paths = []
    ax = wait_time_cdf(result, max_wait_s=result.scenario.service.max_wait_s)
    paths += save(ax, out / "wait_time_cdf", formats=("png",))
    plt.close(ax.figure)
    ax = occupancy_over_day(result)
    paths += save(ax, out / "occupancy", formats=("png",))
    plt.close(ax.figure)
    ax = service_map(result, network)
    paths += save(ax, out / "service_map", formats=("png", "svg"))
    plt.close(ax.figure)
    return paths


def cits_effects_figure(effects, *, title: str | None = None):
    """The C-ITS experiment as one report figure (four panels, 95 % CIs).

    Parameters
    ----------
    effects : idrt.experiments.cits.CitsEffects
        What :func:`idrt.experiments.cits.cits_effects` returned.
    title
        Figure title; a default names the seeds.

    Returns
    -------
    matplotlib.figure.Figure
        Panels: wait p50/p95 (min), in-vehicle time (min), signal delay per
        passage (s), buses needed for the targets.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib: ~1 s to import

    kpis = effects.kpis.set_index(["variant", "kpi"])
    variants = list(dict.fromkeys(effects.kpis["variant"]))
    x = np.arange(len(variants))
    colours = ["#8c8c8c", "#4c72b0", "#55a868", "#c44e52"][: len(variants)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)

    def bars(ax, kpi, scale, offset=0.0, width=0.8, **kw):
        mean = np.array([kpis.loc[(v, kpi), "mean"] for v in variants]) / scale
        lo = np.array([kpis.loc[(v, kpi), "ci_low"] for v in variants]) / scale
        hi = np.array([kpis.loc[(v, kpi), "ci_high"] for v in variants]) / scale
        err = np.vstack([mean - lo, hi - mean])
        return ax.bar(x + offset, mean, width, yerr=err, capsize=3, **kw)

    ax = axes[0, 0]
    bars(ax, "wait_p50_s", 60, -0.2, 0.4, color=colours, alpha=0.55, label="median (p50)")
    bars(ax, "wait_p95_s", 60, 0.2, 0.4, color=colours, label="95th percentile")
    ax.set_ylabel("wait for pickup (min)")
    ax.set_title("Waits")
    ax.set_ylim(top=ax.get_ylim()[1] * 1.3)  # room for the legend
    ax.legend(frameon=False, loc="upper left", ncols=2)
    ax = axes[0, 1]
    bars(ax, "in_vehicle_mean_s", 60, color=colours)
    ax.set_ylabel("mean time on board (min)")
    ax.set_title("Ride times")
    ax = axes[1, 0]
    bars(ax, "signal_delay_per_passage_s", 1.0, color=colours)
    ax.set_ylabel("mean signal delay per passage (s)")
    ax.set_title("Delay at signalised intersections")
    ax = axes[1, 1]
    fleet = effects.fleet.set_index("variant") if len(effects.fleet) else None
    if fleet is not None:
        sizes = [float(fleet.loc[v, "best_size"]) for v in variants]
        met = [bool(fleet.loc[v, "met"]) for v in variants]
        drawn = ax.bar(x, sizes, 0.6, color=colours)
        for patch, ok, size in zip(drawn, met, sizes, strict=True):
            if not ok:
                patch.set_hatch("//")
            ax.annotate(
                f"{size:.0f}" if ok else f">{size:.0f}",
                (patch.get_x() + patch.get_width() / 2, size),
                ha="center",
                va="bottom",
            )
        goal = ", ".join(f"{k} ≤ {v:g}" for k, v in effects.targets.items())
        ax.set_title(f"Buses needed ({goal})", fontsize=10)
    else:
        ax.text(0.5, 0.5, "fleet not sized", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("vehicles")
    for ax in axes.flat:
        ax.set_xticks(x, [v.replace(" + ", "\n+ ") for v in variants], fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(
        title
        or f"What C-ITS is worth to the on-demand buses ({len(effects.seeds)} seeds, "
        "error bars: 95% CI)"
    )
    return fig
