"""What a replica asks of the pair timeline for one step, and what it gets back."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline.paths import PairPath

#: How a link hands its pairs to the uses of several demands (see :mod:`qnet_dqnn.net.timeline`).
Contention = Literal["fcfs", "round_robin"]

#: When a repeater swaps: as soon as it holds both halves, or when the use asks (``lookahead`` uses ahead).
SwapPolicy = Literal["asap", "on_demand"]


@dataclass
class Demand:
    """One step of one replica: its pair uses in shot order.

    Attributes:
        stream: the replica (names it in errors; demands of one stream run one after another).
        paths: the node pairs the uses name, as :class:`PairPath`.
        keys: per use, the index into ``paths`` of the pair it consumes.
        gaps: per use, the compute time (in ticks) from the previous use (or the demand's start) to this use's
            need; a use that finds no pair stalls, and every later use moves by the stall.
        tail_ticks: compute time after the last use, until the step ends.
        start_tick: when the demand was submitted (its first shot starts then).
        swap_policy: ``asap`` (a repeater swaps as soon as it holds both halves) or ``on_demand`` (the swap
            for use ``j`` starts no earlier than the need of use ``j − lookahead``).
        lookahead: for ``on_demand``: uses ahead of need a swap may be made (0: at need).
        recycle: an earlier outcome of the stream that its caller is done with: this demand's outcome takes
            over its per-use arrays where their shapes fit, and overwrites them (a step's millions of uses
            then write no fresh memory); the schedule drops the reference when it takes them.
    """

    stream: str
    paths: list[PairPath]
    keys: NDArray[np.int64]
    gaps: NDArray[np.int64]
    tail_ticks: int
    start_tick: int
    swap_policy: SwapPolicy = "asap"
    lookahead: int = 0
    recycle: Outcome | None = field(default=None, repr=False, compare=False)
    _elapsed: NDArray[np.int64] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.keys = np.asarray(self.keys, dtype=np.int64)
        self.gaps = np.asarray(self.gaps, dtype=np.int64)
        if self.keys.shape != self.gaps.shape or self.keys.ndim != 1:
            raise ValueError("a demand needs one key and one gap per use")
        if len(self.gaps) and int(self.gaps.min()) < 0:
            raise ValueError("gaps must be >= 0 ticks")
        if len(self.keys) and not 0 <= int(self.keys.min()) <= int(self.keys.max()) < len(self.paths):
            raise ValueError("a use names a path the demand does not have")

    @property
    def uses(self) -> int:
        """Pair uses in the demand."""
        return len(self.keys)

    def nominal_needs(self) -> NDArray[np.int64]:
        """Each use's need without stalls (its due time): the start plus the gaps so far."""
        return self._elapsed_ticks() + self.start_tick

    def starting_at(self, tick: int) -> Demand:
        """The same uses submitted at ``tick``: a copy that shares this demand's arrays (checked when it was
        made, and never written), so a replica's steps of one size reuse one demand's."""
        self._elapsed_ticks()  # computed before copying: every copy shares it
        other = copy.copy(self)
        other.start_tick, other.recycle = tick, None
        return other

    def _elapsed_ticks(self) -> NDArray[np.int64]:
        """The gaps so far, per use (computed once)."""
        if self._elapsed is None:
            self._elapsed = np.cumsum(self.gaps)
        return self._elapsed


@dataclass
class Outcome:
    """When every use of a :class:`Demand` got its pair, and from which pairs.

    Attributes:
        demand: the demand.
        need: per use, when the shot reached it (ticks).
        consumed: per use, when it consumed its pair (``consumed − need`` is its stall).
        swap_end: per use, when its end-to-end pair was made (the swap's end; the herald on one link).
        heralds: per use and link of its path, the herald of the link pair it used (−1 past the path's end).
        end_tick: when the step's compute ends (the last use plus ``tail_ticks``).
    """

    demand: Demand
    need: NDArray[np.int64]
    consumed: NDArray[np.int64]
    swap_end: NDArray[np.int64]
    heralds: NDArray[np.int64]
    end_tick: int = field(default=0)

    @property
    def stalls(self) -> NDArray[np.int64]:
        """Per use, how long the shot waited for its pair (ticks)."""
        return self.consumed - self.need

    @property
    def stall_ticks(self) -> int:
        """The step's whole wait for pairs (ticks)."""
        return int(self.stalls.sum())
