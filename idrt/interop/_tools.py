"""Finding and running SUMO's programs (``sumo``, ``netconvert``) and ``sumolib``.

SUMO is an optional dependency (``pip install "idrt[sumo]"``, which installs
the ``eclipse-sumo`` wheel with the binaries and ``sumolib``). Every function
here fails with one :class:`~idrt.errors.InteropError` that says how to
install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from idrt.errors import InteropError

__all__ = ["INSTALL_HINT", "find_binary", "require_sumolib", "run_tool", "sumo_available"]

INSTALL_HINT = (
    'install SUMO with `pip install "idrt[sumo]"` (the eclipse-sumo wheel: sumo, netconvert '
    "and sumolib), or put SUMO's bin/ folder on PATH, or set SUMO_HOME"
)


def _candidates(name: str) -> list[Path]:
    """Where ``name`` may live: the eclipse-sumo wheel, PATH, then ``$SUMO_HOME/bin``."""
    out: list[Path] = []
    try:
        import sumo  # noqa: PLC0415 -- optional dependency, the eclipse-sumo wheel

        out.append(Path(sumo.SUMO_HOME) / "bin" / name)
    except (ImportError, AttributeError):
        pass
    found = shutil.which(name)
    if found:
        out.append(Path(found))
    home = os.environ.get("SUMO_HOME")
    if home:
        out.append(Path(home) / "bin" / name)
    return out


def find_binary(name: str) -> Path:
    """Path of a SUMO program (``"sumo"`` or ``"netconvert"``).

    Looked up in the ``eclipse-sumo`` wheel (``sumo.SUMO_HOME/bin``), then on
    ``PATH``, then in ``$SUMO_HOME/bin``.

    Raises
    ------
    InteropError
        If it is found nowhere (the message says how to install SUMO).
    """
    for path in _candidates(name):
        for candidate in (path, path.with_suffix(".exe")):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    msg = f"SUMO's {name!r} program was not found; {INSTALL_HINT}"
    raise InteropError(msg)


def sumo_available() -> bool:
    """Whether ``sumo``, ``netconvert`` and ``sumolib`` can all be used."""
    try:
        find_binary("sumo")
        find_binary("netconvert")
        require_sumolib()
    except InteropError:
        return False
    return True


def require_sumolib():
    """Import and return :mod:`sumolib`.

    Raises
    ------
    InteropError
        If it is not installed (the message says how to install it).
    """
    try:
        import sumolib  # noqa: PLC0415 -- optional dependency sumolib
    except ImportError:
        msg = f"the Python package 'sumolib' is not installed; {INSTALL_HINT}"
        raise InteropError(msg) from None
    return sumolib


@cache
def sumo_version(name: str = "sumo") -> str:
    """Version string of a SUMO program, e.g. ``"1.28.0"``; ``""`` if it cannot tell."""
    try:
        done = subprocess.run(
            [str(find_binary(name)), "--version"], capture_output=True, text=True, timeout=60
        )
    except (InteropError, OSError, subprocess.SubprocessError):
        return ""
    match = re.search(r"\b(\d+\.\d+\.\d+\S*)", done.stdout)
    return match.group(1) if match else ""


def run_tool(
    args: list[str],
    *,
    log: Path,
    what: str,
    cwd: Path | None = None,
    timeout_s: float | None = None,
) -> subprocess.CompletedProcess:
    """Run a SUMO program, keeping its output in ``log``.

    Parameters
    ----------
    args
        The command line; ``args[0]`` is the program's name, resolved with
        :func:`find_binary`.
    log
        File that receives the program's stdout and stderr (kept on failure).
    what
        What the call does, for the error message (``"building the network"``).
    cwd
        Working folder of the program.
    timeout_s
        Wall-clock limit in seconds; ``None`` for none.

    Returns
    -------
    subprocess.CompletedProcess
        The finished process (``returncode`` 0).

    Raises
    ------
    InteropError
        If the program is missing or fails; the message names the log and
        quotes its last lines. :class:`subprocess.TimeoutExpired` passes
        through (the caller decides what a timeout means).
    """
    exe = find_binary(args[0])
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as sink:
        done = subprocess.run(
            [str(exe), *args[1:]],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        msg = (
            f"{args[0]} failed while {what} (exit status {done.returncode}); its log is kept "
            f"at {log}. Last lines:\n  " + "\n  ".join(tail or ["(empty log)"])
        )
        raise InteropError(msg)
    return done
