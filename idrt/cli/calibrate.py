"""``idrt calibrate``: fit scenario keys so the simulated KPIs match ``[reference]``."""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from pathlib import Path

from idrt.cli.common import (
    add_backend_options,
    backend_text,
    format_kpi,
    parse_overrides,
    run_options,
)
from idrt.experiments import ExperimentError
from idrt.experiments.calibrate import calibrate
from idrt.scenario import Scenario

__all__ = ["parse_fit_option", "parse_weight_option", "register"]


def _number(text: str, what: str) -> float:
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{what}: {text.strip()!r} is not a number"
        raise ExperimentError(msg)
    return value


def parse_fit_option(text: str) -> tuple[str, tuple[float, float]]:
    """``demand.trips_per_day=400:1200`` to ``("demand.trips_per_day", (400, 1200))``."""
    key, sep, bounds = text.partition("=")
    low, colon, high = bounds.partition(":")
    if not sep or not colon or not key.strip() or not low.strip() or not high.strip():
        msg = (
            f"--fit {text!r} must look like KEY=LOW:HIGH, e.g. --fit demand.trips_per_day=400:1200"
        )
        raise ExperimentError(msg)
    what = f"--fit {text!r}"
    return key.strip(), (_number(low, what), _number(high, what))


def parse_weight_option(text: str) -> tuple[str, float]:
    """``wait_mean_s=2`` to ``("wait_mean_s", 2.0)``."""
    kpi, sep, value = text.partition("=")
    if not sep or not kpi.strip():
        msg = f"--weight {text!r} must look like KPI=WEIGHT, e.g. --weight wait_mean_s=2"
        raise ExperimentError(msg)
    return kpi.strip(), float(_number(value, f"--weight {text!r}"))


def _calibrate(args: argparse.Namespace) -> int:

    scn = Scenario.from_toml(args.scenario)
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    fit: dict[str, tuple[float, float]] = {}
    for text in args.fit:
        key, bounds = parse_fit_option(text)
        if key in fit:
            msg = f"--fit {key} is given twice; give each key once"
            raise ExperimentError(msg)
        fit[key] = bounds
    weights = dict(parse_weight_option(t) for t in args.weight)
    out = Path(args.out) if args.out else Path("runs") / f"calibrate_{scn.name}"
    where = backend_text(args)

    def show_plan(plan) -> None:
        keys = ", ".join(
            f"{k.key} in [{k.low:g}, {k.high:g}]{' (whole)' if k.integer else ''}"
            for k in plan.keys
        )
        refs = ", ".join(f"{kpi} = {format_kpi(kpi, v)}" for kpi, v in plan.reference.items())
        print(
            f"calibrating {scn.name!r} (hash {scn.content_hash()}): {keys}\n"
            f"to the reference {refs}\n"
            f"{plan.method}: at most {plan.max_candidates} candidates x "
            f"{len(plan.seeds)} seeds = {plan.max_runs:,} runs on {where}; runs in {out}/ "
            "(rerun to resume)",
            flush=True,
        )

    try:
        report = calibrate(
            scn,
            fit,
            seeds=args.seeds,
            kpis=args.kpi or None,
            weights=weights or None,
            tolerance=args.tolerance,
            method=args.method,
            max_candidates=args.max_candidates,
            popsize=args.popsize,
            optimizer_seed=args.optimizer_seed,
            sensitivity=not args.no_sensitivity,
            out=out,
            options=run_options(args),
            on_start=show_plan,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished runs are stored in {out}/; run the same command again to "
            "resume",
            file=sys.stderr,
        )
        return 130
    print()
    print(report)
    print()
    for name in ("fit.csv", "calibration.csv", "sensitivity.csv", "fitted.toml"):
        print(f"wrote {out / name}")
    print(f"wrote {out / 'convergence.png'} and .svg")
    if not report.matched:
        bad = report.fit.loc[~report.fit["matched"], "kpi"].tolist()
        print(
            f"idrt: {len(bad)} KPI(s) not matched within {report.tolerance:.0%}: "
            f"{', '.join(bad)} (see the advice above)",
            file=sys.stderr,
        )
        return 1
    return 0


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 10 or math.isnan(value):
        msg = f"{text!r}: give a relative error such as 0.1 (10 %)"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt calibrate`` to the ``idrt`` parser."""
    p = commands.add_parser(
        "calibrate",
        help="fit scenario keys so the simulated KPIs match the [reference] table",
        description="Fit the chosen scenario keys, within their bounds, so that the KPI means "
        "over SEEDS runs match the scenario's [reference] table. The loss is the weighted mean "
        "squared relative error; the optimiser is scipy's Nelder-Mead (or differential "
        "evolution); every "
        "candidate runs the same seeds (common random numbers) and is stored in OUT/runs, so "
        "a rerun resumes. Writes fit.csv, calibration.csv, sensitivity.csv, fitted.toml and "
        "convergence.png/.svg to OUT. Exit status 1 when a KPI is not matched within the "
        "tolerance; the report says which key would have to leave its range.",
        epilog="example: idrt calibrate experiments/yeongjong.toml "
        "--fit demand.trips_per_day=400:1200 --fit fleet.size=4:12 --seeds 10",
    )
    p.add_argument("scenario", help="scenario TOML with a [reference] table of observed KPIs")
    p.add_argument(
        "--fit",
        action="append",
        required=True,
        metavar="KEY=LOW:HIGH",
        help="a scenario key to fit and its bounds, e.g. --fit demand.trips_per_day=400:1200 "
        "(repeatable; whole-number keys such as fleet.size take whole bounds and values)",
    )
    p.add_argument(
        "--seeds", type=int, default=10, help="replications per candidate, the same for all (10)"
    )
    p.add_argument(
        "--kpi",
        action="append",
        default=[],
        help="fit only this [reference] KPI (repeatable; default: every reference KPI)",
    )
    p.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="KPI=W",
        help="weight of a KPI in the loss, e.g. --weight wait_mean_s=2 (default 1; 0 drops it)",
    )
    p.add_argument(
        "--tolerance",
        type=_fraction,
        default=0.10,
        help="a KPI within this relative error of its reference is matched (0.10)",
    )
    p.add_argument(
        "--method",
        choices=["nelder-mead", "differential-evolution"],
        default="nelder-mead",
        help="nelder-mead (default): local simplex search from the scenario's values, few "
        "candidates; differential-evolution: global search of the whole box, parallel over "
        "candidates, several times the candidates (both scipy.optimize)",
    )
    p.add_argument(
        "--max-candidates",
        type=int,
        default=100,
        help="most candidates scored, each on every seed (100; the sensitivities add 2 x keys)",
    )
    p.add_argument(
        "--popsize",
        type=int,
        default=6,
        help="differential evolution: candidates per generation per fitted key (6)",
    )
    p.add_argument(
        "--optimizer-seed",
        type=int,
        default=0,
        help="differential evolution: seed of its proposals (0); the same seed reuses stored runs",
    )
    p.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="skip the slopes of each KPI in each key at the fit (2 x keys candidates)",
    )
    p.add_argument("--out", help="results folder (default runs/calibrate_NAME)")
    add_backend_options(p)
    p.set_defaults(func=_calibrate)
