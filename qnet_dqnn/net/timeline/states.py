"""The state of every consumed pair, from its own ages, and the aggregate record of ages and fidelities.

Exactly the event path's arithmetic (:func:`qnet_dqnn.net.pairs.stored_state`,
:meth:`Network._swap <qnet_dqnn.net.entanglement>`), applied to arrays of pairs: a link pair heralded at ``h``
has each half stored since ``h − stored_before_herald`` and decoheres from the source's Werner state
(:func:`~qnet_dqnn.physics.decohere_pair` with :meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`) until it is
used (one link) or swapped at ``T``; the repeaters' BSMs join the link pairs in path order
(:func:`~qnet_dqnn.physics.swap_bell_diagonal`); the end-to-end pair then decoheres at both ends from ``T``
until it is used. A pair's *age* is the time from its oldest qubit's storage to its use (what a cutoff bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics import MemoryModel, decohere_pair
from qnet_dqnn.physics.swapping import swap_bell_diagonal
from qnet_dqnn.units import TICKS_PER_SECOND

from qnet_dqnn.net.timeline.demand import Outcome  # isort: skip
from qnet_dqnn.net.timeline.schedule import Schedule  # isort: skip

#: Age histogram: log-spaced bins from 1 ns to 1e6 s, :data:`AGE_BINS_PER_DECADE` per decade.
AGE_BINS_PER_DECADE = 10
AGE_DECADES = (-9, 6)
#: Fidelity histogram: bins of this width over [0, 1].
FIDELITY_BIN = 0.0025


def _decohere(
    state: NDArray[np.float64], models: tuple[MemoryModel, MemoryModel], waits_ticks: tuple[NDArray, NDArray]
) -> NDArray[np.float64]:
    """``state`` (``(4,)`` or ``(4, n)``) after each half waited ``waits_ticks`` in its end's memory."""
    if models[0].is_ideal and models[1].is_ideal:
        return state
    factors = [m.bloch_factors(w / TICKS_PER_SECOND) for m, w in zip(models, waits_ticks, strict=True)]
    return decohere_pair(state, factors[0], factors[1])


def consumed_states(schedule: Schedule, out: Outcome) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per use of ``out``: the Bell coefficients of the pair it consumed ``(n, 4)`` and its age (ticks)."""
    d = out.demand
    coefficients = np.empty((d.uses, 4))
    ages = np.empty(d.uses, dtype=np.int64)
    for p, path in enumerate(d.paths):
        idx = np.flatnonzero(d.keys == p)
        if not len(idx):
            continue
        used, made = out.consumed[idx], out.swap_end[idx]
        supplies = [schedule.links[name].supply for name in path.links]
        if len(supplies) == 1:
            s = supplies[0]
            h = out.heralds[idx, 0]
            waits = (used - h + s.stored_before_herald_ticks[0], used - h + s.stored_before_herald_ticks[1])
            state = _decohere(s.initial_state, s.memory, waits)
            ages[idx] = used - h + max(s.stored_before_herald_ticks)
        else:
            state = None
            for i, (s, r) in enumerate(zip(supplies, (None, *path.repeaters), strict=True)):
                h = out.heralds[idx, i]
                waits = (made - h + s.stored_before_herald_ticks[0], made - h + s.stored_before_herald_ticks[1])
                link_state = _decohere(s.initial_state, s.memory, waits)
                if state is None:
                    state = link_state
                else:
                    assert r is not None
                    state = _swap(state, link_state, schedule.repeaters[r].bsm)
            assert state is not None
            side_a, side_b = path.end_sides
            models = (supplies[0].memory[side_a], supplies[-1].memory[side_b])
            state = _decohere(state, models, (used - made, used - made))
            born = np.minimum(
                out.heralds[idx, 0] - supplies[0].stored_before_herald_ticks[side_a],
                out.heralds[idx, len(supplies) - 1] - supplies[-1].stored_before_herald_ticks[side_b],
            )
            ages[idx] = used - born
        coefficients[idx] = np.asarray(state).T if np.ndim(state) == 2 else np.asarray(state)[None, :]
    return coefficients, ages


def _swap(a: NDArray[np.float64], b: NDArray[np.float64], bsm: Any) -> NDArray[np.float64]:
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return swap_bell_diagonal(a, b, bsm)
    n = max(np.shape(a)[-1] if np.ndim(a) == 2 else 1, np.shape(b)[-1] if np.ndim(b) == 2 else 1)
    a2 = np.broadcast_to(np.asarray(a)[:, None], (4, n)) if np.ndim(a) == 1 else a
    b2 = np.broadcast_to(np.asarray(b)[:, None], (4, n)) if np.ndim(b) == 1 else b
    return swap_bell_diagonal(a2, b2, bsm)


@dataclass
class PairRecord:
    """Ages and fidelities of the pairs one node pair consumed: count, mean, extremes and histograms.

    Quantiles come from the histograms: ages to a tenth of a decade, fidelities to :data:`FIDELITY_BIN`.
    """

    count: int = 0
    age_sum_s: float = 0.0
    age_min_s: float = math.inf
    age_max_s: float = 0.0
    fidelity_sum: float = 0.0
    fidelity_min: float = 1.0
    fidelity_max: float = 0.0
    wait_sum_s: float = 0.0
    age_hist: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros((AGE_DECADES[1] - AGE_DECADES[0]) * AGE_BINS_PER_DECADE + 2, dtype=np.int64)
    )
    fidelity_hist: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(round(1 / FIDELITY_BIN) + 1, dtype=np.int64)
    )

    def add(self, ages_ticks: NDArray[np.int64], fidelities: NDArray[np.float64], waits_ticks: NDArray) -> None:
        """Count consumed pairs of these ages (ticks), fidelities and waits of their uses (ticks)."""
        if not len(ages_ticks):
            return
        ages = ages_ticks / TICKS_PER_SECOND
        self.count += len(ages)
        self.age_sum_s += float(ages.sum())
        self.age_min_s = min(self.age_min_s, float(ages.min()))
        self.age_max_s = max(self.age_max_s, float(ages.max()))
        self.fidelity_sum += float(fidelities.sum())
        self.fidelity_min = min(self.fidelity_min, float(fidelities.min()))
        self.fidelity_max = max(self.fidelity_max, float(fidelities.max()))
        self.wait_sum_s += float(np.sum(waits_ticks)) / TICKS_PER_SECOND
        logs = np.log10(np.maximum(ages, 10.0 ** AGE_DECADES[0]))
        bins = np.clip(((logs - AGE_DECADES[0]) * AGE_BINS_PER_DECADE).astype(np.int64) + 1, 0, len(self.age_hist) - 1)
        self.age_hist += np.bincount(bins, minlength=len(self.age_hist))
        fb = np.clip((fidelities / FIDELITY_BIN).astype(np.int64), 0, len(self.fidelity_hist) - 1)
        self.fidelity_hist += np.bincount(fb, minlength=len(self.fidelity_hist))

    def _age_quantile(self, q: float) -> float:
        k = int(np.searchsorted(np.cumsum(self.age_hist), q * self.count))
        return float(10.0 ** (AGE_DECADES[0] + (k - 0.5) / AGE_BINS_PER_DECADE))

    def _fidelity_quantile(self, q: float) -> float:
        k = int(np.searchsorted(np.cumsum(self.fidelity_hist), q * self.count))
        return (k + 0.5) * FIDELITY_BIN

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (means exact, quantiles at the histograms' resolution)."""
        if not self.count:
            return {"count": 0}
        qs = (0.1, 0.5, 0.9)
        return {
            "count": self.count,
            "age_s": {
                "mean": self.age_sum_s / self.count,
                "min": self.age_min_s,
                "max": self.age_max_s,
                **{f"p{round(q * 100)}": self._age_quantile(q) for q in qs},
            },
            "fidelity": {
                "mean": self.fidelity_sum / self.count,
                "min": self.fidelity_min,
                "max": self.fidelity_max,
                **{f"p{round(q * 100)}": self._fidelity_quantile(q) for q in qs},
            },
            "wait_s_mean": self.wait_sum_s / self.count,
            "age_histogram": {
                "log10_s_edges": [AGE_DECADES[0], AGE_DECADES[1], 1 / AGE_BINS_PER_DECADE],
                "counts": _trimmed(self.age_hist),
            },
            "fidelity_histogram": {"bin": FIDELITY_BIN, "counts": _trimmed(self.fidelity_hist)},
        }


def _trimmed(hist: NDArray[np.int64]) -> dict[str, int]:
    """Non-empty bins only, as ``{bin index: count}`` (keys are strings, for JSON)."""
    return {str(i): int(c) for i, c in enumerate(hist) if c}
