"""Deprecated: moved to :mod:`qnet_dqnn.cutting` (see :mod:`qnet_dqnn.distributed.cutting`)."""

from __future__ import annotations

from typing import Any

from qnet_dqnn.distributed.cutting import forward


def __getattr__(name: str) -> Any:
    modules = ("qpd", "gate_cuts", "wire_cuts", "joint")
    return forward(__name__, tuple(f"qnet_dqnn.cutting.{m}" for m in modules), name)
