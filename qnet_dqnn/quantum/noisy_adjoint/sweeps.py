"""The noisy adjoint's sweeps: Pauli-transfer vectors ``(4^c, W)`` carried through the plan's steps, forwards
(states) and backwards (observables, transposed transfer matrices), and the pairings that give the gradient
(see :mod:`qnet_dqnn.quantum.noisy_adjoint`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from qnet_dqnn.quantum.circuit import Trainable
from qnet_dqnn.quantum.noisy_adjoint.plan import Plan, Step, _Angles, _full_permutation
from qnet_dqnn.quantum.pauli_transfer import product_state_vector, pure_to_vector


def _view(v: np.ndarray, c: int, axis: int) -> np.ndarray:
    """``v`` (``4^c × W``) as ``(4^axis, 4, rest, W)``."""
    return v.reshape(4**axis, 4, 4 ** (c - 1 - axis), v.shape[-1])


def _apply(v: np.ndarray, step: Step, c: int, angle, adjoint: bool) -> np.ndarray:
    """Apply one step to ``v`` (``4^c × W``): its transfer matrix, or its transpose with ``adjoint``."""
    if step.kind == "rot":
        t = angle if not adjoint else -angle
        cos, sin = np.cos(t), np.sin(t)
        if len(step.axes) == 1:
            v4 = _view(v, c, step.axes[0])
            (a, b), (sa, sb) = step.anti, step.sign  # J: (Jv)_a = sa v_b, (Jv)_b = sb v_a
            va, vb = v4[:, a].copy(), v4[:, b]
            v4[:, a] *= cos
            v4[:, a] += (sa * sin) * vb
            vb *= cos
            vb += (sb * sin) * va
            return v
        mat = _rotation_matrix(step, cos, sin)
        return _dense(v, mat, step.axes, c)
    if step.kind == "diag":
        if len(step.axes) == 1:
            _view(v, c, step.axes[0])[...] *= step.mat[None, :, None, None]
            return v
        a0, a1 = step.axes
        f = step.mat.reshape(4, 4) if a0 < a1 else step.mat.reshape(4, 4).T
        lo, hi = min(a0, a1), max(a0, a1)
        v6 = v.reshape(4**lo, 4, 4 ** (hi - lo - 1), 4, 4 ** (c - 1 - hi), v.shape[-1])
        v6 *= f[None, :, None, :, None, None]
        return v
    if step.kind == "mono":
        idx, scale = step.perm, step.mat
        if adjoint:
            idx, scale = _inverse_mono(idx.tobytes(), scale.tobytes())
        return np.take(v, idx, axis=0) * scale[:, None]
    if step.kind == "perm":
        perm, sign = step.perm, step.sign
        if adjoint:
            inv = np.empty_like(perm)
            inv[perm] = np.arange(perm.size)
            perm, sign = inv, sign[inv]
        if len(step.axes) == 1:
            v4 = _view(v, c, step.axes[0])
            return (v4[:, perm] * sign[None, :, None, None]).reshape(v.shape)
        idx, sgn = _full_permutation(c, step.axes, perm.tobytes(), sign.tobytes())
        return np.take(v, idx, axis=0) * sgn[:, None]
    mat = step.mat.T if adjoint else step.mat
    return _dense(v, mat, step.axes, c)


@lru_cache(maxsize=64)
def _inverse_mono(idx_b: bytes, scale_b: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The transpose of ``v → scale ⊙ v[idx]``: ``w → scale[inv] ⊙ w[inv]`` with ``inv = idx⁻¹``."""
    idx, scale = np.frombuffer(idx_b, dtype=np.int64), np.frombuffer(scale_b, dtype=float)
    inv = np.empty_like(idx)
    inv[idx] = np.arange(idx.size)
    return inv, scale[inv]


def _rotation_matrix(step: Step, cos, sin) -> np.ndarray:
    """``Π_comm + cos Π_anti + sin J`` as a matrix, ``(d², d²)`` or ``(W, d², d²)`` for per-column angles."""
    j = step.mat
    anti = np.zeros(j.shape[0])
    anti[step.anti] = 1.0
    comm = np.diag(1.0 - anti)
    cos, sin = np.asarray(cos, dtype=float), np.asarray(sin, dtype=float)
    return comm + cos[..., None, None] * np.diag(anti) + sin[..., None, None] * j


def _dense(v: np.ndarray, mat: np.ndarray, axes: tuple[int, ...], c: int) -> np.ndarray:
    """A ``(4^k × 4^k)`` matrix (or one per column, ``(W, 4^k, 4^k)``) on local axes ``axes``."""
    w = v.shape[-1]
    k = len(axes)
    t = np.moveaxis(v.reshape((4,) * c + (w,)), axes, range(k)).reshape(4**k, -1, w)
    out = np.einsum("ab,brw->arw", mat, t) if mat.ndim == 2 else np.einsum("wab,brw->arw", mat, t)
    out = np.moveaxis(out.reshape((4,) * c + (w,)), range(k), axes)
    return np.ascontiguousarray(out).reshape(4**c, w)


def _matrix(step: Step, angle) -> np.ndarray:
    """The transfer matrix of a one-qubit step (``(4, 4)`` or ``(W, 4, 4)``), for product-state preparation."""
    if step.kind == "rot":
        return _rotation_matrix(step, np.cos(angle), np.sin(angle))
    if step.kind == "diag":
        return np.diag(step.mat)
    if step.kind == "perm":
        m = np.zeros((4, 4))
        m[np.arange(4), step.perm] = step.sign
        return m
    return step.mat


# ---------------------------------------------------------------------------------------------- sweeps
def _initial(plan: Plan, angles: _Angles, init: np.ndarray | None, nb: int) -> tuple[np.ndarray, int]:
    """Pauli vectors of the inputs on the cone (``4^c × B``), and the first step not yet applied.

    From ``|0…0⟩`` the leading one-qubit steps of the data-dependent prefix are applied qubit by qubit to
    ``(1, 0, 0, 1)`` and the product taken once (the encoding layer of angle and basis encodings).
    """
    c = plan.c
    if init is not None:
        return pure_to_vector(init, plan.cone), 0
    blochs = [np.tile([1.0, 0.0, 0.0, 1.0], (nb, 1)) for _ in range(c)]
    k = 0
    while k < plan.boundary and len(plan.steps[k].axes) == 1:
        step = plan.steps[k]
        m = _matrix(step, angles(step) if step.kind == "rot" else None)
        q = step.axes[0]
        blochs[q] = np.einsum("ab,wb->wa", m, blochs[q]) if m.ndim == 2 else np.einsum("wab,wb->wa", m, blochs[q])
        k += 1
    return product_state_vector(blochs), k


def _observable_vectors(plan: Plan, readout: float) -> np.ndarray:
    o = np.zeros((4**plan.c, len(plan.observables)))
    for k, (idx, coeff, weight) in enumerate(plan.observables):
        o[idx, k] = coeff * (1.0 - 2.0 * readout) ** weight
    return o


def _backward(plan: Plan, angles: _Angles, readout: float) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The observables carried back to the boundary, and a copy of them just after every trainable step."""
    o = _observable_vectors(plan, readout)
    saved: dict[int, np.ndarray] = {}
    ops = angles.ops
    for k in range(len(plan.steps) - 1, plan.boundary - 1, -1):
        step = plan.steps[k]
        if step.kind == "rot" and isinstance(ops[step.op_index].params[0], Trainable):
            saved[k] = o.copy()
        o = _apply(o, step, plan.c, angles(step) if step.kind == "rot" else None, adjoint=True)
    return o, saved


def _pair(o: np.ndarray, v: np.ndarray, c: int, step: Step, diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(Tr(O · J v), Tr(O · Π_anti v))`` for every (observable, column) pair — or per column with ``diagonal``.

    Shapes: ``(K, W)``, or ``(W,)`` with ``diagonal`` (``K = W``, column ``w`` paired with observable ``w``).
    """
    if len(step.axes) == 1:
        o4, v4 = _view(o, c, step.axes[0]), _view(v, c, step.axes[0])
        prods = {}
        for a in step.anti:
            for b in step.anti:
                oa, vb = o4[:, a], v4[:, b]
                prods[a, b] = (
                    np.einsum("xrk,xrk->k", oa, vb) if diagonal else np.tensordot(oa, vb, axes=([0, 1], [0, 1]))
                )
        (a, b), (sa, sb) = step.anti, step.sign
        return sa * prods[a, b] + sb * prods[b, a], prods[a, a] + prods[b, b]
    k = len(step.axes)
    om = np.moveaxis(o.reshape((4,) * c + (o.shape[1],)), step.axes, range(k)).reshape(4**k, -1, o.shape[1])
    vm = np.moveaxis(v.reshape((4,) * c + (v.shape[1],)), step.axes, range(k)).reshape(4**k, -1, v.shape[1])
    om, vm = om[step.anti], vm[step.anti]
    jv = step.sign[:, None, None] * vm[np.searchsorted(step.anti, step.partner)]
    if diagonal:
        return np.einsum("arw,arw->w", om, jv), np.einsum("arw,arw->w", om, vm)
    return np.einsum("ark,arw->kw", om, jv), np.einsum("ark,arw->kw", om, vm)


def _forward(
    plan: Plan,
    angles: _Angles,
    v: np.ndarray,
    start: int,
    end: int,
    saved: dict[int, np.ndarray] | None = None,
    diagonal: bool = False,
    visit: Callable[[Step, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Carry ``v`` forward through steps ``[start, end)``; after each step in ``saved`` (trainable, with the
    observables just after it) call ``visit(step, grad, anti)`` with the pairings of :func:`_pair`."""
    for k in range(start, end):
        step = plan.steps[k]
        v = _apply(v, step, plan.c, angles(step) if step.kind == "rot" else None, adjoint=False)
        if saved and k in saved and visit is not None:
            g, anti = _pair(saved[k], v, plan.c, step, diagonal)
            visit(step, g, anti)
    return v
