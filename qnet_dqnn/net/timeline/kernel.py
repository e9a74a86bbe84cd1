"""The pair timeline's two compiled loops: the schedule of every pair and use, and every consumed pair's state.

Both are plain loops over pairs compiled with numba (``cache=True``: compiled once per machine, next to this
file), because the schedule is a sequential max-plus recurrence with memory gates, cutoffs and BSM
failures that no array expression covers, and a step of a split model spends millions of pairs.

:func:`_run_uses` walks the uses of the active demands in priority order (the demand whose next use has the
smallest key, ties to the earlier demand) and gives each its pair, exactly as
:mod:`~qnet_dqnn.net.timeline.schedule` describes; every number it reads or writes is an ``int64`` tick or
count, so a rerun from the same state gives the same bytes. Random draws are made in the loop, by number:
draw ``k`` of a component is :func:`draw_bits` of its stream key and ``k`` (:class:`~.supply.IndexedDraws`),
so a recomputation meets the same numbers without keeping them. A link pair's attempts come from a guide table
of the geometric inversion where that is constant over a table cell (:func:`attempt_table`), else from the
inversion itself: the same integer either way.

:func:`_pair_states` turns each consumed pair's herald, swap and use ticks into its Bell coefficients. It works
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
from typing import Any

import numpy as np

from qnet_dqnn.jit import Kernels

#: A time before every tick.
NEVER = -(1 << 62)

#: The loops of this module, compiled with numba on first use (:class:`~qnet_dqnn.jit.Kernels`).
_KERNELS = Kernels(globals())
_entry = _KERNELS.entry


def attempt_table(inverse_log_failure: float, out: np.ndarray) -> None:
    """Compiled :func:`_attempt_table`."""
    _entry("_attempt_table")(inverse_log_failure, out)


def run_uses(*args: Any) -> None:
    """Compiled :func:`_run_uses`."""
    _entry("_run_uses")(*args)


def pair_states(*args: Any) -> None:
    """Compiled :func:`_pair_states`."""
    _entry("_pair_states")(*args)


# SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014, Fig. 1):
# output k of the generator started at ``key`` is ``mix(key + (k + 1)·GOLDEN)``, so any draw is made by number.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
#: A uniform on [0, 1) from the top 53 bits of a draw.
UNIT = 2.0**-53
#: Cells of the attempt table: the top GUIDE_BITS bits of a draw pick one.
GUIDE_BITS = 12
_GUIDE_SHIFT = np.uint64(64 - GUIDE_BITS)
_U30, _U27, _U31, _U11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@_KERNELS.loop(inline="always")
def draw_bits(key: np.uint64, k: int) -> np.uint64:  # pragma: no cover - compiled
    """Draw ``k`` (64 random bits) of the stream ``key``: SplitMix64's ``k``-th output."""
    z = key + np.uint64(k + 1) * GOLDEN
    z = (z ^ (z >> _U30)) * MIX1
    z = (z ^ (z >> _U27)) * MIX2
    return z ^ (z >> _U31)


@_KERNELS.loop(inline="always")
def _geometric(u: float, inverse_log_failure: float) -> int:  # pragma: no cover - compiled
    """Attempts up to the first success: ``⌊ln(1 − u)/ln(1 − p)⌋ + 1`` (:mod:`~.supply`)."""
    return int(math.log(1.0 - u) * inverse_log_failure) + 1


@_KERNELS.loop()
def _attempt_table(inverse_log_failure: float, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Fill ``out`` (``2**GUIDE_BITS`` cells, uint8) with the attempts of every uniform of the cell — the draws
    whose top bits are the cell's index — where they are all the same (and below 256), else 0.

    The inversion is nondecreasing in ``u``, so it is constant over a cell when it is at the cell's two ends;
    the table then gives exactly the inversion's integer (a guide table: Chen & Asau, AIIE Trans. 6, 163
    (1974); Devroye, *Non-Uniform Random Variate Generation*, Springer 1986, Sec. III.2.4)."""
    width = 1 << (53 - GUIDE_BITS)
    for b in range(out.shape[0]):
        lo = _geometric(float(b * width) * UNIT, inverse_log_failure)
        hi = _geometric(float((b + 1) * width - 1) * UNIT, inverse_log_failure)
        out[b] = lo if lo == hi and lo < 256 else 0


# Columns of the link state ``lk`` (one row per link).
# NEXT: pairs made (the next draw's number); READY: when the next run of attempts may start (NEVER until the
# link's first demand), unless its memories are full.
NEXT, READY, ATTEMPTS, CONSUMED, MEM_WAIT, CUT, PARTNER, BSM_FAILED = range(8)
SIZE0, SIZE1, HEAD0, HEAD1 = range(8, 12)  # per end: leaves held in the ring, the ring's head
LINK_FIELDS = 12
# Columns of the link parameters ``lp``.
PERIOD, HERALD, DEAD, BEFORE0, BEFORE1, CUTOFF, CAP0, CAP1 = range(8)
# Columns of the repeater state ``rk``: draws used, swaps, failed swaps.
R_DRAWS, R_SWAPS, R_FAILED = range(3)
# Columns of the path counts ``pc``: end-to-end pairs delivered, consumed, discarded by cutoff; notices.
P_DELIVERED, P_CONSUMED, P_CUT, P_NOTICES = range(4)
PATH_FIELDS = 4
#: The age guide (:func:`~.states.age_guide`) has a cell per float exponent and top AGE_CELL_BITS mantissa bits.
AGE_CELL_BITS = 4
AGE_SHIFT = 52 - AGE_CELL_BITS
AGE_BASE = 1023 << AGE_CELL_BITS  # the cell of 1.0


# Columns of the per-path pair statistics of :func:`pair_states`.
S_COUNT, S_AGE_SUM, S_AGE_MIN, S_AGE_MAX, S_FID_SUM, S_FID_MIN, S_FID_MAX, S_WAIT_SUM = range(8)
STAT_FIELDS = 8


@_KERNELS.loop()
def _run_uses(  # noqa: PLR0912, PLR0913, PLR0915
    lk: np.ndarray,
    lp: np.ndarray,
    ring: np.ndarray,
    keys: np.ndarray,
    table: np.ndarray,
    inverse_log_failure: np.ndarray,
    rk: np.ndarray,
    r_success: np.ndarray,
    r_keys: np.ndarray,
    plinks: np.ndarray,
    nlinks: np.ndarray,
    preps: np.ndarray,
    pbsm: np.ndarray,
    pnotice: np.ndarray,
    pstay: np.ndarray,
    pside: np.ndarray,
    psimple: np.ndarray,
    pc: np.ndarray,
    doff: np.ndarray,
    dn: np.ndarray,
    dstart: np.ndarray,
    dlook: np.ndarray,
    dptr: np.ndarray,
    dlast: np.ndarray,
    use_keys: np.ndarray,
    dpaths: np.ndarray,
    gaps: np.ndarray,
    prio: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds: np.ndarray,
    limit: int,
) -> None:  # pragma: no cover - compiled
    """Give the uses of the demands, in priority order, their pairs, up to the first use whose key exceeds
    ``limit``. ``keys``/``r_keys``: the links' and repeaters' stream keys; ``table``: per link, its attempt
    table (:func:`attempt_table`).

    Demand ``j`` owns the flat rows ``doff[j] .. doff[j] + dn[j] − 1``; ``dptr[j]`` is its next use and
    ``dlast[j]`` the previous use's consumption; ``dlook[j] < 0`` means ``asap`` swaps, else ``on_demand``
    with that lookahead. Each use's path is ``dpaths[j, use_keys[row]]`` (the demand's path list in the
    schedule's numbering), ``prio`` its priority key (nondecreasing per demand).
    """

    # The leaves of a use of a path that is not simple are queued and applied before the next pairs are made
    # (one call site of the inlined ring code: each costs numba reference counts of the arrays it takes).
    pend = np.empty((4 * plinks.shape[1] + 4, 3), np.int64)
    npend = 0
    n_demands = len(dn)
    simple_uses = np.zeros(len(nlinks), np.int64)
    while True:
        j = -1
        if n_demands == 1:
            if dptr[0] < dn[0] and prio[dptr[0]] <= limit:
                j = 0
        else:
            best = 0
            for d in range(n_demands):
                if dptr[d] < dn[d]:
                    key = prio[doff[d] + dptr[d]]
                    if key <= limit and (j < 0 or key < best):
                        j, best = d, key
        if j < 0:
            break
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
        p = dpaths[j, use_keys[row]]
        n = nlinks[p]
        have = 0  # bit x: the use holds a pair of its path's link x (heralded at heralds[row, x])
        while True:
            for q in range(npend):  # apply the queued leaves
                _leave(ring, lk, lp, pend[q, 0], pend[q, 1], pend[q, 2])
            npend = 0
            for x in range(n):  # one stored pair on every link at once: make the missing ones
                if have >> x & 1:
                    continue
                link = plinks[p, x]
                k = lk[link, NEXT]
                ready = lk[link, READY]
                start = ready
                g0 = ring[link, 0, lk[link, HEAD0]]  # a run of attempts starts when a qubit is free at both ends
                g1 = ring[link, 1, lk[link, HEAD1]]
                g0 = g0 if lk[link, SIZE0] >= lp[link, CAP0] else NEVER
                g1 = g1 if lk[link, SIZE1] >= lp[link, CAP1] else NEVER
                start = max(start, max(g0, g1))
                lk[link, MEM_WAIT] += start - ready
                z = draw_bits(keys[link], k)  # ⌊ln(1 − u_k)/ln(1 − p)⌋ + 1 attempts, from the table if it has it
                a = np.int64(table[link, z >> _GUIDE_SHIFT])
                if a == 0:
                    a = _geometric(float(z >> _U11) * UNIT, inverse_log_failure[link])
                h = start + (a - 1) * lp[link, PERIOD] + lp[link, HERALD]
                lk[link, ATTEMPTS] += a
                lk[link, NEXT] = k + 1
                lk[link, READY] = h + lp[link, DEAD]
                heralds[row, x] = h
                have |= 1 << x
            if n == 1:
                link = plinks[p, 0]
                h = heralds[row, 0]
                used = max(t_need, h)
                expiry = _expiry(lp[link, CUTOFF], lp[link, BEFORE0], lp[link, BEFORE1], h)
                gone = used
                if expiry != NEVER and expiry <= used:
                    lk[link, CUT] += 1
                    gone = expiry
                    have = 0
                else:
                    lk[link, CONSUMED] += 1
                for e in range(2):
                    pend[npend, 0], pend[npend, 1], pend[npend, 2] = link, e, gone
                    npend += 1
                if have == 0:
                    continue
                made = h
                break
            start = request
            for x in range(n):
                start = max(start, heralds[row, x])
            end = start + pbsm[p]
            if psimple[p]:  # no cutoff and no failing BSM on the path: the swap succeeds, the pair is used
                used = max(t_need, end + pnotice[p])
                for x in range(n):
                    link = plinks[p, x]
                    for e in range(2):  # a repeater's qubit is freed by the swap, an end's by the use
                        _leave(ring, lk, lp, link, e, used if pstay[p, x, e] else end)
                simple_uses[p] += 1  # its counts are added at the end
                made = end
                break
            lost = False
            for x in range(n):  # a pair that ages out while its partners come is replaced
                link = plinks[p, x]
                expiry = _expiry(lp[link, CUTOFF], lp[link, BEFORE0], lp[link, BEFORE1], heralds[row, x])
                if expiry != NEVER and expiry <= start:
                    lk[link, CUT] += 1
                    for e in range(2):
                        pend[npend, 0], pend[npend, 1], pend[npend, 2] = link, e, expiry
                        npend += 1
                    have &= ~(1 << x)
                    lost = True
            if lost:
                continue
            struck = False
            for x in range(n):
                link = plinks[p, x]
                expiry = _expiry(lp[link, CUTOFF], lp[link, BEFORE0], lp[link, BEFORE1], heralds[row, x])
                if expiry != NEVER and expiry <= end:
                    struck = True
            if struck:  # a cutoff during the BSMs loses them all
                for x in range(n):
                    link = plinks[p, x]
                    expiry = _expiry(lp[link, CUTOFF], lp[link, BEFORE0], lp[link, BEFORE1], heralds[row, x])
                    gone = end
                    if expiry != NEVER and expiry <= end:
                        lk[link, CUT] += 1
                        gone = expiry
                    else:
                        lk[link, PARTNER] += 1
                    for e in range(2):
                        pend[npend, 0], pend[npend, 1], pend[npend, 2] = link, e, gone
                        npend += 1
                    have &= ~(1 << x)
                continue
            ok = True
            for x in range(1, n):
                r = preps[p, x]
                if r_success[r] >= 1.0:
                    rk[r, R_DRAWS] += 1
                    rk[r, R_SWAPS] += 1
                    continue
                u = float(draw_bits(r_keys[r], rk[r, R_DRAWS]) >> _U11) * UNIT
                rk[r, R_DRAWS] += 1
                if u < r_success[r]:
                    rk[r, R_SWAPS] += 1
                else:
                    rk[r, R_FAILED] += 1
                    ok = False
            if not ok:
                for x in range(n):
                    link = plinks[p, x]
                    lk[link, BSM_FAILED] += 1
                    for e in range(2):
                        pend[npend, 0], pend[npend, 1], pend[npend, 2] = link, e, end
                        npend += 1
                    have &= ~(1 << x)
                continue
            for x in range(n):  # repeater qubits are freed by the swap
                link = plinks[p, x]
                lk[link, CONSUMED] += 1
                for e in range(2):
                    if not pstay[p, x, e]:
                        pend[npend, 0], pend[npend, 1], pend[npend, 2] = link, e, end
                        npend += 1
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
            gone = used
            if expiry != NEVER and expiry <= used:
                if expiry > delivered:
                    pc[p, P_DELIVERED] += 1
                pc[p, P_CUT] += 1
                gone = expiry
            else:
                pc[p, P_DELIVERED] += 1
                pc[p, P_CONSUMED] += 1
            for x in range(n):  # the ends' qubits are freed by the use (or the cutoff)
                for e in range(2):
                    if pstay[p, x, e]:
                        pend[npend, 0], pend[npend, 1], pend[npend, 2] = plinks[p, x], e, gone
                        npend += 1
            if gone != used:
                have = 0
                continue
            made = end
            break
        used_at[row] = used
        made_at[row] = made
        for x in range(n, heralds.shape[1]):
            heralds[row, x] = -1
        dlast[j] = used
        dptr[j] = i + 1
    for q in range(npend):  # the last use's leaves
        _leave(ring, lk, lp, pend[q, 0], pend[q, 1], pend[q, 2])
    for p in range(len(nlinks)):  # a simple path's uses: a swap at each repeater (draws unused: it cannot fail)
        c = simple_uses[p]
        if c:
            for x in range(nlinks[p]):
                lk[plinks[p, x], CONSUMED] += c
                if x > 0:
                    rk[preps[p, x], R_DRAWS] += c
                    rk[preps[p, x], R_SWAPS] += c
            pc[p, P_NOTICES] += c
            pc[p, P_DELIVERED] += c
            pc[p, P_CONSUMED] += c


@_KERNELS.loop(inline="always")
def _leave(ring: np.ndarray, lk: np.ndarray, lp: np.ndarray, link: int, e: int, tick: int) -> None:  # pragma: no cover
    """A qubit of ``link`` leaves end ``e`` at ``tick``. The end's memory gate is the ``capacity``-th latest
    leave so far: ``ring[link, e]`` holds the ``capacity`` latest leaves in ascending order, from 0 until it
    is full, then cyclically from ``lk[link, HEAD0 + e]``, so the gate is at the head. Leaves mostly come in
    order (an end's qubits leave at its uses): the new one then takes the head's slot and the head moves on."""
    cap, size = lp[link, CAP0 + e], lk[link, SIZE0 + e]
    if size < cap:
        c = size
        while c > 0 and ring[link, e, c - 1] > tick:
            ring[link, e, c] = ring[link, e, c - 1]
            c -= 1
        ring[link, e, c] = tick
        lk[link, SIZE0 + e] = size + 1
        return
    head = lk[link, HEAD0 + e]
    if tick <= ring[link, e, head]:
        return
    c = head
    while True:
        prev = c - 1 if c > 0 else cap - 1
        if prev == head or ring[link, e, prev] <= tick:
            break
        ring[link, e, c] = ring[link, e, prev]
        c = prev
    ring[link, e, c] = tick
    lk[link, HEAD0 + e] = head + 1 if head + 1 < cap else 0


@_KERNELS.loop(inline="always")
def _expiry(cutoff: int, before0: int, before1: int, herald: int) -> int:  # pragma: no cover - compiled
    """When a pair heralded at ``herald`` reaches the cutoff (its oldest qubit's age); NEVER if no cutoff (< 0)."""
    if cutoff < 0:
        return NEVER
    return herald - max(before0, before1) + cutoff


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
def _pair_states(  # noqa: PLR0913
    use_keys: np.ndarray,
    dpaths: np.ndarray,
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
    fixed: np.ndarray,
    to_bell: np.ndarray,
    ticks_per_s: float,
    period: int,
    lam_sums: np.ndarray,
    stats: np.ndarray,
    age_edges: np.ndarray,
    age_guide: np.ndarray,
    age_hist: np.ndarray,
    fidelity_hist: np.ndarray,
    fidelity_bin: float,
    out_coefficients: np.ndarray,
    out_ages: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Each use's consumed pair: its Pauli eigenvalues (summed per use position ``row % period`` into
    ``lam_sums``), its Bell coefficients (per use into ``out_coefficients`` when that has rows) and age in ticks (into
    ``out_ages`` likewise); per path, count, sums and extremes of ages (s), fidelities and stalls (s) into
    ``stats``, and histograms of ages (bin ``b`` holds ages in ``[age_edges[b − 1], age_edges[b])`` ticks,
    the last bin everything above) and fidelities (bins of ``fidelity_bin``)."""
    keep = out_coefficients.shape[0] > 0
    as_float = np.empty(1)
    as_bits = as_float.view(np.int64)
    n_age, n_fid = age_hist.shape[1], fidelity_hist.shape[1]
    f0, f1, f2, f3 = to_bell[0, 0], to_bell[0, 1], to_bell[0, 2], to_bell[0, 3]
    pos = 0
    for row in range(len(use_keys)):
        p = dpaths[use_keys[row]]
        n = nlinks[p]
        used = used_at[row]
        first = plinks[p, 0]
        if n == 1:
            h = heralds[row, 0]
            age = used - h + max(before[first, 0], before[first, 1])
        else:
            last = plinks[p, n - 1]
            side_a, side_b = pside[p, 0], pside[p, 1]
            born = min(heralds[row, 0] - before[first, side_a], heralds[row, n - 1] - before[last, side_b])
            age = used - born
        if fixed[p, 3] != 0.0:  # memories that do not decohere: every pair of the path is in the same state
            l0, l1, l2 = fixed[p, 0], fixed[p, 1], fixed[p, 2]
        elif n == 1:
            l0, l1, l2 = _decohere(
                lam0[first, 0], lam0[first, 1], lam0[first, 2], rates[first, 0, 0], rates[first, 0, 1],
                rates[first, 0, 2], rates[first, 1, 0], rates[first, 1, 1], rates[first, 1, 2],
                used - h + before[first, 0], used - h + before[first, 1],
            )  # fmt: skip
        else:
            made = made_at[row]
            l0, l1, l2 = 1.0, 1.0, 1.0
            for x in range(n):
                link = plinks[p, x]
                h = heralds[row, x]
                a0, a1, a2 = _decohere(
                    lam0[link, 0], lam0[link, 1], lam0[link, 2], rates[link, 0, 0], rates[link, 0, 1],
                    rates[link, 0, 2], rates[link, 1, 0], rates[link, 1, 1], rates[link, 1, 2],
                    made - h + before[link, 0], made - h + before[link, 1],
                )  # fmt: skip
                if x == 0:
                    l0, l1, l2 = a0, a1, a2
                else:  # the BSM at the repeater composes the two pairs' Pauli errors and its own
                    r = preps[p, x]
                    l0, l1, l2 = a0 * l0 * r_lam[r, 0], a1 * l1 * r_lam[r, 1], a2 * l2 * r_lam[r, 2]
            l0, l1, l2 = _decohere(
                l0, l1, l2, rates[first, side_a, 0], rates[first, side_a, 1], rates[first, side_a, 2],
                rates[last, side_b, 0], rates[last, side_b, 1], rates[last, side_b, 2], used - made, used - made,
            )  # fmt: skip
        fidelity = f0 + f1 * l0 + f2 * l1 + f3 * l2
        lam_sums[pos, 0] += l0
        lam_sums[pos, 1] += l1
        lam_sums[pos, 2] += l2
        if keep:
            for k in range(4):
                out_coefficients[row, k] = to_bell[k, 0] + to_bell[k, 1] * l0 + to_bell[k, 2] * l1 + to_bell[k, 3] * l2
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
        if age > 0:  # the bin of the lowest age with the same exponent and top mantissa bits, or the next
            as_float[0] = age
            b = age_guide[(as_bits[0] >> AGE_SHIFT) - AGE_BASE]
            b += np.int64(b < n_age - 1 and age >= age_edges[min(b, n_age - 2)])
        else:
            b = 1 if age == 0 else 0
        age_hist[p, b] += 1
        f = int(fidelity / fidelity_bin)
        fidelity_hist[p, min(max(f, 0), n_fid - 1)] += 1
