"""The state of every consumed pair, from its own ages, and the aggregate record of ages and fidelities.

Exactly the event path's arithmetic (:func:`qnet_dqnn.net.pairs.stored_state`,
:meth:`Network._swap <qnet_dqnn.net.entanglement>`), applied pair by pair in :func:`~.kernel_states.pair_states`: a
link pair heralded at ``h`` has each half stored since ``h − stored_before_herald`` and decoheres from the
source's Werner state (:func:`~qnet_dqnn.physics.decohere_pair` with
:meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`) until it is used (one link) or swapped at ``T``; the
repeaters' BSMs join the link pairs in path order (:func:`~qnet_dqnn.physics.swapping.swap_bell_diagonal`);
the end-to-end pair then decoheres at both ends from ``T`` until it is used. A pair's *age* is the time from
its oldest qubit's storage to its use (what a cutoff bounds). The kernel's inputs — Pauli eigenvalues of the
fresh pairs and of each BSM's channel, decay rates of each memory, the map back to Bell coefficients — come
from those physics functions here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline import kernel_states
from qnet_dqnn.net.timeline.demand import Outcome
from qnet_dqnn.net.timeline.schedule import Schedule
from qnet_dqnn.physics import MemoryModel
from qnet_dqnn.physics.decoherence import bell_coefficients_to_correlations, correlations_to_bell_coefficients
from qnet_dqnn.units import TICKS_PER_SECOND

#: Age histogram: log-spaced bins from 1 ns to 1e6 s, :data:`AGE_BINS_PER_DECADE` per decade.
AGE_BINS_PER_DECADE = 10
AGE_DECADES = (-9, 6)
AGE_BINS = (AGE_DECADES[1] - AGE_DECADES[0]) * AGE_BINS_PER_DECADE + 2
#: Fidelity histogram: bins of this width over [0, 1].
FIDELITY_BIN = 0.0025
FIDELITY_BINS = round(1 / FIDELITY_BIN) + 1
#: Lower edges (ticks) of the age bins 1, 2, ... (bin ``b`` holds ages of ``log10(age/s)`` in
#: ``[−9 + (b − 1)/10, −9 + b/10)``; bin 1 from 0; the last bin everything above).
AGE_EDGES_TICKS = np.concatenate(
    [[0.0], 10.0 ** (AGE_DECADES[0] + np.arange(1, AGE_BINS - 1) / AGE_BINS_PER_DECADE) * TICKS_PER_SECOND]
)


def age_guide(age_edges: np.ndarray, bins: int) -> np.ndarray:
    """Per cell of positive ages (a float exponent from 2⁰ to 2⁶³ and the top
    :data:`~.kernel_states.AGE_CELL_BITS` mantissa bits), the histogram bin of the cell's lowest age (bin ``b``
    holds ``[age_edges[b − 1], age_edges[b])``, the last everything above): a cell spans a factor of at most
    ``1 + 2^−AGE_CELL_BITS``, less than a bin's (``10^{1/10}`` here), so an age's bin is that or the next (a
    guide table, Chen & Asau, AIIE Trans. 6, 163 (1974)). Ages are whole ticks: a positive one is at least 1,
    the first cell's lowest."""
    cells = np.arange(64 << kernel_states.AGE_CELL_BITS, dtype=np.int64) + kernel_states.AGE_BASE
    lowest = (cells << kernel_states.AGE_SHIFT).view(np.float64)
    return np.minimum(np.searchsorted(age_edges, lowest, side="right"), bins - 1).astype(np.int64)


#: :func:`age_guide` of the edges.
AGE_GUIDE = age_guide(AGE_EDGES_TICKS, AGE_BINS)

#: Pauli eigenvalues λ = SIGN·T of a Bell-diagonal state with correlation diagonal T (SIGN = T of Φ+).
SIGN = bell_coefficients_to_correlations(np.array([1.0, 0.0, 0.0, 0.0]))


def pauli_eigenvalues(coefficients: NDArray[np.float64]) -> NDArray[np.float64]:
    """λ of a Bell-diagonal state (or of a Pauli channel given as its probabilities (p_I, p_X, p_Z, p_Y)):
    composing Pauli errors multiplies them (Dür & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1)."""
    return SIGN * bell_coefficients_to_correlations(np.asarray(coefficients, float))


def to_bell_map() -> NDArray[np.float64]:
    """The 4x4 map ``c = M @ (1, λ_x, λ_y, λ_z)`` back to Bell coefficients
    (:func:`~qnet_dqnn.physics.decoherence.correlations_to_bell_coefficients`, affine in λ)."""
    zero = correlations_to_bell_coefficients(np.zeros(3))
    cols = [correlations_to_bell_coefficients(SIGN * e) - zero for e in np.eye(3)]
    return np.column_stack([zero, *cols])


#: :func:`to_bell_map`, once.
TO_BELL = to_bell_map()


def to_coefficients(eigenvalues: NDArray[np.float64]) -> NDArray[np.float64]:
    """Bell coefficients of rows of λ ``(..., 3) -> (..., 4)`` (:data:`TO_BELL`, affine; the inverse of
    :func:`pauli_eigenvalues`)."""
    return TO_BELL[:, 0] + np.asarray(eigenvalues, float) @ TO_BELL[:, 1:].T


def decay_rates(model: MemoryModel) -> tuple[float, float, float]:
    """``(rate_xy, rate_z, shift)`` per second with ``bloch_factors(t) = (e^{−t·rate_xy}, e^{−t·rate_z},
    shift·(1 − e^{−t·rate_z}))`` (:meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`), read off the model
    itself; raises ValueError for a memory whose factors are not of that form."""
    if model.is_ideal:
        return 0.0, 0.0, 0.0

    def rate(f: Any) -> float:
        t = 1.0
        while f(t) < 1e-300 and t > 1e-30:  # a memory that forgets within a second: look closer
            t *= 1e-3
        r = -math.log(f(t)) / t
        if r > 0.0:  # refine where the exponent is about 1
            r = -math.log(f(1.0 / r)) * r
        return r

    rxy = rate(lambda t: model.bloch_factors(t)[0])
    rz = rate(lambda t: model.bloch_factors(t)[1])
    t = 1.0 / max(rxy, rz, 1e-300)
    lxy, lz, s = model.bloch_factors(t)
    shift = s / (1.0 - lz) if lz < 1.0 else 0.0
    check = model.bloch_factors(2 * t)
    want = (math.exp(-2 * t * rxy), math.exp(-2 * t * rz), shift * (1 - math.exp(-2 * t * rz)))
    if not np.allclose(check, want, rtol=1e-9, atol=1e-12):
        raise ValueError(f"the pair timeline needs exponential memory decay; {model!r} is not")
    return rxy, rz, shift


@dataclass
class PairStates:
    """What :func:`consumed_states` gives: per use position, the mean Bell coefficients of the pairs used
    there; per use (when asked for), Bell coefficients and ages (ticks)."""

    mean_coefficients: NDArray[np.float64]
    coefficients: NDArray[np.float64]
    ages: NDArray[np.int64]


def consumed_states(
    schedule: Schedule,
    out: Outcome,
    period: int = 1,
    per_use: bool = True,
    records: dict[str, PairRecord] | None = None,
) -> PairStates:
    """The consumed pairs of ``out``: mean Bell coefficients per use position ``i % period``, per-use states and
    ages if ``per_use``; counts, ages, fidelities and stalls added to ``records`` (by the ledger's name of
    each path: the link's for one link, ``a~b`` for more)."""
    d = out.demand
    plinks, nlinks, preps, _, _, _, pside, _ = schedule.path_arrays()
    supplies = schedule.supplies
    before = np.array([s.stored_before_herald_ticks for s in supplies], np.int64).reshape(len(supplies), 2)
    lam0 = np.array([pauli_eigenvalues(s.initial_state) for s in supplies]).reshape(len(supplies), 3)
    rates = np.array([[decay_rates(m) for m in s.memory] for s in supplies]).reshape(len(supplies), 2, 3)
    rates[:, :, :2] /= TICKS_PER_SECOND
    r_lam = np.array([pauli_eigenvalues(r.bsm.pauli_probabilities) for r in schedule.repeaters]).reshape(-1, 3)
    fixed = fixed_states(plinks, nlinks, preps, lam0, rates, r_lam)
    paths = np.array([schedule.path_index[p.key] for p in d.paths], np.int64)
    width = plinks.shape[1]
    heralds = out.heralds if out.heralds.shape[1] == width else _widen(out.heralds, width)
    lam_sums = np.zeros((max(period, 1), 3))
    stats = np.zeros((len(schedule.paths), kernel_states.STAT_FIELDS))
    age_hist = np.zeros((len(schedule.paths), AGE_BINS), np.int64)
    fid_hist = np.zeros((len(schedule.paths), FIDELITY_BINS), np.int64)
    n = d.uses if per_use else 0
    coefficients, ages = np.zeros((n, 4)), np.zeros(n, np.int64)
    kernel_states.pair_states(
        d.keys, paths, out.need, out.consumed, out.swap_end, heralds, plinks, nlinks, preps, pside, before, lam0, rates,
        r_lam, fixed, TO_BELL, float(TICKS_PER_SECOND), max(period, 1), lam_sums, stats, AGE_EDGES_TICKS,
        AGE_GUIDE, age_hist, fid_hist, FIDELITY_BIN,
        coefficients, ages,
    )  # fmt: skip
    if records is not None:
        for p in np.flatnonzero(stats[:, kernel_states.S_COUNT]).tolist():
            path = schedule.paths[p]
            name = path.name if len(path.links) > 1 else path.links[0]
            records.setdefault(name, PairRecord()).merge(stats[p], age_hist[p], fid_hist[p])
    shots = d.uses // period if period else 0
    # the map to Bell coefficients is affine in λ: the mean state is the state of the mean λ
    mean = to_coefficients(lam_sums / shots) if shots else np.zeros((len(lam_sums), 4))
    return PairStates(mean, coefficients, ages)


def fixed_states(
    plinks: NDArray[np.int64],
    nlinks: NDArray[np.int64],
    preps: NDArray[np.int64],
    lam0: NDArray[np.float64],
    rates: NDArray[np.float64],
    r_lam: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per path, ``(λ_x, λ_y, λ_z, 1)`` of every pair it delivers when none of its links' memories decoheres
    (all its decay rates 0: the state does not depend on the pair's ages), else zeros: the fresh pairs' λ
    composed by the repeaters' BSMs in path order, the same products in the same order as
    :func:`~.kernel_states.pair_states` takes them."""
    out = np.zeros((len(nlinks), 4))
    for p, n in enumerate(nlinks.tolist()):
        links = plinks[p, :n]
        if np.any(rates[links, :, :2] != 0.0):
            continue
        lam = lam0[links[0]]
        for x in range(1, n):
            lam = lam0[links[x]] * lam * r_lam[preps[p, x]]
        out[p, :3], out[p, 3] = lam, 1.0
    return out


def _widen(heralds: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    out = np.full((len(heralds), width), -1, np.int64)
    out[:, : heralds.shape[1]] = heralds
    return out


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
    age_hist: NDArray[np.int64] = field(default_factory=lambda: np.zeros(AGE_BINS, dtype=np.int64))
    fidelity_hist: NDArray[np.int64] = field(default_factory=lambda: np.zeros(FIDELITY_BINS, dtype=np.int64))

    def merge(self, stats: NDArray[np.float64], age_hist: NDArray[np.int64], fidelity_hist: NDArray[np.int64]) -> None:
        """Add the pairs summarized by :func:`~.kernel_states.pair_states` (one path's row of stats and histograms)."""
        n = int(stats[kernel_states.S_COUNT])
        if not n:
            return
        self.count += n
        self.age_sum_s += float(stats[kernel_states.S_AGE_SUM])
        self.age_min_s = min(self.age_min_s, float(stats[kernel_states.S_AGE_MIN]))
        self.age_max_s = max(self.age_max_s, float(stats[kernel_states.S_AGE_MAX]))
        self.fidelity_sum += float(stats[kernel_states.S_FID_SUM])
        self.fidelity_min = min(self.fidelity_min, float(stats[kernel_states.S_FID_MIN]))
        self.fidelity_max = max(self.fidelity_max, float(stats[kernel_states.S_FID_MAX]))
        self.wait_sum_s += float(stats[kernel_states.S_WAIT_SUM])
        self.age_hist += age_hist
        self.fidelity_hist += fidelity_hist

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
