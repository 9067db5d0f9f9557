"""``idrt sweep``, ``size-fleet``, ``plot`` and ``compare``: the experiment commands."""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

from idrt import plot
from idrt.cli.common import (
    add_backend_options,
    backend_text,
    check_scheduler,
    format_kpi,
    grid_option,
    mean_ci_text,
    parse_overrides,
    plain_number,
    run_options,
)
from idrt.cli.output import check_output_folder
from idrt.experiments import ExperimentError
from idrt.experiments.compare import compare
from idrt.experiments.grid import expand_grid
from idrt.experiments.sizing import size_fleet
from idrt.experiments.stats import interval_scope, kpi_ci
from idrt.experiments.store import RunStore
from idrt.experiments.sweep import read_sweep_file, sweep
from idrt.scenario import Scenario
from idrt.sim.costs import MONEY_KPIS

__all__ = [
    "cost_delta_lines",
    "format_comparison",
    "register",
    "sizing_cost_lines",
]


# ---------------------------------------------------------------------- sweep
SWEEP_KPIS = ("served_share", "wait_p50_s", "wait_p95_s", "vehicle_km_per_passenger")


def _sweep(args: argparse.Namespace) -> int:

    path = Path(args.file)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    if "grid" in data or "scenario" in data:
        spec = read_sweep_file(path)
        scn, grid, seeds, name, out = spec.scenario, spec.grid, spec.seeds, spec.name, spec.out
    else:
        scn, grid, seeds, name, out = Scenario.from_toml(path), {}, 10, path.stem, ""
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    grid.update(grid_option(args.grid))
    if args.seeds is not None:
        seeds = args.seeds
    out = Path(args.out or out or Path("runs") / name)
    specs = expand_grid(scn, grid, seeds)  # fails on a bad grid before anything runs
    check_output_folder(out)
    check_scheduler(args.scheduler, args.timeout)
    before = RunStore(out).done()
    todo = sum(s.key not in before for s in specs)
    where = backend_text(args)
    n_seeds = len({s.seed for s in specs})
    print(
        f"sweep {name!r}: {len(specs)} runs ({len(specs) // n_seeds} grid points x {n_seeds} "
        f"seeds), {len(specs) - todo} already in {out}/, {todo} to run on {where}",
        flush=True,
    )
    try:
        runs = sweep(
            scn,
            grid,
            seeds,
            out=out,
            options=run_options(args),
            keep_requests=args.requests,
        )
    except KeyboardInterrupt:
        stored = len(RunStore(out).done() & {s.key for s in specs})
        print(
            f"\ninterrupted: {stored} of {len(specs)} runs are stored in {out}/; "
            "run the same command again to finish the rest",
            file=sys.stderr,
        )
        return 130
    params = list(grid)
    kpis = [k for k in SWEEP_KPIS if k in runs.columns]
    header = [*params, *kpis]
    lines = []
    for key, group in runs.groupby(params, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        cells = [f"{v:g}" if isinstance(v, float) else str(v) for v in key]
        for k in kpis:
            m = kpi_ci(k, group)
            cells.append(_ci_text(k, m.mean, m.low, m.high))
        lines.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in lines:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    print(
        f"(mean ± 95% CI half-width over seeds; shares: mean [Wilson 95% CI]; {len(runs)} rows "
        f"in {out}/runs/)\n({interval_scope(scn)})"
    )
    x = params[0].replace(".", "_")
    print(f"plot with: idrt plot {out} --x {x} --y wait")
    return 0


def _ci_text(kpi: str, mean: float, low: float, high: float) -> str:
    """Shares as ``mean [low, high]`` (their Wilson interval is not symmetric)."""
    if kpi.endswith("_share") and not (math.isnan(mean) or math.isnan(low)):
        return f"{mean:.1%} [{low:.1%}, {high:.1%}]"
    return mean_ci_text(kpi, mean, low, high)


# ----------------------------------------------------------------- size-fleet
def _parse_target(text: str) -> tuple[str, tuple[str, float]]:
    for op in ("<=", ">="):
        kpi, sep, value = text.partition(op)
        if sep:
            try:
                return kpi.strip(), (op, float(value))
            except ValueError:
                break
    msg = f"--target {text!r} must look like KPI<=VALUE or KPI>=VALUE, e.g. wait_mean_s<=600"
    raise ExperimentError(msg)


def _size_fleet(args: argparse.Namespace) -> int:

    scn = Scenario.from_toml(args.scenario)
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    targets: dict[str, Any] = {}
    if args.wait_p95 is not None:
        targets["wait_p95_s"] = ("<=", args.wait_p95)
    if args.wait_mean is not None:
        targets["wait_mean_s"] = ("<=", args.wait_mean)
    if args.max_reject is not None:
        targets["reject_share"] = ("<=", args.max_reject)
    if args.min_served is not None:
        targets["served_share"] = (">=", args.min_served)
    targets.update(dict(_parse_target(t) for t in args.target))
    if not targets:
        msg = "give at least one target: --wait-p95 900, --max-reject 0.05, --target KPI<=VALUE"
        raise ExperimentError(msg)
    mode = args.mode
    if mode == "auto":
        mode = "expansion" if scn.expansion.area else "base"
    if mode == "expansion":
        print(
            f"expansion mode: sizing expansion.fleet_size, the extra vehicles for "
            f"{scn.expansion.area} ({scn.expansion.trips_per_day:g} requests/day x demand.scale "
            f"{scn.demand.scale:g}); the existing fleet of {scn.fleet.size} is kept",
            flush=True,
        )
    else:
        print("sizing fleet.size, the whole fleet", flush=True)
    out = Path(args.out) if args.out else Path("runs") / f"size_fleet_{scn.name}"
    check_output_folder(out)
    check_scheduler(args.scheduler, args.timeout)
    try:
        report = size_fleet(
            scn,
            targets,
            seeds=args.seeds,
            mode=mode,
            min_size=args.min_size,
            max_size=args.max_size,
            rule=args.rule,
            level=args.level,
            out=out,
            options=run_options(args),
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished runs are stored in {out}/; rerun to resume", file=sys.stderr
        )
        return 130
    print(report)
    print("\n".join(sizing_cost_lines(report, scn)))
    print(f"(runs stored in {out}/)")
    if not report.met:
        print(
            f"idrt: targets not met by any {report.parameter} from {report.min_size} to "
            f"{report.max_size}; best found: {report.best_size} (raise --max-size or relax the "
            "targets)",
            file=sys.stderr,
        )
        return 1
    return 0


def sizing_cost_lines(report, scn) -> list[str]:
    """Money at the size found: cost and subsidy per day, per year and per rider."""
    runs = report.runs
    if "cost_per_day" not in runs.columns or report.parameter not in runs.columns:
        return []
    cost, cur = scn.cost, scn.cost.currency
    year = cost.service_days_per_year
    at = runs[runs[report.parameter] == report.best_size]
    hours = scn.service.end_h - scn.service.start_h
    bus_year = (cost.vehicle_capital_per_day + hours * cost.driver_wage_per_hour) * year
    return [
        f"money at {report.parameter} = {report.best_size} (mean of {len(at)} runs): "
        f"{at['cost_per_day'].mean():,.0f} {cur} a day, "
        f"{at['cost_per_day'].mean() * year:,.0f} {cur} a year; cost per rider "
        f"{at['cost_per_rider'].mean():,.0f} {cur}, subsidy per rider "
        f"{at['subsidy_per_rider'].mean():,.0f} {cur}",
        f"one bus more or less: {bus_year:,.0f} {cur} a year (vehicle and driver; "
        "its kilometres come on top)",
        *_area_lines(at),
    ]


def _area_lines(at) -> list[str]:
    """Per-area means (``base_*``, ``expansion_*`` KPIs) of the runs at one size."""
    out = []
    for area in ("base", "expansion"):
        cols = [c for c in at.columns if c.startswith(f"{area}_")]
        if cols:
            text = ", ".join(
                f"{c.removeprefix(area + '_')} {format_kpi(c, at[c].mean())}" for c in cols
            )
            out.append(f"{area} area (by request origin): {text}")
    return out


# ----------------------------------------------------------------------- plot
def _plot(args: argparse.Namespace) -> int:
    import matplotlib  # noqa: PLC0415 - matplotlib: ~1 s to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - matplotlib: ~1 s to import

    folder = Path(args.runs)
    if not folder.is_dir():
        msg = f"runs folder {str(folder)!r} does not exist; give the --out folder of a sweep"
        raise ExperimentError(msg)
    runs = RunStore(folder).load()
    ys = args.y or ["wait"]
    grids = [(p, rows) for p, rows in plot.split_grids(runs) if p]
    try:
        x = plot.resolve_column(runs, args.x)
        grids = [(p, rows) for p, rows in grids if x in p]
        if not grids:
            msg = f"no grid of {folder} sweeps {x!r}"
            raise KeyError(msg)
        for i, (params, rows) in enumerate(grids):
            fig, axes = plt.subplots(
                len(ys), 1, figsize=(6.4, 4.0 * len(ys)), layout="constrained", squeeze=False
            )
            for y, ax in zip(ys, axes[:, 0], strict=True):
                if y == "wait":
                    plot.wait_curves(rows, x, by=args.by, ax=ax, target_s=args.target)
                else:
                    plot.kpi_curves(rows, x, y, by=args.by, ax=ax, target=args.target)
            stem = args.out or folder / "plots" / f"{'_'.join(ys)}_vs_{x.replace('.', '_')}"
            if len(grids) > 1:  # one figure per grid: runs of different grids never mix
                stem = f"{stem}_grid{i + 1}"
                print(f"grid {i + 1}: {', '.join(params)} ({len(rows)} runs)")
            for p in plot.save(fig, stem, formats=args.format):
                print(f"wrote {p}")
            plt.close(fig)
    except KeyError as exc:
        raise ExperimentError(str(exc.args[0])) from exc
    return 0


# -------------------------------------------------------------------- compare
def _compare(args: argparse.Namespace) -> int:

    _check_compare_args(args)
    scenarios = [Scenario.from_toml(p) for p in args.scenarios]
    if args.set:
        overrides = parse_overrides(args.set)
        scenarios = [s.with_overrides(overrides) for s in scenarios]
    out = Path(args.out) if args.out else None
    if out is not None:
        check_output_folder(out)
    check_scheduler(args.scheduler, args.timeout)
    try:
        table = compare(
            *scenarios,
            seeds=args.seeds,
            kpis=args.kpi or None,
            out=out,
            options=run_options(args),
        )
    except KeyboardInterrupt:
        print("\ninterrupted" + (f": finished runs are stored in {out}/" if out else ""))
        return 130
    print(format_comparison(table, cost=scenarios[0].cost))
    if table.attrs.get("interval_covers"):
        print(f"({table.attrs['interval_covers']})")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "compare.csv", index=False)
        print(f"table written to {out / 'compare.csv'}; runs in {out}/runs/")
    return 0


def format_comparison(table, cost=None) -> str:
    """The table of :func:`idrt.compare` as aligned text, one block per scenario.

    With ``cost`` (the baseline's ``[cost]``), each block ends with the money
    difference per day and per year.
    """

    def fmt(kpi: str, v: float, signed: bool = False) -> str:
        if v is None or math.isnan(v):
            return "-"
        sign = "+" if signed else ""
        if kpi.endswith("_share"):
            return f"{v * 100:{sign},.2f} pp" if signed else f"{v:.1%}"
        if kpi.endswith("_s"):
            return f"{v:{sign},.0f} s"
        if kpi in MONEY_KPIS:
            return f"{v:{sign},.0f}"
        return plain_number(v, signed)

    blocks = []
    for name, group in table.groupby("scenario", sort=False):
        base = group["baseline"].iloc[0]
        n = int(group["n"].max())
        rows = [("kpi", base, name, "B - A", "95% CI of B - A", "change")]
        for _, r in group.iterrows():
            k = r["kpi"]
            ci = f"[{fmt(k, r['ci_low'], True)}, {fmt(k, r['ci_high'], True)}]"
            signif = r["ci_low"] > 0 or r["ci_high"] < 0
            rel = "-" if math.isnan(r["rel_change"]) else f"{r['rel_change']:+.1%}"
            rows.append(
                (k, fmt(k, r["mean_a"]), fmt(k, r["mean_b"]), fmt(k, r["diff"], True),
                 ci + (" *" if signif else "  "), rel)
            )  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = [f"{name} (B) vs {base} (A), paired over {n} seeds:"]
        for row in rows:
            first = row[0].ljust(widths[0])
            lines.append(
                "  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])
            )
        lines.append("(* the 95% interval of the paired difference excludes 0)")
        if cost is not None:
            lines += cost_delta_lines(group, cost)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def cost_delta_lines(group, cost) -> list[str]:
    """What B saves or costs against A, per day and per year (money rows of a comparison)."""
    rows = group.set_index("kpi")
    if "cost_per_day" not in rows.index:
        return []
    r = rows.loc["cost_per_day"]
    cur, year = cost.currency, cost.service_days_per_year
    verb = "saves" if r["diff"] < 0 else "costs"
    out = [
        f"money: {r['scenario']} {verb} {abs(r['diff']):,.0f} {cur} a day "
        f"(95% CI {r['ci_low']:+,.0f} to {r['ci_high']:+,.0f}), {abs(r['diff']) * year:,.0f} "
        f"{cur} a year over {year:g} service days"
    ]
    if "subsidy_per_rider" in rows.index:
        s = rows.loc["subsidy_per_rider"]
        out.append(
            f"subsidy per rider {s['mean_a']:,.0f} -> {s['mean_b']:,.0f} {cur} "
            f"({s['diff']:+,.0f}; 95% CI {s['ci_low']:+,.0f} to {s['ci_high']:+,.0f})"
        )
    return out


# ------------------------------------------------------------------- register
def register(commands: argparse._SubParsersAction) -> None:
    """Add ``sweep``, ``size-fleet``, ``plot`` and ``compare`` to the ``idrt`` parser."""
    p = commands.add_parser(
        "sweep",
        help="run a grid of parameters x seeds (local pool or Dask), resumable",
        description="Run every combination of a parameter grid for every seed; rows are "
        "stored in OUT/runs as each run finishes and a rerun skips them.",
    )
    p.add_argument("file", help="sweep TOML (scenario, seeds, [grid]) or a scenario TOML")
    p.add_argument("--out", help="results folder (default: the file's out, else runs/NAME)")
    p.add_argument("--seeds", type=int, default=None, help="replications per grid point")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a grid parameter, e.g. --grid fleet.size=4,6,8 (repeatable; adds to the file's)",
    )
    p.add_argument("--requests", action="store_true", help="also store per-request tables")
    add_backend_options(p)
    p.set_defaults(func=_sweep)

    p = commands.add_parser(
        "size-fleet",
        help="smallest fleet meeting KPI targets (replications, CIs)",
        description="Search the smallest fleet that meets every target by a stated rule "
        "(--rule), with at least 5 seeds per candidate, the same seeds for every size "
        "(bracketing, then bisection); the size below the answer is shown failing.",
    )
    p.add_argument("scenario", help="scenario TOML")
    p.add_argument("--wait-p95", type=float, help="target: 95th percentile wait at most S seconds")
    p.add_argument("--wait-mean", type=float, help="target: mean wait at most S seconds")
    p.add_argument("--max-reject", type=float, help="target: rejected share at most (0-1)")
    p.add_argument("--min-served", type=float, help="target: served share at least (0-1)")
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="KPI<=V",
        help="any KPI target, e.g. --target vehicle_km_per_passenger<=8 (repeatable)",
    )
    p.add_argument("--seeds", type=int, default=5, help="replications per candidate (>= 5)")
    p.add_argument(
        "--mode",
        choices=["auto", "base", "expansion"],
        default="auto",
        help="base: size fleet.size; expansion: size expansion.fleet_size (extra vehicles "
        "of the new area); auto (default): expansion when the scenario has [expansion] area",
    )
    p.add_argument("--min-size", type=int, default=None, help="smallest size to consider")
    p.add_argument("--max-size", type=int, default=50, help="largest size to consider (50)")
    p.add_argument(
        "--rule",
        choices=["bound", "p_meet"],
        default="bound",
        help="how a size is accepted: bound (default): the 95%% CI of each target KPI's mean "
        "lies on the right side of the target; p_meet: every target is met on at least "
        "--level of the seeds (simulated days)",
    )
    p.add_argument(
        "--level",
        type=float,
        default=0.9,
        help="share of days that must meet every target with --rule p_meet (0.9)",
    )
    p.add_argument("--out", help="results folder (default runs/size_fleet_NAME)")
    add_backend_options(p)
    p.set_defaults(func=_size_fleet)

    p = commands.add_parser(
        "plot",
        help="KPI curves with confidence bands from a sweep's results folder",
        description="Draw KPI means against a swept parameter with 95% CI bands; names may "
        "be short (fleet_size for fleet.size, wait_p95 for wait_p95_s); --y wait draws the "
        "p50 and p95 waits.",
    )
    p.add_argument("runs", help="results folder of a sweep (its --out)")
    p.add_argument("--x", default="fleet_size", help="parameter on the x axis (fleet_size)")
    p.add_argument(
        "--y",
        action="append",
        default=[],
        help="KPI(s) on the y axis, e.g. wait_p95, served_share, or wait (p50 + p95; default)",
    )
    p.add_argument("--by", help="one curve per value of this column (default: auto)")
    p.add_argument("--target", type=float, help="target line (KPI units: s or share 0-1)")
    p.add_argument("--out", help="output file stem (default RUNS/plots/Y_vs_X)")
    p.add_argument("--format", nargs="+", default=["png", "svg"], help="file formats (png svg)")
    p.set_defaults(func=_plot)

    p = commands.add_parser(
        "compare",
        help="KPI differences of scenarios vs the first, paired by seed, with CIs",
        description="Run every scenario with the same seeds and print, per KPI, the means, "
        "the mean paired difference and its 95% t-interval (each scenario vs the first).",
    )
    p.add_argument("scenarios", nargs="+", help="scenario TOMLs: the baseline first")
    p.add_argument("--seeds", type=int, default=10, help="replications (10)")
    p.add_argument(
        "--kpi", action="append", default=[], help="KPI to report (repeatable; default all)"
    )
    p.add_argument("--out", help="results folder for runs and compare.csv (default: none)")
    add_backend_options(p)
    p.set_defaults(func=_compare)


def _check_compare_args(args: argparse.Namespace) -> None:
    if len(args.scenarios) < 2:
        msg = "compare needs at least two scenario files: the baseline first"
        raise ExperimentError(msg)
