"""Compiled in-place loops of the batched statevector engine (numba).

The state is a C-contiguous ``(2**n, C)`` complex array (:mod:`qnet_dqnn.quantum.state`); seen flat, the two
amplitudes a one-qubit gate on the qubit at physical position ``p`` mixes are ``s = 2**(n-1-p) · C`` apart. The
loops below make one pass over the array per qubit, in place, with no temporaries:

- :func:`kron_layer` — a layer of one-qubit unitaries, one 2×2 matrix per qubit (shared, or one per column).
- :func:`gather_phase` — a monomial stage, ``out[x] = phase[x] · in[idx[x]]`` (permutation and phase in one pass).
- :func:`transition_unapply` — the adjoint sweep through a one-qubit layer (Jones & Gacon, arXiv:2009.02823,
  Algorithm 1): per qubit, the transition matrices ``C_q[j, i] = Σ_rest λ*_{j,rest} ψ_{i,rest}`` of every
  (observable, input) pair, and ``U_q†`` applied to ψ and the λ's, in the same pass. The partial trace over
  qubit ``q`` of ``|ψ⟩⟨λ|`` is unchanged when the same unitary acts on qubit ``q'≠q`` of both, so un-applying
  the qubits one at a time while reading the next qubit's ``C`` gives the ``C`` of the layer's output.

Compiled with ``cache=True`` (once per machine, beside this file) and ``nogil=True`` (column chunks of a large
batch run in parallel threads, :func:`qnet_dqnn.quantum.program.run_program`); numba is imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_NAMES = (
    "_rotations",
    "_kron_columns",
    "_scale_rows",
    "_product_state",
    "_gather_phase",
    "_diagonal_expectations",
    "_transition_unapply",
)


def _compile() -> None:
    """Compile the loops, or load them from numba's cache (see :mod:`qnet_dqnn.net.timeline.kernel`)."""
    from numba import njit

    g = globals()
    for name in _NAMES:
        if not hasattr(g[name], "py_func"):
            g[name] = njit(cache=True, nogil=True)(g[name])


def _entry(name: str) -> Callable:
    f = globals()[name]
    if not hasattr(f, "py_func"):
        _compile()
        f = globals()[name]
    return f


def rotations(arr: np.ndarray, strides: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> None:
    """Apply the real rotation ``[[cos[k], -sin[k]], [sin[k], cos[k]]]`` on the bit of stride ``strides[k]``
    (in rows) of ``arr`` (``(2**n, C)`` complex, C-contiguous), in place, for ``k = 0, 1, …``. A real matrix
    acts alike on real and imaginary parts: the loop runs over the float view, contiguous runs of
    ``2·C·stride`` floats."""
    _entry("_rotations")(arr.view(np.float64).reshape(-1), 2 * arr.shape[1], strides, cos, sin)


def kron_columns(arr: np.ndarray, strides: np.ndarray, mats: np.ndarray) -> None:
    """Apply ``mats[k, c]`` (``(K, C, 2, 2)``, one unitary per column ``c``) on the bit of stride ``strides[k]``
    (in rows) of ``arr`` (``(2**n, C)``, C-contiguous), in place, for ``k = 0, 1, …``."""
    _entry("_kron_columns")(arr.reshape(-1), arr.shape[1], strides, mats)


def scale_rows(arr: np.ndarray, phase: np.ndarray) -> None:
    """``arr[x, c] *= phase[x]`` in place (a diagonal on every column)."""
    _entry("_scale_rows")(arr, phase)


def fill_product_state(first: np.ndarray, out: np.ndarray) -> None:
    """``out[:, c] = ⊗_q first[q, :, c or 0]``, qubit 0 most significant: ``first[q]`` is ``U_q|0⟩``
    (``(n, 2, M)``, ``M`` = 1 shared or ``C`` per column); ``out`` is ``(2**n, C)``."""
    _entry("_product_state")(first, out)


def gather_phase(src: np.ndarray, idx: np.ndarray, phase: np.ndarray, out: np.ndarray) -> None:
    """``out[x, c] = phase[x, c or 0] · src[idx[x], c]``; ``phase`` is ``(2**n, M)`` with ``M`` in {0, 1, C}
    (``M = 0``: no phase); ``idx`` of length 0 means the identity permutation."""
    _entry("_gather_phase")(src, idx, phase, out)


def diagonal_expectations(arr: np.ndarray, signs: np.ndarray, out: np.ndarray) -> None:
    """``out[c, k] = Σ_x signs[k, x] |arr[x, c]|²`` (Pauli-Z strings, Nielsen & Chuang Eq. 2.110)."""
    _entry("_diagonal_expectations")(arr, signs, out)


def transition_unapply(arr: np.ndarray, batch: int, strides: np.ndarray, mats: np.ndarray, out: np.ndarray) -> None:
    """The adjoint step through a one-qubit layer; ``arr`` holds ``[ψ (B) | λ_1 (B) | … | λ_K (B)]`` columns.

    ``out[k, q, b, j, i]`` receives ``C_q[j, i]`` of ``λ_k`` and ``ψ`` of input ``b``, read before ``mats[q]``
    (``(Q, M, 2, 2)``, the inverse unitaries) is applied on stride ``strides[q]``, in order ``q = 0, 1, …``.
    """
    _entry("_transition_unapply")(arr.reshape(-1), arr.shape[1], batch, strides, mats, out)


def _rotations(f, width, strides, cos, sin):  # pragma: no cover - compiled
    size = f.shape[0]
    for k in range(strides.shape[0]):
        s = strides[k] * width
        c, sn = cos[k], sin[k]
        for base in range(0, size, 2 * s):
            x = f[base : base + s]  # two views: numba's loop over them vectorizes, one over f[j], f[j + s] not
            y = f[base + s : base + 2 * s]
            for j in range(s):
                a = x[j]
                b = y[j]
                x[j] = c * a - sn * b
                y[j] = sn * a + c * b


def _kron_columns(v, cols, strides, mats):  # pragma: no cover - compiled
    size = v.shape[0]
    for k in range(strides.shape[0]):
        s = strides[k] * cols
        for base in range(0, size, 2 * s):
            for r in range(base, base + s, cols):
                for c in range(cols):
                    a = v[r + c]
                    b = v[r + c + s]
                    v[r + c] = mats[k, c, 0, 0] * a + mats[k, c, 0, 1] * b
                    v[r + c + s] = mats[k, c, 1, 0] * a + mats[k, c, 1, 1] * b


def _scale_rows(v, phase):  # pragma: no cover - compiled
    for x in range(v.shape[0]):
        p = phase[x]
        for c in range(v.shape[1]):
            v[x, c] *= p


def _product_state(first, out):  # pragma: no cover - compiled
    n, _, m = first.shape
    cols = out.shape[1]
    for c in range(cols):
        out[0, c] = 1.0
    for q in range(n):  # out[:2^q] holds qubits 0..q-1; spread it to out[:2^(q+1)], from the top down
        for x in range((1 << q) - 1, -1, -1):
            for c in range(cols):
                a = out[x, c]
                j = c if m > 1 else 0
                out[2 * x + 1, c] = a * first[q, 1, j]
                out[2 * x, c] = a * first[q, 0, j]


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


def _diagonal_expectations(v, signs, out):  # pragma: no cover - compiled
    for k in range(signs.shape[0]):
        for c in range(v.shape[1]):
            out[c, k] = 0.0
        for x in range(v.shape[0]):
            sg = signs[k, x]
            for c in range(v.shape[1]):
                a = v[x, c]
                out[c, k] += sg * (a.real * a.real + a.imag * a.imag)


def _transition_unapply(v, cols, batch, strides, mats, out):  # pragma: no cover - compiled
    size = v.shape[0]
    nk = cols // batch - 1
    for k in range(strides.shape[0]):
        s = strides[k] * cols
        shared = mats.shape[1] == 1
        u00, u01, u10, u11 = mats[k, 0, 0, 0], mats[k, 0, 0, 1], mats[k, 0, 1, 0], mats[k, 0, 1, 1]
        for base in range(0, size, 2 * s):
            for r in range(base, base + s, cols):
                for b in range(batch):
                    p0 = v[r + b]
                    p1 = v[r + b + s]
                    for o in range(nk):
                        c = (o + 1) * batch + b
                        l0 = v[r + c].conjugate()
                        l1 = v[r + c + s].conjugate()
                        out[o, k, b, 0, 0] += l0 * p0
                        out[o, k, b, 0, 1] += l0 * p1
                        out[o, k, b, 1, 0] += l1 * p0
                        out[o, k, b, 1, 1] += l1 * p1
                for c in range(cols):
                    if not shared:
                        u00, u01 = mats[k, c, 0, 0], mats[k, c, 0, 1]
                        u10, u11 = mats[k, c, 1, 0], mats[k, c, 1, 1]
                    a = v[r + c]
                    b2 = v[r + c + s]
                    v[r + c] = u00 * a + u01 * b2
                    v[r + c + s] = u10 * a + u11 * b2
