"""The noisy adjoint's sweeps: Pauli-transfer vectors ``(4^c, W)`` carried through the plan's steps, forwards
(states) and backwards (observables, transposed transfer matrices), and the pairings that give the gradient
(see :mod:`qnet_dqnn.quantum.noisy_adjoint`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from qnet_dqnn.quantum.circuit import Trainable
from qnet_dqnn.quantum.noisy_adjoint.kernels import NO_PAIRING, gather_scale, rotate
from qnet_dqnn.quantum.noisy_adjoint.plan import Plan, Step, _Angles, _full_permutation
from qnet_dqnn.quantum.pauli_transfer import product_state_vector, pure_to_vector


def _apply(
    v: np.ndarray, step: Step, c: int, angle, adjoint: bool, pairing: tuple | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Apply one step to ``v`` (``4^c × W``): its transfer matrix, or its transpose with ``adjoint``; returns the
    array that holds the result: ``v`` (in place), ``out`` (one-qubit rotations and gathers, when given) or new.

    ``pairing = (o, grad, anti, diagonal)`` (one-qubit rotations only) adds the step's adjoint pairings after
    it, in the same pass (:func:`~qnet_dqnn.quantum.noisy_adjoint.kernels.rotate`).
    """
    if step.kind == "rot" and len(step.axes) == 1:
        # transpose of diag(f)·R(θ) is R(−θ)·diag(f) = diag(f)·R(−θ): the folded channel commutes with R
        t = np.atleast_1d(np.asarray(-angle if adjoint else angle, dtype=float))
        scale = _ONES if step.scale is None else step.scale
        o, grad, anti, diagonal = (NO_PAIRING, NO_PAIRING, NO_PAIRING, False) if pairing is None else pairing
        stride = 4 ** (c - 1 - step.axes[0])
        rotate(v, stride, step.anti, step.sign, np.cos(t), np.sin(t), scale, o, grad, anti, diagonal, out)
        return v if out is None else out
    if step.kind == "rot":
        t = angle if not adjoint else -angle
        return _dense(v, _rotation_matrix(step, np.cos(t), np.sin(t)), step.axes, c)
    if step.kind == "diag":
        if len(step.axes) == 1:
            rotate(v, 4 ** (c - 1 - step.axes[0]), (0, 1), (0.0, 0.0), _ONES[:1], _ONES[:1] * 0.0, step.mat)
            return v
        a0, a1 = step.axes
        f = step.mat.reshape(4, 4) if a0 < a1 else step.mat.reshape(4, 4).T
        lo, hi = min(a0, a1), max(a0, a1)
        v6 = v.reshape(4**lo, 4, 4 ** (hi - lo - 1), 4, 4 ** (c - 1 - hi), v.shape[-1])
        v6 *= f[None, :, None, :, None, None]
        return v
    if step.kind in ("mono", "perm"):
        if step.kind == "mono":
            idx, scale = step.back if adjoint else (step.perm, step.mat)
        else:
            idx, scale = _full_permutation(c, step.axes, step.perm.tobytes(), step.sign.tobytes())
            if adjoint:
                idx, scale = _inverse_mono(idx.tobytes(), scale.tobytes())
        out = np.empty_like(v) if out is None else out
        gather_scale(v, idx, scale, out)
        return out
    mat = step.mat.T if adjoint else step.mat
    return _dense(v, mat, step.axes, c)


_ONES = np.ones(4)


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
        m = _rotation_matrix(step, np.cos(angle), np.sin(angle))
        return m if step.scale is None else step.scale[:, None] * m
    if step.kind == "diag":
        return np.diag(step.mat)
    if step.kind == "perm":
        m = np.zeros((4, 4))
        m[np.arange(4), step.perm] = step.sign
        return m
    return step.mat


# ---------------------------------------------------------------------------------------------- sweeps
class Inputs:
    """The inputs' Pauli vectors on the cone, ``(4^c, B)``: given whole, or as a product state per input.

    A product ``ρ_b = ⊗_q r_{q,b}`` is kept as its two halves ``A_b = ⊗_{q<h} r_{q,b}``, ``B_b = ⊗_{q≥h} r_{q,b}``
    (``4^h`` and ``4^{c-h}`` numbers): ``Tr(O ρ_b) = A_bᵀ O B_b`` with ``O`` as a ``4^h × 4^{c-h}`` matrix, and
    ``Σ_b C_b ρ_b = Σ_b C_b A_b B_bᵀ`` is one matrix product — no ``4^c × B`` array is built.
    """

    def __init__(self, vec: np.ndarray | None = None, blochs: list[np.ndarray] | None = None) -> None:
        self.vec, self.blochs = vec, blochs
        if blochs is not None:
            h = len(blochs) // 2
            high = product_state_vector(blochs[:h]) if h else np.ones((1, len(blochs[0])))
            self.halves = (high, product_state_vector(blochs[h:]))

    def vector(self) -> np.ndarray:
        """All inputs' vectors, ``(4^c, B)`` (C-contiguous, a new array)."""
        if self.vec is not None:
            return np.array(self.vec, order="C")
        a, b = self.halves
        return np.ascontiguousarray((a[:, None, :] * b[None, :, :]).reshape(-1, a.shape[1]))

    def values(self, o: np.ndarray) -> np.ndarray:
        """``Tr(O_k ρ_b)``, ``(B, K)``, for observables ``o`` ``(4^c, K)``."""
        if self.vec is not None:
            return contract(o, self.vec)
        a, b = self.halves
        o3 = o.reshape(a.shape[0], b.shape[0], -1)
        return np.stack(
            [np.einsum("hb,hb->b", a, np.einsum("hl,lb->hb", o3[:, :, k], b)) for k in range(o.shape[1])], 1
        )

    def weighted(self, cot: np.ndarray) -> np.ndarray:
        """``R_k = Σ_b cot[b, k] ρ_b``, ``(4^c, K)``."""
        if self.vec is not None:
            return np.ascontiguousarray(np.einsum("xb,bk->xk", self.vec, cot))
        a, b = self.halves
        return np.stack([np.einsum("hb,lb->hl", a * cot[:, k], b).ravel() for k in range(cot.shape[1])], axis=1)


def contract(o: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Σ_x o[x, k] v[x, b]`` as ``(B, K)``. NumPy's own loops, not BLAS: these products are small, and a
    multi-threaded BLAS on a loaded machine spends far longer waking its threads than computing them."""
    return np.einsum("xk,xb->bk", o, v)


def _initial(plan: Plan, angles: _Angles, init: np.ndarray | None, nb: int) -> tuple[Inputs, int]:
    """The inputs' Pauli vectors on the cone (``4^c × B``), and the first step not yet applied.

    From ``|0…0⟩`` the leading one-qubit steps of the data-dependent prefix are applied qubit by qubit to
    ``(1, 0, 0, 1)`` and the product kept (the encoding layer of angle and basis encodings).
    """
    c = plan.c
    if init is not None:
        return Inputs(vec=pure_to_vector(init, plan.cone)), 0
    blochs = [np.tile([1.0, 0.0, 0.0, 1.0], (nb, 1)) for _ in range(c)]
    k = 0
    while k < plan.boundary and len(plan.steps[k].axes) == 1:
        step = plan.steps[k]
        m = _matrix(step, angles(step) if step.kind == "rot" else None)
        q = step.axes[0]
        blochs[q] = np.einsum("ab,wb->wa", m, blochs[q]) if m.ndim == 2 else np.einsum("wab,wb->wa", m, blochs[q])
        k += 1
    return Inputs(blochs=blochs), k


def _observable_vectors(plan: Plan, readout: float) -> np.ndarray:
    o = np.zeros((4**plan.c, len(plan.observables)))
    for k, (idx, coeff, weight) in enumerate(plan.observables):
        o[idx, k] = coeff * (1.0 - 2.0 * readout) ** weight
    return o


def _backward(
    plan: Plan, angles: _Angles, readout: float, keep: bool = True
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """The observables carried back to the boundary, a copy of them just after every trainable step (with
    ``keep``), and the array holding the copies (:func:`scratch`: the caller releases it)."""
    o = _observable_vectors(plan, readout)
    saved: dict[int, np.ndarray] = {}
    ops = angles.ops
    trained = [
        k
        for k in range(plan.boundary, len(plan.steps))
        if keep and plan.steps[k].kind == "rot" and isinstance(ops[plan.steps[k].op_index].params[0], Trainable)
    ]
    # slot j holds the observables after the j-th trainable step from the end (the saved copy: a trainable
    # step is applied out of place into the next slot, the others in place); the last slot is a spare
    store = scratch((len(trained) + 2,) + o.shape)
    cur, spare = store[0], store[-1]
    trained = set(trained)
    cur[...] = o
    for k in range(len(plan.steps) - 1, plan.boundary - 1, -1):
        step = plan.steps[k]
        angle = angles(step) if step.kind == "rot" else None
        if k in trained:
            saved[k] = cur
            cur = _apply(cur, step, plan.c, angle, adjoint=True, out=store[len(saved)])
        else:
            res = _apply(cur, step, plan.c, angle, adjoint=True, out=spare)
            if res is not cur:
                cur[...] = res
    return np.array(cur), saved, store


_SCRATCH = threading.local()


def scratch(shape: tuple[int, ...]) -> np.ndarray:
    """An array of ``shape`` from this thread's pool (or new): the saved observables of one sweep (tens of MB at
    8 cone qubits) and the spare of a gather would otherwise be fresh memory, page-faulted in, on every call.
    Give it back with :func:`release` when done; a nested call meanwhile gets its own."""
    pool = _SCRATCH.__dict__.setdefault("pool", {})
    return pool.pop(shape) if shape in pool else np.empty(shape)


def release(buf: np.ndarray) -> None:
    """Return an array from :func:`scratch` to this thread's pool (the latest few shapes are kept)."""
    pool = _SCRATCH.__dict__.setdefault("pool", {})
    if len(pool) >= _POOL_SHAPES:
        pool.pop(next(iter(pool)))
    pool[buf.shape] = buf


#: Array shapes a thread's scratch pool keeps (a sweep uses two: the saved observables and a gather's spare).
_POOL_SHAPES = 4


def _pair(o: np.ndarray, v: np.ndarray, c: int, step: Step, diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(Tr(O · J v), Tr(O · Π_anti v))`` for every (observable, column) pair — or per column with ``diagonal`` —
    of a rotation on two or more qubits (one-qubit rotations pair inside their kernel).

    Shapes: ``(K, W)``, or ``(W,)`` with ``diagonal`` (``K = W``, column ``w`` paired with observable ``w``).
    """
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
    spare = scratch(v.shape)
    own = spare
    for k in range(start, end):
        step = plan.steps[k]
        angle = angles(step) if step.kind == "rot" else None
        if saved and k in saved and visit is not None and len(step.axes) == 1:
            o = saved[k]
            shape = (1, v.shape[1]) if diagonal else (o.shape[1], v.shape[1])
            g, anti = np.zeros(shape), np.zeros(shape)
            v = _apply(v, step, plan.c, angle, adjoint=False, pairing=(o, g, anti, diagonal))
            visit(step, g[0] if diagonal else g, anti[0] if diagonal else anti)
            continue
        res = _apply(v, step, plan.c, angle, adjoint=False, out=None if step.kind == "rot" else spare)
        if res is spare:
            v, spare = spare, v
        else:
            v = res
        if saved and k in saved and visit is not None:
            g, anti = _pair(saved[k], v, plan.c, step, diagonal)
            visit(step, g, anti)
    if v is not own:
        release(own)
    return v
