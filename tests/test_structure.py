"""The house rules of ARCHITECTURE.md that a machine can check.

* No private name crosses a package boundary: a module of ``idrt/X/`` imports
  no ``_name`` (nor a ``_module``) from ``idrt/Y/``; the top-level modules of
  ``idrt`` count as their own packages.
* The simulator does not know where it is run from: ``idrt.sim`` never
  imports experiments, plots, reports, interop or the CLI.
* Kernels know only arrays: the kernel modules import numpy and numba and
  nothing of idrt but other kernels and the JIT settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "idrt"


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ""


def _private(module: str, name: str) -> bool:
    dotted = [p for p in module.split(".")[1:] if p]
    if name and not name.startswith("__"):
        dotted.append(name)
    return any(p.startswith("_") and not p.startswith("__") for p in dotted)


def test_no_private_name_crosses_a_package_boundary():
    offenders = []
    for path, module in _modules():
        mine = _package(module)
        for line, target, name in _imports(path):
            if not target.startswith("idrt"):
                continue
            theirs = _package(target + ("." + name if name and target == "idrt" else ""))
            if theirs != mine and _private(target, name):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{line} {target} {name}")
    assert not offenders, "private names imported across packages:\n" + "\n".join(offenders)


@pytest.mark.parametrize("forbidden", ["experiments", "plot", "report", "interop", "cli"])
def test_the_simulator_does_not_know_where_it_is_run_from(forbidden):
    offenders = []
    for path, module in _modules():
        if not module.startswith("idrt.sim"):
            continue
        for line, target, name in _imports(path):
            full = f"{target}.{name}" if target == "idrt" else target
            if full == f"idrt.{forbidden}" or full.startswith(f"idrt.{forbidden}."):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{line} imports {full}")
    assert not offenders, "\n".join(offenders)


def test_kernels_know_only_arrays():
    kernels = [p for p in ROOT.rglob("_*kernels.py")] + [ROOT / "routing" / "_csa.py"]
    assert len(kernels) >= 4
    for path in kernels:
        for line, target, _ in _imports(path):
            top = target.split(".")[0]
            if top in ("numpy", "numba", "math", "__future__", "typing"):
                continue
            assert target.startswith("idrt") and (
                "kernels" in target or target in ("idrt.jit", "idrt._numba")
                or target.endswith("._csa")
            ), f"{path.relative_to(ROOT.parent)}:{line} imports {target}"  # fmt: skip
