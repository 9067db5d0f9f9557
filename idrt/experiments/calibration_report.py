"""What a calibration found: the fit table, the history, advice, the figure and files.

Built by :func:`idrt.experiments.calibrate.calibrate`; see that module for
the loss and the search.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from idrt.experiments.text import kpi_text
from idrt.scenario import Scenario

if TYPE_CHECKING:
    from idrt.experiments.calibrate import FitKey

__all__ = ["CalibrationReport", "advise", "write_csv", "write_text"]


@dataclasses.dataclass(frozen=True)
class CalibrationReport:
    """What :func:`calibrate` found.

    Attributes
    ----------
    fitted : dict
        ``{key: value}`` of the best candidate.
    scenario : Scenario
        The scenario with the fitted values.
    loss : float
        Its loss (weighted mean squared relative error).
    keys : list of FitKey
        The fitted keys and bounds.
    fit : pandas.DataFrame
        One row per KPI: ``kpi``, ``reference``, ``weight``, ``mean``,
        ``ci_low``, ``ci_high`` (95 % t-interval over seeds, clipped to 0 for
        a KPI never negative and to 1 for shares), ``n``, ``rel_error``,
        ``matched`` (``|rel_error| <= tolerance``), ``advice`` (for a KPI
        not matched).
    history : pandas.DataFrame
        Every candidate in the order scored: ``candidate``, ``generation``,
        one column per key, ``loss``, ``best_loss`` (so far), and the mean of
        every fitted KPI.
    sensitivity : pandas.DataFrame
        Per KPI and key at the fit: ``kpi``, ``key``, ``low_value``,
        ``high_value``, ``slope`` (KPI units per key unit), ``ci_low``,
        ``ci_high`` (95 % paired interval of the slope), ``significant`` (the
        interval excludes 0; with fewer than 5 seeds: every seed moved the
        same way).
        Empty when not computed.
    advice : list of str
        For each KPI not matched: which key would have to leave its range.
    seeds : tuple of int
        Seeds of every candidate.
    tolerance : float
        Largest relative error counted as matched.
    method : str
        The optimiser (see :func:`calibrate`).
    converged : bool
        Whether the optimiser stopped on its own criterion (not the budget).
    message : str
        The optimiser's own words.
    runs : pandas.DataFrame
        The rows of the fitted candidate's runs.
    """

    fitted: dict[str, int | float]
    scenario: Scenario
    loss: float
    keys: list[FitKey]
    fit: pd.DataFrame
    history: pd.DataFrame
    sensitivity: pd.DataFrame
    advice: list[str]
    seeds: tuple[int, ...]
    tolerance: float
    method: str
    converged: bool
    message: str
    runs: pd.DataFrame = dataclasses.field(repr=False)

    @property
    def matched(self) -> bool:
        """Whether every KPI is within the tolerance of its reference."""
        return bool(self.fit["matched"].all())

    def __str__(self) -> str:
        n_gen = int(self.history["generation"].max()) + 1 if len(self.history) else 0
        state = "converged" if self.converged else "stopped by the candidate budget"
        lines = [
            f"fitted values ({self.method}, loss {self.loss:.4g}; {len(self.history)} "
            f"candidates in {n_gen} {self._steps}, {state}; {len(self.seeds)} seeds each):"
        ]
        width = max(len(k.key) for k in self.keys)
        for k in self.keys:
            v = self.fitted[k.key]
            span = (k.high - k.low) or 1.0
            edge = ""
            if (v - k.low) / span < 0.01:
                edge = "  at its lower bound"
            elif (k.high - v) / span < 0.01:
                edge = "  at its upper bound"
            lines.append(
                f"  {k.key:<{width}} = {_num(v):>10}   [{_num(k.low)}, {_num(k.high)}]{edge}"
            )
        lines.append("")
        kw = max(len("kpi"), *(len(k) for k in self.fit["kpi"]))
        head = f"{'kpi':<{kw}}  {'reference':>12}  {'simulated mean [95% CI]':>36}  {'error':>7}"
        lines.append(head)
        for _, r in self.fit.iterrows():
            k = r["kpi"]
            sim = f"{_fmt(k, r['mean'])} [{_fmt(k, r['ci_low'])}, {_fmt(k, r['ci_high'])}]"
            mark = "ok" if r["matched"] else "NO"
            lines.append(
                f"{k:<{kw}}  {_fmt(k, r['reference']):>12}  {sim:>36}  "
                f"{r['rel_error']:>+7.1%}  {mark}"
            )
        lines.append(f"(matched: within {self.tolerance:.0%} of the reference)")
        if self.advice:
            lines += ["", "KPIs not matched within the bounds:"]
            lines += [f"  - {a}" for a in self.advice]
        return "\n".join(lines)

    @property
    def _steps(self) -> str:
        return "generations" if self.method == "differential-evolution" else "iterations"

    def figure(self):
        """Convergence figure: losses (log scale) and the best values so far.

        Top: the loss of every candidate and the best so far; bottom: the
        best candidate's values so far, as shares of their ranges.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib: ~1 s to import
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - matplotlib: ~1 s to import

        h = self.history
        x = h["candidate"].to_numpy()
        losses = h["loss"].to_numpy(float)
        positive = losses[losses > 0]
        floor = float(positive.min()) / 2 if positive.size else 1e-12
        fig = Figure(figsize=(7.0, 6.4), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        for g in sorted(h["generation"].unique())[1:]:
            first = h.loc[h["generation"] == g, "candidate"].min()
            top.axvline(first - 0.5, color="0.9", lw=0.8, zorder=0)
            bottom.axvline(first - 0.5, color="0.9", lw=0.8, zorder=0)
        top.scatter(x, np.maximum(losses, floor), s=10, color="0.55", label="candidate")
        top.step(
            x, np.maximum(h["best_loss"].to_numpy(float), floor), where="post", color="C0",
            lw=2, label="best so far",
        )  # fmt: skip
        top.set_yscale("log")
        top.set_ylabel("loss (mean squared relative error)")
        top.set_title(
            f"Calibration of {self.scenario.name} ({self.method}): {len(h)} candidates, "
            f"{len(self.seeds)} seeds each"
        )
        top.legend(loc="upper right", frameon=False)
        best_row = np.zeros(len(h), dtype=int)
        for i in range(1, len(h)):
            best_row[i] = i if losses[i] < losses[best_row[i - 1]] else best_row[i - 1]
        for i, k in enumerate(self.keys):
            values = h[k.key].to_numpy(float)[best_row]
            bottom.step(
                x, (values - k.low) / (k.high - k.low), where="post", color=f"C{i + 1}",
                label=f"{k.key} = {_num(self.fitted[k.key])} [{_num(k.low)}, {_num(k.high)}]",
            )  # fmt: skip
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_ylabel("best value so far\n(share of its range)")
        bottom.set_xlabel(f"candidate, in the order scored (grey lines: {self._steps})")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.legend(loc="best", frameon=False, fontsize="small")
        return fig

    def save(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write the tables, the fitted scenario and the convergence figure.

        ``calibration.csv``, ``fit.csv``, ``sensitivity.csv``, ``fitted.toml``
        and ``convergence.png`` / ``.svg`` (200 dpi) in ``folder``.

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [
            write_csv(self.history, folder / "calibration.csv"),
            write_csv(self.fit, folder / "fit.csv"),
            write_csv(self.sensitivity, folder / "sensitivity.csv"),
        ]
        head = [f"# calibrated by idrt calibrate: loss {self.loss:.6g}, seeds {list(self.seeds)}"]
        head += [
            f"# {k.key} = {_num(self.fitted[k.key])}  (bounds {_num(k.low)}:{_num(k.high)})"
            for k in self.keys
        ]
        toml = folder / "fitted.toml"
        write_text(toml, "\n".join(head) + "\n" + self.scenario.to_toml())
        paths.append(toml)
        fig = self.figure()
        for fmt in ("png", "svg"):
            path = folder / f"convergence.{fmt}"
            fig.savefig(path, dpi=200)
            paths.append(path)
        return paths


def _num(v: float) -> str:
    return f"{v:,.6g}" if isinstance(v, float) else f"{v:,}"


def _fmt(kpi: str, value: float) -> str:
    """A KPI value with four significant digits (calibration reports)."""
    return kpi_text(kpi, value, number=lambda v: f"{v:,.4g}")


def write_text(path: Path, text: str) -> None:
    """Write a text file whole or not at all (a temporary name, then renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (whole or not at all); its path."""
    write_text(path, frame.to_csv(index=False))
    return path


def advise(
    table: pd.DataFrame, sens: pd.DataFrame, keys: list[FitKey], fitted: dict[str, float]
) -> list[tuple[str, str]]:
    """For each KPI not matched: which key would have to leave its range (and which way)."""
    out = []
    for _, r in table[~table["matched"]].iterrows():
        kpi = r["kpi"]
        if math.isnan(r["mean"]):
            out.append((kpi, f"{kpi}: undefined (NaN) in the simulation at the fit"))
            continue
        need = 1.0 if r["reference"] > r["mean"] else -1.0
        verb = "raise" if need > 0 else "lower"
        what = (
            f"{kpi} = {_fmt(kpi, r['mean'])} vs reference {_fmt(kpi, r['reference'])} "
            f"({r['rel_error']:+.0%})"
        )
        if sens.empty:
            out.append((kpi, f"{what}; rerun with sensitivities to see which key limits it"))
            continue
        s = sens[(sens["kpi"] == kpi) & sens["significant"]]
        blocked, free = [], []
        for _, row in s.iterrows():
            k = next(k for k in keys if k.key == row["key"])
            direction = need * math.copysign(1.0, row["slope"])
            v = fitted[k.key]
            span = k.high - k.low
            if direction > 0 and (k.high - v) / span < 0.01:
                blocked.append(f"{k.key} above its upper bound {_num(k.high)}")
            elif direction < 0 and (v - k.low) / span < 0.01:
                blocked.append(f"{k.key} below its lower bound {_num(k.low)}")
            else:
                free.append(f"{'raising' if direction > 0 else 'lowering'} {k.key}")
        if blocked:
            text = f"{what}; to {verb} it, " + " or ".join(blocked) + " (widen the bound)"
        elif free:
            text = (
                f"{what}; {' or '.join(free)} would move it the right way but costs more in the "
                "other KPIs (a trade-off: change the weights, or fit another key)"
            )
        else:
            text = f"{what}; no fitted key moves it measurably: fit a key it depends on"
        out.append((kpi, text))
    return out
