"""The gate set: matrices, generators and how each gate is applied fast.

Conventions (Nielsen & Chuang, *Quantum Computation and Quantum Information*, 2010, §4.2 and §4.3):

- qubit 0 is the most significant bit of a basis index (the left factor of a tensor product, as in qutip);
- a parameterised gate is ``U(θ) = exp(-i θ G / 2)`` with a Hermitian *generator* ``G`` whose eigenvalues
  differ by 2 (Pauli rotations, ``RZZ``, phase), so the two-term parameter-shift rule applies
  (Mitarai et al., PRA 98, 032309 (2018), Eq. 12; Schuld et al., PRA 99, 032331 (2019), Eq. 5);
- ``RX(θ) = exp(-iθX/2)``, ``RY(θ) = exp(-iθY/2)``, ``RZ(θ) = exp(-iθZ/2)``, ``P(θ) = diag(1, e^{iθ})``,
  ``RZZ(θ) = exp(-iθ Z⊗Z/2)``, ``RXX``/``RYY`` alike (N&C Eqs. 4.4–4.6);
- the two-qubit gates of qiskit's standard library follow qiskit's definitions (its ``Operator`` of the gate
  with the qubit order reversed is our matrix, tested): the first qubit of a controlled gate is the control,
  ``CP(θ) = diag(1, 1, 1, e^{iθ})``, ``CRX(θ) = exp(-iθ |1⟩⟨1|⊗X/2)`` (CRY, CRZ alike; their generators have
  the three eigenvalues 0, ±1, so the two-term shift rule does not hold for them: Wierichs et al.,
  Quantum 6, 677 (2022)), ``RZX(θ) = exp(-iθ Z⊗X/2)``, ``ECR = (X⊗I − Y⊗X)/√2``, ``DCX = CX(1,0)·CX(0,1)``,
  and ``XX±YY(θ, β)`` as in qiskit's ``XXPlusYYGate``/``XXMinusYYGate`` (the phase ``β`` must be a number).

Each gate has a *kind*:

- ``"kron"``: a one-qubit gate fused with its neighbours into a tensor-product layer;
- ``"mono"``: a monomial gate (a permutation of basis states times a diagonal phase): X, Y, Z, S, T, RZ, P,
  CX, CY, CZ, CS, CS†, CP, CRZ, SWAP, iSWAP, DCX, RZZ. A run of them becomes one gather and one phase
  multiplication;
- ``"dense"``: a two-qubit gate applied as a dense 4×4 matrix (RXX, RYY, RZX, CH, CSX, CRX, CRY, ECR,
  XX+YY, XX−YY, and ``unitary`` blocks that carry their own matrix);
- ``"channel"``: a noise channel (see :mod:`qnet_dqnn.quantum.noise`); not a unitary.
"""

from __future__ import annotations

import math
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
        two_term: the generator has two eigenvalues (±1, or 0 and ±2 for a phase), so the two-term
            parameter-shift rule is exact (False for the controlled rotations, whose generator also has 0).
        extra_params: trailing numeric parameters that are not angles of the generator (``β`` of XX±YY).
    """

    name: str
    num_qubits: int
    num_params: int
    kind: str
    generator: np.ndarray | None = None
    perm: np.ndarray | None = None
    phase: np.ndarray | None = None
    pattern: np.ndarray | None = None
    two_term: bool = True
    extra_params: int = 0

    @property
    def shift_rule(self) -> bool:
        """True when the two-term parameter-shift rule (shift π/2) is exact for this gate."""
        return self.generator is not None and self.two_term


def _mono(
    name: str,
    nq: int,
    perm: list[int] | None = None,
    phase: list[complex] | None = None,
    pattern: list[float] | None = None,
    two_term: bool = True,
) -> GateSpec:
    d = 2**nq
    p = np.arange(d) if perm is None else np.asarray(perm)
    ph = np.ones(d, dtype=complex) if phase is None else np.asarray(phase, dtype=complex)
    pat = None if pattern is None else np.asarray(pattern, dtype=float)
    gen = None if pat is None else np.diag(2.0 * pat).astype(complex)
    return GateSpec(name, nq, 0 if pat is None else 1, "mono", gen, p, ph, pat, two_term)


_P1 = np.diag([0.0, 1.0]).astype(complex)


def _controlled(g: np.ndarray) -> np.ndarray:
    """``|1⟩⟨1| ⊗ g``: the generator of a controlled rotation about ``g``."""
    return np.kron(_P1, g)


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
    # the rest of qiskit's standard two-qubit gates (first qubit = control)
    "cy": _mono("cy", 2, perm=[0, 1, 3, 2], phase=[1, 1, -1j, 1j]),
    "cs": _mono("cs", 2, phase=[1, 1, 1, 1j]),
    "csdg": _mono("csdg", 2, phase=[1, 1, 1, -1j]),
    "cp": _mono("cp", 2, pattern=[0.0, 0.0, 0.0, -1.0]),
    "crz": _mono("crz", 2, pattern=[0.0, 0.0, 0.5, -0.5], two_term=False),
    "iswap": _mono("iswap", 2, perm=[0, 2, 1, 3], phase=[1, 1j, 1j, 1]),
    "dcx": _mono("dcx", 2, perm=[0, 2, 3, 1]),
    "ch": GateSpec("ch", 2, 0, "dense"),
    "csx": GateSpec("csx", 2, 0, "dense"),
    "ecr": GateSpec("ecr", 2, 0, "dense"),
    "crx": GateSpec("crx", 2, 1, "dense", generator=_controlled(PAULI_X), two_term=False),
    "cry": GateSpec("cry", 2, 1, "dense", generator=_controlled(PAULI_Y), two_term=False),
    "rzx": GateSpec("rzx", 2, 1, "dense", generator=np.kron(PAULI_Z, PAULI_X)),
    "xx_plus_yy": GateSpec("xx_plus_yy", 2, 2, "dense", extra_params=1),
    "xx_minus_yy": GateSpec("xx_minus_yy", 2, 2, "dense", extra_params=1),
    # a two-qubit block given by its 4×4 matrix (the parameter is a UnitaryMatrix)
    "unitary": GateSpec("unitary", 2, 1, "dense"),
    # noise channels (parameters are probabilities or times, never trainable)
    "pauli1": GateSpec("pauli1", 1, 3, "channel"),
    "pauli2": GateSpec("pauli2", 2, 15, "channel"),
    "depolarize1": GateSpec("depolarize1", 1, 1, "channel"),
    "depolarize2": GateSpec("depolarize2", 2, 1, "channel"),
    "thermal": GateSpec("thermal", 1, 3, "channel"),
}

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex)
_FIXED = {
    "h": _H,
    "sx": _SX,
    "ch": np.kron(np.diag([1.0, 0.0]), np.eye(2)) + np.kron(_P1, _H),
    "csx": np.kron(np.diag([1.0, 0.0]), np.eye(2)) + np.kron(_P1, _SX),
    "ecr": (np.kron(PAULI_X, _I2) - np.kron(PAULI_Y, PAULI_X)) / np.sqrt(2),
}


def _xx_yy(name: str, theta: np.ndarray, beta: float) -> np.ndarray:
    """qiskit's ``XXPlusYYGate(θ, β)`` (on ``|01⟩, |10⟩``) or ``XXMinusYYGate(θ, β)`` (on ``|00⟩, |11⟩``)."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    out = np.zeros(theta.shape + (4, 4), dtype=complex)
    i, j = (1, 2) if name == "xx_plus_yy" else (3, 0)
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -1j * s * np.exp(1j * beta)
    out[..., j, i] = -1j * s * np.exp(-1j * beta)
    rest = [k for k in range(4) if k not in (i, j)]
    out[..., rest, rest] = 1.0
    return out


def gate_spec(name: str) -> GateSpec:
    """The :class:`GateSpec` of ``name``; raises :class:`QnetError` listing the known gates."""
    try:
        return GATES[name]
    except KeyError:
        raise QnetError(f"unknown gate {name!r} (known: {', '.join(sorted(GATES))})") from None


def gate_matrix(name: str, angle: float | np.ndarray | None = None, *extra: float) -> np.ndarray:
    """The unitary matrix of a gate, shape ``(d, d)``, or ``(B, d, d)`` for a batch of angles.

    ``U(θ) = exp(-iθG/2) = I + (cos(θ/2) − 1) G² − i sin(θ/2) G`` for generators with ``G³ = G``
    (eigenvalues in {0, ±1}: Pauli products, and the controlled rotations' ``|1⟩⟨1|⊗P``; for ``G² = I`` this
    is N&C Eq. 4.7); diagonal gates are built from their phase pattern. ``extra`` holds trailing numeric
    parameters (``β`` of XX±YY).
    """
    spec = gate_spec(name)
    if spec.kind == "channel":
        raise QnetError(f"{name!r} is a channel, not a unitary gate")
    if name == "unitary":
        raise QnetError("a 'unitary' block carries its own matrix (UnitaryMatrix); it has no gate_matrix")
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
    if spec.extra_params:
        if len(extra) != spec.extra_params:
            raise QnetError(f"gate {name!r} needs {spec.extra_params} more parameter(s) (got {len(extra)})")
        return _xx_yy(name, th, float(extra[0]))
    if spec.pattern is not None:
        diag = np.exp(-1j * th[..., None] * spec.pattern)
        d = spec.pattern.size
        out = np.zeros(th.shape + (d, d), dtype=complex)
        out[..., np.arange(d), np.arange(d)] = diag
        return out
    g = spec.generator
    g2 = _GENERATOR_SQUARES.get(name)
    if g2 is None:
        g2 = _GENERATOR_SQUARES[name] = g @ g
    if th.ndim == 0:
        h = 0.5 * float(th)
        return np.eye(g.shape[0]) + (math.cos(h) - 1.0) * g2 - (1j * math.sin(h)) * g
    c = np.cos(th / 2)[..., None, None]
    s = np.sin(th / 2)[..., None, None]
    return np.eye(g.shape[0]) + (c - 1.0) * g2 - 1j * s * g


#: ``G²`` per gate name, computed once (:func:`gate_matrix`).
_GENERATOR_SQUARES: dict[str, np.ndarray] = {}


def generator(name: str, *extra: float) -> np.ndarray | None:
    """``G`` with ``U(θ) = exp(-iθG/2)`` for gate ``name`` (trailing numeric parameters ``extra``), or None.

    For XX±YY(θ, β) it is ``RZ(−β)·(XX ± YY)/2·RZ(β)`` on the qubit qiskit rotates (qubit 0 for XX+YY, 1 for XX−YY;
    see :func:`gate_matrix`): the conjugated generator of the middle factor.
    """
    spec = gate_spec(name)
    if name in ("xx_plus_yy", "xx_minus_yy"):
        beta = float(extra[0])
        if name == "xx_plus_yy":
            core = (np.kron(PAULI_X, PAULI_X) + np.kron(PAULI_Y, PAULI_Y)) / 2
            r = np.kron(gate_matrix("rz", beta), _I2)
        else:
            core = (np.kron(PAULI_X, PAULI_X) - np.kron(PAULI_Y, PAULI_Y)) / 2
            r = np.kron(_I2, gate_matrix("rz", -beta))
        return r.conj().T @ core @ r
    return spec.generator


def zyz_factors(u: np.ndarray, eps: float = 1e-12) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split 2×2 unitaries ``(..., 2, 2)`` as ``U = diag(l) · [[c, -s], [s, c]] · diag(r)``.

    This is the Z-Y-Z Euler decomposition (N&C Theorem 4.1) with the Z rotations and the global phase
    folded into the two diagonal factors; ``r = (1, r_1)``, and ``r = (1, 1)`` when ``U`` is a diagonal times a
    real rotation (``diag(1, -1)·R(c, s)·diag(1, -1) = R(c, -s)``). Returns ``(l, c, s, r)`` with ``l``, ``r``
    of shape ``(..., 2)``.
    """
    u = np.asarray(u, dtype=complex)
    u00, u01, u10, u11 = u[..., 0, 0], u[..., 0, 1], u[..., 1, 0], u[..., 1, 1]
    c, s = np.abs(u00), np.abs(u10)
    diag, anti = s <= eps, (c <= eps) & (s > eps)
    general = ~(diag | anti)
    one = np.ones_like(u00)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the branch np.where drops
        l0 = np.where(general, u00 / c, np.where(diag, u00, 1.0))
        l1 = np.where(general, u10 / s, np.where(diag, 1.0, u10))
        r1 = np.where(general, u11 / (l1 * c), np.where(diag, u11, -u01))
    norm = np.where(general, np.hypot(c, s), 1.0)
    cos = np.where(general, c / norm, np.where(diag, 1.0, 0.0))
    sin = np.where(general, s / norm, np.where(diag, 0.0, 1.0))
    flip = np.abs(r1 + 1.0) <= eps
    l1, sin, r1 = np.where(flip, -l1, l1), np.where(flip, -sin, sin), np.where(flip, 1.0, r1)
    return np.stack([l0, l1], axis=-1), cos, sin, np.stack([one, r1], axis=-1)


def zyz_angles(u: np.ndarray) -> tuple[float, float, float]:
    """``(a, b, c)`` with ``u = e^{iφ} RZ(a)·RY(b)·RZ(c)`` for a 2×2 unitary (N&C Theorem 4.1).

    Examples:
        >>> a, b, c = zyz_angles(gate_matrix("h"))
        >>> round(b, 6)
        1.570796
    """
    a, b, c = zyz_batch(np.asarray(u, dtype=complex)[None])[0]
    return float(a), float(b), float(c)


def zyz_batch(u: np.ndarray) -> np.ndarray:
    """:func:`zyz_angles` of a stack of 2×2 unitaries ``(N, 2, 2)``, as ``(N, 3)``.

    In SU(2), ``RZ(a)·RY(b)·RZ(c) = [[e^{-i(a+c)/2} cos(b/2), −e^{-i(a−c)/2} sin(b/2)], [e^{i(a−c)/2} sin(b/2),
    e^{i(a+c)/2} cos(b/2)]]``, so ``b`` comes from the moduli and ``a ± c`` from the phases of the second row (a
    vanishing entry leaves its sum free: set to 0).
    """
    det = u[:, 0, 0] * u[:, 1, 1] - u[:, 0, 1] * u[:, 1, 0]
    m = u / np.sqrt(det)[:, None, None]
    b = 2.0 * np.arctan2(np.abs(m[:, 1, 0]), np.abs(m[:, 0, 0]))
    plus = np.where(np.abs(m[:, 1, 1]) > 1e-12, 2.0 * np.angle(m[:, 1, 1]), 0.0)
    minus = np.where(np.abs(m[:, 1, 0]) > 1e-12, 2.0 * np.angle(m[:, 1, 0]), 0.0)
    return np.stack([(plus + minus) / 2.0, b, (plus - minus) / 2.0], axis=1)
