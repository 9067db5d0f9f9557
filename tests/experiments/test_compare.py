from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import idrt
from idrt.experiments import ExperimentError, RunStore
from idrt.experiments.compare import COMPARE_COLUMNS


def test_paired_differences_match_a_direct_sweep(city, city_net, tmp_path):
    a = city.with_overrides({"fleet.size": 2})
    b = city.with_overrides({"fleet.size": 4})
    table = idrt.compare(
        a, b, seeds=6, labels=["two", "four"], workers=0, network=city_net, out=tmp_path,
        progress=False,
    )  # fmt: skip
    assert list(table.columns) == COMPARE_COLUMNS
    assert set(table["scenario"]) == {"four"} and set(table["baseline"]) == {"two"}
    runs = RunStore(tmp_path).load()
    assert len(runs) == 12  # 2 scenarios x 6 seeds, same seed list for both
    served = table.set_index("kpi").loc["served_share"]
    x = runs[runs["scenario_hash"] == a.content_hash()].set_index("seed")["served_share"]
    y = runs[runs["scenario_hash"] == b.content_hash()].set_index("seed")["served_share"]
    d = (y - x.loc[y.index]).to_numpy()
    low, high = stats.t.interval(0.95, d.size - 1, loc=d.mean(), scale=stats.sem(d))
    assert served["diff"] == pytest.approx(d.mean())
    assert (served["ci_low"], served["ci_high"]) == pytest.approx((low, high))
    assert served["mean_a"] == pytest.approx(x.mean()) and served["n"] == 6
    assert served["rel_change"] == pytest.approx(d.mean() / x.mean())
    assert served["diff"] > 0 and served["ci_low"] > 0  # more buses, more riders served
    # common random numbers: identical demand for both scenarios of a seed
    req = table.set_index("kpi").loc["requests"]
    assert req["diff"] == 0 and req["ci_low"] == req["ci_high"] == 0


def test_several_scenarios_each_against_the_first(city, city_net):
    table = idrt.compare(
        city, city.with_overrides({"fleet.size": 1}), city.with_overrides({"fleet.size": 5}),
        seeds=[3, 4], kpis=["served_share", "wait_mean_s"], workers=0, network=city_net,
        progress=False,
    )  # fmt: skip
    assert table["scenario"].tolist() == ["city#2", "city#2", "city#3", "city#3"]
    assert table["kpi"].tolist() == ["served_share", "wait_mean_s"] * 2
    assert np.all(table["n"] == 2)
    signs = table.set_index(["scenario", "kpi"])["diff"]
    assert signs[("city#2", "served_share")] < 0 < signs[("city#3", "served_share")]


def test_identical_scenarios_differ_by_nothing(city, city_net):
    table = idrt.compare(city, city, seeds=3, workers=0, network=city_net, progress=False)
    defined = table["n"] > 0  # KPIs undefined in these runs (NaN) have no pairs
    assert defined.sum() > 10 and (table.loc[defined, "diff"] == 0).all()


def test_bad_comparisons(city, city_net):
    with pytest.raises(ExperimentError, match="unknown KPI"):
        idrt.compare(city, city, seeds=2, kpis=["speed"], workers=0, network=city_net,
                     progress=False)  # fmt: skip
    with pytest.raises(ExperimentError, match="one distinct label"):
        idrt.compare(city, city, labels=["a", "a"], workers=0, network=city_net)
