"""Headless Chromium for report tests: the DOM after scripts ran, console lines, screenshots.

Plain command-line Chromium (``--dump-dom``, ``--screenshot``) with
``--enable-logging=stderr --v=0``, which writes every console message and
uncaught exception of the page to stderr as ``INFO:CONSOLE`` lines: no
driver library needed. Debian's ``chromium`` package provides the binary
(``.ci/run`` installs it when missing).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def console_lines(stderr: str) -> list[str]:
    """The page's console messages and uncaught errors from Chromium's log."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]


def open_page(binary: str, page: Path, *, screenshot: Path | None = None,
              window: tuple[int, int] = (1300, 2600)) -> tuple[str, list[str]]:  # fmt: skip
    """Load a page headless: its DOM after scripts ran (or write a screenshot), console lines."""
    with tempfile.TemporaryDirectory() as profile:
        args = [binary, *FLAGS, f"--user-data-dir={profile}",
                f"--window-size={window[0]},{window[1]}"]  # fmt: skip
        args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        done = subprocess.run(
            [*args, page.resolve().as_uri()], capture_output=True, text=True, timeout=180
        )
    return done.stdout, console_lines(done.stderr)
