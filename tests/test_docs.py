"""The documentation site: complete reference, strict build, executed tutorial.

Every scenario key, every column of a run's tables, every KPI and every CLI
option must be documented (the reference pages are generated from the same
sources), and ``mkdocs build --strict`` must pass (it runs the tutorial).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from idrt import reference as ref
from idrt.scenario import Scenario
from idrt.sim import simulate

ROOT = Path(__file__).resolve().parents[1]


def test_every_scenario_key_is_documented():
    keys = ref.scenario_keys()
    undocumented = keys[keys["meaning"].str.len() < 10]["key"].tolist()
    assert not undocumented, f"scenario keys without a meaning in their docstring: {undocumented}"
    assert {"fleet.size", "transit.gtfs", "network.region"} <= set(keys["key"])


@pytest.fixture(scope="module")
def runs():
    small = {"demand.scale": 0.15, "fleet.size": 2, "service.end_h": 11}
    return [
        simulate(Scenario().with_overrides(small), seed=1),  # traffic model on: passages
        simulate(Scenario().with_overrides({**small, "service.mode": "stop_based"}), seed=1),
        # rider behaviour and shifts: statuses, rider ids, on-duty hours
        simulate(
            Scenario.from_toml(ROOT / "experiments" / "yeongjong_pilot.toml").with_overrides(
                {"service.end_h": 11}
            ),
            seed=1,
        ),
    ]


def test_every_table_column_and_kpi_is_documented(runs):
    for r in runs:
        for table, docs in (
            (r.requests, ref.REQUEST_COLUMNS),
            (r.vehicles, ref.VEHICLE_COLUMNS),
            (r.events, ref.EVENT_COLUMNS),
            (r.signal_passages, ref.PASSAGE_COLUMNS),
        ):
            missing = sorted(set(table.columns) - set(docs))
            assert not missing, f"undocumented columns: {missing} (add them to idrt.reference)"
        missing = sorted(k for k in r.summary().index if not ref.documented_kpi(k))
        assert not missing, f"undocumented KPIs: {missing} (add them to idrt.reference.KPIS)"
    assert len(runs[0].signal_passages) > 0


def test_units_follow_the_names():
    for name, (unit, _) in {**ref.REQUEST_COLUMNS, **ref.KPIS}.items():
        if name.endswith("_s"):
            assert unit == "s", name
        if name.endswith("_share"):
            assert unit == "0-1", name
    assert ref.unit_of("max_walk_m") == "m" and ref.unit_of("speeds_kmh") == "km/h"


def test_every_cli_option_has_help():
    cli = ref.cli_reference()
    assert {"idrt run", "idrt sweep", "idrt size-fleet", "idrt compare"} <= set(cli["command"])
    blank = cli[(cli["help"].str.strip() == "")]
    assert blank.empty, f"CLI entries without help: {blank.to_dict('records')}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs-material is not installed (pip install -e '.[docs]')",
)
def test_site_builds_strict_and_runs_the_tutorial(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tutorial = (tmp_path / "site" / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "smallest size meeting every target" in tutorial  # the executed sizing printed
    scenario = (tmp_path / "site" / "reference" / "scenario" / "index.html").read_text("utf-8")
    assert "transit.gtfs" in scenario and "fleet.size" in scenario
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").is_file()
