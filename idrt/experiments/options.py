"""How experiment runs are executed: one options object for every experiment."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from dataclasses import dataclass
from typing import Any, TypedDict

from idrt.experiments._errors import ExperimentError

__all__ = ["RunOptions", "RunShortcuts", "progress_bar", "resolve_options"]


@dataclass(frozen=True)
class RunOptions:
    """Where and how the runs of a sweep, comparison or fleet sizing execute.

    Taken by :func:`idrt.sweep`, :func:`idrt.compare`, :func:`idrt.size_fleet`,
    :func:`idrt.calibrate` and :func:`idrt.experiments.cits.cits_effects`
    (``options=``). The older keyword arguments of those functions
    (``workers=``, ``client=``, ..., see :class:`RunShortcuts`) still work
    and override the matching field.

    Attributes
    ----------
    workers : int or None
        Local worker processes; ``None``: one per CPU core; ``0``: run in
        this process. Ignored with ``client`` or ``scheduler``.
    client : dask.distributed.Client or None
        A Dask client to run on.
    scheduler : str or None
        Address of a Dask scheduler (``"tcp://host:8786"``) to connect to.
    timeout_s : float
        Seconds to wait for the Dask scheduler and its first worker.
    progress : bool
        Show a progress bar with ETA (tqdm, on stderr).
    worker_idle_s : float
        A local worker left without work for this long exits; until then it
        stays warm for the next sweep in this process (s).

    Examples
    --------
    >>> opts = RunOptions(workers=2, progress=False)
    >>> opts.replace(workers=0).workers
    0
    """

    workers: int | None = None
    client: Any = None
    scheduler: str | None = None
    timeout_s: float = 10.0
    progress: bool = True
    worker_idle_s: float = 300.0

    def __post_init__(self) -> None:
        w = self.workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 0):
            msg = f"workers = {w!r}: give 0 (this process), a count, or None (all cores)"
            raise ExperimentError(msg)
        if not (isinstance(self.timeout_s, (int, float)) and self.timeout_s > 0):
            msg = f"timeout_s = {self.timeout_s!r}: give a positive number of seconds"
            raise ExperimentError(msg)
        if not (isinstance(self.worker_idle_s, (int, float)) and self.worker_idle_s > 0):
            msg = f"worker_idle_s = {self.worker_idle_s!r}: give a positive number of seconds"
            raise ExperimentError(msg)

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


class RunShortcuts(TypedDict, total=False):
    """Keyword shortcuts for the fields of :class:`RunOptions`.

    Every function that runs experiments (:func:`idrt.sweep`,
    :func:`idrt.compare`, :func:`idrt.size_fleet`, :func:`idrt.calibrate`,
    :func:`~idrt.experiments.cits.cits_effects`, and
    :class:`~idrt.experiments.sweep.Runner`) takes them as
    ``**shortcuts: Unpack[RunShortcuts]``; a shortcut given (not None)
    overrides the matching field of ``options``.
    """

    workers: int | None
    client: Any
    scheduler: str | None
    progress: bool | None
    timeout_s: float | None


def resolve_options(options: RunOptions | None, **given: Any) -> RunOptions:
    """``options`` (or the defaults) with the keyword arguments that were given (not None).

    Raises
    ------
    TypeError
        On a keyword that is not one of :class:`RunShortcuts`.
    ExperimentError
        When ``options`` is not a :class:`RunOptions`.
    """
    unknown = sorted(set(given) - set(RunShortcuts.__annotations__))
    if unknown:
        msg = (
            f"unexpected keyword argument(s) {unknown}; the run options are "
            f"{list(RunShortcuts.__annotations__)} (or options=RunOptions(...))"
        )
        raise TypeError(msg)
    if options is None:
        options = RunOptions()
    elif not isinstance(options, RunOptions):
        msg = f"options must be an idrt.experiments.RunOptions, got {type(options).__name__}"
        raise ExperimentError(msg)
    changes = {k: v for k, v in given.items() if v is not None}
    return options.replace(**changes) if changes else options


def progress_bar(total: int, initial: int, desc: str, enabled: bool):
    """A tqdm bar on stderr (a widget in Jupyter when ipywidgets is there), one style for all runs.

    A pseudo-terminal can report a size of 0 x 0 (``script``, some CI
    runners and editors); tqdm then draws nothing at all, so the size falls
    back to ``$COLUMNS`` x ``$LINES`` or 80 x 24.
    """
    try:
        import ipywidgets  # noqa: F401, PLC0415 - ipywidgets is optional
        from tqdm.auto import tqdm  # noqa: PLC0415 - only with ipywidgets
    except ImportError:
        from tqdm import tqdm  # noqa: PLC0415 - the fallback without it

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        known = size.columns > 0 and size.lines > 0
    except (AttributeError, OSError, ValueError):
        known = False
    fallback = shutil.get_terminal_size((80, 24))
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="run",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=known,
        ncols=None if known else fallback.columns,
        nrows=None if known else fallback.lines,
        smoothing=0.1,
    )
