"""Deprecated: moved to :mod:`qnet_dqnn.cutting` (see :mod:`qnet_dqnn.distributed.cutting`)."""

from __future__ import annotations

from typing import Any

from qnet_dqnn.distributed.cutting import forward


def __getattr__(name: str) -> Any:
    return forward(__name__, ("qnet_dqnn.cutting.plan", "qnet_dqnn.cutting.finder"), name)
