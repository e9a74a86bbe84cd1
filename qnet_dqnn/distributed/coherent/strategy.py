"""The ``coherent`` strategy registered: partition once, then per step a gradient through the network."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from qnet_dqnn.distributed.coherent.options import CoherentOptions, _check
from qnet_dqnn.distributed.coherent.replica import CoherentReplica
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.replica import train_replica
from qnet_dqnn.distributed.strategies import register_strategy


@register_strategy(
    "coherent",
    CoherentOptions,
    "coherent model split: qubits placed on several QPUs, remote gates by telegates or teleported qubits over "
    "end-to-end pairs (Eisert et al. 2000; the review, sec. 6.1.2)",
    _check,
)
def coherent(ctx: TrainingContext, options: CoherentOptions) -> Generator[simpy.Event, Any, None]:
    """Partition once (:class:`CoherentReplica`); then per step a gradient through the network, one update."""
    yield from train_replica(ctx, CoherentReplica(ctx, options))
