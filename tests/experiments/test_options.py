"""One options object for how experiment runs execute: RunOptions and its shortcuts."""

from __future__ import annotations

import dataclasses

import pytest

from idrt.experiments import (
    ExperimentError,
    RunOptions,
    RunShortcuts,
    calibrate,
    compare,
    size_fleet,
    sweep,
)
from idrt.experiments.cits import cits_effects
from idrt.experiments.sweep import Runner

CALLS = {
    "sweep": lambda scn, **kw: sweep(scn, {"fleet.size": [2]}, 1, **kw),
    "compare": lambda scn, **kw: compare(scn, scn, seeds=1, **kw),
    "size_fleet": lambda scn, **kw: size_fleet(scn, {"wait_p95_s": 900}, **kw),
    "calibrate": lambda scn, **kw: calibrate(
        scn, {"fleet.size": (1, 4)}, reference={"served_share": 0.9}, **kw
    ),
    "cits_effects": lambda scn, **kw: cits_effects(scn, seeds=1, **kw),
    "Runner": lambda scn, **kw: Runner(**kw),
}


@pytest.mark.parametrize("name", CALLS)
def test_a_misspelt_run_option_is_refused_before_anything_runs(tiny, name):
    with pytest.raises(TypeError, match=r"\['worker'\]; the run options are \['workers'"):
        CALLS[name](tiny, worker=0)


def test_the_shortcuts_are_fields_of_run_options():
    fields = [f.name for f in dataclasses.fields(RunOptions)]
    assert sorted(RunShortcuts.__annotations__) == sorted(set(fields) - {"worker_idle_s"})


def test_a_shortcut_overrides_the_options_and_none_leaves_them():
    runner = Runner(options=RunOptions(workers=2, progress=False), workers=0, progress=None)
    assert (runner.backend, runner.workers, runner.progress) == ("in-process", 0, False)
    assert runner.options.replace(workers=2) == RunOptions(workers=2, progress=False)


def test_calibrate_runs_where_its_options_say(tiny):
    opts = RunOptions(scheduler="tcp://127.0.0.1:1", timeout_s=1, progress=False)
    with pytest.raises(ExperimentError, match="cannot reach the Dask scheduler"):
        calibrate(tiny, {"fleet.size": (1, 4)}, reference={"served_share": 0.9}, options=opts)
