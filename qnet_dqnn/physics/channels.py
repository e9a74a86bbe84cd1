"""User memory channels: Lindblad generators, Kraus sets and QuTiP objects, as one-qubit generators.

A memory channel acts for the time ``t`` a qubit waits, so it is given as a Markovian semigroup
``Φ_t = exp(t L)`` (Lindblad, Commun. Math. Phys. 48, 119 (1976); Gorini, Kossakowski & Sudarshan, J. Math.
Phys. 17, 821 (1976)), ``L`` a 4×4 superoperator acting on column-stacked density matrices
(``vec(AρB) = (Bᵀ ⊗ A) vec(ρ)``):

- **collapse operators** ``C_k`` (units ``1/√s``): ``L = Σ_k C_k ⊗̄ C_k − ½ (I ⊗ C_k†C_k + (C_k†C_k)ᵀ ⊗ I)``,
  with ``A ⊗̄ B = B̄ ⊗ A`` the superoperator of ``ρ → AρB†``;
- **a Kraus set for one period** ``τ``: ``Φ_τ = Σ_k K_k ⊗̄ K_k`` must be trace preserving
  (``Σ K†K = I``) and lie on a semigroup: ``L = log(Φ_τ)/τ`` (principal logarithm) has to be a valid
  generator — Hermiticity preserving and *conditionally completely positive*, i.e. its Choi matrix is positive
  on the complement of the maximally entangled state (Wolf, Eisert, Cubitt & Cirac, PRL 101, 150402 (2008),
  Theorem 1). Otherwise no wait other than whole periods has a physical channel and the set is refused;
- **QuTiP objects**: a ``Qobj`` superoperator (a channel of one period, as a Kraus set) or one or several
  ``Qobj`` operators (collapse operators), converted with ``qutip.to_super``/``qutip.lindblad_dissipator``.

T1/T2 memories are the generator with ``C_1 = σ⁻/√T1`` and ``C_2 = Z·√(γ_φ/2)``,
``γ_φ = 1/T2 − 1/(2 T1)`` (amplitude damping and pure dephasing: Nielsen & Chuang 2010, Secs. 8.3.5–8.3.6);
:func:`t1_t2_generator` gives it, so a user channel adds to it exactly (generators add, channels of
non-commuting generators would not compose).

A channel is *Pauli* when its Pauli transfer matrix is diagonal at every ``t`` (depolarizing, dephasing): the
Bell-diagonal fast path then stays exact; anything else (amplitude damping, user channels in general) needs
the general two-qubit state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import expm, logm

_I2 = np.eye(2, dtype=complex)
#: σ⁻ = |0⟩⟨1| (decay towards |0⟩, the convention of :func:`~qnet_dqnn.physics.amplitude_phase_damping_kraus`).
SIGMA_MINUS = np.array([[0, 1], [0, 0]], dtype=complex)
_Z = np.diag([1.0, -1.0]).astype(complex)


def sandwich(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Superoperator of ``ρ → A ρ B†`` on column-stacked ``ρ``: ``B̄ ⊗ A``."""
    return np.kron(np.conj(b), a)


def lindblad_generator(collapse: Sequence[np.ndarray], hamiltonian: np.ndarray | None = None) -> np.ndarray:
    """``L(ρ) = −i[H, ρ] + Σ_k (C_k ρ C_k† − ½{C_k†C_k, ρ})`` as a 4×4 superoperator (module docstring)."""
    gen = np.zeros((4, 4), dtype=complex)
    if hamiltonian is not None:
        h = np.asarray(hamiltonian, dtype=complex)
        gen += -1j * (np.kron(_I2, h) - np.kron(h.T, _I2))
    for c in collapse:
        c = np.asarray(c, dtype=complex)
        cc = c.conj().T @ c
        gen += sandwich(c, c) - 0.5 * (np.kron(_I2, cc) + np.kron(cc.T, _I2))
    return gen


def t1_t2_generator(t1_s: float, t2_s: float) -> np.ndarray:
    """The generator of T1 amplitude damping and the pure dephasing that completes T2 (module docstring)."""
    rate_phi = 1.0 / t2_s - 1.0 / (2.0 * t1_s)
    return lindblad_generator([SIGMA_MINUS / np.sqrt(t1_s), _Z * np.sqrt(max(rate_phi, 0.0) / 2.0)])


def kraus_superoperator(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """``Σ_k K_k ⊗̄ K_k``: the channel ``ρ → Σ K ρ K†`` on column-stacked ``ρ``."""
    return sum(sandwich(np.asarray(k, dtype=complex), np.asarray(k, dtype=complex)) for k in kraus)


def trace_defect(kraus: Sequence[np.ndarray]) -> float:
    """``‖Σ_k K_k†K_k − I‖`` (largest entry): 0 for a trace-preserving Kraus set."""
    total = sum(np.asarray(k, dtype=complex).conj().T @ np.asarray(k, dtype=complex) for k in kraus)
    return float(np.abs(total - np.eye(total.shape[0])).max())


def _choi(superop: np.ndarray) -> np.ndarray:
    """Choi matrix ``Σ_ij |i⟩⟨j| ⊗ S(|i⟩⟨j|)`` of a one-qubit superoperator (column stacking)."""
    choi = np.zeros((4, 4), dtype=complex)
    for i in range(2):
        for j in range(2):
            e = np.zeros((2, 2), dtype=complex)
            e[i, j] = 1.0
            out = (superop @ e.reshape(-1, order="F")).reshape(2, 2, order="F")
            choi += np.kron(e, out)
    return choi


def generator_problem(gen: np.ndarray, tol: float = 1e-9) -> str | None:
    """Why ``gen`` is not a valid Lindblad generator (Wolf et al. 2008, Theorem 1), or None."""
    # trace annihilating: Tr(L(ρ)) = 0 for every ρ, i.e. vec(I)† L = 0
    if np.abs(np.eye(2).reshape(-1, order="F") @ gen).max() > tol:
        return "it does not preserve the trace"
    choi = _choi(gen)
    if np.abs(choi - choi.conj().T).max() > tol:
        return "it does not preserve Hermiticity"
    omega = np.eye(2).reshape(-1) / np.sqrt(2.0)  # maximally entangled state in the Choi ordering
    perp = np.eye(4) - np.outer(omega, omega)
    if np.linalg.eigvalsh(perp @ choi @ perp).min() < -tol:
        return "its generator is not conditionally completely positive (the channel is not Markovian)"
    return None


def kraus_generator(kraus: Sequence[np.ndarray], period_s: float) -> np.ndarray:
    """``log(Φ_τ)/τ`` of a trace-preserving Kraus set applied once per ``period_s`` (module docstring).

    Raises:
        ValueError: when no valid generator has that channel as its ``τ``-step.
    """
    superop = kraus_superoperator(kraus)
    if np.min(np.abs(np.linalg.eigvals(superop))) < 1e-12:
        raise ValueError("the channel is not invertible, so it has no generator: give collapse operators instead")
    gen = logm(superop) / period_s
    problem = generator_problem(gen * period_s, tol=1e-7)
    if problem is not None:
        raise ValueError(f"the channel is not a step of a Markovian semigroup: {problem}")
    return gen


def evolve(gen: np.ndarray, t_s: float) -> np.ndarray:
    """``exp(t L)``: the channel of waiting ``t_s`` seconds, as a 4×4 superoperator."""
    return expm(np.asarray(gen) * t_s)


def superoperator_kraus(superop: np.ndarray, tol: float = 1e-12) -> list[np.ndarray]:
    """Kraus operators of a completely positive one-qubit superoperator, from its Choi matrix's eigenvectors."""
    vals, vecs = np.linalg.eigh(_choi(superop))
    out = []
    for v, vec in zip(vals, vecs.T, strict=True):
        if v > tol:
            out.append(np.sqrt(v) * vec.reshape(2, 2).T)
    return out


def is_pauli_generator(gen: np.ndarray, tol: float = 1e-12) -> bool:
    """True when ``exp(tL)`` is a Pauli channel at every ``t``: ``L`` is diagonal in the Pauli basis and unital."""
    paulis = [_I2, np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]), _Z]
    ptm = np.array(
        [[np.trace(p @ (gen @ q.reshape(-1, order="F")).reshape(2, 2, order="F")) / 2 for q in paulis] for p in paulis]
    )
    return bool(np.abs(ptm - np.diag(np.diag(ptm))).max() < tol)


def qutip_generator(obj, period_s: float | None) -> np.ndarray:
    """The generator of a QuTiP object: a superoperator (one period, needs ``period_s``) or collapse operators.

    Raises:
        ValueError: for a wrongly sized object, a superoperator without ``period_s``, or anything else.
    """
    import qutip  # noqa: PLC0415  (only when a topology gives a QuTiP object)

    items = list(obj) if isinstance(obj, list | tuple) else [obj]
    if not items or not all(isinstance(o, qutip.Qobj) for o in items):
        raise ValueError(f"expected a qutip.Qobj or a list of them (got {type(obj).__name__})")
    if len(items) == 1 and items[0].issuper:
        sup = items[0]
        if sup.shape != (4, 4):
            raise ValueError(f"a one-qubit superoperator is 4x4 (got {sup.shape[0]}x{sup.shape[1]})")
        if period_s is None:
            raise ValueError("a superoperator is the channel of one period: give period_s with it")
        return kraus_generator([k.full() for k in qutip.to_kraus(sup)], period_s)
    for o in items:
        if not o.isoper or o.shape != (2, 2):
            raise ValueError(f"collapse operators are 2x2 operators (got a {o.type} of shape {o.shape})")
    return lindblad_generator([o.full() for o in items])


__all__ = [
    "SIGMA_MINUS",
    "evolve",
    "generator_problem",
    "is_pauli_generator",
    "kraus_generator",
    "kraus_superoperator",
    "lindblad_generator",
    "qutip_generator",
    "sandwich",
    "superoperator_kraus",
    "t1_t2_generator",
    "trace_defect",
]
