"""The pair timeline's states loop: every consumed pair's state, age and stall, from the schedule's ticks.

:func:`_pair_states` turns each consumed pair's herald, swap and use ticks (:mod:`~.kernel`) into its Bell
coefficients. It works on the Pauli eigenvalues ``λ = (T_xx, −T_yy, T_zz)`` of a Bell-diagonal state (``T`` its
correlation diagonal, :func:`~qnet_dqnn.physics.bell_coefficients_to_correlations`): swapping two pairs composes
their Pauli errors, which multiplies their eigenvalues (Dür & Briegel, Rep. Prog. Phys. 70, 1381 (2007),
Sec. 4.1, the XOR-convolution of :func:`~qnet_dqnn.physics.swapping.swap_bell_diagonal` in the Walsh–Hadamard
basis), and a BSM's imperfections multiply them by its Pauli channel's eigenvalues; memory decoherence maps
``λ → (l_xy^A l_xy^B λ_x, l_xy^A l_xy^B λ_y, l_z^A l_z^B λ_z + s^A s^B)``
(:func:`~qnet_dqnn.physics.decohere_pair`; ``l = e^{−t·rate}``, ``s = shift·(1 − l_z)``,
:meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`). The caller passes the eigenvalues, rates and the linear
map back to Bell coefficients, all computed with the physics functions (:mod:`~.states`); the tests check
the result against those functions pair by pair. Compiled with numba on first use, as :mod:`~.kernel`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qnet_dqnn.jit import Kernels, ix

#: The loops of this module, compiled with numba on first use (:class:`~qnet_dqnn.jit.Kernels`).
_KERNELS = Kernels(globals())
_KERNELS.use(ix, inline="always")


def pair_states(*args: Any) -> None:
    """Compiled :func:`_pair_states`."""
    _KERNELS.entry("_pair_states")(*args)


#: The age guide (:func:`~.states.age_guide`) has a cell per float exponent and top AGE_CELL_BITS mantissa bits.
AGE_CELL_BITS = 4
AGE_SHIFT = 52 - AGE_CELL_BITS
AGE_BASE = 1023 << AGE_CELL_BITS  # the cell of 1.0


# Columns of the per-path pair statistics of :func:`pair_states`.
S_COUNT, S_AGE_SUM, S_AGE_MIN, S_AGE_MAX, S_FID_SUM, S_FID_MIN, S_FID_MAX, S_WAIT_SUM = range(8)
STAT_FIELDS = 8


@_KERNELS.loop(inline="always")
def _decohere(  # noqa: PLR0913
    l0: float,
    l1: float,
    l2: float,
    xy_a: float,
    z_a: float,
    s_a: float,
    xy_b: float,
    z_b: float,
    s_b: float,
    wait_a: float,
    wait_b: float,
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """Pauli eigenvalues ``(l0, l1, l2)`` after one half waited ``wait_a`` ticks in a memory of decay rates
    ``(xy_a, z_a)`` per tick and shift ``s_a``, the other ``wait_b`` in one of ``(xy_b, z_b, s_b)``."""
    rxy = wait_a * xy_a + wait_b * xy_b
    if rxy != 0.0:
        lxy = math.exp(-rxy)
        l0, l1 = l0 * lxy, l1 * lxy
    rz_a, rz_b = wait_a * z_a, wait_b * z_b
    if rz_a != 0.0 or rz_b != 0.0:
        lz_a, lz_b = math.exp(-rz_a), math.exp(-rz_b)
        l2 = lz_a * lz_b * l2 + s_a * (1.0 - lz_a) * s_b * (1.0 - lz_b)
    return l0, l1, l2


@_KERNELS.loop(error_model="numpy")  # its divisors are constants > 0: no zero check per division
def _pair_states(  # noqa: PLR0913, PLR0915
    use_keys: np.ndarray,
    dpaths: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds2: np.ndarray,
    plinks2: np.ndarray,
    nlinks: np.ndarray,
    preps2: np.ndarray,
    pside2: np.ndarray,
    before2: np.ndarray,
    lam02: np.ndarray,
    rates3: np.ndarray,
    r_lam2: np.ndarray,
    fixed2: np.ndarray,
    to_bell: np.ndarray,
    ticks_per_s: float,
    period: int,
    lam_sums: np.ndarray,
    stats: np.ndarray,
    age_edges: np.ndarray,
    age_guide: np.ndarray,
    age_hist2: np.ndarray,
    fidelity_hist: np.ndarray,
    fidelity_bin: float,
    out_coefficients: np.ndarray,
    out_ages: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Each use's consumed pair: its Pauli eigenvalues (summed per use position ``row % period`` into
    ``lam_sums``), its Bell coefficients (per use into ``out_coefficients`` when that has rows) and age in ticks (into
    ``out_ages`` likewise); per path, count, sums and extremes of ages (s), fidelities and stalls (s) into
    ``stats``, and histograms of ages (bin ``b`` holds ages in ``[age_edges[b − 1], age_edges[b])`` ticks,
    the last bin everything above) and fidelities (bins of ``fidelity_bin``).

    A path whose memories do not decohere (``fixed2[p, 3] ≠ 0``) delivers every pair in the same state: its
    rows add only their ages and stalls, and its states are added once per use position at the end. The hot
    arrays are read flat with unsigned indices, as in :func:`_run_uses`."""
    heralds, plinks, preps, pside = heralds2.reshape(-1), plinks2.reshape(-1), preps2.reshape(-1), pside2.reshape(-1)
    before, lam0, rates, fixed = before2.reshape(-1), lam02.reshape(-1), rates3.reshape(-1), fixed2.reshape(-1)
    age_hist = age_hist2.reshape(-1)
    hw, pw = heralds2.shape[1], plinks2.shape[1]
    n_paths = len(nlinks)
    keep = out_coefficients.shape[0] > 0
    as_float = np.empty(1)
    as_bits = as_float.view(np.int64)
    n_age = age_hist2.shape[1]
    f0, f1, f2, f3 = to_bell[0, 0], to_bell[0, 1], to_bell[0, 2], to_bell[0, 3]
    # per path, in ticks: count, extremes of ages, sums of ages and stalls (floats: exact to 2**53 ticks)
    count = np.zeros(n_paths, np.int64)
    age_min = np.zeros(n_paths, np.int64)
    age_max = np.zeros(n_paths, np.int64)
    age_sum = np.zeros(n_paths)
    wait_sum = np.zeros(n_paths)
    fixed_uses = np.zeros(period * n_paths, np.int64)  # per use position and fixed-state path: its uses
    stored = np.zeros(2 * n_paths, np.int64)  # per path end: its qubit's storage before the link's herald
    for p in range(n_paths):
        first, last = plinks2[p, 0], plinks2[p, nlinks[p] - 1]
        if nlinks[p] == 1:  # a link pair's age counts from its older qubit
            stored[2 * p] = max(before2[first, 0], before2[first, 1])
        else:
            stored[2 * p], stored[2 * p + 1] = before2[first, pside2[p, 0]], before2[last, pside2[p, 1]]
    hist4 = np.zeros(4 * n_paths * n_age, np.int64)  # four histograms, taken in turn: no chain of increments
    pos = 0
    for row in range(len(use_keys)):
        p = dpaths[ix(use_keys[ix(row)])]
        n = nlinks[ix(p)]
        used = used_at[ix(row)]
        pl, hr = p * pw, row * hw
        if n == 1:
            h = heralds[ix(hr)]
            age = used - h + stored[ix(2 * p)]
        else:
            born = min(heralds[ix(hr)] - stored[ix(2 * p)], heralds[ix(hr + n - 1)] - stored[ix(2 * p + 1)])
            age = used - born
        c = count[ix(p)]
        if c == 0 or age < age_min[ix(p)]:
            age_min[ix(p)] = age
        if c == 0 or age > age_max[ix(p)]:
            age_max[ix(p)] = age
        count[ix(p)] = c + 1
        age_sum[ix(p)] += age
        wait_sum[ix(p)] += used - need[ix(row)]
        if keep:
            out_ages[ix(row)] = age
        if age > 0:  # the bin of the lowest age with the same exponent and top mantissa bits, or the next
            as_float[0] = age
            b = age_guide[ix((as_bits[0] >> AGE_SHIFT) - AGE_BASE)]
            b += np.int64(age >= age_edges[ix(min(b, n_age - 2))]) & np.int64(b < n_age - 1)
        else:
            b = 1 if age == 0 else 0
        hist4[ix(((row & 3) * n_paths + p) * n_age + b)] += 1
        fp = 4 * p
        first = plinks[ix(pl)]
        if fixed[ix(fp + 3)] != 0.0:  # memories that do not decohere: every pair of the path is in the same state
            fixed_uses[ix(pos * n_paths + p)] += 1
            l0, l1, l2 = fixed[ix(fp)], fixed[ix(fp + 1)], fixed[ix(fp + 2)]
        else:
            if n == 1:
                l0, l1, l2 = _decohere(
                    lam0[ix(3 * first)], lam0[ix(3 * first + 1)], lam0[ix(3 * first + 2)],
                    rates[ix(6 * first)], rates[ix(6 * first + 1)], rates[ix(6 * first + 2)],
                    rates[ix(6 * first + 3)], rates[ix(6 * first + 4)], rates[ix(6 * first + 5)],
                    used - h + before[ix(2 * first)], used - h + before[ix(2 * first + 1)],
                )  # fmt: skip
            else:
                last = plinks[ix(pl + n - 1)]
                side_a, side_b = pside[ix(2 * p)], pside[ix(2 * p + 1)]
                made = made_at[ix(row)]
                l0, l1, l2 = 1.0, 1.0, 1.0
                for x in range(n):
                    link = plinks[ix(pl + x)]
                    h = heralds[ix(hr + x)]
                    a0, a1, a2 = _decohere(
                        lam0[ix(3 * link)], lam0[ix(3 * link + 1)], lam0[ix(3 * link + 2)],
                        rates[ix(6 * link)], rates[ix(6 * link + 1)], rates[ix(6 * link + 2)],
                        rates[ix(6 * link + 3)], rates[ix(6 * link + 4)], rates[ix(6 * link + 5)],
                        made - h + before[ix(2 * link)], made - h + before[ix(2 * link + 1)],
                    )  # fmt: skip
                    if x == 0:
                        l0, l1, l2 = a0, a1, a2
                    else:  # the BSM at the repeater composes the two pairs' Pauli errors and its own
                        r = preps[ix(pl + x)]
                        l0, l1, l2 = a0 * l0 * r_lam2[r, 0], a1 * l1 * r_lam2[r, 1], a2 * l2 * r_lam2[r, 2]
                ra, rb = 6 * first + 3 * side_a, 6 * last + 3 * side_b
                l0, l1, l2 = _decohere(
                    l0, l1, l2, rates[ix(ra)], rates[ix(ra + 1)], rates[ix(ra + 2)],
                    rates[ix(rb)], rates[ix(rb + 1)], rates[ix(rb + 2)], used - made, used - made,
                )  # fmt: skip
            fidelity = f0 + f1 * l0 + f2 * l1 + f3 * l2
            lam_sums[pos, 0] += l0
            lam_sums[pos, 1] += l1
            lam_sums[pos, 2] += l2
            _add_fidelity(stats, fidelity_hist, p, fidelity, fidelity_bin, 1, c == 0)
        if keep:
            for k in range(4):
                out_coefficients[row, k] = to_bell[k, 0] + to_bell[k, 1] * l0 + to_bell[k, 2] * l1 + to_bell[k, 3] * l2
        pos += 1
        if pos == period:
            pos = 0
    for q in range(4):
        for p in range(n_paths):
            for b in range(n_age):
                age_hist[p * n_age + b] += hist4[(q * n_paths + p) * n_age + b]
    for p in range(n_paths):
        if count[p] == 0:
            continue
        if fixed2[p, 3] != 0.0:
            l0, l1, l2 = fixed2[p, 0], fixed2[p, 1], fixed2[p, 2]
            for q in range(period):
                m = fixed_uses[q * n_paths + p]
                lam_sums[q, 0] += m * l0
                lam_sums[q, 1] += m * l1
                lam_sums[q, 2] += m * l2
            _add_fidelity(stats, fidelity_hist, p, f0 + f1 * l0 + f2 * l1 + f3 * l2, fidelity_bin, count[p], True)
        stats[p, S_COUNT] = count[p]
        stats[p, S_AGE_SUM] = age_sum[p] / ticks_per_s
        stats[p, S_AGE_MIN] = age_min[p] / ticks_per_s
        stats[p, S_AGE_MAX] = age_max[p] / ticks_per_s
        stats[p, S_WAIT_SUM] = wait_sum[p] / ticks_per_s


@_KERNELS.loop(inline="always")
def _add_fidelity(  # noqa: PLR0913
    stats: np.ndarray, hist: np.ndarray, p: int, fidelity: float, width: float, count: int, first: bool
) -> None:  # pragma: no cover - compiled
    """Add ``count`` pairs of ``fidelity`` to path ``p``'s fidelity sum, extremes and histogram (bins of
    ``width``); ``first``: they are the path's first."""
    if first:
        stats[p, S_FID_MIN], stats[p, S_FID_MAX] = fidelity, fidelity
    stats[p, S_FID_SUM] += count * fidelity
    stats[p, S_FID_MIN] = min(stats[p, S_FID_MIN], fidelity)
    stats[p, S_FID_MAX] = max(stats[p, S_FID_MAX], fidelity)
    f = int(fidelity / width)
    hist[p, min(max(f, 0), hist.shape[1] - 1)] += count
