"""The interactive service map of a run (plotly, in projected kilometres).

Drawn on plain axes in the network's projected metres (shown as km from the
south-west corner, equal scale on both axes), with SVG traces only, so it
needs neither map tiles nor WebGL: it renders offline and in a headless
browser. Layers (each can be switched off in the legend): road network,
service and expansion areas, demand density (request origins per cell),
rejected and declined requests, signalised intersections coloured by mean
delay (or by delay saved against a baseline run), driven trajectories, and
the vehicles at a time of day chosen with the slider.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from idrt import geo
from idrt.sim.areas import scenario_areas
from idrt.sim.trajectories import vehicle_legs

__all__ = ["basemap_figure", "service_map_figure", "vehicle_positions"]


def vehicle_positions(legs: pd.DataFrame, network, times_s: np.ndarray, vehicles) -> np.ndarray:
    """Where each vehicle is at each time: ``(len(times_s), len(vehicles), 2)`` metres.

    Inside a leg the position moves along its path in proportion to
    distance (the leg's mean speed); between legs a vehicle stands where the
    last leg ended (before its first leg: where the first leg starts). NaN
    for a vehicle that never drove.
    """
    out = np.full((len(times_s), len(vehicles), 2), np.nan)
    tails = network.edge_tails
    for j, v in enumerate(vehicles):
        mine = legs[legs["vehicle"] == v].sort_values("depart_s")
        if not len(mine):
            continue
        paths = []
        for e, a, b in zip(mine["edges"], mine["from_node"], mine["to_node"], strict=True):
            if len(e):
                nodes = np.concatenate([[tails[e[0]]], network.heads[e]])
            else:
                nodes = np.asarray(network.index_of(np.array([a, b])), dtype=np.int64)
            xy = np.column_stack([network.x_m[nodes], network.y_m[nodes]])
            cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
            paths.append((xy, cum))
        depart = mine["depart_s"].to_numpy(float)
        end = mine["end_s"].to_numpy(float)
        for i, t in enumerate(times_s):
            k = int(np.searchsorted(depart, t, side="right")) - 1
            if k < 0:
                out[i, j] = paths[0][0][0]
                continue
            xy, cum = paths[k]
            if t >= end[k] or cum[-1] == 0:
                out[i, j] = xy[-1]
                continue
            f = (t - depart[k]) / (end[k] - depart[k]) if end[k] > depart[k] else 1.0
            d = f * cum[-1]
            out[i, j, 0] = np.interp(d, cum, xy[:, 0])
            out[i, j, 1] = np.interp(d, cum, xy[:, 1])
    return out


def _lines(x0, y0, x1, y1):
    """Segments as one polyline with gaps (None) for a single SVG trace."""
    n = len(x0)
    xs = np.empty(3 * n, dtype=object)
    ys = np.empty(3 * n, dtype=object)
    xs[0::3], xs[1::3], xs[2::3] = x0, x1, None
    ys[0::3], ys[1::3], ys[2::3] = y0, y1, None
    return xs.tolist(), ys.tolist()


def service_map_figure(
    result,
    network,
    *,
    intersections: pd.DataFrame | None = None,
    delay_saved: pd.DataFrame | None = None,
    step_s: float = 600.0,
):
    """The interactive map of one run.

    Parameters
    ----------
    result : idrt.Result
        The run.
    network : idrt.network.RoadNetwork
        Its network.
    intersections
        ``idrt.geo.intersections_table`` of the run (computed when omitted).
    delay_saved
        Optional ``intersection_id``, ``delay_saved_s`` (baseline mean delay
        minus this run's): colours the intersections by delay saved.
    step_s
        Time step of the vehicle slider, s.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    x_off, y_off = float(network.x_m.min()), float(network.y_m.min())

    def km(x, y):
        return (np.asarray(x, float) - x_off) / 1000.0, (np.asarray(y, float) - y_off) / 1000.0

    fig = go.Figure()
    tails, heads = network.edge_tails, network.heads
    x0, y0 = km(network.x_m[tails], network.y_m[tails])
    x1, y1 = km(network.x_m[heads], network.y_m[heads])
    lx, ly = _lines(x0, y0, x1, y1)
    fig.add_trace(
        go.Scatter(x=lx, y=ly, mode="lines", line={"color": "#c8c8c8", "width": 0.7},
                   name="road network", hoverinfo="skip")
    )  # fmt: skip
    colours = {"base": "#2ca02c", "expansion": "#9467bd"}
    for name, geom in scenario_areas(result.scenario, network):
        for i, poly in enumerate(getattr(geom, "geoms", [geom])):
            px, py = network.project(*np.asarray(poly.exterior.xy))
            ax, ay = km(px, py)
            fig.add_trace(
                go.Scatter(
                    x=ax, y=ay, mode="lines", fill="toself", name=f"{name} area",
                    line={"color": colours.get(name, "#17becf"), "width": 2},
                    fillcolor="rgba(0,0,0,0.03)", legendgroup=name, showlegend=i == 0,
                    hoverinfo="name",
                )
            )  # fmt: skip
    req = result.requests
    o = np.asarray(network.index_of(req["origin_node"].to_numpy(np.int64)), dtype=np.int64)
    ox, oy = km(network.x_m[o], network.y_m[o])
    if len(req):
        cell = 0.25  # km: square cells
        ex = np.arange(np.floor(ox.min() / cell) * cell, ox.max() + cell, cell)
        ey = np.arange(np.floor(oy.min() / cell) * cell, oy.max() + cell, cell)
        counts, ex, ey = np.histogram2d(ox, oy, bins=[ex, ey])
        counts = counts.T
        z = np.where(counts > 0, np.log10(np.maximum(counts, 1)), np.nan)  # empty: transparent
        fig.add_trace(
            go.Heatmap(
                x=(ex[:-1] + ex[1:]) / 2, y=(ey[:-1] + ey[1:]) / 2, z=z, text=counts,
                name="request origins (250 m cells, log colour)",
                colorscale=[[0, "#9ecae1"], [1, "#08306b"]], opacity=0.85, showscale=False,
                showlegend=True, hovertemplate="%{text} request origins<extra></extra>",
            )
        )  # fmt: skip
    status = req["status"].astype(str).to_numpy()
    for label, mask, colour in (
        ("rejected", status == "rejected", "#d62728"),
        ("declined", status == "declined", "#ff7f0e"),
    ):
        if mask.any():
            fig.add_trace(
                go.Scatter(
                    x=ox[mask], y=oy[mask], mode="markers", name=f"{label} ({int(mask.sum())})",
                    marker={"symbol": "x", "size": 6, "color": colour},
                    text=req["request_id"].to_numpy()[mask],
                    hovertemplate=f"{label} request %{{text}}<extra></extra>",
                )
            )  # fmt: skip
    inter = intersections if intersections is not None else geo.intersections_table(result, network)
    if len(inter):
        ix, iy = km(*network.project(inter["lon"].to_numpy(), inter["lat"].to_numpy()))
        if delay_saved is not None:
            saved = inter[["intersection_id"]].merge(delay_saved, how="left")
            colour, title = saved["delay_saved_s"].to_numpy(float), "delay saved (s)"
            scale = "RdBu"
        else:
            colour, title = inter["delay_mean_s"].to_numpy(float), "mean delay (s)"
            scale = "YlOrRd"
        fig.add_trace(
            go.Scatter(
                x=ix, y=iy, mode="markers", name=f"signals: {title}",
                marker={"size": 8, "color": np.nan_to_num(colour), "colorscale": scale,
                        "line": {"width": 0.5, "color": "#333"}, "showscale": True,
                        "colorbar": {"title": {"text": title}, "x": 1.0, "len": 0.5, "y": 0.25}},
                customdata=np.column_stack([inter["intersection_id"], inter["passages"],
                                            np.round(colour, 1)]),
                hovertemplate="intersection %{customdata[0]}: %{customdata[1]} passages, "
                + title + " %{customdata[2]}<extra></extra>",
            )
        )  # fmt: skip
    legs = vehicle_legs(result.events, network) if len(result.events) else pd.DataFrame()
    if len(legs):
        nodes_x, nodes_y = [], []
        for e in legs["edges"]:
            if len(e):
                nodes = np.concatenate([[tails[e[0]]], heads[e]])
                tx, ty = km(network.x_m[nodes], network.y_m[nodes])
                nodes_x += [*tx.tolist(), None]
                nodes_y += [*ty.tolist(), None]
        fig.add_trace(
            go.Scatter(x=nodes_x, y=nodes_y, mode="lines", name="trajectories",
                       line={"color": "rgba(31,119,180,0.35)", "width": 1},
                       hoverinfo="skip", visible="legendonly")
        )  # fmt: skip
        vehicles = sorted(result.vehicles["vehicle"].tolist())
        start = float(result.scenario.service.start_h * 3600)
        stop = float(max(legs["end_s"].max(), start + step_s))
        times = np.arange(start, stop + step_s, step_s)
        pos = vehicle_positions(legs, network, times, vehicles)
        px, py = km(pos[..., 0], pos[..., 1])

        labels = geo.clock(times)
        trace_index = len(fig.data)
        fig.add_trace(
            go.Scatter(
                x=px[0], y=py[0], mode="markers+text", name="vehicles (slider)",
                text=[str(v) for v in vehicles], textposition="top center",
                marker={"symbol": "square", "size": 10, "color": "#1f77b4"},
                hovertemplate="vehicle %{text}<extra></extra>",
            )
        )  # fmt: skip
        fig.frames = [
            go.Frame(data=[go.Scatter(x=px[i], y=py[i])], traces=[trace_index], name=labels[i])
            for i in range(len(times))
        ]
        steps = [
            {
                "label": label,
                "method": "animate",
                "args": [
                    [label],
                    {
                        "mode": "immediate",
                        "frame": {"duration": 0, "redraw": True},
                        "transition": {"duration": 0},
                    },
                ],
            }
            for label in labels
        ]
        fig.update_layout(
            sliders=[
                {
                    "active": 0,
                    "currentvalue": {"prefix": "vehicles at "},
                    "pad": {"t": 40},
                    "steps": steps,
                }
            ]
        )
    fig.update_layout(
        title=f"{result.scenario.name}: service map",
        xaxis={"title": "km east (projected, " + network.crs + ")", "constrain": "domain"},
        yaxis={"title": "km north", "scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "v", "x": 1.0, "y": 1, "yanchor": "top"},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        plot_bgcolor="white",
    )
    return fig


def basemap_figure(result, network, *, intersections: pd.DataFrame | None = None):
    """The run on an OpenStreetMap basemap (needs the internet and WebGL to show tiles).

    Only with ``idrt report --basemap``: the page then loads map tiles from
    tile.openstreetmap.org when opened; everything else stays offline.
    Layers: service and expansion areas, rejected requests, intersections
    coloured by mean delay.
    """
    fig = go.Figure()
    for name, geom in scenario_areas(result.scenario, network):
        for i, poly in enumerate(getattr(geom, "geoms", [geom])):
            lon, lat = np.asarray(poly.exterior.xy)
            fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="lines", name=f"{name} area",
                                        legendgroup=name, showlegend=i == 0))  # fmt: skip
    req = result.requests
    rejected = req[req["status"].astype(str) == "rejected"]
    if len(rejected):
        idx = np.asarray(network.index_of(rejected["origin_node"].to_numpy(np.int64)))
        fig.add_trace(go.Scattermap(lon=network.lon[idx], lat=network.lat[idx], mode="markers",
                                    marker={"color": "#d62728", "size": 6},
                                    name=f"rejected ({len(rejected)})"))  # fmt: skip
    inter = intersections if intersections is not None else geo.intersections_table(result, network)
    if len(inter):
        fig.add_trace(
            go.Scattermap(lon=inter["lon"], lat=inter["lat"], mode="markers",
                          name="signals: mean delay (s)",
                          marker={"size": 9, "color": inter["delay_mean_s"].fillna(0),
                                  "colorscale": "YlOrRd", "showscale": True})
        )  # fmt: skip
    fig.update_layout(
        title=f"{result.scenario.name} on OpenStreetMap (tiles load when online)",
        map={"style": "open-street-map", "zoom": 11,
             "center": {"lon": float(np.mean(network.lon)), "lat": float(np.mean(network.lat))}},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )  # fmt: skip
    return fig
