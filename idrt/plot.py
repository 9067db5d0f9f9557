"""Matplotlib figures from result tables, ready for a planner's report."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["wait_time_cdf"]


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
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
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
        ax.annotate("max wait", (max_wait_s / 60.0, 5), rotation=90, ha="right", color="0.3")
    ax.set_xlabel("waiting time from request to pickup (min)")
    ax.set_ylabel("served riders (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Waiting times of served riders")
    return ax
