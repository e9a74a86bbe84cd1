"""The pair timeline's two compiled loops: the schedule of every pair and use, and every consumed pair's state.

Both are plain loops over pairs compiled with numba (``cache=True``: compiled once per machine, next to this
file), because the schedule is a sequential max-plus recurrence with memory gates, cutoffs and BSM
failures that no array expression covers, and a step of a split model spends millions of pairs.

:func:`run_uses` walks the uses of the active demands in priority order (the demand whose next use has the
smallest key, ties to the earlier demand) and gives each its pair, exactly as
:mod:`~qnet_dqnn.net.timeline.schedule` describes; every number it reads or writes is an ``int64`` tick or
count, so a rerun from the same state gives the same bytes. Random draws come in as windows of the
components' indexed streams (:class:`~.supply.IndexedDraws`); a window that runs out stops the loop with a
code that names the component, and the caller reruns from its snapshot with a wider window.

:func:`pair_states` turns each consumed pair's herald, swap and use ticks into its Bell coefficients. It works
on the Pauli eigenvalues ``λ = (T_xx, −T_yy, T_zz)`` of a Bell-diagonal state (``T`` its correlation diagonal,
:func:`~qnet_dqnn.physics.bell_coefficients_to_correlations`): swapping two pairs composes their Pauli
errors, which multiplies their eigenvalues (Dür & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1, the
XOR-convolution of :func:`~qnet_dqnn.physics.swapping.swap_bell_diagonal` in the Walsh–Hadamard basis), and
a BSM's imperfections multiply them by its Pauli channel's eigenvalues; memory decoherence maps
``λ → (l_xy^A l_xy^B λ_x, l_xy^A l_xy^B λ_y, l_z^A l_z^B λ_z + s^A s^B)``
(:func:`~qnet_dqnn.physics.decohere_pair`; ``l = e^{−t·rate}``, ``s = shift·(1 − l_z)``,
:meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`). The caller passes the eigenvalues, rates and the linear
map back to Bell coefficients, all computed with the physics functions (:mod:`~.states`); the tests check
the result against those functions pair by pair.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: A time before every tick.
NEVER = -(1 << 62)

# Columns of the link state ``lk`` (one row per link).
NEXT, LAST, START, ATTEMPTS, DELIVERED, CONSUMED, MEM_WAIT, CUT, PARTNER, BSM_FAILED, SIZE0, SIZE1 = range(12)
LINK_FIELDS = 12
# Columns of the link parameters ``lp``.
PERIOD, HERALD, DEAD, BEFORE0, BEFORE1, CUTOFF, CAP0, CAP1 = range(8)
# Columns of the repeater state ``rk``: draws used, swaps, failed swaps.
R_DRAWS, R_SWAPS, R_FAILED = range(3)
# Columns of the path counts ``pc``: end-to-end pairs delivered, consumed, discarded by cutoff; notices.
P_DELIVERED, P_CONSUMED, P_CUT, P_NOTICES = range(4)
PATH_FIELDS = 4
# Columns of the per-path pair statistics of :func:`pair_states`.
S_COUNT, S_AGE_SUM, S_AGE_MIN, S_AGE_MAX, S_FID_SUM, S_FID_MIN, S_FID_MAX, S_WAIT_SUM = range(8)
STAT_FIELDS = 8


@njit(cache=True, inline="always")
def _leave(
    lk: np.ndarray, lp: np.ndarray, heap: np.ndarray, link: int, end: int, tick: int
) -> None:  # pragma: no cover
    """A qubit of ``link``'s share at ``end`` is freed at ``tick``: keep the latest ``capacity`` leaves in a
    min-heap (``heap[link, end, :size]``)."""
    cap = lp[link, CAP0 + end]
    size = lk[link, SIZE0 + end]
    if size < cap:
        i = size
        heap[link, end, i] = tick
        while i > 0:
            parent = (i - 1) >> 1
            if heap[link, end, parent] <= tick:
                break
            heap[link, end, i] = heap[link, end, parent]
            i = parent
        heap[link, end, i] = tick
        lk[link, SIZE0 + end] = size + 1
    elif tick > heap[link, end, 0]:
        i = 0
        while True:
            left = 2 * i + 1
            if left >= size:
                break
            small = left
            if left + 1 < size and heap[link, end, left + 1] < heap[link, end, left]:
                small = left + 1
            if tick <= heap[link, end, small]:
                break
            heap[link, end, i] = heap[link, end, small]
            i = small
        heap[link, end, i] = tick


@njit(cache=True, inline="always")
def _generate(
    lk: np.ndarray,
    lp: np.ndarray,
    heap: np.ndarray,
    draws: np.ndarray,
    window: np.ndarray,
    inverse_log_failure: np.ndarray,
    link: int,
) -> int:  # pragma: no cover - compiled
    """Make ``link``'s next pair; its herald tick, or NEVER when the draw window has run out (``window``: per
    link, where its uniforms start in ``draws``, the pair number of the first, and how many there are). The
    pair takes ``⌊ln(1 − u)/ln(1 − p)⌋ + 1`` attempts (geometric, :mod:`~.supply`)."""
    k = lk[link, NEXT]
    idx = k - window[link, 1]
    if idx >= window[link, 2]:
        return NEVER
    ready = lk[link, START] if lk[link, LAST] == NEVER else lk[link, LAST] + lp[link, DEAD]
    start = ready
    for e in range(2):
        if lk[link, SIZE0 + e] >= lp[link, CAP0 + e] and heap[link, e, 0] > start:
            start = heap[link, e, 0]
    lk[link, MEM_WAIT] += start - ready
    a = int(math.log(1.0 - draws[window[link, 0] + idx]) * inverse_log_failure[link]) + 1
    herald = start + (a - 1) * lp[link, PERIOD] + lp[link, HERALD]
    lk[link, ATTEMPTS] += a
    lk[link, DELIVERED] += 1
    lk[link, NEXT] = k + 1
    lk[link, LAST] = herald
    return herald


@njit(cache=True, inline="always")
def _expiry(lp: np.ndarray, link: int, herald: int) -> int:  # pragma: no cover
    """When a pair heralded at ``herald`` reaches the cutoff (its oldest qubit's age); NEVER if no cutoff."""
    if lp[link, CUTOFF] < 0:
        return NEVER
    return herald - max(lp[link, BEFORE0], lp[link, BEFORE1]) + lp[link, CUTOFF]


@njit(cache=True)
def run_uses(  # noqa: PLR0912, PLR0913, PLR0915
    lk: np.ndarray,
    lp: np.ndarray,
    heap: np.ndarray,
    draws: np.ndarray,
    window: np.ndarray,
    inverse_log_failure: np.ndarray,
    rk: np.ndarray,
    r_success: np.ndarray,
    r_draws: np.ndarray,
    r_window: np.ndarray,
    plinks: np.ndarray,
    nlinks: np.ndarray,
    preps: np.ndarray,
    pbsm: np.ndarray,
    pnotice: np.ndarray,
    pstay: np.ndarray,
    pside: np.ndarray,
    pc: np.ndarray,
    doff: np.ndarray,
    dn: np.ndarray,
    dstart: np.ndarray,
    dlook: np.ndarray,
    dptr: np.ndarray,
    dlast: np.ndarray,
    keys: np.ndarray,
    gaps: np.ndarray,
    prio: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds: np.ndarray,
    limit: int,
) -> int:  # pragma: no cover - compiled
    """Give the uses of the demands, in priority order, their pairs, up to the first use whose key exceeds
    ``limit``. Value: 0 when done, ``1 + link`` when that link's draw window ran out, ``−1 − repeater`` when
    that repeater's did (the state is then partly advanced: rerun from a snapshot).

    Demand ``j`` owns the flat rows ``doff[j] .. doff[j] + dn[j] − 1``; ``dptr[j]`` is its next use and
    ``dlast[j]`` the previous use's consumption; ``dlook[j] < 0`` means ``asap`` swaps, else ``on_demand``
    with that lookahead. ``keys`` name each use's path, ``prio`` its priority key (nondecreasing per demand).
    """
    n_demands = len(dn)
    while True:
        j = -1
        best = 0
        for d in range(n_demands):
            if dptr[d] < dn[d]:
                key = prio[doff[d] + dptr[d]]
                if key <= limit and (j < 0 or key < best):
                    j, best = d, key
        if j < 0:
            return 0
        i = dptr[j]
        row = doff[j] + i
        t_need = dlast[j] + gaps[row]
        need[row] = t_need
        if dlook[j] < 0:
            request = dstart[j]
        elif i >= dlook[j]:
            request = need[row - dlook[j]]
        else:
            request = dstart[j]
        p = keys[row]
        n = nlinks[p]
        if n == 1:
            link = plinks[p, 0]
            while True:
                h = _generate(lk, lp, heap, draws, window, inverse_log_failure, link)
                if h == NEVER:
                    return 1 + link
                used = max(t_need, h)
                expiry = _expiry(lp, link, h)
                if expiry != NEVER and expiry <= used:
                    lk[link, CUT] += 1
                    _leave(lk, lp, heap, link, 0, expiry)
                    _leave(lk, lp, heap, link, 1, expiry)
                    continue
                lk[link, CONSUMED] += 1
                _leave(lk, lp, heap, link, 0, used)
                _leave(lk, lp, heap, link, 1, used)
                made = h
                heralds[row, 0] = h
                break
        else:
            for x in range(n):
                heralds[row, x] = NEVER
            while True:
                for x in range(n):  # one stored pair on every link at once
                    if heralds[row, x] == NEVER:
                        h = _generate(lk, lp, heap, draws, window, inverse_log_failure, plinks[p, x])
                        if h == NEVER:
                            return 1 + plinks[p, x]
                        heralds[row, x] = h
                start = request
                for x in range(n):
                    start = max(start, heralds[row, x])
                lost = False
                for x in range(n):  # a pair that ages out while its partners come is replaced
                    link = plinks[p, x]
                    expiry = _expiry(lp, link, heralds[row, x])
                    if expiry != NEVER and expiry <= start:
                        lk[link, CUT] += 1
                        _leave(lk, lp, heap, link, 0, expiry)
                        _leave(lk, lp, heap, link, 1, expiry)
                        heralds[row, x] = NEVER
                        lost = True
                if lost:
                    continue
                end = start + pbsm[p]
                struck = False
                for x in range(n):
                    expiry = _expiry(lp, plinks[p, x], heralds[row, x])
                    if expiry != NEVER and expiry <= end:
                        struck = True
                if struck:  # a cutoff during the BSMs loses them all
                    for x in range(n):
                        link = plinks[p, x]
                        expiry = _expiry(lp, link, heralds[row, x])
                        gone = end
                        if expiry != NEVER and expiry <= end:
                            lk[link, CUT] += 1
                            gone = expiry
                        else:
                            lk[link, PARTNER] += 1
                        _leave(lk, lp, heap, link, 0, gone)
                        _leave(lk, lp, heap, link, 1, gone)
                        heralds[row, x] = NEVER
                    continue
                ok = True
                for x in range(1, n):
                    r = preps[p, x]
                    if r_success[r] >= 1.0:
                        rk[r, R_DRAWS] += 1
                        rk[r, R_SWAPS] += 1
                        continue
                    idx = rk[r, R_DRAWS] - r_window[r, 1]
                    if idx >= r_window[r, 2]:
                        return -1 - r
                    rk[r, R_DRAWS] += 1
                    if r_draws[r_window[r, 0] + idx] < r_success[r]:
                        rk[r, R_SWAPS] += 1
                    else:
                        rk[r, R_FAILED] += 1
                        ok = False
                if not ok:
                    for x in range(n):
                        link = plinks[p, x]
                        lk[link, BSM_FAILED] += 1
                        _leave(lk, lp, heap, link, 0, end)
                        _leave(lk, lp, heap, link, 1, end)
                        heralds[row, x] = NEVER
                    continue
                for x in range(n):  # repeater qubits are freed by the swap
                    link = plinks[p, x]
                    lk[link, CONSUMED] += 1
                    for e in range(2):
                        if not pstay[p, x, e]:
                            _leave(lk, lp, heap, link, e, end)
                pc[p, P_NOTICES] += 1
                first, last = plinks[p, 0], plinks[p, n - 1]
                born = min(
                    heralds[row, 0] - lp[first, BEFORE0 + pside[p, 0]],
                    heralds[row, n - 1] - lp[last, BEFORE0 + pside[p, 1]],
                )
                cut = NEVER
                if lp[first, CUTOFF] >= 0:
                    cut = lp[first, CUTOFF]
                if lp[last, CUTOFF] >= 0 and (cut == NEVER or lp[last, CUTOFF] < cut):
                    cut = lp[last, CUTOFF]
                expiry = NEVER if cut == NEVER else born + cut
                delivered = end + pnotice[p]
                used = max(t_need, delivered)
                if expiry != NEVER and expiry <= used:
                    if expiry > delivered:
                        pc[p, P_DELIVERED] += 1
                    pc[p, P_CUT] += 1
                    for x in range(n):
                        for e in range(2):
                            if pstay[p, x, e]:
                                _leave(lk, lp, heap, plinks[p, x], e, expiry)
                        heralds[row, x] = NEVER
                    continue
                pc[p, P_DELIVERED] += 1
                pc[p, P_CONSUMED] += 1
                for x in range(n):
                    for e in range(2):
                        if pstay[p, x, e]:
                            _leave(lk, lp, heap, plinks[p, x], e, used)
                made = end
                break
        used_at[row] = used
        made_at[row] = made
        dlast[j] = used
        dptr[j] = i + 1


@njit(cache=True, inline="always")
def _decohere(
    lam: np.ndarray, rates: np.ndarray, link_a: int, end_a: int, link_b: int, end_b: int, wait_a: float, wait_b: float
) -> None:  # pragma: no cover
    """``lam`` (Pauli eigenvalues) after one half waited ``wait_a`` ticks in the memory at end ``end_a`` of
    ``link_a``, the other ``wait_b`` at end ``end_b`` of ``link_b`` (``rates``: per tick)."""
    rxy = wait_a * rates[link_a, end_a, 0] + wait_b * rates[link_b, end_b, 0]
    rz_a = wait_a * rates[link_a, end_a, 1]
    rz_b = wait_b * rates[link_b, end_b, 1]
    if rxy != 0.0:
        lxy = math.exp(-rxy)
        lam[0] *= lxy
        lam[1] *= lxy
    if rz_a != 0.0 or rz_b != 0.0:
        lz_a = math.exp(-rz_a)
        lz_b = math.exp(-rz_b)
        lam[2] = lz_a * lz_b * lam[2] + rates[link_a, end_a, 2] * (1.0 - lz_a) * rates[link_b, end_b, 2] * (1.0 - lz_b)


@njit(cache=True)
def pair_states(  # noqa: PLR0913
    keys: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds: np.ndarray,
    plinks: np.ndarray,
    nlinks: np.ndarray,
    preps: np.ndarray,
    pside: np.ndarray,
    before: np.ndarray,
    lam0: np.ndarray,
    rates: np.ndarray,
    r_lam: np.ndarray,
    to_bell: np.ndarray,
    ticks_per_s: float,
    period: int,
    coefficient_sums: np.ndarray,
    stats: np.ndarray,
    age_edges: np.ndarray,
    age_hist: np.ndarray,
    fidelity_hist: np.ndarray,
    fidelity_bin: float,
    out_coefficients: np.ndarray,
    out_ages: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Each use's consumed pair: its Bell coefficients (summed per use position ``row % period`` into
    ``coefficient_sums``; per use into ``out_coefficients`` when that has rows) and age in ticks (into
    ``out_ages`` likewise); per path, count, sums and extremes of ages (s), fidelities and stalls (s) into
    ``stats``, and histograms of ages (bin ``b`` holds ages in ``[age_edges[b − 1], age_edges[b])`` ticks,
    the last bin everything above) and fidelities (bins of ``fidelity_bin``)."""
    lam = np.empty(3)
    keep = out_coefficients.shape[0] > 0
    n_age, n_fid = age_hist.shape[1], fidelity_hist.shape[1]
    pos = 0
    for row in range(len(keys)):
        p = keys[row]
        n = nlinks[p]
        used = used_at[row]
        first = plinks[p, 0]
        if n == 1:
            h = heralds[row, 0]
            lam[0], lam[1], lam[2] = lam0[first, 0], lam0[first, 1], lam0[first, 2]
            _decohere(lam, rates, first, 0, first, 1, used - h + before[first, 0], used - h + before[first, 1])
            age = used - h + max(before[first, 0], before[first, 1])
        else:
            made = made_at[row]
            for x in range(n):
                link = plinks[p, x]
                h = heralds[row, x]
                a0, a1, a2 = lam0[link, 0], lam0[link, 1], lam0[link, 2]
                if x == 0:
                    lam[0], lam[1], lam[2] = a0, a1, a2
                    _decohere(lam, rates, link, 0, link, 1, made - h + before[link, 0], made - h + before[link, 1])
                else:
                    r = preps[p, x]
                    b0, b1, b2 = lam[0], lam[1], lam[2]
                    lam[0], lam[1], lam[2] = a0, a1, a2
                    _decohere(lam, rates, link, 0, link, 1, made - h + before[link, 0], made - h + before[link, 1])
                    lam[0] *= b0 * r_lam[r, 0]
                    lam[1] *= b1 * r_lam[r, 1]
                    lam[2] *= b2 * r_lam[r, 2]
            last = plinks[p, n - 1]
            side_a, side_b = pside[p, 0], pside[p, 1]
            _decohere(lam, rates, first, side_a, last, side_b, used - made, used - made)
            born = min(heralds[row, 0] - before[first, side_a], heralds[row, n - 1] - before[last, side_b])
            age = used - born
        fidelity = to_bell[0, 0] + to_bell[0, 1] * lam[0] + to_bell[0, 2] * lam[1] + to_bell[0, 3] * lam[2]
        for k in range(4):
            ck = to_bell[k, 0] + to_bell[k, 1] * lam[0] + to_bell[k, 2] * lam[1] + to_bell[k, 3] * lam[2]
            coefficient_sums[pos, k] += ck
            if keep:
                out_coefficients[row, k] = ck
        pos += 1
        if pos == period:
            pos = 0
        if keep:
            out_ages[row] = age
        age_s = age / ticks_per_s
        if stats[p, S_COUNT] == 0.0:
            stats[p, S_AGE_MIN], stats[p, S_AGE_MAX] = age_s, age_s
            stats[p, S_FID_MIN], stats[p, S_FID_MAX] = fidelity, fidelity
        stats[p, S_COUNT] += 1.0
        stats[p, S_AGE_SUM] += age_s
        stats[p, S_AGE_MIN] = min(stats[p, S_AGE_MIN], age_s)
        stats[p, S_AGE_MAX] = max(stats[p, S_AGE_MAX], age_s)
        stats[p, S_FID_SUM] += fidelity
        stats[p, S_FID_MIN] = min(stats[p, S_FID_MIN], fidelity)
        stats[p, S_FID_MAX] = max(stats[p, S_FID_MAX], fidelity)
        stats[p, S_WAIT_SUM] += (used - need[row]) / ticks_per_s
        b = np.searchsorted(age_edges, age, side="right")
        age_hist[p, min(b, n_age - 1)] += 1
        f = int(fidelity / fidelity_bin)
        fidelity_hist[p, min(max(f, 0), n_fid - 1)] += 1
