"""Compiled in-place loops on Pauli-transfer vectors ``v`` of shape ``(4^c, W)`` (numba).

A string's digit on local axis ``a`` has stride ``4^(c-1-a)`` rows, so the four strings that differ only in that
digit (``I, X, Y, Z`` on the qubit) sit ``stride`` rows apart:

- :func:`rotate` — a one-qubit rotation ``R(θ) = Π_comm + cos θ Π_anti + sin θ J`` (:mod:`~qnet_dqnn.quantum.
  pauli_transfer`) with the diagonal of a following Pauli channel folded in, on the pair ``(a, b)`` that ``J``
  mixes, ``(J v)_a = s_a v_b``, ``(J v)_b = s_b v_a``; optionally, in the same pass, the adjoint pairings
  ``Tr(O · J v)`` and ``Tr(O · Π_anti v)`` with saved observables ``O`` (Jones & Gacon, arXiv:2009.02823,
  Algorithm 1, on transfer vectors).
- :func:`gather_scale` — a signed permutation times a diagonal, ``out[x] = scale[x] · v[idx[x]]`` (fused
  Clifford gates and Pauli channels).
"""

from __future__ import annotations

import numpy as np

from qnet_dqnn.jit import Kernels

#: The loops of this module, compiled with numba on first use (:class:`~qnet_dqnn.jit.Kernels`), ``nogil``.
_KERNELS = Kernels(globals())
_entry = _KERNELS.entry

#: An empty observable array: no pairing.
NO_PAIRING = np.zeros((0, 0))


def rotate(
    v: np.ndarray,
    stride: int,
    pair: tuple[int, int],
    signs: tuple[float, float],
    cos: np.ndarray,
    sin: np.ndarray,
    scale: np.ndarray,
    o: np.ndarray = NO_PAIRING,
    grad: np.ndarray = NO_PAIRING,
    anti: np.ndarray = NO_PAIRING,
    diagonal: bool = False,
    out: np.ndarray | None = None,
) -> None:
    """``v ← diag(scale) · R(θ) v`` on the digit of stride ``stride``, in place (or into ``out``, ``v`` left
    as it was); ``cos``/``sin`` are ``(1,)`` (shared) or ``(W,)``; ``scale`` is ``(4,)`` over ``I, X, Y, Z``.

    With observables ``o`` (``(4^c, K)``): ``grad[k, w] += Tr(o_k · J v_w)`` and ``anti[k, w] += Tr(o_k · Π_anti
    v_w)`` after the step, or with ``diagonal`` (``K = W``) ``grad[0, w]``, ``anti[0, w]`` for ``o_w`` and
    ``v_w`` only.
    """
    a, b = pair
    src = v.reshape(-1)
    dst = src if out is None else out.reshape(-1)
    sa, sb = float(signs[0]), float(signs[1])
    _entry("_rotate")(
        src, dst, out is not None, v.shape[1], stride, a, b, sa, sb, cos, sin, scale, o, grad, anti, diagonal
    )


def gather_scale(v: np.ndarray, idx: np.ndarray, scale: np.ndarray, out: np.ndarray) -> None:
    """``out[x, w] = scale[x] · v[idx[x], w]``."""
    _entry("_gather_scale")(v, idx, scale, out)


@_KERNELS.loop(nogil=True)
def _rotate(f, g, apart, width, stride, a, b, sa, sb, cos, sin, scale, o, grad, anti, diagonal):  # pragma: no cover
    # ``f`` (source) and ``g`` (destination, ``f`` itself unless ``apart``) are flat views: the rows of one digit
    # of one block form a contiguous run of ``stride·width`` floats; long runs are taken as views (the compiler
    # vectorizes a loop over two views, not over two offsets into one array), short ones (the last axis) by
    # offsets (a view per block would cost more than its loop).
    size = f.shape[0]
    run = stride * width
    shared = cos.shape[0] == 1
    pairing = o.shape[0] > 0
    fo = o.reshape(-1)
    fa, fb = scale[a], scale[b]
    ratio = sb / sa if sa != 0.0 else 0.0  # s_b = ±s_a for a rotation; 0 for a bare channel (sin = 0)
    d0 = 0 if a != 0 and b != 0 else (1 if a != 1 and b != 1 else 2)  # the two digits J leaves alone
    d1 = 6 - a - b - d0
    f0, f1 = scale[d0], scale[d1]
    rest = apart or f0 != 1.0 or f1 != 1.0
    c0 = cos[0]
    s0 = sa * sin[0]
    nk = o.shape[1]
    gacc = np.zeros((nk, width))
    aacc = np.zeros((nk, width))
    if run == 1 and not pairing:  # the last axis of one column (so shared angles): four adjacent floats
        sr = ratio * s0
        for base in range(0, size, 4):
            x = f[base + a]
            y = f[base + b]
            g[base + a] = fa * (c0 * x + s0 * y)
            g[base + b] = fb * (c0 * y + sr * x)
            g[base + d0] = f[base + d0] * f0
            g[base + d1] = f[base + d1] * f1
        return
    for base in range(0, size, 4 * run):
        if rest:
            i0 = base + d0 * run
            i1 = base + d1 * run
            for j in range(run):
                g[i0 + j] = f[i0 + j] * f0
                g[i1 + j] = f[i1 + j] * f1
        ia = base + a * run
        ib = base + b * run
        if shared and run >= 16:
            xa = f[ia : ia + run]
            xb = f[ib : ib + run]
            ya = g[ia : ia + run]
            yb = g[ib : ib + run]
            for j in range(run):
                x = xa[j]
                y = xb[j]
                ya[j] = fa * (c0 * x + s0 * y)
                yb[j] = fb * (c0 * y + ratio * s0 * x)
        else:
            for j in range(run):
                w = j % width
                cj = c0 if shared else cos[w]
                sj = s0 if shared else sa * sin[w]
                x = f[ia + j]
                y = f[ib + j]
                g[ia + j] = fa * (cj * x + sj * y)
                g[ib + j] = fb * (cj * y + ratio * sj * x)
        if not pairing:
            continue
        if diagonal or (width == 1 and nk == 1):  # o has the columns of v, in the same flat places
            if width == 1:
                gs = 0.0
                t = 0.0
                for j in range(run):
                    gs += sa * fo[ia + j] * g[ib + j] + sb * fo[ib + j] * g[ia + j]
                    t += fo[ia + j] * g[ia + j] + fo[ib + j] * g[ib + j]
                grad[0, 0] += gs
                anti[0, 0] += t
            else:
                for j in range(run):
                    w = j % width
                    grad[0, w] += sa * fo[ia + j] * g[ib + j] + sb * fo[ib + j] * g[ia + j]
                    anti[0, w] += fo[ia + j] * g[ia + j] + fo[ib + j] * g[ib + j]
        else:
            ra = ia // width
            rb = ib // width
            for k in range(nk):
                gk = gacc[k]  # accumulate in fresh arrays: the loop over w then vectorizes
                ak = aacc[k]
                for r in range(stride):
                    oa = o[ra + r, k]
                    ob = o[rb + r, k]
                    xa = g[ia + r * width : ia + (r + 1) * width]
                    xb = g[ib + r * width : ib + (r + 1) * width]
                    for w in range(width):
                        gk[w] += sa * oa * xb[w] + sb * ob * xa[w]
                        ak[w] += oa * xa[w] + ob * xb[w]
    if pairing and not (diagonal or (width == 1 and nk == 1)):
        grad += gacc
        anti += aacc


@_KERNELS.loop(nogil=True)
def _gather_scale(v, idx, scale, out):  # pragma: no cover - compiled
    rows, width = out.shape
    for x in range(rows):
        f = scale[x]
        src = idx[x]
        for w in range(width):
            out[x, w] = f * v[src, w]
