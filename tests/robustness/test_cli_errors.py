"""The ``idrt`` command under misuse: one line per error, nothing lost, nothing mixed.

Cases of issue 13 (sections 4 to 7): the error boundary, output targets
checked before anything runs, Ctrl-C, earlier runs in the output folder.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import idrt
from idrt.cli import main
from idrt.errors import warn

REPO = Path(__file__).resolve().parents[2]
SCENARIO = str(REPO / "experiments" / "yeongjong.toml")
UNWRITABLE = "/sys/idrt-cannot-write-here/out"  # refused even to root
TINY = [
    "--set", "demand.trips_per_day=15", "--set", "fleet.size=2",
    "--set", 'traffic.signals="none"', "--set", 'traffic.profile=""',
]  # fmt: skip


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("idrt: error: "), err
    assert err.count("\n") == 1, err
    return err


# ----------------------------------------------------------- the error boundary
def _command_raising(monkeypatch, exc: BaseException) -> None:
    import idrt.cli.network as network

    def boom(args):
        raise exc

    monkeypatch.setattr(network, "_network_info", boom)


@pytest.mark.parametrize(
    "exc",
    [
        idrt.ScenarioError("fleet.size = 0: a fleet needs at least 1 vehicle"),
        PermissionError(13, "Permission denied", "/x"),
        FileNotFoundError(2, "No such file or directory", "/y"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(monkeypatch, capsys, exc):
    _command_raising(monkeypatch, exc)
    assert main(["network", "info", "yeongjong"]) == 2
    err = _one_error_line(capsys)
    assert "Traceback" not in err


def test_unexpected_errors_give_a_short_message_and_a_log(monkeypatch, capsys):
    _command_raising(monkeypatch, ZeroDivisionError("division by zero"))
    assert main(["network", "info", "yeongjong"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error: ZeroDivisionError" in err
    log = Path(err.split("the traceback is in ")[1].split(";")[0])
    text = log.read_text()
    assert "Traceback" in text and "ZeroDivisionError" in text
    log.unlink()


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, capsys):
    _command_raising(monkeypatch, KeyboardInterrupt())
    assert main(["network", "info", "yeongjong"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "missing.toml"],
        ["run", "--set", "fleet.size=0"],
        ["demand", "describe", "missing.csv"],
        ["network", "info", "missing.graphml"],
        ["network", "fetch", "--name", "x"],
        ["sweep", "missing.toml"],
        ["size-fleet", "missing.toml", "--wait-p95", "900"],
        ["plot", "missing-folder"],
        ["compare", SCENARIO],
        ["export", "sumo", "missing.toml"],
    ],
)
def test_every_command_goes_through_the_boundary(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    _one_error_line(capsys)


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"idrt {idrt.__version__}"


def test_warnings_are_one_line_once_per_command(monkeypatch, capsys):
    def twice(args):
        for _ in range(30):  # e.g. one per replication
            warn("import of trips.csv: 3 rows dropped", key="trips")
        return 0

    import idrt.cli.network as network

    monkeypatch.setattr(network, "_network_info", twice)
    assert main(["network", "info", "yeongjong"]) == 0
    err = capsys.readouterr().err
    assert err == "idrt: warning: import of trips.csv: 3 rows dropped\n"


# -------------------------------------------------- output targets, before running
@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a command gets as far as building or simulating anything."""
    import idrt.cli.run as run

    def refuse(*args, **kwargs):
        raise AssertionError("simulated before checking the output target")

    monkeypatch.setattr(run, "build_network", refuse)
    monkeypatch.setattr(run, "simulate", refuse)
    return refuse


def _bad_targets(tmp_path: Path) -> list[tuple[str, str]]:
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("keep me\n")
    return [
        (str(a_file), "is a file"),
        (str(a_file / "below"), "cannot write there"),
        (UNWRITABLE, "cannot write there"),
    ]


@pytest.mark.parametrize("case", range(3))
def test_run_checks_out_before_simulating(tmp_path, capsys, no_simulation, case):
    out, message = _bad_targets(tmp_path)[case]
    assert main(["run", SCENARIO, "--out", out]) == 2
    assert message in _one_error_line(capsys)
    assert (tmp_path / "a_file.txt").read_text() == "keep me\n"


@pytest.mark.parametrize("case", range(3))
def test_sweep_size_fleet_compare_export_check_out_first(tmp_path, capsys, monkeypatch, case):
    out, message = _bad_targets(tmp_path)[case]

    def refuse(*args, **kwargs):
        raise AssertionError("ran before checking the output target")

    for module, name in [
        ("idrt.experiments.sweep", "sweep"),
        ("idrt.experiments.sizing", "size_fleet"),
        ("idrt.experiments.compare", "compare"),
        ("idrt.interop.sumo_export", "to_sumo"),
    ]:
        monkeypatch.setattr(importlib.import_module(module), name, refuse)
    for argv in (
        ["sweep", SCENARIO, "--grid", "fleet.size=2,3", "--seeds", "1", "--out", out],
        ["size-fleet", SCENARIO, "--wait-p95", "900", "--out", out],
        ["compare", SCENARIO, SCENARIO, "--out", out],
        ["export", "sumo", SCENARIO, "--out", out],
    ):
        assert main(argv) == 2, argv
        assert message in _one_error_line(capsys), argv


def test_compare_names_the_bad_file(tmp_path, capsys):
    bad = tmp_path / "variant.toml"
    bad.write_text('extends = "' + SCENARIO + '"\n[fleet]\nsise = 9\n')
    assert main(["compare", SCENARIO, str(bad), "--seeds", "2"]) == 2
    err = _one_error_line(capsys)
    assert "variant.toml" in err and "sise" in err


@pytest.mark.parametrize("address", ["foo://x", "tcp://127.0.0.1:1", "tcp://host-without-port"])
def test_bad_scheduler_address_is_one_line(tmp_path, address):
    proc = subprocess.run(
        [sys.executable, "-m", "idrt.cli", "sweep", SCENARIO, "--grid", "fleet.size=2",
         "--seeds", "1", "--out", str(tmp_path / "runs"), "--scheduler", address,
         "--timeout", "2"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("idrt: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Exception ignored" not in proc.stderr


# -------------------------------------------- idrt run: never mix, never half-write
def _earlier_run(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{}")
    (folder / "signal_passages.parquet").write_text("stale")
    (folder / "intersection_delays.csv").write_text("stale")


def test_run_refuses_an_earlier_run_without_force(tmp_path, capsys, no_simulation):
    out = tmp_path / "out"
    _earlier_run(out)
    assert main(["run", SCENARIO, "--out", str(out)]) == 2
    assert "--force" in _one_error_line(capsys)
    assert (out / "signal_passages.parquet").read_text() == "stale"


def test_force_replaces_only_run_folders(tmp_path, capsys, no_simulation):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_text("precious")
    assert main(["run", SCENARIO, "--out", str(out), "--force"]) == 2
    assert "not an idrt run folder" in _one_error_line(capsys)
    assert (out / "holiday.jpg").read_text() == "precious"


def test_force_replaces_the_earlier_run_as_a_whole(tmp_path, capsys):
    out = tmp_path / "out"
    _earlier_run(out)
    assert main(["run", SCENARIO, "--out", str(out), "--force", *TINY]) == 0
    names = {p.name for p in out.iterdir()}
    assert "signal_passages.parquet" not in names and "intersection_delays.csv" not in names
    assert {"requests.parquet", "summary.csv", "run.json", "scenario.toml"} <= names
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_force_through_a_symlink_keeps_the_link(tmp_path, capsys, monkeypatch):
    import idrt.cli.run as run

    monkeypatch.setattr(run, "build_network", lambda scn: None)
    monkeypatch.setattr(run, "kpi_table", lambda *a: "")
    monkeypatch.setattr(run, "cost_lines", lambda *a: "")

    class Summary:
        requests = 1

    class Fake(str):
        seed, wall_s = 1, 0.0

        def summary(self):
            return Summary()

    monkeypatch.setattr(run, "simulate", lambda *a, **k: Fake("new"))
    monkeypatch.setattr(
        run,
        "_save",
        lambda result, net, folder, *rest: (folder / "run.json").write_text(result) and None,
    )
    target = tmp_path / "big_disk" / "out"
    _earlier_run(target)
    link = tmp_path / "out"
    link.symlink_to(target)
    assert main(["run", SCENARIO, "--out", str(link), "--force"]) == 0
    assert link.is_symlink() and (link / "run.json").read_text() == "new"
    assert sorted(p.name for p in target.iterdir()) == ["run.json"]


def test_ctrl_c_during_a_run_writes_nothing(tmp_path, capsys, monkeypatch):
    import idrt.cli.run as run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "build_network", lambda scn: None)
    monkeypatch.setattr(run, "simulate", interrupted)
    out = tmp_path / "out"
    assert main(["run", SCENARIO, "--out", str(out)]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    _earlier_run(out)  # with --force, an earlier run survives an interrupted one
    assert main(["run", SCENARIO, "--out", str(out), "--force"]) == 130
    assert (out / "signal_passages.parquet").read_text() == "stale"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_finished_run_that_cannot_be_written_is_rescued(tmp_path, capsys, monkeypatch):
    import idrt.cli.run as run

    saved = []

    def save(result, net, folder, *rest):
        if not saved:
            saved.append(None)
            raise OSError(28, "No space left on device")
        (folder / "requests.parquet").write_text(result)
        saved.append(folder)

    monkeypatch.setattr(run, "build_network", lambda scn: None)
    monkeypatch.setattr(run, "simulate", lambda *a, **k: "the result")
    monkeypatch.setattr(run, "_save", save)
    out = tmp_path / "out"
    assert main(["run", SCENARIO, "--out", str(out)]) == 2
    err = _one_error_line(capsys)
    rescued = saved[-1]
    assert str(rescued) in err and "No space left" in err
    assert (rescued / "requests.parquet").read_text() == "the result"
    assert not out.exists()


# --------------------------------------------------------------- §7: structure
def test_cli_imports_no_private_name_from_another_package():
    offenders = []
    for path in (REPO / "idrt" / "cli").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                outside = not node.module.startswith("idrt.cli")
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.endswith("__")
                    if outside and (private or "._" in node.module):
                        offenders.append(f"{path.name}: from {node.module} import {alias.name}")
            if isinstance(node, ast.Import):
                offenders += [f"{path.name}: import {a.name}" for a in node.names if "._" in a.name]
    assert offenders == []
