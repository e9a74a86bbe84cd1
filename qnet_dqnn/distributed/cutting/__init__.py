"""Deprecated: circuit cutting moved to the top-level, network-free :mod:`qnet_dqnn.cutting`.

``qnet_dqnn.distributed.cutting`` and its modules keep working for one release: every name read from them is
forwarded to its new home with a :class:`DeprecationWarning` naming it. They will be removed in the next release.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

#: Old name -> (new module, new name) where they differ.
RENAMED = {"joint_cnot_gamma": ("qnet_dqnn.cutting.joint", "joint_gamma")}


def forward(old_module: str, new_modules: tuple[str, ...], name: str) -> Any:
    """The object ``name`` of the first of ``new_modules`` that has it, after warning that ``old_module`` moved."""
    if name.startswith("__"):
        raise AttributeError(name)
    module, new_name = RENAMED.get(name, (None, name))
    candidates = (module,) if module else new_modules
    for mod in candidates:
        target = importlib.import_module(mod)
        if hasattr(target, new_name):
            warnings.warn(
                f"{old_module}.{name} is deprecated and will be removed in the next release: use "
                f"{mod}.{new_name}",
                DeprecationWarning,
                stacklevel=3,
            )
            return getattr(target, new_name)
    raise AttributeError(
        f"module {old_module!r} has no attribute {name!r} (circuit cutting moved to qnet_dqnn.cutting)"
    )


def __getattr__(name: str) -> Any:
    return forward(__name__, ("qnet_dqnn.cutting",), name)
