"""The pair timeline's schedule loop: when every pair is made and every use consumes one.

A plain loop over pairs compiled with numba (``cache=True``: compiled once per machine, next to this file),
because the schedule is a sequential max-plus recurrence with memory gates, cutoffs and BSM failures that no
array expression covers, and a step of a split model spends millions of pairs. The states of the pairs it
hands out are computed afterwards, in :mod:`~.kernel_states`.

:func:`_run_uses` walks the uses of the active demands in priority order (the demand whose next use has the
smallest key, ties to the earlier demand) and gives each its pair, exactly as
:mod:`~qnet_dqnn.net.timeline.schedule` describes; every number it reads or writes is an ``int64`` tick or
count, so a rerun from the same state gives the same bytes. Random draws are made in the loop, by number:
draw ``k`` of a component is :func:`draw_bits` of its stream key and ``k`` (:class:`~.supply.IndexedDraws`),
so a recomputation meets the same numbers without keeping them. A link pair's attempts come from a guide table
of the geometric inversion where that is constant over a table cell (:func:`attempt_table`), else from the
inversion itself: the same integer either way.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qnet_dqnn.jit import Kernels, ix

#: A time before every tick.
NEVER = -(1 << 62)

#: The loops of this module, compiled with numba on first use (:class:`~qnet_dqnn.jit.Kernels`).
_KERNELS = Kernels(globals())
_entry = _KERNELS.entry
_KERNELS.use(ix, inline="always")


def attempt_table(inverse_log_failure: float, out: np.ndarray) -> None:
    """Compiled :func:`_attempt_table`."""
    _entry("_attempt_table")(inverse_log_failure, out)


def run_uses(*args: Any) -> None:
    """Compiled :func:`_run_uses`."""
    _entry("_run_uses")(*args)


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
HEAD0, HEAD1 = range(8, 10)  # per end: the head of its ring of leaves
LINK_FIELDS = 10
# Columns of the link parameters ``lp``.
PERIOD, HERALD, DEAD, BEFORE0, BEFORE1, CUTOFF, CAP0, CAP1 = range(8)
LINK_PARAMS = 8
LINK_ROW = LINK_FIELDS + LINK_PARAMS  # a link's row in the loop: state, then parameters
# Columns of the repeater state ``rk``: draws used, swaps, failed swaps.
R_DRAWS, R_SWAPS, R_FAILED = range(3)
R_FIELDS = 3
# Columns of the path counts ``pc``: end-to-end pairs delivered, consumed, discarded by cutoff; notices.
P_DELIVERED, P_CONSUMED, P_CUT, P_NOTICES = range(4)
PATH_FIELDS = 4


@_KERNELS.loop()
def _run_uses(  # noqa: PLR0912, PLR0913, PLR0915
    lk2: np.ndarray,
    lp2: np.ndarray,
    ring3: np.ndarray,
    keys: np.ndarray,
    table2: np.ndarray,
    inverse_log_failure: np.ndarray,
    rk2: np.ndarray,
    r_success: np.ndarray,
    r_keys: np.ndarray,
    plinks2: np.ndarray,
    nlinks: np.ndarray,
    preps2: np.ndarray,
    pbsm: np.ndarray,
    pnotice: np.ndarray,
    pstay3: np.ndarray,
    pside2: np.ndarray,
    psimple: np.ndarray,
    pc2: np.ndarray,
    doff: np.ndarray,
    dn: np.ndarray,
    dstart: np.ndarray,
    dlook: np.ndarray,
    dptr: np.ndarray,
    dlast: np.ndarray,
    use_keys: np.ndarray,
    dpaths2: np.ndarray,
    gaps: np.ndarray,
    prio: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds2: np.ndarray,
    limit: int,
) -> None:  # pragma: no cover - compiled
    """Give the uses of the demands, in priority order, their pairs, up to the first use whose key exceeds
    ``limit``. ``keys``/``r_keys``: the links' and repeaters' stream keys; ``table2``: per link, its attempt
    table (:func:`attempt_table`).

    Demand ``j`` owns the flat rows ``doff[j] .. doff[j] + dn[j] − 1``; ``dptr[j]`` is its next use and
    ``dlast[j]`` the previous use's consumption; ``dlook[j] < 0`` means ``asap`` swaps, else ``on_demand``
    with that lookahead. Each use's path is ``dpaths2[j, use_keys[row]]`` (the demand's path list in the
    schedule's numbering), ``prio`` its priority key (nondecreasing per demand).

    The loop reads the arrays through flat views with unsigned indices (:func:`~qnet_dqnn.jit.ix`). It takes
    the uses in batches: the demand whose next use comes first keeps the turn up to the next key of another,
    with its place and last consumption in locals; a demand whose paths are all simple runs its batch in
    :func:`_run_simple`. Neither loop calls an inlined helper that takes an array (numba may keep reference
    counts of those, atomically, in the loop; whether it did changed with the process's hash seed, and the
    loop's time by a quarter).
    """
    # One row per link, its state then its parameters (a copy, written back at the end: one array in the loop).
    n_links = lk2.shape[0]
    rows = np.empty((n_links, LINK_ROW), np.int64)
    rows[:, :LINK_FIELDS] = lk2
    rows[:, LINK_FIELDS:] = lp2
    lk, ring, table = rows.reshape(-1), ring3.reshape(-1), table2.reshape(-1)  # lk: the rows, flat
    rk, plinks, preps, pstay = rk2.reshape(-1), plinks2.reshape(-1), preps2.reshape(-1), pstay3.reshape(-1)
    pside, pc, dpaths, heralds = pside2.reshape(-1), pc2.reshape(-1), dpaths2.reshape(-1), heralds2.reshape(-1)
    width, cells, pw, dw, hw = ring3.shape[2], table2.shape[1], plinks2.shape[1], dpaths2.shape[1], heralds2.shape[1]
    # The qubits that leave (link, end, tick), queued by a use and applied before the next pairs are made:
    # in one place, written out, as numba may keep reference counts of arrays passed to an inlined function.
    pend = np.empty(3 * (4 * pw + 4), np.int64)
    npend = 0
    n_demands = len(dn)
    simple_uses = np.zeros(len(nlinks), np.int64)  # per simple path, its uses by _run_simple (counted at the end)
    dsimple = np.ones(n_demands, np.bool_)  # the demand's paths are all simple (its padding is path 0: may say no)
    for d in range(n_demands):
        for k in range(dw):
            dsimple[d] = dsimple[d] and psimple[ix(dpaths[ix(d * dw + k)])]
    j = i = row = t_need = request = p = n = pl = hr = have = last = off = m = look = begin = paths = stop = 0
    fresh = False
    j = -1  # the demand whose use is under way, -1 when none is
    while True:
        for q in range(npend):
            # The leaves of the last use (a qubit of ``link`` leaves end ``e`` at ``tick``), as in _run_simple.
            link, e, tick = pend[ix(3 * q)], pend[ix(3 * q + 1)], pend[ix(3 * q + 2)]
            o, base = link * LINK_ROW, (2 * link + e) * width
            cap = lk[ix(o + LINK_FIELDS + CAP0 + e)]
            head = lk[ix(o + HEAD0 + e)]
            if tick <= ring[ix(base + head)]:
                continue
            c = head
            while True:
                prev = c - 1 if c > 0 else cap - 1
                if prev == head or ring[ix(base + prev)] <= tick:
                    break
                ring[ix(base + c)] = ring[ix(base + prev)]
                c = prev
            ring[ix(base + c)] = tick
            lk[ix(o + HEAD0 + e)] = head + 1 if head + 1 < cap else 0
        npend = 0
        if j < 0:  # the next demand: the one whose next use has the smallest key (ties to the earlier demand)
            best = 0
            for d in range(n_demands):
                if dptr[ix(d)] < dn[ix(d)]:
                    key = prio[ix(doff[ix(d)] + dptr[ix(d)])]
                    if key <= limit and (j < 0 or key < best):
                        j, best = d, key
            if j < 0:
                break
            stop = limit  # j keeps the turn while its keys are below the others' next (or equal, if j is first)
            for d in range(n_demands):
                if d != j and dptr[ix(d)] < dn[ix(d)]:
                    key = prio[ix(doff[ix(d)] + dptr[ix(d)])]
                    stop = min(stop, key - 1 if d < j else key)
            if dsimple[ix(j)]:  # the batch by the short loop
                _run_simple(
                    lk, ring, keys, table, inverse_log_failure, plinks, nlinks, pbsm, pnotice, pstay,
                    j, doff, dn, dptr, dlast, dlook, dstart, use_keys, dpaths, dw,
                    gaps, prio, need, used_at, made_at, heralds, simple_uses, width, cells, pw, hw, stop,
                )  # fmt: skip
                j = -1
                continue
            i, last, off, m = dptr[ix(j)], dlast[ix(j)], doff[ix(j)], dn[ix(j)]
            look, begin, paths = dlook[ix(j)], dstart[ix(j)], j * dw
            fresh = True
        if fresh:  # the demand's next use
            row = off + i
            t_need = last + gaps[ix(row)]
            need[ix(row)] = t_need
            # on_demand: the swap waits for the need of the use ``look`` uses before
            request = need[ix(row - look)] if look >= 0 and i >= look else begin
            p = dpaths[ix(paths + use_keys[ix(row)])]
            n = nlinks[ix(p)]
            pl, hr = p * pw, row * hw  # the path's row in plinks and preps, the use's in heralds
            have = 0  # bit x: the use holds a pair of its path's link x (heralded at heralds[hr + x])
            fresh = False
        for x in range(n):  # one stored pair on every link at once: make the missing ones
            if have >> x & 1:
                continue
            link = plinks[ix(pl + x)]
            o, c = link * LINK_ROW, link * LINK_ROW + LINK_FIELDS
            k = lk[ix(o + NEXT)]
            ready = lk[ix(o + READY)]
            g0 = ring[ix(2 * link * width + lk[ix(o + HEAD0)])]  # a run of attempts starts when a qubit is free
            g1 = ring[ix((2 * link + 1) * width + lk[ix(o + HEAD1)])]  # at both ends
            start = max(ready, max(g0, g1))
            lk[ix(o + MEM_WAIT)] += start - ready
            z = draw_bits(keys[ix(link)], k)  # ⌊ln(1 − u_k)/ln(1 − p)⌋ + 1 attempts, from the table if it has it
            a = np.int64(table[ix(link * cells) + (z >> _GUIDE_SHIFT)])
            if a == 0:
                a = _geometric(float(z >> _U11) * UNIT, inverse_log_failure[ix(link)])
            h = start + (a - 1) * lk[ix(c + PERIOD)] + lk[ix(c + HERALD)]
            lk[ix(o + ATTEMPTS)] += a
            lk[ix(o + NEXT)] = k + 1
            lk[ix(o + READY)] = h + lk[ix(c + DEAD)]
            heralds[ix(hr + x)] = h
            have |= 1 << x
        if n == 1:  # one link: a pair too old for the use (past the cutoff) is discarded, the next one taken
            link = plinks[ix(pl)]
            o, c = link * LINK_ROW, link * LINK_ROW + LINK_FIELDS
            h = heralds[ix(hr)]
            used = max(t_need, h)
            expiry = _expiry(lk[ix(c + CUTOFF)], lk[ix(c + BEFORE0)], lk[ix(c + BEFORE1)], h)
            gone = used
            if expiry != NEVER and expiry <= used:
                lk[ix(o + CUT)] += 1
                gone = expiry
                have = 0
            else:
                lk[ix(o + CONSUMED)] += 1
            for e in range(2):
                pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = link, e, gone
                npend += 1
            if have == 0:
                continue
            made = h
        else:
            start = request
            for x in range(n):
                start = max(start, heralds[ix(hr + x)])
            end = start + pbsm[ix(p)]
            lost = False
            for x in range(n):  # a pair that ages out while its partners come is replaced
                link = plinks[ix(pl + x)]
                o, c = link * LINK_ROW, link * LINK_ROW + LINK_FIELDS
                expiry = _expiry(lk[ix(c + CUTOFF)], lk[ix(c + BEFORE0)], lk[ix(c + BEFORE1)], heralds[ix(hr + x)])
                if expiry != NEVER and expiry <= start:
                    lk[ix(o + CUT)] += 1
                    for e in range(2):
                        pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = link, e, expiry
                        npend += 1
                    have &= ~(1 << x)
                    lost = True
            if lost:
                continue
            struck = False
            for x in range(n):
                link = plinks[ix(pl + x)]
                c = link * LINK_ROW + LINK_FIELDS
                expiry = _expiry(lk[ix(c + CUTOFF)], lk[ix(c + BEFORE0)], lk[ix(c + BEFORE1)], heralds[ix(hr + x)])
                if expiry != NEVER and expiry <= end:
                    struck = True
            if struck:  # a cutoff during the BSMs loses them all
                for x in range(n):
                    link = plinks[ix(pl + x)]
                    o, c = link * LINK_ROW, link * LINK_ROW + LINK_FIELDS
                    expiry = _expiry(lk[ix(c + CUTOFF)], lk[ix(c + BEFORE0)], lk[ix(c + BEFORE1)], heralds[ix(hr + x)])
                    gone = end
                    if expiry != NEVER and expiry <= end:
                        lk[ix(o + CUT)] += 1
                        gone = expiry
                    else:
                        lk[ix(o + PARTNER)] += 1
                    for e in range(2):
                        pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = link, e, gone
                        npend += 1
                    have &= ~(1 << x)
                continue
            ok = True
            for x in range(1, n):
                r = preps[ix(pl + x)]
                rr = r * R_FIELDS
                if r_success[ix(r)] >= 1.0:
                    rk[ix(rr + R_DRAWS)] += 1
                    rk[ix(rr + R_SWAPS)] += 1
                    continue
                u = float(draw_bits(r_keys[ix(r)], rk[ix(rr + R_DRAWS)]) >> _U11) * UNIT
                rk[ix(rr + R_DRAWS)] += 1
                if u < r_success[ix(r)]:
                    rk[ix(rr + R_SWAPS)] += 1
                else:
                    rk[ix(rr + R_FAILED)] += 1
                    ok = False
            if not ok:
                for x in range(n):
                    link = plinks[ix(pl + x)]
                    lk[ix(link * LINK_ROW + BSM_FAILED)] += 1
                    for e in range(2):
                        pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = link, e, end
                        npend += 1
                    have &= ~(1 << x)
                continue
            for x in range(n):  # repeater qubits are freed by the swap
                link = plinks[ix(pl + x)]
                lk[ix(link * LINK_ROW + CONSUMED)] += 1
                for e in range(2):
                    if not pstay[ix(2 * (pl + x) + e)]:
                        pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = link, e, end
                        npend += 1
            pq = p * PATH_FIELDS
            pc[ix(pq + P_NOTICES)] += 1
            first, last = plinks[ix(pl)], plinks[ix(pl + n - 1)]
            cf, cl = first * LINK_ROW + LINK_FIELDS, last * LINK_ROW + LINK_FIELDS
            born = min(
                heralds[ix(hr)] - lk[ix(cf + BEFORE0 + pside[ix(2 * p)])],
                heralds[ix(hr + n - 1)] - lk[ix(cl + BEFORE0 + pside[ix(2 * p + 1)])],
            )
            cut = NEVER
            if lk[ix(cf + CUTOFF)] >= 0:
                cut = lk[ix(cf + CUTOFF)]
            if lk[ix(cl + CUTOFF)] >= 0 and (cut == NEVER or lk[ix(cl + CUTOFF)] < cut):
                cut = lk[ix(cl + CUTOFF)]
            expiry = NEVER if cut == NEVER else born + cut
            delivered = end + pnotice[ix(p)]
            used = max(t_need, delivered)
            gone = used
            if expiry != NEVER and expiry <= used:
                if expiry > delivered:
                    pc[ix(pq + P_DELIVERED)] += 1
                pc[ix(pq + P_CUT)] += 1
                gone = expiry
            else:
                pc[ix(pq + P_DELIVERED)] += 1
                pc[ix(pq + P_CONSUMED)] += 1
            for x in range(n):  # the ends' qubits are freed by the use (or the cutoff)
                for e in range(2):
                    if pstay[ix(2 * (pl + x) + e)]:
                        pend[ix(3 * npend)], pend[ix(3 * npend + 1)], pend[ix(3 * npend + 2)] = (
                            plinks[ix(pl + x)],
                            e,
                            gone,
                        )
                        npend += 1
            if gone != used:
                have = 0
                continue
            made = end
        used_at[ix(row)] = used
        made_at[ix(row)] = made
        for x in range(n, hw):
            heralds[ix(hr + x)] = -1
        last, i = used, i + 1
        dlast[ix(j)], dptr[ix(j)] = last, i
        fresh = True
        if i == m or prio[ix(off + i)] > stop:
            j = -1
    for p in range(len(nlinks)):  # a simple path's uses: a swap at each repeater (draws unused: it cannot fail)
        c = simple_uses[ix(p)]
        if c:
            for x in range(nlinks[ix(p)]):
                lk[ix(plinks[ix(p * pw + x)] * LINK_ROW + CONSUMED)] += c
                if x > 0:
                    rr = preps[ix(p * pw + x)] * R_FIELDS
                    rk[ix(rr + R_DRAWS)] += c
                    rk[ix(rr + R_SWAPS)] += c
            if nlinks[ix(p)] > 1:  # an end-to-end pair (one link's pair is counted by its link)
                pc[ix(p * PATH_FIELDS + P_NOTICES)] += c
                pc[ix(p * PATH_FIELDS + P_DELIVERED)] += c
                pc[ix(p * PATH_FIELDS + P_CONSUMED)] += c
    lk2[:] = rows[:, :LINK_FIELDS]


@_KERNELS.loop()
def _run_simple(  # noqa: PLR0913
    lk: np.ndarray,
    ring: np.ndarray,
    keys: np.ndarray,
    table: np.ndarray,
    inverse_log_failure: np.ndarray,
    plinks: np.ndarray,
    nlinks: np.ndarray,
    pbsm: np.ndarray,
    pnotice: np.ndarray,
    pstay: np.ndarray,
    j: int,
    doff: np.ndarray,
    dn: np.ndarray,
    dptr: np.ndarray,
    dlast: np.ndarray,
    dlook: np.ndarray,
    dstart: np.ndarray,
    use_keys: np.ndarray,
    dpaths: np.ndarray,
    dw: int,
    gaps: np.ndarray,
    prio: np.ndarray,
    need: np.ndarray,
    used_at: np.ndarray,
    made_at: np.ndarray,
    heralds: np.ndarray,
    simple_uses: np.ndarray,
    width: int,
    cells: int,
    pw: int,
    hw: int,
    stop: int,
) -> None:  # pragma: no cover - compiled
    """The uses of demand ``j`` whose keys are at most ``stop``, when all its paths are simple (no cutoff, no
    BSM that can fail: each use takes each link's next pair, the swaps succeed, the pair is used). The same
    schedule as :func:`_run_uses`' general loop, in a loop of its own: the common case (a split's step alone on
    its links) then runs without the general loop's retries and queue, about a fifth faster. Arrays flat, as
    there (``lk``: the links' rows). Its pair making and leaves are the general loop's, written out again: numba
    may keep reference counts in the loop for a helper that takes the arrays."""
    i, last, off, m = dptr[ix(j)], dlast[ix(j)], doff[ix(j)], dn[ix(j)]
    look, begin, paths = dlook[ix(j)], dstart[ix(j)], j * dw
    while i < m and prio[ix(off + i)] <= stop:
        row = off + i
        t_need = last + gaps[ix(row)]
        need[ix(row)] = t_need
        # on_demand: the swap waits for the need of the use ``look`` uses before (asap: the start)
        request = need[ix(row - look)] if look >= 0 and i >= look else begin
        p = dpaths[ix(paths + use_keys[ix(row)])]
        n = nlinks[ix(p)]
        pl, hr = p * pw, row * hw
        top = NEVER
        for x in range(n):  # each link's next pair
            link = plinks[ix(pl + x)]
            o, c = link * LINK_ROW, link * LINK_ROW + LINK_FIELDS
            k = lk[ix(o + NEXT)]
            ready = lk[ix(o + READY)]
            g0 = ring[ix(2 * link * width + lk[ix(o + HEAD0)])]  # a run of attempts starts when a qubit is free
            g1 = ring[ix((2 * link + 1) * width + lk[ix(o + HEAD1)])]  # at both ends
            start = max(ready, max(g0, g1))
            lk[ix(o + MEM_WAIT)] += start - ready
            z = draw_bits(keys[ix(link)], k)  # ⌊ln(1 − u_k)/ln(1 − p)⌋ + 1 attempts, from the table if it has it
            a = np.int64(table[ix(link * cells) + (z >> _GUIDE_SHIFT)])
            if a == 0:
                a = _geometric(float(z >> _U11) * UNIT, inverse_log_failure[ix(link)])
            h = start + (a - 1) * lk[ix(c + PERIOD)] + lk[ix(c + HERALD)]
            lk[ix(o + ATTEMPTS)] += a
            lk[ix(o + NEXT)] = k + 1
            lk[ix(o + READY)] = h + lk[ix(c + DEAD)]
            heralds[ix(hr + x)] = h
            top = max(top, h)
        if n == 1:
            made = top
            used = max(t_need, top)
        else:
            made = max(top, request) + pbsm[ix(p)]
            used = max(t_need, made + pnotice[ix(p)])
        simple_uses[ix(p)] += 1  # its counts are added at the end
        for q in range(2 * n):
            # A qubit of ``link`` leaves end ``e`` at ``tick``: an end of the path at the use, a repeater's qubit
            # at the swap. The end's memory gate is the ``capacity``-th latest leave so far: the end's row of
            # ``ring`` (``width`` slots from ``(2·link + e)·width``) holds the ``capacity`` latest leaves in
            # ascending order cyclically from ``lk[HEAD0 + e]``, NEVER before there were as many
            # (:class:`~.schedule.Schedule` fills it so), so the gate is at the head. Leaves mostly come in order
            # (an end's qubits leave at its uses): the new one then takes the head's slot.
            x, e = q >> 1, q & 1
            link = plinks[ix(pl + x)]
            tick = used if pstay[ix(2 * (pl + x) + e)] else made
            o, base = link * LINK_ROW, (2 * link + e) * width
            cap = lk[ix(o + LINK_FIELDS + CAP0 + e)]
            head = lk[ix(o + HEAD0 + e)]
            if tick <= ring[ix(base + head)]:
                continue
            c = head
            while True:
                prev = c - 1 if c > 0 else cap - 1
                if prev == head or ring[ix(base + prev)] <= tick:
                    break
                ring[ix(base + c)] = ring[ix(base + prev)]
                c = prev
            ring[ix(base + c)] = tick
            lk[ix(o + HEAD0 + e)] = head + 1 if head + 1 < cap else 0
        used_at[ix(row)] = used
        made_at[ix(row)] = made
        for x in range(n, hw):
            heralds[ix(hr + x)] = -1
        last, i = used, i + 1
    dptr[ix(j)], dlast[ix(j)] = i, last


@_KERNELS.loop(inline="always")
def _expiry(cutoff: int, before0: int, before1: int, herald: int) -> int:  # pragma: no cover - compiled
    """When a pair heralded at ``herald`` reaches the cutoff (its oldest qubit's age); NEVER if no cutoff (< 0)."""
    if cutoff < 0:
        return NEVER
    return herald - max(before0, before1) + cutoff
