"""Plotly charts of the report: wait CDF, occupancy, sweep curves, comparison deltas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from idrt.experiments.stats import summarize_runs
from idrt.plot import occupancy_series

__all__ = ["HEADLINE", "compare_deltas", "occupancy", "sweep_curves", "wait_cdf"]

HEADLINE = (
    "served_share",
    "wait_mean_s",
    "wait_p95_s",
    "in_vehicle_mean_s",
    "passengers",
    "vehicle_km_per_passenger",
    "passengers_per_vehicle_hour",
    "mean_occupancy",
    "cost_per_rider",
    "subsidy_per_rider",
    "drt_time_saved_mean_s",
    "faster_than_transit_share",
)
"""KPIs of the sweep tables and comparison chart (the transit ones with ``[transit] gtfs``)."""


def wait_cdf(result):
    """Cumulative share of served riders by wait (minutes), with the maximum-wait rule."""
    req = result.requests
    wait = np.sort(req.loc[req["status"].astype(str) == "served", "wait_s"].to_numpy(float)) / 60
    fig = go.Figure()
    if wait.size:
        share = np.arange(1, wait.size + 1) / wait.size * 100
        fig.add_trace(go.Scatter(x=wait, y=share, mode="lines", line_shape="hv",
                                 name=f"served riders ({wait.size})"))  # fmt: skip
    max_wait = result.scenario.service.max_wait_s / 60
    fig.add_vline(
        x=max_wait,
        line_dash="dash",
        line_color="#666",
        annotation_text=f"max wait {max_wait:g} min",
        annotation_position="top left",
    )
    fig.update_layout(title="Waiting time from request to pickup",
                      xaxis_title="wait (min)", yaxis_title="served riders (%)",
                      yaxis_range=[0, 100], plot_bgcolor="white")  # fmt: skip
    return fig


def occupancy(result, bin_s: float = 300.0):
    """Riders on board (left axis) and vehicles carrying riders (right axis) over the day."""
    t, riders, busy = occupancy_series(result, bin_s=bin_s)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t / 3600, y=riders, name="riders on board", yaxis="y"))
    fig.add_trace(go.Scatter(x=t / 3600, y=busy, name="vehicles carrying riders", yaxis="y2"))
    fig.update_layout(
        title=f"Occupancy over the day (mean occupancy {result.summary()['mean_occupancy']:.2f} "
        "passenger-km per vehicle-km)",
        xaxis_title="time of day (h)",
        yaxis={"title": "riders on board", "rangemode": "tozero"},
        yaxis2={"title": "vehicles carrying riders", "overlaying": "y", "side": "right",
                "rangemode": "tozero", "range": [0, len(result.vehicles) + 0.5]},
        plot_bgcolor="white", legend={"x": 0.01, "y": 0.99},
    )  # fmt: skip
    return fig


def sweep_curves(rows: pd.DataFrame, x: str, by: list[str], what: str):
    """Means with 95 % bands over seeds against ``x``: ``what`` = ``"wait"`` or a KPI."""
    kpis = ["wait_p50_s", "wait_p95_s"] if what == "wait" else [what]
    fig = go.Figure()
    groups = [((), rows)] if not by else list(rows.groupby(by, sort=True))
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    c = 0
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        suffix = ", ".join(f"{b}={k:g}" if isinstance(k, float) else f"{b}={k}"
                           for b, k in zip(by, key, strict=True))  # fmt: skip
        for kpi in kpis:
            if kpi not in group.columns:
                continue
            s = summarize_runs(group, x, kpi).sort_values(x)
            f = 1 / 60 if kpi.endswith("_s") else (100 if kpi.endswith("_share") else 1)
            colour = palette[c % len(palette)]
            c += 1
            name = kpi.removesuffix("_s").replace("_", " ") + (f" ({suffix})" if suffix else "")
            xs = s[x].to_numpy(float)
            lo, hi = s["ci_low"].to_numpy(float) * f, s["ci_high"].to_numpy(float) * f
            if np.isfinite(lo).any():
                fig.add_trace(go.Scatter(
                    x=np.concatenate([xs, xs[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                    fill="toself", fillcolor=colour, opacity=0.18, line={"width": 0},
                    hoverinfo="skip", showlegend=False))  # fmt: skip
            fig.add_trace(go.Scatter(x=xs, y=s["mean"] * f, mode="lines+markers", name=name,
                                     line={"color": colour}))  # fmt: skip
    unit = "wait (min)" if what == "wait" else (
        "served share (%)" if what == "served_share" else what)  # fmt: skip
    fig.update_layout(title=f"{unit} vs {x} (mean, 95% CI over seeds)", xaxis_title=x,
                      yaxis_title=unit, plot_bgcolor="white")  # fmt: skip
    return fig


def compare_deltas(group: pd.DataFrame):
    """Relative change B vs A of each KPI with its 95 % interval (horizontal bars)."""
    g = group[group["kpi"].isin(HEADLINE)].copy()
    g = g[np.isfinite(g["mean_a"]) & (g["mean_a"] != 0)]
    rel = g["diff"] / g["mean_a"].abs() * 100
    lo = g["ci_low"] / g["mean_a"].abs() * 100
    hi = g["ci_high"] / g["mean_a"].abs() * 100
    fig = go.Figure(
        go.Bar(
            y=g["kpi"], x=rel, orientation="h", marker_color="#4c72b0",
            error_x={"type": "data", "symmetric": False, "array": hi - rel,
                     "arrayminus": rel - lo},
            hovertemplate="%{y}: %{x:+.1f}%<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(title="Change of B against A (% of A, 95% CI)", xaxis_title="change (%)",
                      plot_bgcolor="white", margin={"l": 200})  # fmt: skip
    return fig
