"""Modules that moved, and the old import paths that keep working for one release (with a DeprecationWarning).

Bridges to other tools moved into :mod:`qnet_dqnn.interop` (issue 22) and circuit cutting into the network-free
:mod:`qnet_dqnn.cutting` (issue 19). Nothing below ``interop/`` may name a bridge, so old paths are not kept as
modules inside ``net/``, ``topology/``, ``quantum/`` or ``distributed/``. Instead the package installs, on import,
a finder (:class:`importlib.abc.MetaPathFinder`, PEP 451) that serves each old path as a small module forwarding
every attribute to where it lives now, and warns once. The table below is the whole list; an entry goes when its
release does.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Moved:
    """Where an old module's names live now.

    Attributes:
        homes: the modules that hold them now, searched in order (the first is the one to import from).
        until: the release in which the old path goes.
        names: the old module's public names (its ``__all__``); empty: the homes' ``__all__``.
        renamed: old name -> (module, new name), for names that changed on the way.
    """

    homes: tuple[str, ...]
    until: str
    names: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str, str], ...] = ()


#: old module path -> where its names went.
MOVED: dict[str, Moved] = {
    "qnet_dqnn.net.qunetsim_bridge": Moved(
        ("qnet_dqnn.interop.qunetsim.bridge",), "0.3", ("build_qunetsim_network", "stop_qunetsim_network")
    ),
    "qnet_dqnn.topology.sequence_import": Moved(
        ("qnet_dqnn.interop.sequence", "qnet_dqnn.interop.sequence.reading"),
        "0.3",
        (
            "M_PER_KM",
            "PS_PER_S",
            "SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS",
            "SEQUENCE_DETECTOR_DEFAULT_EFFICIENCY",
            "SEQUENCE_LIGHT_SPEED_M_PER_PS",
            "SEQUENCE_MEMORY_DEFAULTS",
            "SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE",
            "import_sequence_data",
            "import_sequence_topology",
            "sequence_import_header",
        ),
    ),
    "qnet_dqnn.quantum.qiskit_io": Moved(
        ("qnet_dqnn.interop.qiskit.circuits",), "0.3", ("TWO_QUBIT_GATES", "from_qiskit", "to_qiskit")
    ),
    "qnet_dqnn.distributed.cutting": Moved(
        ("qnet_dqnn.cutting",), "0.3", renamed=(("joint_cnot_gamma", "qnet_dqnn.cutting.joint", "joint_gamma"),)
    ),
    "qnet_dqnn.distributed.cutting.decompositions": Moved(
        tuple(f"qnet_dqnn.cutting.{m}" for m in ("qpd", "gate_cuts", "wire_cuts", "joint")),
        "0.3",
    ),
    "qnet_dqnn.distributed.cutting.experiments": Moved(("qnet_dqnn.cutting.experiments",), "0.3"),
    "qnet_dqnn.distributed.cutting.plan": Moved(("qnet_dqnn.cutting.plan", "qnet_dqnn.cutting.finder"), "0.3"),
    "qnet_dqnn.distributed.cutting.reconstruct": Moved(
        ("qnet_dqnn.cutting.reconstruct", "qnet_dqnn.cutting.distribution"), "0.3"
    ),
}


def _forwarding_module(old: str, moved: Moved) -> ModuleType:
    """A module named ``old`` whose attributes are looked up in its new homes (PEP 562 module ``__getattr__``)."""
    targets = moved.homes
    homes = [importlib.import_module(t) for t in targets]
    module = ModuleType(old, f"Deprecated alias of {targets[0]} (moved; see qnet_dqnn._moved).")

    renamed = {old_name: (mod, new_name) for old_name, mod, new_name in moved.renamed}

    def __getattr__(name: str) -> Any:
        if name in renamed:
            mod, new_name = renamed[name]
            return getattr(importlib.import_module(mod), new_name)
        if not name.startswith("__"):
            for home in homes:
                if hasattr(home, name):
                    return getattr(home, name)
        raise AttributeError(f"module {old!r} (moved to {targets[0]!r}) has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__all__ = list(moved.names) or sorted({n for home in homes for n in getattr(home, "__all__", ())})
    if any(path.startswith(old + ".") for path in MOVED):
        module.__path__ = []  # a package: its moved submodules are served too
    return module


class _MovedLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        moved = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {moved.homes[0]}; the old import path goes in release {moved.until}",
            DeprecationWarning,
            stacklevel=2,
        )
        return _forwarding_module(spec.name, moved)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module only forwards."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedLoader())


def install() -> None:
    """Serve the old paths (idempotent)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
