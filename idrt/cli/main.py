"""The ``idrt`` parser and its one error boundary."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from idrt import __version__
from idrt.cli import calibrate, demand, experiments, export, network, report, run
from idrt.errors import IdrtError, IdrtWarning, warnings_once

__all__ = ["build_parser", "main"]

COMMAND_MODULES = (run, demand, network, experiments, calibrate, export, report)
"""Modules whose ``register(commands)`` adds subcommands, in help order."""


def build_parser() -> argparse.ArgumentParser:
    """The ``idrt`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="idrt", description="Simulate demand-responsive transit on real road networks."
    )
    parser.add_argument("--version", action="version", version=f"idrt {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a log file; its path."""
    fd, name = tempfile.mkstemp(prefix="idrt-crash-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(f"idrt {__version__}\nargv: {sys.argv!r}\n\n")
        traceback.print_exception(exc, file=fh)
    return Path(name)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one line: ``idrt: warning: ...`` (other libraries' named)."""
    if issubclass(category, IdrtWarning):
        print(f"idrt: warning: {message}", file=sys.stderr)
    else:
        print(f"idrt: warning ({category.__name__}): {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``idrt`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with warnings.catch_warnings(), warnings_once():
            # idrt's warnings are shown, once per command, as one line each
            warnings.simplefilter("always", IdrtWarning)
            warnings.showwarning = _show_warning
            return args.func(args)
    except IdrtError as exc:
        print(f"idrt: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"idrt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nidrt: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the boundary: never a raw traceback on the terminal
        log = _crash_log(exc)
        print(
            f"idrt: internal error: {type(exc).__name__}: {exc}\n"
            f"the traceback is in {log}; please report it with that file",
            file=sys.stderr,
        )
        return 3
