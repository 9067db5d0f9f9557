"""Options of the robustness suite: the long stress sweep runs only on request.

Tests marked ``slow`` in this folder (the 500-case stress sweep) are skipped
unless ``--run-slow`` is given (``pytest tests/robustness --run-slow``) or the
environment has ``IDRT_SLOW=1`` (which also works from the repository root).
"""

from __future__ import annotations

import os

import pytest

SLOW_ENV = "IDRT_SLOW"


def pytest_addoption(parser):
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help=f"run the long robustness stress sweep (or set {SLOW_ENV}=1)",
    )


def _slow_wanted(config) -> bool:
    try:
        flag = config.getoption("--run-slow")
    except ValueError:  # the option is registered only when this folder is named
        flag = False
    return flag or os.environ.get(SLOW_ENV, "") not in ("", "0")


def pytest_collection_modifyitems(config, items):
    if _slow_wanted(config):
        return
    skip = pytest.mark.skip(
        reason=f"long stress sweep: run with `pytest tests/robustness --run-slow` or {SLOW_ENV}=1"
    )
    here = os.path.dirname(__file__)
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(here):
            item.add_marker(skip)
