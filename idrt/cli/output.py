"""Output targets of the commands: checked before anything runs, written whole or not at all.

``idrt run`` writes into a hidden staging folder beside ``--out`` and moves it
into place only when every file is written, so an interrupted or failed run
leaves nothing half-written, and a new run never mixes its files with an
earlier one's (``--force`` replaces an earlier run folder as a whole).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from idrt.errors import OutputError

__all__ = ["RUN_MARKER", "RunFolder", "check_output_folder", "rescue_folder"]

RUN_MARKER = "run.json"
"""The file every ``idrt run`` folder holds; ``--force`` replaces only such folders."""


def _cannot_write(option: str, path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    msg = f"{option} {str(path)!r}: cannot write there ({reason}); give a folder you can write to"
    return OutputError(msg)


def check_output_folder(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Make sure results can be written into folder ``path`` (created if missing).

    Called before any simulation, so that a run's result is never computed
    only to be lost at the end.

    Raises
    ------
    OutputError
        If ``path`` is a file, lies below a file, or is not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        msg = f"{option} {str(path)!r} is a file; give a folder (created if missing)"
        raise OutputError(msg)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".idrt-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _cannot_write(option, path, exc) from None
    return path


class RunFolder:
    """The output folder of one run, written through a staging folder beside it.

    Parameters
    ----------
    out
        The folder the run's files should end up in.
    force
        Replace an earlier run in ``out`` (a folder holding ``run.json``);
        without it an ``out`` that holds files is refused.
    option
        How the target is named in messages.

    Raises
    ------
    OutputError
        Before anything runs: ``out`` is a file, holds files (without
        ``force``), holds files that are not an idrt run (with ``force``), or
        cannot be written.

    Examples
    --------
    >>> with RunFolder("out", force=False) as folder:   # doctest: +SKIP
    ...     result.save(folder.staging)
    ...     folder.commit()
    """

    def __init__(
        self, out: str | os.PathLike[str], *, force: bool = False, option: str = "--out"
    ) -> None:
        self.out = Path(out)
        self.option = option
        out_text = str(self.out)
        if self.out.is_symlink():
            self.out = self.out.resolve()  # replace the folder it points to, keep the link
        if self.out.exists() and not self.out.is_dir():
            msg = f"{option} {out_text!r} is a file; give a folder (created if missing)"
            raise OutputError(msg)
        self.replaces = self.out.is_dir() and any(self.out.iterdir())
        if self.replaces and not force:
            msg = (
                f"{option} {out_text!r} already holds files (an earlier run?); pass --force "
                "to replace that run, or give another folder"
            )
            raise OutputError(msg)
        if self.replaces and not (self.out / RUN_MARKER).is_file():
            msg = (
                f"{option} {out_text!r} holds files but no {RUN_MARKER}, so it is not an idrt "
                "run folder; --force replaces only run folders. Give another folder"
            )
            raise OutputError(msg)
        parent = self.out.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.partial-", dir=parent))
            umask = os.umask(0)
            os.umask(umask)
            self.staging.chmod(0o777 & ~umask)  # as a plain mkdir would make it
        except OSError as exc:
            raise _cannot_write(option, self.out, exc) from None
        self.committed = False

    def commit(self) -> Path:
        """Move the staged files into place (replacing an earlier run); the folder."""
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.staging.parent))
            old.rmdir()
            self.out.rename(old)
        try:
            self.staging.rename(self.out)
        except OSError:
            if old is not None:
                old.rename(self.out)
            raise
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out

    def discard(self) -> None:
        """Remove the staging folder (nothing of this run reaches ``out``)."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.discard()


def rescue_folder() -> Path:
    """A fresh folder in the system's temporary directory, for results that must not be lost."""
    return Path(tempfile.mkdtemp(prefix="idrt-rescued-run-"))
