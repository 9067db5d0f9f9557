"""``experiments/wait_time_curves.ipynb`` runs top to bottom at its small (CI) size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


@pytest.mark.slow
def test_wait_time_curves_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXPERIMENTS / "wait_time_curves.ipynb", as_version=4)
    env_full = os.environ.pop("IDRT_NOTEBOOK_FULL", None)  # the small version, always
    try:
        client = nbclient.NotebookClient(
            nb, timeout=300, kernel_name="python3",
            resources={"metadata": {"path": str(EXPERIMENTS)}},
        )  # fmt: skip
        client.execute()
    finally:
        if env_full is not None:
            os.environ["IDRT_NOTEBOOK_FULL"] = env_full
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the curves were drawn
    assert any("fleet.size" in o.get("data", {}).get("text/plain", "") for o in outputs)
