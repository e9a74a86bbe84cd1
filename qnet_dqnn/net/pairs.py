"""Entangled pairs held in two memories, and their state at the time they are read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics import MemoryModel, decohere_pair
from qnet_dqnn.units import to_seconds


@dataclass(eq=False, slots=True)
class Pair:
    """One entangled pair, its halves in the memories of ``ends``.

    Attributes:
        pair_id: unique within a run.
        link: name of the link that generated it.
        ends: the two nodes holding its halves.
        state: Bell-diagonal coefficients when its qubits entered memory (see ``physics.bell_diagonal``).
        stored_since: tick at which each half entered its memory, decoherence counts from there.
        delivered_tick: tick at which both ends knew the pair exists (the herald).
        status: ``stored``, ``consumed`` or ``discarded:<reason>``.
    """

    pair_id: int
    link: str
    ends: tuple[str, str]
    state: NDArray[np.float64]
    stored_since: tuple[int, int]
    delivered_tick: int
    status: str = "stored"

    @property
    def is_stored(self) -> bool:
        """True while the pair is in memory and unused."""
        return self.status == "stored"


def stored_state(pair: Pair, now_tick: int, channels: tuple[MemoryModel, MemoryModel]) -> NDArray[np.float64]:
    """The pair's Bell-diagonal state at ``now_tick``: each half decohered for its time in memory.

    ``channels`` are the two ends' :class:`~qnet_dqnn.physics.MemoryModel`.
    """
    if channels[0].is_ideal and channels[1].is_ideal:
        return pair.state
    factors = [
        model.bloch_factors(to_seconds(now_tick - since))
        for since, model in zip(pair.stored_since, channels, strict=True)
    ]
    return decohere_pair(pair.state, factors[0], factors[1])
