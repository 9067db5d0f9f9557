"""CI's speed guard: ratios measured in this run against the stored reference.

The measuring and the rule live in ``benchmarks/ci_ratios.py`` (see its
docstring); store a new reference with
``python benchmarks/ci_ratios.py --store "why"`` after an intended change.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ci_ratios.py"
_spec = importlib.util.spec_from_file_location("ci_ratios", SCRIPT)
ci = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ci)


@pytest.fixture(scope="module")
def measured():
    return ci.measure()


@pytest.mark.parametrize("name", list(ci.MARGINS))
def test_ratio_has_not_regressed(name, measured):
    ref = ci.reference()
    assert name in ref["ratios"], f"no stored reference for {name}; run {SCRIPT.name} --store"
    problems = ci.regressions({name: measured[name]}, ref)
    if problems:  # one slow measurement on a busy machine is not a regression
        problems = ci.regressions(ci.measure([name]), ref)
    assert not problems, "; ".join(problems)


def test_rule_and_append_only_history(tmp_path):
    path = tmp_path / "ref.jsonl"
    with pytest.raises(FileNotFoundError, match="--store"):
        path.write_text("")
        ci.reference(path)
    ci.store({"table_over_scipy": 0.5}, "first", path)
    ci.store({"table_over_scipy": 0.4}, "second", path)
    lines = path.read_text().splitlines()
    assert [json.loads(x)["note"] for x in lines] == ["first", "second"]
    ref = ci.reference(path)
    assert ref["ratios"] == {"table_over_scipy": 0.4}
    limit = 0.4 * (1 + ci.MARGINS["table_over_scipy"])
    assert ci.regressions({"table_over_scipy": limit}, ref) == []
    assert len(ci.regressions({"table_over_scipy": limit * 1.001}, ref)) == 1
    assert ci.regressions({"other": 99.0}, ref) == []  # no reference, nothing to compare
