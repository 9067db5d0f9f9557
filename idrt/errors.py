"""Exceptions and warnings raised by idrt.

Every error a user can cause derives from :class:`IdrtError` and from
:class:`ValueError`, and its message names the problem and the fix.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator

__all__ = [
    "DemandError",
    "IdrtError",
    "IdrtWarning",
    "InteropError",
    "NetworkError",
    "OutputError",
    "ScenarioError",
    "collect_warnings",
    "quote_header",
    "warn",
    "warnings_once",
]


class IdrtError(Exception):
    """Base class of every error idrt raises on bad input."""


class NetworkError(IdrtError, ValueError):
    """A road network could not be loaded, built or queried."""


class ScenarioError(IdrtError, ValueError):
    """A scenario (configuration) is invalid."""


class DemandError(IdrtError, ValueError):
    """Demand input (trips, profiles, service areas) is invalid."""


class InteropError(IdrtError, ValueError):
    """Export to, or read-back from, a peer tool (SUMO) failed."""


class OutputError(IdrtError, ValueError):
    """Results cannot be written where they were asked to go (checked before a run)."""


class IdrtWarning(UserWarning):
    """Something worth knowing happened, but the run can go on."""


_SCOPES: list[set[str]] = []
"""Keys already shown, one set per open :func:`warnings_once` block (innermost last)."""


def warn(message: str, *, key: str | None = None, stacklevel: int = 2) -> bool:
    """Issue an :class:`IdrtWarning`, once per ``key`` inside a :func:`warnings_once` block.

    Outside any block every call warns (Python's own filters then apply).
    Inside one, a warning whose ``key`` (default: the message) was already
    shown in the block is dropped, so a problem of the inputs is told once
    per run, not once per replication.

    Parameters
    ----------
    message
        What happened and what to do about it.
    key
        What makes two warnings "the same", e.g. ``f"trips-dropped:{path}"``
        when the message carries counts that vary between replications.
    stacklevel
        As for :func:`warnings.warn`, counted from the caller of ``warn``.

    Returns
    -------
    bool
        Whether the warning was issued.
    """
    key = message if key is None else key
    if _SCOPES:
        if any(key in shown for shown in _SCOPES):
            return False
        _SCOPES[-1].add(key)
    warnings.warn(message, IdrtWarning, stacklevel=stacklevel + 1)
    return True


@contextlib.contextmanager
def warnings_once() -> Iterator[set[str]]:
    """A block in which each distinct :func:`warn` is shown once (one run, one sweep).

    Yields the set of keys shown so far; blocks nest (an inner block also
    skips what the outer one showed).

    Examples
    --------
    >>> with warnings_once():                      # doctest: +SKIP
    ...     for seed in range(30):
    ...         simulate(scn, seed=seed)           # a bad trip file is reported once
    """
    shown: set[str] = set()
    _SCOPES.append(shown)
    try:
        yield shown
    finally:
        _SCOPES.remove(shown)


@contextlib.contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Record the idrt warnings of a block as messages instead of showing them.

    For a worker process of a sweep: send the messages back with the run's
    row, and let the parent show them with :func:`warn` inside one
    :func:`warnings_once` block, so each is shown once per sweep. Other
    warnings are shown as usual.

    Examples
    --------
    >>> with collect_warnings() as messages:       # doctest: +SKIP
    ...     result = simulate(scn, seed=seed)
    >>> return row, messages                        # doctest: +SKIP
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IdrtWarning)
        yield messages
    for w in caught:
        if issubclass(w.category, IdrtWarning):
            messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


_PLAIN_HEADER = re.compile(r"^[\w .,;|\t()/%-]{0,120}$")


def quote_header(line: str) -> str:
    """A file's header line for an error message, or a stand-in if it is no header.

    Scenario files name data files that idrt reads; a message about a wrong
    file quotes only what looks like a CSV header (column names), never an
    arbitrary line of an arbitrary file.
    """
    line = line.strip()
    if _PLAIN_HEADER.match(line) and any(sep in line for sep in ",;\t|"):
        return repr(line)
    return "a line that is not a header of column names (is it the right file?)"
