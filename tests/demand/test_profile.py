"""Profiles: loading, restriction to service hours, and every bad file."""

from __future__ import annotations

import numpy as np
import pytest

import idrt
import idrt.demand as dm
from tests.demand.conftest import DEMAND_DIR


def write(path, rows, header="hour,share", comment="# test profile"):
    path.write_text("\n".join([comment, header, *rows]) + "\n")
    return path


def test_weekday_profile_is_documented_and_peaked():
    p = dm.load_profile(DEMAND_DIR / "profiles" / "weekday.csv")
    assert p.name == "weekday" and len(p.shares) == 24
    assert sum(p.shares) == pytest.approx(1.0, abs=1e-12)
    s = p.array
    morning, evening = int(np.argmax(s[:12])), 12 + int(np.argmax(s[12:]))
    assert 7 <= morning <= 8 and 17 <= evening <= 18
    assert s[morning] > 1.8 * s[12] and s[evening] > 1.7 * s[12]  # peaks over the midday plateau
    assert (DEMAND_DIR / "profiles" / "weekday.csv").read_text().startswith("#")


def test_named_and_sequence_profiles():
    assert dm.load_profile("uniform").shares == (1 / 24,) * 24
    assert dm.load_profile(None).name == "uniform"
    assert dm.load_profile([1 / 24] * 24).shares == pytest.approx((1 / 24,) * 24)


def test_service_hours_restrict_and_renormalise():
    p = dm.Profile.uniform()
    e = p.expected_per_hour(1300, service_hours=(5.5, 18.5))
    assert e.sum() == pytest.approx(1300)
    assert e[5] == pytest.approx(50) and e[6] == pytest.approx(100) and e[18] == pytest.approx(50)
    assert e[:5].sum() == 0 and e[19:].sum() == 0
    rate = p.rate_per_s(1300, service_hours=(5.5, 18.5))
    assert rate[5] == pytest.approx(100 / 3600) and rate[4] == 0


def test_round_trip(tmp_path):
    p = dm.Profile(tuple(np.arange(1, 25) / np.arange(1, 25).sum()), name="ramp")
    back = dm.load_profile(p.to_csv(tmp_path / "ramp.csv", comment="a ramp"))
    assert back.shares == p.shares and back.name == "ramp"


@pytest.mark.parametrize(
    "rows, match",
    [
        ([f"{h},{1 / 23}" for h in range(23)], r"23 hourly rows.*missing: \[23\]"),
        ([f"{h},0.05" for h in range(24)], r"sum to 1\.2.*divide each share by 1\.2"),
        ([f"{h},{1 / 24}" for h in range(23)] + ["22,0.04"], "line 26: hour 22 appears twice"),
        ([f"{h},{1 / 24}" for h in range(23)] + ["24,0.04"], "line 26: hour 24 is outside"),
        ([f"{h},{1 / 24}" for h in range(23)] + ["23,abc"], "line 26: '23,abc' is not"),
        ([f"{h},{1 / 24}" for h in range(23)] + ["23,0.02,9"], "line 26: expected 2 fields"),
        (["0,-0.1"] + [f"{h},{1.1 / 23}" for h in range(1, 24)], "line 3: share -0.1"),
    ],
)
def test_bad_profile_files(tmp_path, rows, match):
    path = write(tmp_path / "p.csv", rows)
    with pytest.raises(idrt.DemandError, match=match) as err:
        dm.load_profile(path)
    assert "p.csv" in str(err.value)


def test_bad_header_and_sequences(tmp_path):
    with pytest.raises(idrt.DemandError, match="line 2: the header must be 'hour,share'"):
        dm.load_profile(write(tmp_path / "p.csv", ["0,1"], header="h,s"))
    with pytest.raises(idrt.DemandError, match="23 hourly shares; it needs exactly 24"):
        dm.Profile((1 / 23,) * 23)
    with pytest.raises(idrt.DemandError, match=r"sum to 0\.5"):
        dm.Profile((0.5 / 24,) * 24)
    with pytest.raises(idrt.DemandError, match="neither a file"):
        dm.load_profile("no_such_profile")
    with pytest.raises(idrt.DemandError, match="no demand within service_hours"):
        dm.Profile((0.0,) * 12 + (1 / 12,) * 12).hour_weights((0, 12))
    with pytest.raises(idrt.DemandError, match="0 <= start_h < end_h <= 24"):
        dm.Profile.uniform().hour_weights((20, 6))
