"""Money in ``idrt compare``, ``size-fleet`` and ``run``: cost deltas, plain numbers."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from idrt.cli import main
from idrt.cli.common import plain_number
from idrt.scenario import Scenario
from tests.experiments.test_cli import _tiny


def test_compare_prints_cost_deltas_per_day_and_year(tmp_path, capsys):
    a = _tiny(tmp_path, "a.toml")
    b = a.read_text().replace("size = 2", "size = 3").replace('name = "tiny"', 'name = "more"')
    (tmp_path / "b.toml").write_text(b)
    out = tmp_path / "cmp"
    code = main(["compare", str(a), str(tmp_path / "b.toml"), "--seeds", "2", "--workers", "0",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "e+0" not in text and "e-0" not in text  # plain numbers, never 2e+03
    table = pd.read_csv(out / "compare.csv").set_index("kpi")
    diff = table.loc["cost_per_day", "diff"]
    cost = Scenario().cost
    # one more bus for 3 h: capital + 3 h of wages, plus its kilometres
    assert diff > cost.vehicle_capital_per_day + 3 * cost.driver_wage_per_hour
    line = next(x for x in text.splitlines() if x.startswith("money:"))
    assert f"costs {abs(diff):,.0f} KRW a day" in line
    assert f"{abs(diff) * 365:,.0f} KRW a year" in line
    assert "subsidy per rider" in text


def test_size_fleet_prints_the_money_at_the_size_found(tmp_path, capsys):
    scn = _tiny(tmp_path)
    code = main(["size-fleet", str(scn), "--max-reject", "0.5", "--max-size", "3",
                 "--workers", "0", "--out", str(tmp_path / "o"), "--no-progress"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    m = re.search(r"money at fleet.size = (\d+) .*?: ([\d,]+) KRW a day", text)
    assert m, text
    cost = Scenario().cost
    bus_year = (cost.vehicle_capital_per_day + 3 * cost.driver_wage_per_hour) * 365
    assert f"one bus more or less: {bus_year:,.0f} KRW a year" in text


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [(1983.6, False, "1,984"), (1980.0, False, "1,980"), (2.2841, False, "2.28"),
     (-0.01234, True, "-0.0123"), (0.0, True, "+0"), (12.0, True, "+12.0")],
)  # fmt: skip
def test_plain_number(value, signed, text):
    assert plain_number(value, signed) == text


def test_size_fleet_expansion_prints_the_areas(tmp_path, capsys):
    from tests.experiments.test_cli import REPO

    code = main(
        [
            "size-fleet", str(REPO / "experiments" / "expansion_namdong_uncalibrated.toml"),
            "--max-reject", "0.5", "--workers", "0", "--no-progress",
            "--out", str(tmp_path), "--max-size", "3",
            "--set", "service.end_h=9", "--set", "demand.trips_per_day=40",
            "--set", "expansion.trips_per_day=20", "--set", "expansion.fleet_size=1",
            "--set", "traffic.signals=\"none\"", "--set", "traffic.profile=\"\"",
            "--set", "fleet.size=2",
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "expansion area (by request origin): requests" in text
    assert "base area (by request origin): requests" in text
