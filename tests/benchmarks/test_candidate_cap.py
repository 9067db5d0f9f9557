"""``benchmarks/candidate_cap.py``: the shadow of the exact search beside a capped day.

The script's figures (what ``dispatch.max_candidates`` loses) are only as good
as its comparison; these check it against what must hold: without a cap the
shadow and the day's own search are the same search (nothing worse, every
winner among the whole fleet), and the shadow never changes the day.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import idrt

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "candidate_cap.py"
_spec = importlib.util.spec_from_file_location("candidate_cap", SCRIPT)
cc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cc)


def test_without_a_cap_the_shadow_agrees_with_the_search():
    s = cc.shadow(None, 2, 0, False, 3)  # 16 vehicles: the compiled search runs
    assert s["searches"] > 1000
    assert s["shadow_day_equals_capped_day"]
    assert s["worse_share"] == 0.0
    assert s["rejected_by_cap_but_feasible"] == 0
    assert s["exact_winner_within_nearest"]["8"] < 1.0  # the winner is often not the nearest


def test_a_cap_loses_and_the_loss_is_counted():
    with pytest.warns(idrt.IdrtWarning, match="max_candidates = 16"):  # a heuristic: said
        s = cc.shadow(None, 4, 16, False, 3)  # 16 of 32 vehicles
    assert s["shadow_day_equals_capped_day"]
    assert 0.0 < s["worse_share"] < 1.0
    assert s["excess_cost_mean_when_worse"] > 0.0
    # the cap keeps the 16 nearest: where the exact winner is among them, the cap finds it
    assert s["worse_share"] <= 1.0 - s["exact_winner_surely_within_nearest"]["16"] + 1e-9
    assert s["exact_winner_surely_within_nearest"]["8"] <= s["exact_winner_within_nearest"]["8"]


def test_a_cap_below_the_compiled_search_is_refused():
    with pytest.raises(SystemExit, match="use a larger cap"):
        cc.shadow(None, 2, 8, False, 1)
