"""The ``idrt`` terminal command, one module per command group.

Each command module has a ``register(commands)`` that adds its subcommands to
the parser of :func:`build_parser`; :func:`main` is the one error boundary:
errors a user can cause (:class:`idrt.IdrtError`, :class:`OSError`) print one
line on stderr and exit 2, Ctrl-C exits 130 with a short message, anything else
prints a short message and the path of a log holding the traceback.
"""

from __future__ import annotations

from idrt.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
