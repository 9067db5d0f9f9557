"""Helpers every ``idrt`` command shares: overrides, grids, KPI formatting, backend options."""

from __future__ import annotations

import argparse
import json
import math
import socket
import sys
import tomllib
from collections.abc import Sequence
from typing import Any

from idrt.errors import ScenarioError
from idrt.experiments import ExperimentError, RunOptions
from idrt.experiments.text import plain_number
from idrt.sim.costs import MONEY_KPIS

__all__ = [
    "add_backend_options",
    "add_set_option",
    "area_table",
    "backend_text",
    "check_scheduler",
    "format_kpi",
    "grid_option",
    "kpi_table",
    "mean_ci_text",
    "parse_overrides",
    "plain_number",
    "progress_enabled",
    "run_options",
]


def parse_overrides(pairs: Sequence[str]) -> dict[str, object]:
    """``fleet.size=20`` strings to a dict, values parsed as TOML scalars."""
    overrides: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            msg = f"override {pair!r} must look like section.key=value, e.g. fleet.size=20"
            raise ScenarioError(msg)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        overrides[key.strip()] = value
    return overrides


def format_kpi(key: str, value: float) -> str:
    """One KPI value as text: shares in %, seconds with minutes, counts plain."""
    if value != value:  # nan
        return "-"
    if key in MONEY_KPIS:
        return f"{value:,.0f}"
    if key.endswith("_share"):
        return f"{value:.1%}"
    if key.endswith("_s"):
        return f"{value:,.0f} s ({value / 60:.1f} min)"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def kpi_table(summary, reference) -> str:
    """Simulated KPIs, with observed reference values beside them when given."""
    unknown = sorted(set(reference) - set(summary.index))
    if unknown:
        msg = f"[reference] names unknown KPI(s) {unknown}; valid names are {list(summary.index)}"
        raise ScenarioError(msg)
    width = max(len(k) for k in summary.index)
    rows = [
        (k, format_kpi(k, v), format_kpi(k, reference[k]) if k in reference else "")
        for k, v in summary.items()
    ]
    col = max(len(r[1]) for r in rows)
    head = f"{'kpi':<{width}}  {'simulated':>{col}}" + ("  reference" if reference else "")
    lines = [head] + [f"{k:<{width}}  {v:>{col}}  {r}".rstrip() for k, v, r in rows]
    return "\n".join(lines)


AREA_TABLE_KPIS = (
    "requests",
    "served_share",
    "wait_mean_s",
    "wait_p95_s",
    "passengers",
    "vehicle_km",
    "cost_per_rider",
    "subsidy_per_rider",
)


def area_table(table, kpis: Sequence[str] = AREA_TABLE_KPIS) -> str:
    """KPIs by area (``Result.summary(by="area")``) as aligned text, one column per area."""
    kpis = [k for k in kpis if k in table.columns]
    areas = [str(a) for a in table.index]
    cells = [[format_kpi(k, float(table.loc[a, k])) for a in table.index] for k in kpis]
    width = max(len(k) for k in [*kpis, "kpi by area"])
    cols = [max(len(a), *(len(row[j]) for row in cells)) for j, a in enumerate(areas)]
    lines = [
        "kpi by area".ljust(width)
        + "".join(f"  {a:>{w}}" for a, w in zip(areas, cols, strict=True))
    ]
    for k, row in zip(kpis, cells, strict=True):
        lines.append(
            k.ljust(width) + "".join(f"  {c:>{w}}" for c, w in zip(row, cols, strict=True))
        )
    lines.append(
        "(requests by origin; vehicle-km by where each link driven lies; cost shared by vehicle-km)"
    )
    return "\n".join(lines)


def grid_option(pairs: list[str]) -> dict[str, list[Any]]:
    """``fleet.size=4,6,8`` or ``fleet.size=[4, 6, 8]`` to a grid."""
    grid: dict[str, list[Any]] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip() or not text.strip():
            msg = f"--grid {pair!r} must look like section.key=v1,v2,..., e.g. fleet.size=4,6,8"
            raise ExperimentError(msg)
        text = text.strip()
        if not text.startswith("["):
            text = "[" + ", ".join(_toml_scalar(v.strip()) for v in text.split(",")) + "]"
        try:
            grid[key.strip()] = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError as exc:
            msg = f"--grid {pair!r}: values are not a valid list ({exc})"
            raise ExperimentError(msg) from exc
    return grid


def _toml_scalar(text: str) -> str:

    try:
        tomllib.loads(f"v = {text}")
        return text
    except tomllib.TOMLDecodeError:
        return json.dumps(text)


def progress_enabled(args: argparse.Namespace) -> bool:
    """Whether to show progress bars: on a terminal, unless ``--no-progress``."""
    return not args.no_progress and sys.stderr.isatty()


def run_options(args: argparse.Namespace) -> RunOptions:
    """The :class:`~idrt.experiments.RunOptions` of ``--workers``, ``--scheduler``, ..."""
    return RunOptions(
        workers=args.workers,
        scheduler=args.scheduler,
        progress=progress_enabled(args),
        timeout_s=args.timeout,
    )


def backend_text(args: argparse.Namespace) -> str:
    """Where the runs of ``--workers`` / ``--scheduler`` execute, for a plan line."""
    return args.scheduler or (
        "this process" if args.workers == 0 else f"{args.workers or 'all'} local worker(s)"
    )


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers``, ``--scheduler``, ``--timeout``, ``--no-progress``, ``--set``."""
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes (default: one per CPU core; 0: run in this process)",
    )
    parser.add_argument(
        "--scheduler", help="run on a Dask cluster: scheduler address, e.g. tcp://HOST:8786"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the scheduler (10)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_set_option(parser, example="dispatch.mode=batch")


def add_set_option(parser: argparse.ArgumentParser, example: str = "fleet.size=12") -> None:
    """Add ``--set KEY=VALUE`` (repeatable scenario overrides, see :func:`parse_overrides`)."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a scenario value, e.g. --set {example} (repeatable)",
    )


def mean_ci_text(kpi: str, mean: float, low: float, high: float) -> str:
    """A mean with its 95 % CI half-width, in the KPI's unit."""
    if math.isnan(mean):
        return "-"
    if kpi.endswith("_share"):
        half = (high - low) / 2 if not math.isnan(low) else math.nan
        return f"{mean:.1%} ± {half:.1%}" if not math.isnan(half) else f"{mean:.1%}"
    if kpi.endswith("_s"):
        half = (high - low) / 2 / 60 if not math.isnan(low) else math.nan
        tail = f" ± {half:.1f}" if not math.isnan(half) else ""
        return f"{mean / 60:.1f}{tail} min"
    return format_kpi(kpi, mean)


_DASK_SCHEMES = frozenset({"inproc", "tcp", "tls", "ucx", "ws", "wss"})


def check_scheduler(address: str | None, timeout_s: float) -> None:
    """Check a Dask scheduler address before a sweep: its scheme, and that it answers.

    Dask's own ``Client`` leaves a half-made client behind when it cannot
    connect, whose clean-up prints "Exception ignored ... TimeoutError" at
    exit; checking first gives one clear line instead.

    Raises
    ------
    ExperimentError
        On an unknown scheme or a TCP address nothing listens on.
    """
    if not address:
        return

    from distributed.comm.addressing import parse_address, parse_host_port  # noqa: PLC0415 - dask.distributed: ~0.6 s to import

    hint = "use tcp://HOST:8786 (start one with `dask scheduler`), or run without --scheduler"
    try:
        scheme, location = parse_address(address)
        if scheme not in _DASK_SCHEMES:
            msg = f"unknown scheme {scheme!r}, known: {sorted(_DASK_SCHEMES)}"
            raise ValueError(msg)
        if scheme not in {"tcp", "tls"}:
            return  # inproc, ucx, ws: let Dask connect
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        msg = f"--scheduler {address!r} is not a Dask scheduler address ({exc}); {hint}"
        raise ExperimentError(msg) from None
    try:
        with socket.create_connection((host, port), timeout=max(timeout_s, 0.1)):
            pass
    except OSError as exc:
        msg = (
            f"cannot reach the Dask scheduler at {address!r} within {timeout_s:g} s "
            f"({exc.strerror or exc}); {hint}"
        )
        raise ExperimentError(msg) from None
