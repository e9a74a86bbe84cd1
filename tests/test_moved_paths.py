"""Moved bridges: every old import path in ``qnet_dqnn._moved.MOVED`` still imports for one release, warns, and
hands out the very objects of the new home; and the core never names the bridge (the modules are gone)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

import qnet_dqnn
from qnet_dqnn._moved import MOVED

PACKAGE = Path(qnet_dqnn.__file__).parent


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_warns_and_forwards_every_public_name(old: str) -> None:
    moved = MOVED[old]
    for name in [m for m in sys.modules if m == old or m.startswith(old + ".")]:
        del sys.modules[name]
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {moved.homes[0]}.*release {moved.until}"):
        module = importlib.import_module(old)
    homes = [importlib.import_module(t) for t in moved.homes]
    names = list(moved.names) or sorted({n for home in homes for n in getattr(home, "__all__", ())})
    assert names and module.__all__ == names
    for name in names:
        home = next(h for h in homes if hasattr(h, name))
        assert getattr(module, name) is getattr(home, name)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


@pytest.mark.parametrize("old", sorted(MOVED))
def test_no_file_is_left_at_an_old_path(old: str) -> None:
    relative = Path(*old.split(".")[1:])
    for left in (relative.with_suffix(".py"), relative):
        assert not (PACKAGE / left).exists(), f"{left} should be gone: the finder serves {old}"


def test_the_qiskit_cut_finder_is_registered_by_the_bridge() -> None:
    from qnet_dqnn.cutting import CutError, find_cuts, finder_backends
    from qnet_dqnn.quantum import Circuit

    assert "qiskit" in finder_backends()
    with pytest.raises(CutError, match=r"backend must be one of \['builtin', 'qiskit'\] \(got 'nope'\)"):
        find_cuts(Circuit(2, []), 1, backend="nope")
