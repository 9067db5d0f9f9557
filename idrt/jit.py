"""One place for the options every Numba kernel of idrt is compiled with.

Kernels import :data:`JIT` and :data:`PJIT` instead of spelling options out,
so that caching and fast-math are switched for the whole package at once.
``fastmath`` stays off: bit-for-bit reproducibility matters more than the
few per cent it would buy.

The on-disk cache knows what a kernel inlines
---------------------------------------------
Numba's own cache (``cache=True``) keys a kernel on the file that defines it
(modification time and size). A kernel that calls a kernel of another module
has the callee compiled into it, so after an edit of the callee's module the
caller would keep loading stale machine code until someone deleted its
``__pycache__``. Here every cached kernel's stamp also holds a digest of the
*contents* of every module of the same top-level package that its file
imports, directly or through those modules (found by reading their
``import`` statements): an edit anywhere in that import closure, including a
constant imported by name, recompiles the kernel on its next call.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
from pathlib import Path

from numba import njit
from numba.core.caching import FunctionCache, IndexDataCacheFile

__all__ = ["JIT", "PJIT", "DependencyStampedCache", "cached_jit", "import_closure"]


def _module_file(name: str) -> Path | None:
    """Source file of module ``name``, or ``None`` if it is not a plain source module."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_modules(path: Path, package: str, top: str) -> set[str]:
    """Names of the modules of package ``top`` that the file ``path`` imports.

    Only module-level statements count (a kernel can only see what its
    module imported), which also keeps this from importing anything new.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # ``from pkg import sub`` may name a submodule or a plain attribute
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == top and _module_file(name) is not None:
                found.add(name)
    return found


@functools.cache
def import_closure(path: str, module: str) -> tuple[tuple[str, str], ...]:
    """Modules of the same top-level package that a source file imports, transitively.

    Parameters
    ----------
    path : str
        Source file of the kernel.
    module : str
        Its module name (e.g. ``"idrt.routing._ch_kernels"``).

    Returns
    -------
    tuple of (str, str)
        ``(module name, sha256 of its source)``, sorted by name, the file
        itself excluded (Numba's own stamp covers it).
    """
    top = module.split(".")[0]
    seen: dict[str, str] = {}
    todo = [(Path(path), module)]
    while todo:
        file, name = todo.pop()
        is_package = file.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        for dep in _imported_modules(file, package, top):
            if dep in seen or dep == module:
                continue
            dep_file = _module_file(dep)
            seen[dep] = hashlib.sha256(dep_file.read_bytes()).hexdigest()
            todo.append((dep_file, dep))
    return tuple(sorted(seen.items()))


class DependencyStampedCache(FunctionCache):
    """Numba's function cache, stamped also with the sources of the imported modules.

    When the stamp stored in the cache index differs from the current one,
    Numba drops the index and recompiles, as it does when the kernel's own
    file changes.
    """

    def __init__(self, py_func) -> None:
        super().__init__(py_func)
        deps = import_closure(inspect.getfile(py_func), py_func.__module__)
        digest = hashlib.sha256(repr(deps).encode()).hexdigest()
        stamp = (self._impl.locator.get_source_stamp(), digest)
        self._cache_file = IndexDataCacheFile(
            cache_path=self._cache_path,
            filename_base=self._impl.filename_base,
            source_stamp=stamp,
        )


def cached_jit(**options):
    """``numba.njit(**options)`` with the on-disk cache of :class:`DependencyStampedCache`.

    Parameters
    ----------
    **options
        Options for :func:`numba.njit` other than ``cache``.

    Returns
    -------
    callable
        A decorator turning a Python function into a cached Numba dispatcher.
    """
    if "cache" in options:
        msg = "cached_jit always caches; do not pass cache="
        raise TypeError(msg)
    compile_ = njit(**options)

    def decorate(py_func):
        dispatcher = compile_(py_func)
        # what Dispatcher.enable_caching() does, with the dependency-aware cache
        dispatcher._cache = DependencyStampedCache(py_func)
        return dispatcher

    return decorate


JIT = cached_jit(nogil=True)
"""Decorator for serial kernels: cached on disk, releases the GIL."""

PJIT = cached_jit(nogil=True, parallel=True)
"""Decorator for kernels that use ``numba.prange``."""
