"""Compiled in-place loops of the batched statevector engine (numba).

The state is a C-contiguous ``(2**n, C)`` complex array (:mod:`qnet_dqnn.quantum.state`); seen flat, the two
amplitudes a one-qubit gate on the qubit at physical position ``p`` mixes are ``2**(n-1-p) · C`` apart. A
one-qubit unitary is applied as ``diag(l)·R(c, s)·diag(r)`` (Z-Y-Z Euler split, Nielsen & Chuang Theorem 4.1;
:func:`~qnet_dqnn.quantum.gates.zyz_factors`): the diagonals of all qubits of a layer make one phase vector,
and the real rotation acts alike on real and imaginary parts, so its loop runs over the float view in
contiguous runs that the compiler vectorizes. Per-column parameters (one unitary per input) have ``M = C``
columns of angles and phases, shared ones ``M = 1``.

- :func:`rotations`, :func:`scale_rows` — a layer of one-qubit unitaries, one pass per rotated qubit and one
  per phase vector.
- :func:`fill_product_state` — ``⊗_q v_q`` (a product state, or a layer's phase vector).
- :func:`gather_phase` — a monomial stage, ``out[x] = phase[x] · in[idx[x]]`` (permutation and phase in one pass).
- :func:`diagonal_expectations` — ``⟨ψ|P|ψ⟩`` of Z strings.
- :func:`transition_rotations` — the adjoint sweep through a layer (Jones & Gacon, arXiv:2009.02823,
  Algorithm 1): per qubit, the transition matrices ``C_q[j, i] = Σ_rest λ*_{j,rest} ψ_{i,rest}`` of every
  (observable, input) pair read and the inverse rotation applied to ψ and the λ's, in one pass. The partial
  trace over qubit ``q`` of ``|ψ⟩⟨λ|`` is unchanged when the same unitary acts on another qubit of both, so
  un-applying the qubits one at a time while reading the next qubit's ``C`` gives the ``C`` of the layer.

Compiled with ``cache=True`` (once per machine, beside this file) and ``nogil=True`` (column chunks of a large
batch run in parallel threads, :func:`qnet_dqnn.quantum.program.run_program`); numba is imported on first use.
"""

from __future__ import annotations

import numpy as np

from qnet_dqnn.jit import Kernels

#: The loops of this module, compiled with numba on first use (:class:`~qnet_dqnn.jit.Kernels`), ``nogil``.
KERNELS = Kernels(globals())
_entry = KERNELS.entry
#: Options of a loop whose sums may be reordered (``fastmath``): the compiler then vectorizes the reduction;
#: the sum differs from the sequential one by rounding (~1e-16 relative), the same on every run.
REORDERED = {"nogil": True, "fastmath": True}


def rotations(arr: np.ndarray, strides: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> None:
    """Apply ``[[cos[k, m], -sin[k, m]], [sin[k, m], cos[k, m]]]`` (``(K, M)``, ``m`` the column or 0) on the bit
    of stride ``strides[k]`` (in rows) of ``arr`` (``(2**n, C)`` complex, C-contiguous), in place, for
    ``k = 0, 1, …``."""
    _entry("_rotations")(arr.view(np.float64).reshape(-1), 2 * arr.shape[1], strides, cos, sin)


def scale_rows(arr: np.ndarray, phase: np.ndarray, conjugate: bool = False) -> None:
    """``arr[x, c] *= phase[x, c or 0]`` (or its complex conjugate) in place (``phase`` is ``(2**n, M)``)."""
    _entry("_scale_rows")(arr, phase, conjugate)


def fill_product_state(first: np.ndarray, out: np.ndarray) -> None:
    """``out[:, m] = ⊗_q first[q, :, m]``, ``q = 0`` most significant; ``first`` is ``(n, 2, M)``, ``out``
    ``(2**n, M)`` (``first[q] = U_q|0⟩`` gives a product state, ``first[q]`` a diagonal gives its vector)."""
    _entry("_fill_product_state")(first, out)


def gather_phase(src: np.ndarray, idx: np.ndarray, phase: np.ndarray, out: np.ndarray) -> None:
    """``out[x, c] = phase[x, c or 0] · src[idx[x], c]``; ``phase`` is ``(2**n, M)`` with ``M`` in {0, 1, C}
    (``M = 0``: no phase); ``idx`` of length 0 means the identity permutation."""
    _entry("_gather_phase")(src, idx, phase, out)


def diagonal_expectations(arr: np.ndarray, signs: np.ndarray, out: np.ndarray) -> None:
    """``out[c, k] = Σ_x signs[k, x] |arr[x, c]|²`` (Pauli-Z strings, Nielsen & Chuang Eq. 2.110)."""
    _entry("_diagonal_expectations")(arr, signs, out)


def transition_rotations(
    arr: np.ndarray, batch: int, strides: np.ndarray, cos: np.ndarray, sin: np.ndarray, out: np.ndarray
) -> None:
    """The adjoint step through a layer's rotations; ``arr`` holds ``[ψ (B) | λ_1 (B) | … | λ_K (B)]`` columns.

    ``out[k, q, b]`` receives ``(Re, Im)`` of ``C_q[0, 0], C_q[0, 1], C_q[1, 0], C_q[1, 1]`` (8 floats) of
    ``λ_k`` and ``ψ`` of input ``b``, read before the rotation ``(cos[q], sin[q])`` (as in :func:`rotations`)
    is applied on stride ``strides[q]``, in order ``q = 0, 1, …``.
    """
    f = arr.view(np.float64).reshape(-1)
    _entry("_transition_rotations")(f, 2 * arr.shape[1], batch, strides, cos, sin, out)


@KERNELS.loop(nogil=True)
def _rotations(f, width, strides, cos, sin):  # pragma: no cover - compiled
    size = f.shape[0]
    cw = np.empty(width)
    sw = np.empty(width)
    for k in range(strides.shape[0]):
        s = strides[k] * width
        shared = cos.shape[1] == 1
        for t in range(width):
            cw[t] = cos[k, 0 if shared else t // 2]
            sw[t] = sin[k, 0 if shared else t // 2]
        c, sn = cw[0], sw[0]
        for base in range(0, size, 2 * s):
            x = f[base : base + s]  # two views: numba's loop over them vectorizes, one over f[j], f[j + s] not
            y = f[base + s : base + 2 * s]
            if shared:
                for j in range(s):
                    a = x[j]
                    b = y[j]
                    x[j] = c * a - sn * b
                    y[j] = sn * a + c * b
            else:
                for r in range(0, s, width):
                    for t in range(width):
                        a = x[r + t]
                        b = y[r + t]
                        x[r + t] = cw[t] * a - sw[t] * b
                        y[r + t] = sw[t] * a + cw[t] * b


@KERNELS.loop(nogil=True)
def _scale_rows(v, phase, conjugate):  # pragma: no cover - compiled
    shared = phase.shape[1] == 1
    for x in range(v.shape[0]):
        for c in range(v.shape[1]):
            p = phase[x, 0 if shared else c]
            v[x, c] *= p.conjugate() if conjugate else p


@KERNELS.loop(nogil=True)
def _fill_product_state(first, out):  # pragma: no cover - compiled
    # the two halves of the register are built by doubling (2^(n/2) rows each), then their outer product
    n = first.shape[0]
    cols = out.shape[1]
    h = n // 2
    hi = _doubling(first[:h], cols)
    lo = _doubling(first[h:], cols)
    nlo = lo.shape[0]
    for x in range(hi.shape[0]):
        for y in range(nlo):
            for c in range(cols):
                out[x * nlo + y, c] = hi[x, c] * lo[y, c]


@KERNELS.loop(nogil=True)
def _doubling(first, cols):  # pragma: no cover - compiled
    out = np.empty((1 << first.shape[0], cols), dtype=np.complex128)
    for c in range(cols):
        out[0, c] = 1.0
    for q in range(first.shape[0]):  # out[:2^q] holds qubits 0..q-1; spread it to out[:2^(q+1)], top down
        for x in range((1 << q) - 1, -1, -1):
            for c in range(cols):
                a = out[x, c]
                out[2 * x + 1, c] = a * first[q, 1, c]
                out[2 * x, c] = a * first[q, 0, c]
    return out


@KERNELS.loop(nogil=True)
def _gather_phase(src, idx, phase, out):  # pragma: no cover - compiled
    rows, cols = out.shape
    m = phase.shape[1]
    permuted = idx.shape[0] > 0
    for x in range(rows):
        y = idx[x] if permuted else x
        if m == 0:
            for c in range(cols):
                out[x, c] = src[y, c]
        elif m == 1:
            p = phase[x, 0]
            for c in range(cols):
                out[x, c] = p * src[y, c]
        else:
            for c in range(cols):
                out[x, c] = phase[x, c] * src[y, c]


@KERNELS.loop(nogil=True)
def _diagonal_expectations(v, signs, out):  # pragma: no cover - compiled
    for k in range(signs.shape[0]):
        for c in range(v.shape[1]):
            out[c, k] = 0.0
        for x in range(v.shape[0]):
            sg = signs[k, x]
            for c in range(v.shape[1]):
                a = v[x, c]
                out[c, k] += sg * (a.real * a.real + a.imag * a.imag)


@KERNELS.loop(**REORDERED)
def _transition_rotations(f, width, batch, strides, cos, sin, out):  # pragma: no cover - compiled
    size = f.shape[0]
    nk = width // (2 * batch) - 1
    for k in range(strides.shape[0]):
        s = strides[k] * width
        for o in range(nk):  # one read pass per (observable, input): scalar accumulators across all blocks
            for b in range(batch):
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
                i = 2 * b
                j = 2 * ((o + 1) * batch + b)
                for base in range(0, size, 2 * s):
                    if width == 4:  # one input, one observable: a literal stride, the loop vectorizes
                        x = f[base : base + s]
                        y = f[base + s : base + 2 * s]
                        for q in range(s // 4):
                            r = 4 * q
                            pr0, pi0, lr0, li0 = x[r], x[r + 1], x[r + 2], x[r + 3]
                            pr1, pi1, lr1, li1 = y[r], y[r + 1], y[r + 2], y[r + 3]
                            a0 += lr0 * pr0 + li0 * pi0
                            a1 += lr0 * pi0 - li0 * pr0
                            a2 += lr0 * pr1 + li0 * pi1
                            a3 += lr0 * pi1 - li0 * pr1
                            a4 += lr1 * pr0 + li1 * pi0
                            a5 += lr1 * pi0 - li1 * pr0
                            a6 += lr1 * pr1 + li1 * pi1
                            a7 += lr1 * pi1 - li1 * pr1
                        continue
                    for r in range(base, base + s, width):  # conj(λ_j) ψ_i, j, i in {0, 1}: rows r and r + s
                        pr0, pi0, pr1, pi1 = f[r + i], f[r + i + 1], f[r + s + i], f[r + s + i + 1]
                        lr0, li0, lr1, li1 = f[r + j], f[r + j + 1], f[r + s + j], f[r + s + j + 1]
                        a0 += lr0 * pr0 + li0 * pi0
                        a1 += lr0 * pi0 - li0 * pr0
                        a2 += lr0 * pr1 + li0 * pi1
                        a3 += lr0 * pi1 - li0 * pr1
                        a4 += lr1 * pr0 + li1 * pi0
                        a5 += lr1 * pi0 - li1 * pr0
                        a6 += lr1 * pr1 + li1 * pi1
                        a7 += lr1 * pi1 - li1 * pr1
                out[o, k, b, 0] = a0
                out[o, k, b, 1] = a1
                out[o, k, b, 2] = a2
                out[o, k, b, 3] = a3
                out[o, k, b, 4] = a4
                out[o, k, b, 5] = a5
                out[o, k, b, 6] = a6
                out[o, k, b, 7] = a7
    _rotations(f, width, strides, cos, sin)
