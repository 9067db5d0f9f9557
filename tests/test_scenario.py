"""Scenario files: loading, validation by name, overrides, round trips."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

import idrt
from idrt.errors import ScenarioError
from idrt.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "experiments" / "yeongjong.toml"


def test_default_file_matches_the_pilot():
    scn = Scenario.from_toml(DEFAULT)
    assert scn.name == "yeongjong"
    assert scn.fleet.size == 8 and scn.fleet.capacity == 15
    assert scn.demand.trips_per_day == 735
    assert scn.reference["wait_mean_s"] == pytest.approx(12.7 * 60, abs=1)
    assert scn.reference["vehicle_km_per_passenger"] == 9.2
    assert scn.data_path(scn.demand.profile).is_file()
    assert scn.data_path(scn.demand.area).is_file()


def test_toml_round_trip_and_stable_hash():
    scn = Scenario.from_toml(DEFAULT)
    back = Scenario.from_dict(tomllib.loads(scn.to_toml()))
    assert back == scn
    assert back.content_hash() == scn.content_hash()
    assert scn.with_overrides({"fleet.size": 9}).content_hash() != scn.content_hash()


def test_overrides():
    scn = Scenario().with_overrides({"fleet.size": 20, "service.mode": "stop_based"})
    assert scn.fleet.size == 20 and scn.service.mode == "stop_based"
    assert Scenario().with_overrides({"service.max_wait_s": 600}).service.max_wait_s == 600.0
    assert math.isinf(
        Scenario().with_overrides({"service.max_wait_s": math.inf}).service.max_wait_s
    )


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"fleet.sise": 3}, r"'sise' is not a key of fleet.*size"),
        ({"flet.size": 3}, r"'flet' is not a key"),
        ({"fleet.size": -2}, r"fleet.size = -2"),
        ({"fleet.size": 0}, r"fleet.size = 0"),
        ({"fleet.size": "ten"}, r"fleet.size = 'ten' must be a whole number"),
        ({"fleet.capacity": 2}, r"groups of 3 but fleet.capacity = 2"),
        ({"service.mode": "teleport"}, r"service.mode = 'teleport' is not allowed"),
        ({"service.start_h": 21.0}, r"service.start_h = 21.*end_h"),
        ({"demand.prebooked_share": 1.5}, r"prebooked_share"),
        ({"demand.group_sizes": {"1": 0.5}}, r"sum to 1"),
        ({"fleet.depots": [["a", 1]]}, r"fleet.depots entry"),
        ({"fleet": 3}, r"names a whole section"),
    ],
)
def test_bad_values_are_named(overrides, match):
    with pytest.raises(idrt.ScenarioError, match=match):
        Scenario().with_overrides(overrides)


def test_unknown_keys_in_a_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[fleet]\nsize = 3\nbuses = 4\n")
    with pytest.raises(idrt.ScenarioError, match=r"unknown key\(s\) \['buses'\] in \[fleet\]"):
        Scenario.from_toml(path)
    path.write_text("[fleets]\nsize = 3\n")
    with pytest.raises(idrt.ScenarioError, match=r"unknown scenario key\(s\) \['fleets'\]"):
        Scenario.from_toml(path)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(idrt.ScenarioError, match="does not exist"):
        Scenario.from_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[fleet\nsize = ")
    with pytest.raises(idrt.ScenarioError, match="not valid TOML"):
        Scenario.from_toml(bad)


def test_relative_paths_resolve_next_to_the_file_first(tmp_path):
    (tmp_path / "p.csv").write_text("hour,share\n")
    path = tmp_path / "s.toml"
    path.write_text('[demand]\nprofile = "p.csv"\n')
    scn = Scenario.from_toml(path)
    assert scn.data_path(scn.demand.profile) == tmp_path / "p.csv"


def test_extends_merges_a_variant_over_its_base(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        'name = "base"\n[fleet]\nsize = 7\ncapacity = 9\n[cits]\nbus_priority = false\n'
        "[reference]\nrequests = 100\n"
    )
    (tmp_path / "sub").mkdir()
    variant = tmp_path / "sub" / "variant.toml"
    variant.write_text(
        'extends = "../base.toml"\n[fleet]\nsize = 12\n[cits]\nbus_priority = true\n'
    )
    scn = Scenario.from_toml(variant)
    assert scn.name == "variant"
    assert (scn.fleet.size, scn.fleet.capacity) == (12, 9)
    assert scn.cits.bus_priority
    assert scn.reference == {"requests": 100.0}
    loop = tmp_path / "loop.toml"
    loop.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match="extends itself"):
        Scenario.from_toml(loop)
    missing = tmp_path / "missing.toml"
    missing.write_text('extends = "nowhere.toml"\n')
    with pytest.raises(ScenarioError, match=r"nowhere\.toml.*extended by"):
        Scenario.from_toml(missing)


def test_shipped_cits_variant_differs_from_the_default_only_in_cits_and_output():
    base = Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    cits = Scenario.from_toml(REPO / "experiments" / "yeongjong_cits.toml")
    assert base.traffic.signals == "fixed" and base.traffic.profile
    assert not (base.cits.adaptive_signals or base.cits.bus_priority or base.cits.realtime_info)
    assert cits.cits.adaptive_signals and cits.cits.bus_priority and cits.cits.realtime_info
    for section in ("network", "demand", "fleet", "service", "dispatch", "traffic"):
        assert getattr(base, section) == getattr(cits, section), section
