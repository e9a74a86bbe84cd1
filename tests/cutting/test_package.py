"""The cutting package is network-free (it imports only quantum/, physics/ and the error tree), and its old
import path keeps working for one release with a DeprecationWarning."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import qnet_dqnn.cutting as cutting

PACKAGE = Path(cutting.__file__).parent
ALLOWED = ("qnet_dqnn.cutting", "qnet_dqnn.quantum", "qnet_dqnn.physics", "qnet_dqnn.errors")
OPTIONAL = ("qiskit_addon_cutting",)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_cutting_imports_only_quantum_and_physics() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for mod in _imports(path):
            if mod.startswith("qnet_dqnn"):
                assert mod.startswith(ALLOWED), f"{path.name} imports {mod}"
            assert not mod.startswith(("simpy", "networkx")), f"{path.name} imports {mod}"
            if mod.split(".")[0] not in ("qnet_dqnn", "numpy", "scipy", "__future__") and mod not in OPTIONAL:
                assert mod.split(".")[0] in {
                    "itertools",
                    "math",
                    "dataclasses",
                    "functools",
                    "heapq",
                    "typing",
                    "collections",
                    "importlib",
                    "warnings",
                }, f"{path.name} imports {mod}"


def test_nothing_in_the_package_uses_the_old_path() -> None:
    root = PACKAGE.parent
    for path in root.rglob("*.py"):
        if path.name == "_moved.py":  # the table of moved paths names them
            continue
        assert "qnet_dqnn.distributed.cutting" not in path.read_text(), path


def test_old_import_paths_warn_and_forward() -> None:
    for name in [m for m in sys.modules if m.startswith("qnet_dqnn.distributed.cutting")]:
        del sys.modules[name]
    with pytest.warns(DeprecationWarning, match="qnet_dqnn.distributed.cutting moved to qnet_dqnn.cutting"):
        import qnet_dqnn.distributed.cutting as old
    with pytest.warns(DeprecationWarning, match="distributed.cutting.plan moved to qnet_dqnn.cutting.plan"):
        import qnet_dqnn.distributed.cutting.plan as old_plan

    assert old.find_cuts is cutting.find_cuts
    assert old_plan.CutPlan is cutting.CutPlan and old_plan.find_cuts is cutting.find_cuts
    assert old.joint_cnot_gamma(2) == 7.0  # renamed to joint_gamma on the way
    with pytest.raises(AttributeError, match="moved to 'qnet_dqnn.cutting'"):
        old.no_such_thing  # noqa: B018
