"""A tiny run (with its report) shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_TOML = """
name = "tiny"
[demand]
trips_per_day = 300
[fleet]
size = 2
[service]
end_h = 10
max_wait_s = 900
"""


@pytest.fixture(scope="session")
def report_run(tmp_path_factory) -> Path:
    """``idrt run`` of a three-hour, two-bus Yeongjong day: its folder (report.html inside)."""
    from idrt.cli import main

    folder = tmp_path_factory.mktemp("run")
    scn = folder / "tiny.toml"
    scn.write_text(TINY_TOML)
    out = folder / "out"
    assert main(["run", str(scn), "--out", str(out)]) == 0
    return out
