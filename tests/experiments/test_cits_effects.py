"""The C-ITS experiment script runs end to end at CI size and reports every variant."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "cits_effects.py"


def test_cits_experiment_small(tmp_path):
    spec = importlib.util.spec_from_file_location("cits_effects", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--small", "--out", str(tmp_path), "--workers", "0"]) == 0
    for name in ("kpis.csv", "deltas.csv", "fleet.csv", "intersections.csv", "runs.csv",
                 "cits_effects.png", "cits_effects.svg", "README.md"):  # fmt: skip
        assert (tmp_path / name).is_file(), name
    kpis = pd.read_csv(tmp_path / "kpis.csv")
    variants = ["fixed timing", "adaptive", "adaptive + priority", "all three"]
    assert list(dict.fromkeys(kpis["variant"])) == variants
    delay = kpis[kpis["kpi"] == "signal_delay_per_passage_s"].set_index("variant")["mean"]
    # same seeds, same demand and day: adaptive plans and priority cut signal delay
    assert delay["adaptive"] < delay["fixed timing"]
    assert delay["adaptive + priority"] < delay["adaptive"]
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert runs.groupby("variant")["seed"].apply(sorted).map(tuple).nunique() == 1
    fleet = pd.read_csv(tmp_path / "fleet.csv")
    assert list(fleet["variant"]) == variants
    inter = pd.read_csv(tmp_path / "intersections.csv")
    assert inter["passages_per_day"].sum() > 0
    assert "| fixed timing |" in (tmp_path / "README.md").read_text()


def test_cits_figure_has_a_panel_per_kpi(tmp_path):
    from idrt.experiments.cits import cits_effects
    from idrt.plot import cits_effects_figure
    from idrt.scenario import Scenario

    scn = Scenario().with_overrides(
        {"service.end_h": 8.0, "demand.trips_per_day": 25, "fleet.size": 2}
    )
    effects = cits_effects(scn, seeds=2, targets={}, workers=0, progress=False,
                           intersection_seeds=1)  # fmt: skip
    fig = cits_effects_figure(effects)
    axes = fig.axes
    assert len(axes) == 4
    assert [len(ax.get_xticklabels()) for ax in axes] == [4, 4, 4, 4]
    assert len(axes[0].patches) == 8  # p50 and p95 bars per variant
    assert "not sized" in axes[3].texts[0].get_text()
