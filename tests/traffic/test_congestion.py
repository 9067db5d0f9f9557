"""BPR, capacities and background v/c profiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.network.speeds import ROAD_CLASSES
from idrt.traffic import (
    DEFAULT_CAPACITY_VPHPL,
    CongestionProfile,
    bpr_travel_time_s,
    capacity_per_lane_vph,
    load_congestion_profile,
)
from idrt.traffic.congestion import ROAD_CLASS_RANK

REPO = Path(__file__).resolve().parents[2]
WEEKDAY = REPO / "demand" / "profiles" / "congestion_weekday.csv"


@pytest.mark.parametrize(
    ("t0", "vc", "kwargs", "expected"),
    [
        (100.0, 0.0, {}, 100.0),
        (100.0, 1.0, {}, 115.0),  # 100 (1 + 0.15)
        (60.0, 0.5, {}, 60.5625),  # 60 (1 + 0.15 / 16)
        (200.0, 2.0, {}, 680.0),  # 200 (1 + 0.15 * 16)
        (100.0, 0.8, {"alpha": 0.5, "beta": 2.0}, 132.0),  # 100 (1 + 0.5 * 0.64)
    ],
)
def test_bpr_hand_values(t0, vc, kwargs, expected):
    assert bpr_travel_time_s(t0, vc, **kwargs) == pytest.approx(expected, rel=1e-12)


def test_bpr_is_exactly_free_flow_at_zero_volume():
    t0 = np.array([0.0, 1.5, 37.123456789, 1e4])
    np.testing.assert_array_equal(bpr_travel_time_s(t0, np.zeros(4)), t0)


def test_bpr_bad_inputs():
    with pytest.raises(ScenarioError, match="vc"):
        bpr_travel_time_s(10.0, -0.1)
    with pytest.raises(ScenarioError, match="free_flow_s"):
        bpr_travel_time_s(-1.0, 0.1)
    with pytest.raises(ScenarioError, match="alpha"):
        bpr_travel_time_s(1.0, 0.1, alpha=-0.15)


def test_capacity_tables_cover_every_road_class():
    assert set(DEFAULT_CAPACITY_VPHPL) == set(ROAD_CLASSES) == set(ROAD_CLASS_RANK)
    cap = capacity_per_lane_vph({"residential": 650})
    assert cap.shape == (len(ROAD_CLASSES),)
    assert cap[ROAD_CLASSES.index("residential")] == 650.0
    assert cap[ROAD_CLASSES.index("motorway")] == DEFAULT_CAPACITY_VPHPL["motorway"]
    with pytest.raises(ScenarioError, match="highway_x"):
        capacity_per_lane_vph({"highway_x": 900})
    with pytest.raises(ScenarioError, match="positive"):
        capacity_per_lane_vph({"primary": 0})


def test_weekday_profile_has_two_peaks_and_quieter_local_streets():
    p = load_congestion_profile(str(WEEKDAY))
    assert p.vc.shape == (24, len(ROAD_CLASSES))
    arterial = p.vc[:, ROAD_CLASSES.index("secondary")]
    residential = p.vc[:, ROAD_CLASSES.index("residential")]
    assert int(arterial[:12].argmax()) == 8
    assert int(arterial[12:].argmax()) + 12 == 18
    assert arterial.max() < 1.0
    assert (residential < arterial).all()
    assert not p.vc.flags.writeable
    # found by name in demand/profiles/, and relative to the checkout
    assert np.array_equal(load_congestion_profile("congestion_weekday").vc, p.vc)
    assert np.array_equal(
        load_congestion_profile("demand/profiles/congestion_weekday.csv").vc, p.vc
    )


def test_empty_profile_is_free_flow():
    assert (load_congestion_profile("").vc == 0).all()
    assert (load_congestion_profile(None).vc == 0).all()


def _write(tmp_path, body: str) -> str:
    path = tmp_path / "profile.csv"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_profile_csv_with_per_class_columns(tmp_path):
    rows = "\n".join(f"{h},0.5,0.1" for h in range(24))
    p = load_congestion_profile(_write(tmp_path, f"# note\nhour,vc_factor,primary\n{rows}\n"))
    assert (p.vc[:, ROAD_CLASSES.index("primary")] == 0.1).all()
    assert (p.vc[:, ROAD_CLASSES.index("secondary")] == 0.5).all()
    assert p.name == "profile"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("hour,vc_factor\n" + "\n".join(f"{h},0.5" for h in range(23)), "23 hourly slices"),
        ("hour,vc_factor\n" + "\n".join(f"{h % 24},0.5" for h in range(25)), "repeated"),
        ("hour,share\n" + "\n".join(f"{h},0.5" for h in range(24)), "hour,vc_factor"),
        ("hour,vc_factor,lane\n" + "\n".join(f"{h},0.5,1" for h in range(24)), "road"),
        ("hour,vc_factor\n" + "\n".join(f"{h},-0.5" for h in range(24)), ">= 0"),
        ("hour,vc_factor\n" + "\n".join(f"{h},x" for h in range(24)), "numbers"),
        ("hour,vc_factor\n" + "\n".join(f"{h},0.5,1" for h in range(24)), "values"),
    ],
)
def test_bad_profile_files(tmp_path, body, match):
    with pytest.raises(ScenarioError, match=match):
        load_congestion_profile(_write(tmp_path, body + "\n"))


def test_bad_profiles_in_memory():
    with pytest.raises(ScenarioError, match="23 hourly slices"):
        CongestionProfile.hourly([0.5] * 23)
    with pytest.raises(ScenarioError, match="48 hourly slices"):
        load_congestion_profile([0.5] * 48)
    with pytest.raises(ScenarioError, match="road class"):
        CongestionProfile.hourly([0.5] * 24, per_class={"bus_lane": [0.1] * 24})
    with pytest.raises(ScenarioError, match="shape"):
        CongestionProfile(np.zeros((12, len(ROAD_CLASSES))))
    with pytest.raises(ScenarioError, match="not found"):
        load_congestion_profile("no_such_profile")


def test_realised_day_is_seeded_and_mean_preserving():
    p = CongestionProfile.flat(0.5)
    assert p.perturbed(np.random.default_rng(1), 0.0) is p
    a = p.perturbed(np.random.default_rng(1), 0.1)
    b = p.perturbed(np.random.default_rng(1), 0.1)
    np.testing.assert_array_equal(a.vc, b.vc)
    assert not np.array_equal(a.vc, p.vc)
    # one factor per hour, shared by the classes
    assert np.ptp(a.vc, axis=1).max() == 0.0
    rng = np.random.default_rng(2)
    days = np.stack([p.perturbed(rng, 0.1).vc[:, 0] for _ in range(400)])
    assert days.mean() == pytest.approx(0.5, rel=0.01)
    assert (days / 0.5).std() == pytest.approx(0.1, rel=0.1)
    with pytest.raises(ScenarioError, match="day_to_day_cv"):
        p.perturbed(rng, -0.1)
