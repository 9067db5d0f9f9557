"""The on-disk kernel cache is invalidated when a module a kernel inlines changes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import idrt
from idrt import jit as _numba

REPO = Path(idrt.__file__).resolve().parents[1]

DEP = """
from pkg.consts import STEP
from idrt.jit import JIT


@JIT
def bump(x):
    return x + STEP * {factor}
"""

MAIN = """
from pkg import dep
from idrt.jit import JIT


@JIT
def twice_bumped(x):
    return 2 * dep.bump(x)
"""


def _run(root: Path) -> tuple[str, str]:
    """Call the kernel in a fresh process: (its result, Numba's cache log)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(REPO)])}
    env.pop("NUMBA_CACHE_DIR", None)
    env["NUMBA_DEBUG_CACHE"] = "1"
    code = "from pkg.main import twice_bumped; print(twice_bumped(1))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    *log, result = done.stdout.strip().splitlines()
    return result, "\n".join(log)


def _write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))
    # a later edit must not hide behind an equal mtime on a coarse clock
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9 * _write.calls))
    _write.calls += 1


_write.calls = 1


def test_editing_an_inlined_module_or_constant_recompiles_the_caller(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _write(pkg / "__init__.py", "")
    _write(pkg / "consts.py", "STEP = 1\n")
    _write(pkg / "dep.py", DEP.format(factor=1))
    _write(pkg / "main.py", MAIN)
    assert _run(tmp_path)[0] == "4"  # 2 * (1 + 1)
    result, log = _run(tmp_path)
    assert result == "4"
    assert "data loaded" in log and "twice_bumped" in log  # the cache is used
    _write(pkg / "dep.py", DEP.format(factor=10))  # main.py untouched
    result, log = _run(tmp_path)
    assert result == "22"  # 2 * (1 + 10): recompiled, not the stale 4
    assert "data loaded" not in log
    _write(pkg / "consts.py", "STEP = 3\n")  # a constant two imports away
    assert _run(tmp_path)[0] == "62"  # 2 * (1 + 30)


def test_import_closure_follows_package_imports_only():
    kernels = Path(_numba.__file__).parent / "routing" / "_ch_kernels.py"
    closure = dict(_numba.import_closure(str(kernels), "idrt.routing._ch_kernels"))
    assert {"idrt.jit", "idrt.routing._kernels"} <= set(closure)
    assert not any(name.startswith(("numpy", "numba")) for name in closure)
    assert "idrt.routing._ch_kernels" not in closure
