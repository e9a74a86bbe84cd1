"""The gate set: matrices, generators and how each gate is applied fast.

Conventions (Nielsen & Chuang, *Quantum Computation and Quantum Information*, 2010, §4.2 and §4.3):

- qubit 0 is the most significant bit of a basis index (the left factor of a tensor product, as in qutip);
- a parameterised gate is ``U(θ) = exp(-i θ G / 2)`` with a Hermitian *generator* ``G`` whose eigenvalues
  differ by 2 (Pauli rotations, ``RZZ``, phase), so the two-term parameter-shift rule applies
  (Mitarai et al., PRA 98, 032309 (2018), Eq. 12; Schuld et al., PRA 99, 032331 (2019), Eq. 5);
- ``RX(θ) = exp(-iθX/2)``, ``RY(θ) = exp(-iθY/2)``, ``RZ(θ) = exp(-iθZ/2)``, ``P(θ) = diag(1, e^{iθ})``,
  ``RZZ(θ) = exp(-iθ Z⊗Z/2)``, ``RXX``/``RYY`` alike (N&C Eqs. 4.4–4.6).

Each gate has a *kind*:

- ``"kron"``: a one-qubit gate fused with its neighbours into a tensor-product layer;
- ``"mono"``: a monomial gate (a permutation of basis states times a diagonal phase): X, Y, Z, S, T, RZ, P,
  CX, CZ, SWAP, RZZ. A run of them becomes one gather and one phase multiplication;
- ``"dense"``: a two-qubit gate applied as a dense 4×4 matrix (RXX, RYY);
- ``"channel"``: a noise channel (see :mod:`qnet_dqnn.quantum.noise`); not a unitary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError

_I2 = np.eye(2, dtype=complex)
PAULI_X = np.array([[0, 1], [1, 0]], dtype=complex)
PAULI_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
PAULI_Z = np.array([[1, 0], [0, -1]], dtype=complex)
PAULIS = {"I": _I2, "X": PAULI_X, "Y": PAULI_Y, "Z": PAULI_Z}


@dataclass(frozen=True, slots=True)
class GateSpec:
    """Static description of one gate.

    Attributes:
        name: lower-case gate name.
        num_qubits: arity (1 or 2; channels 1 or 2).
        num_params: number of angle parameters (0 or 1 for gates; channels list theirs).
        kind: ``"kron"``, ``"mono"``, ``"dense"`` or ``"channel"``.
        generator: ``G`` with ``U(θ) = exp(-iθG/2)`` for a one-parameter gate, else ``None``.
        perm: for a monomial gate, ``out[x] = phase[x] * in[perm[x]]`` over local indices.
        phase: static diagonal phase of a monomial gate (local indices).
        pattern: for a parameterised monomial gate, the phase is ``exp(-i θ pattern)`` (= ``G/2``).
    """

    name: str
    num_qubits: int
    num_params: int
    kind: str
    generator: np.ndarray | None = None
    perm: np.ndarray | None = None
    phase: np.ndarray | None = None
    pattern: np.ndarray | None = None

    @property
    def shift_rule(self) -> bool:
        """True when the two-term parameter-shift rule (shift π/2) is exact for this gate."""
        return self.generator is not None


def _mono(
    name: str,
    nq: int,
    perm: list[int] | None = None,
    phase: list[complex] | None = None,
    pattern: list[float] | None = None,
) -> GateSpec:
    d = 2**nq
    p = np.arange(d) if perm is None else np.asarray(perm)
    ph = np.ones(d, dtype=complex) if phase is None else np.asarray(phase, dtype=complex)
    pat = None if pattern is None else np.asarray(pattern, dtype=float)
    gen = None if pat is None else np.diag(2.0 * pat).astype(complex)
    return GateSpec(name, nq, 0 if pat is None else 1, "mono", gen, p, ph, pat)


_W = np.exp(1j * np.pi / 4)
GATES: dict[str, GateSpec] = {
    "i": _mono("i", 1),
    "x": _mono("x", 1, perm=[1, 0]),
    "y": _mono("y", 1, perm=[1, 0], phase=[-1j, 1j]),
    "z": _mono("z", 1, phase=[1, -1]),
    "s": _mono("s", 1, phase=[1, 1j]),
    "sdg": _mono("sdg", 1, phase=[1, -1j]),
    "t": _mono("t", 1, phase=[1, _W]),
    "tdg": _mono("tdg", 1, phase=[1, np.conj(_W)]),
    "rz": _mono("rz", 1, pattern=[0.5, -0.5]),
    "p": _mono("p", 1, pattern=[0.0, -1.0]),
    "cx": _mono("cx", 2, perm=[0, 1, 3, 2]),
    "cz": _mono("cz", 2, phase=[1, 1, 1, -1]),
    "swap": _mono("swap", 2, perm=[0, 2, 1, 3]),
    "rzz": _mono("rzz", 2, pattern=[0.5, -0.5, -0.5, 0.5]),
    "h": GateSpec("h", 1, 0, "kron"),
    "sx": GateSpec("sx", 1, 0, "kron"),
    "rx": GateSpec("rx", 1, 1, "kron", generator=PAULI_X),
    "ry": GateSpec("ry", 1, 1, "kron", generator=PAULI_Y),
    "rxx": GateSpec("rxx", 2, 1, "dense", generator=np.kron(PAULI_X, PAULI_X)),
    "ryy": GateSpec("ryy", 2, 1, "dense", generator=np.kron(PAULI_Y, PAULI_Y)),
    # noise channels (parameters are probabilities or times, never trainable)
    "pauli1": GateSpec("pauli1", 1, 3, "channel"),
    "pauli2": GateSpec("pauli2", 2, 15, "channel"),
    "depolarize1": GateSpec("depolarize1", 1, 1, "channel"),
    "depolarize2": GateSpec("depolarize2", 2, 1, "channel"),
    "thermal": GateSpec("thermal", 1, 3, "channel"),
}

_FIXED = {
    "h": np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex),
}


def gate_spec(name: str) -> GateSpec:
    """The :class:`GateSpec` of ``name``; raises :class:`QnetError` listing the known gates."""
    try:
        return GATES[name]
    except KeyError:
        raise QnetError(f"unknown gate {name!r} (known: {', '.join(sorted(GATES))})") from None


def gate_matrix(name: str, angle: float | np.ndarray | None = None) -> np.ndarray:
    """The unitary matrix of a gate, shape ``(d, d)``, or ``(B, d, d)`` for a batch of angles.

    ``U(θ) = cos(θ/2) I - i sin(θ/2) G`` for generators with ``G² = I`` (N&C Eq. 4.7); the phase gate
    ``P(θ) = diag(1, e^{iθ})`` is built directly.
    """
    spec = gate_spec(name)
    if spec.kind == "channel":
        raise QnetError(f"{name!r} is a channel, not a unitary gate")
    if spec.num_params == 0:
        if spec.kind == "mono":
            d = 2**spec.num_qubits
            m = np.zeros((d, d), dtype=complex)
            m[np.arange(d), spec.perm] = spec.phase
            return m
        return _FIXED[name].copy()
    if angle is None:
        raise QnetError(f"gate {name!r} needs an angle")
    th = np.asarray(angle, dtype=float)
    if spec.pattern is not None:
        diag = np.exp(-1j * th[..., None] * spec.pattern)
        d = spec.pattern.size
        out = np.zeros(th.shape + (d, d), dtype=complex)
        out[..., np.arange(d), np.arange(d)] = diag
        return out
    g = spec.generator
    c = np.cos(th / 2)[..., None, None]
    s = np.sin(th / 2)[..., None, None]
    return c * np.eye(g.shape[0]) - 1j * s * g


def zyz_factors(u: np.ndarray, eps: float = 1e-12) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Split a 2×2 unitary as ``U = diag(l) · [[c, -s], [s, c]] · diag(r)``.

    This is the Z-Y-Z Euler decomposition (N&C Theorem 4.1) with the Z rotations and the global phase
    folded into the two diagonal factors. Returns ``(l, c, s, r)``.
    """
    u00, u01, u10, u11 = u[0, 0], u[0, 1], u[1, 0], u[1, 1]
    c, s = abs(u00), abs(u10)
    if s <= eps:
        return np.array([u00, 1.0]), 1.0, 0.0, np.array([1.0, u11])
    if c <= eps:
        return np.array([1.0, u10]), 0.0, 1.0, np.array([1.0, -u01])
    l0, l1 = u00 / c, u10 / s
    norm = np.hypot(c, s)
    return np.array([l0, l1]), c / norm, s / norm, np.array([1.0, u11 / (l1 * c)])
