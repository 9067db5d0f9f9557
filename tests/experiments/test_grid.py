from __future__ import annotations

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.experiments import ExperimentError, expand_grid, run_key, seed_list
from idrt.scenario import Scenario


def test_grid_times_seeds_in_row_major_order():
    scn = Scenario()
    specs = expand_grid(scn, {"fleet.size": range(4, 7), "demand.scale": [1, 1.5]}, seeds=2)
    got = [(dict(s.params)["fleet.size"], dict(s.params)["demand.scale"], s.seed) for s in specs]
    assert got == [
        (f, d, seed) for f in (4, 5, 6) for d in (1, 1.5) for seed in (scn.seed, scn.seed + 1)
    ]
    # a parameter mixing whole and decimal numbers is all floats (one column type)
    assert {type(dict(s.params)["demand.scale"]) for s in specs} == {float}
    assert {type(dict(s.params)["fleet.size"]) for s in specs} == {int}
    assert specs[0].scenario.fleet.size == 4 and specs[-1].scenario.demand.scale == 1.5
    assert len({s.key for s in specs}) == len(specs)


def test_run_key_is_stable_and_depends_on_content_and_seed():
    a = Scenario().with_overrides({"fleet.size": 5})
    b = Scenario().with_overrides({"fleet.size": 5})
    assert run_key(a, 3) == run_key(b, 3)
    assert run_key(a, 3) != run_key(a, 4)
    assert run_key(a, 3) != run_key(a.with_overrides({"fleet.size": 6}), 3)
    # numpy values in a grid give the same runs as plain ones
    np_specs = expand_grid(Scenario(), {"fleet.size": np.array([5])}, seeds=[3])
    assert np_specs[0].key == run_key(a, 3)
    assert type(np_specs[0].params[0][1]) is int


def test_unknown_parameter_names_key_and_valid_keys():
    with pytest.raises(ScenarioError) as err:
        expand_grid(Scenario(), {"fleet.buses": [1, 2]}, seeds=2)
    text = str(err.value)
    assert "fleet.buses" in text and "'size'" in text and "capacity" in text


def test_wrong_type_is_rejected_by_name():
    with pytest.raises(ScenarioError, match=r"fleet.size"):
        expand_grid(Scenario(), {"fleet.size": [4, "many"]}, seeds=1)


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({}, "grid is empty"),
        ({"fleet.size": []}, "has no values"),
        ({"fleet.size": [4, 4]}, "twice"),
        ([("fleet.size", [4])], "must be a mapping"),
    ],
)
def test_bad_grids(grid, match):
    with pytest.raises(ExperimentError, match=match):
        expand_grid(Scenario(), grid, seeds=2)


def test_single_value_and_string_values():
    specs = expand_grid(Scenario(), {"dispatch.mode": "batch", "fleet.size": 3}, seeds=1)
    assert len(specs) == 1 and specs[0].scenario.dispatch.mode == "batch"


def test_seed_lists():
    assert seed_list(3, first=7) == [7, 8, 9]
    assert seed_list([5, 1]) == [5, 1]
    for bad, match in [(0, ">= 1"), ([], "empty"), ([1, 1], "twice"), ([1.5], "whole"),
                       ("10", "count")]:  # fmt: skip
        with pytest.raises(ExperimentError, match=match):
            seed_list(bad)
