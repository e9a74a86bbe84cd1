"""Quasi-probability decompositions (QPDs) of cut gates and cut wires.

A cut replaces a two-qubit gate (or the identity channel of a wire) by a quasi-probability sum of
*local* operations,

    𝒰(ρ) = Σ_k c_k (𝓛_k ⊗ 𝓡_k)(ρ),        γ = Σ_k |c_k|,

so the expectation value of the uncut circuit is the ``c_k``-weighted sum of expectation values of circuits
in which each side only runs local operations (review, §6.1.1–6.2, Eqs. 18–19). Sampling term ``k`` with
probability ``|c_k|/γ`` and weighting it by ``γ·sign(c_k)`` gives an unbiased estimator whose variance
grows as ``γ²``: the *sampling overhead* of the cut (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)).

The local operations are :class:`Instruction` s of three kinds:

- ``gate``: a one-qubit gate of :mod:`qnet_dqnn.quantum.gates` (``rz``, ``rx``, ``ry`` with an angle;
  ``x``, ``y``, ``z``, ``h``, ``s``, ``sdg`` without);
- ``measure``: a projective measurement in the eigenbasis of the Pauli ``X``/``Y``/``Z`` whose outcome
  ``±1`` multiplies the result by ``weight = (w₊, w₋)``: ``(1, -1)`` is the signed measurement
  ``ρ ↦ Π₊ρΠ₊ − Π₋ρΠ₋`` of Mitarai & Fujii, ``(1, 1)`` discards the outcome, ``(1, 0)``/``(0, 1)``
  keep only one outcome (used by terms whose outcome is fed forward);
- ``prepare``: prepare a fresh qubit in ``|0⟩, |1⟩, |+⟩, |−⟩, |+i⟩`` or ``|−i⟩`` (wire cuts only).

A gate cut puts its left instructions on the first qubit of the gate and its right ones on the second, at
the time of the gate. A wire cut ends the wire with the left (sender) instructions — a final measurement —
and starts a new wire with the right (receiver) instructions.

Decompositions implemented (each checked in the tests against the cut gate's process matrix):

- :func:`pauli_rotation_qpd`: ``exp(-iθ/2 A⊗B)`` for Paulis ``A, B`` — Mitarai & Fujii, *Constructing a
  virtual two-qubit gate by sampling single-qubit operations*, New J. Phys. 23, 023021 (2021), Eq. (5)
  (six terms, ``γ = 1 + 2|sin θ|``); derived in the function's docstring.
- :func:`rzz_qpd`, :func:`rxx_qpd`, :func:`ryy_qpd`: the special cases ``A = B``.
- :func:`cz_qpd`: ``CZ = (RZ(π/2) ⊗ RZ(π/2))·RZZ(−π/2)`` up to a global phase, so ``γ = 3``
  (Mitarai & Fujii 2021, Sec. 3; the optimal value, Piveteau & Sutter, IEEE TIT 70, 2734 (2024), Thm 1).
- :func:`cx_qpd`: ``CNOT = (I ⊗ H)·CZ·(I ⊗ H)``, ``γ = 3``.
- :func:`wire_cut_qpd`: Peng, Harrow, Ozols & Wu, *Simulating large quantum circuits on a small quantum
  computer*, PRL 125, 150504 (2020), Eq. (2): ``ρ = ½ Σ_{P∈{I,X,Y,Z}} Tr(Pρ) P`` written as eight
  measure-and-prepare terms with ``c = ±½``, ``γ = 4``.
- :func:`wire_cut_cc_qpd`: the wire cut with classical communication, ``γ = 3 = 2d − 1`` for ``d = 2``
  (Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023), Thm 2 — the optimal value; Harada, Wada & Yamamoto,
  PRX Quantum 5, 040308 (2024), which reaches it without ancillas by measuring and preparing in mutually
  unbiased bases). The construction used here is ``id = 2·M − M̃`` with
  ``M(ρ) = ⅓ Σ_{P∈{X,Y,Z}} Σ_s Tr(Π^P_s ρ) Π^P_s`` (measure a random Pauli basis, prepare the *same*
  eigenstate) and ``M̃`` (prepare the *opposite* eigenstate); it follows from
  ``Σ_P Σ_s Tr(Π^P_s ρ) Π^P_s = ρ + Tr(ρ)·I``. The receiver needs the sender's outcome ``s`` *during* the
  run, so every term is flagged ``feedforward`` and costs one classical message per shot.
- :func:`joint_cnot_gamma`: the optimal overhead ``γ = 2^(n+1) − 1`` of cutting ``n`` CNOTs between the same
  two parties jointly (Piveteau & Sutter 2024, Thm 3, with classical communication; Schmitt, Piveteau &
  Sutter, arXiv:2312.11638 (2023), without). Only the value is provided (see the module notes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.gates import gate_matrix

__all__ = [
    "QPD",
    "Branch",
    "Instruction",
    "QPDTerm",
    "cx_qpd",
    "cz_qpd",
    "gate_qpd",
    "joint_cnot_gamma",
    "pauli_rotation_qpd",
    "qpd_superoperator",
    "rxx_qpd",
    "ryy_qpd",
    "rzz_qpd",
    "wire_cut_cc_qpd",
    "wire_cut_qpd",
]

_PAULI_ROT = {"X": "rx", "Y": "ry", "Z": "rz"}
_STATES = ("0", "1", "+", "-", "+i", "-i")
SIGN = (1.0, -1.0)
TRACE = (1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Instruction:
    """One local operation of a QPD term (see the module docstring).

    Attributes:
        kind: ``"gate"``, ``"measure"`` or ``"prepare"``.
        name: the gate name, the measured Pauli (``"X"``, ``"Y"``, ``"Z"``) or the prepared state label.
        angle: the gate angle (in rad) for a rotation gate, else ``None``.
        weight: for a measurement, the factors ``(w₊, w₋)`` applied to outcome ``+1`` / ``−1``.
    """

    kind: str
    name: str
    angle: float | None = None
    weight: tuple[float, float] = SIGN

    def __post_init__(self) -> None:
        if self.kind not in ("gate", "measure", "prepare"):
            raise QnetError(f"Instruction.kind must be 'gate', 'measure' or 'prepare' (got {self.kind!r})")
        if self.kind == "measure" and self.name not in ("X", "Y", "Z"):
            raise QnetError(f"a measurement basis is 'X', 'Y' or 'Z' (got {self.name!r})")
        if self.kind == "prepare" and self.name not in _STATES:
            raise QnetError(f"a prepared state is one of {_STATES!r} (got {self.name!r})")

    @property
    def label(self) -> str:
        """A short human-readable label, e.g. ``rz(1.571)``, ``meas[Z](1,-1)``, ``prep[+i]``."""
        if self.kind == "gate":
            return self.name if self.angle is None else f"{self.name}({self.angle:.4g})"
        if self.kind == "measure":
            return f"meas[{self.name}]({self.weight[0]:g},{self.weight[1]:g})"
        return f"prep[{self.name}]"


def _gate(name: str, angle: float | None = None) -> Instruction:
    return Instruction("gate", name, angle)


def _meas(basis: str, weight: tuple[float, float] = SIGN) -> Instruction:
    return Instruction("measure", basis, None, (float(weight[0]), float(weight[1])))


def _prep(state: str) -> Instruction:
    return Instruction("prepare", state)


@dataclass(frozen=True, slots=True)
class Branch:
    """One product of local operations: ``weight · (𝓛 ⊗ 𝓡)``.

    Attributes:
        weight: a real factor (1 for an ordinary term).
        left: instructions on the first qubit of the gate, or on the sender side of a wire.
        right: instructions on the second qubit of the gate, or on the receiver side of a wire.
    """

    weight: float
    left: tuple[Instruction, ...]
    right: tuple[Instruction, ...]


@dataclass(frozen=True, slots=True)
class QPDTerm:
    """One term ``c_k L_k`` of a decomposition.

    ``L_k`` is the sum of its branches. A term without feed-forward has one branch; a term whose right
    side depends on a measurement outcome of the left side during the run (``feedforward=True``) has one
    branch per outcome, all realised by the *same* sub-experiment.

    Attributes:
        coefficient: ``c_k``.
        branches: the product operations whose sum is ``L_k``.
        feedforward: True when the left side's outcome must be sent to the right side during each shot.
        label: a short description.
    """

    coefficient: float
    branches: tuple[Branch, ...]
    feedforward: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not self.branches:
            raise QnetError("a QPD term needs at least one branch")
        if not self.feedforward and len(self.branches) != 1:
            raise QnetError(f"a term without feed-forward has exactly one branch (got {len(self.branches)})")


@dataclass(frozen=True, slots=True)
class QPD:
    """A quasi-probability decomposition of a cut gate or wire.

    Attributes:
        name: what is cut (``"cz"``, ``"rzz(0.3)"``, ``"wire"``, …).
        kind: ``"gate"`` or ``"wire"``.
        terms: the terms ``c_k L_k``.
        citation: the paper and equation the decomposition comes from.
    """

    name: str
    kind: str
    terms: tuple[QPDTerm, ...]
    citation: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("gate", "wire"):
            raise QnetError(f"QPD.kind must be 'gate' or 'wire' (got {self.kind!r})")
        if not self.terms:
            raise QnetError(f"QPD {self.name!r} has no terms")
        if not all(np.isfinite(t.coefficient) for t in self.terms):
            raise QnetError(f"QPD {self.name!r} has a non-finite coefficient")

    @property
    def coefficients(self) -> np.ndarray:
        """``c_k`` as an array."""
        return np.array([t.coefficient for t in self.terms])

    @property
    def gamma(self) -> float:
        """``γ = Σ_k |c_k|`` (the 1-norm of the quasi-probability distribution)."""
        return float(np.abs(self.coefficients).sum())

    @property
    def overhead(self) -> float:
        """Sampling overhead ``γ²``: the factor by which the shot count grows for a fixed error."""
        return self.gamma**2

    @property
    def probabilities(self) -> np.ndarray:
        """Sampling probabilities ``p_k = |c_k| / γ``."""
        a = np.abs(self.coefficients)
        return a / a.sum()

    @property
    def feedforward(self) -> bool:
        """True when any term needs an outcome fed forward during the run."""
        return any(t.feedforward for t in self.terms)


def _drop_zero(terms: list[QPDTerm]) -> tuple[QPDTerm, ...]:
    return tuple(t for t in terms if abs(t.coefficient) > 1e-15)


def pauli_rotation_qpd(a: str, b: str, theta: float) -> QPD:
    """Gate cut of ``U = exp(-iθ/2 A⊗B)`` for Paulis ``A, B`` (Mitarai & Fujii, NJP 23, 023021 (2021), Eq. 5).

    With ``c = cos(θ/2)``, ``s = sin(θ/2)``, ``U = c·I − i s·A⊗B`` and

        UρU† = c²ρ + s²(A⊗B)ρ(A⊗B) − ics[A⊗B, ρ].

    For a product operator, ``−i[A⊗B, ρ₁⊗ρ₂] = ½(−i[A,ρ₁])⊗{B,ρ₂} + ½{A,ρ₁}⊗(−i[B,ρ₂])``, and
    ``−i[A, ρ] = R⁺_A(ρ) − R⁻_A(ρ)`` with ``R^±_A(ρ) = e^{∓iπA/4} ρ e^{±iπA/4}`` (the rotation ``R_A(±π/2)``),
    while ``½{A, ρ} = Π₊ρΠ₊ − Π₋ρΠ₋ =: M_A(ρ)`` (a measurement of ``A`` whose outcome signs the result). So

        UρU† = c²·ρ + s²·(A⊗B)ρ(A⊗B) + cs·[R⁺_A⊗M_B − R⁻_A⊗M_B + M_A⊗R⁺_B − M_A⊗R⁻_B](ρ),

    six terms with ``γ = c² + s² + 4|cs| = 1 + 2|sin θ|``.

    Args:
        a: Pauli on the first qubit (``"X"``, ``"Y"`` or ``"Z"``).
        b: Pauli on the second qubit.
        theta: the rotation angle (in rad); must be a number.

    Returns:
        The decomposition (zero-coefficient terms dropped).
    """
    for p in (a, b):
        if p not in _PAULI_ROT:
            raise QnetError(f"Pauli must be 'X', 'Y' or 'Z' (got {p!r})")
    if not isinstance(theta, (int, float, np.floating, np.integer)):
        raise QnetError(f"a cut rotation needs a numeric angle (got {theta!r})")
    th = float(theta)
    c, s = math.cos(th / 2), math.sin(th / 2)
    cs = c * s
    ra, rb = _PAULI_ROT[a], _PAULI_ROT[b]
    hp = math.pi / 2
    terms = [
        QPDTerm(c * c, (Branch(1.0, (), ()),), label="id"),
        QPDTerm(s * s, (Branch(1.0, (_gate(a.lower()),), (_gate(b.lower()),)),), label=f"{a}{b}"),
        QPDTerm(cs, (Branch(1.0, (_gate(ra, hp),), (_meas(b),)),), label=f"R+{a} M{b}"),
        QPDTerm(-cs, (Branch(1.0, (_gate(ra, -hp),), (_meas(b),)),), label=f"R-{a} M{b}"),
        QPDTerm(cs, (Branch(1.0, (_meas(a),), (_gate(rb, hp),)),), label=f"M{a} R+{b}"),
        QPDTerm(-cs, (Branch(1.0, (_meas(a),), (_gate(rb, -hp),)),), label=f"M{a} R-{b}"),
    ]
    return QPD(
        f"r{a.lower()}{b.lower()}({th:.6g})",
        "gate",
        _drop_zero(terms),
        "Mitarai & Fujii, New J. Phys. 23, 023021 (2021), Eq. 5",
    )


def rzz_qpd(theta: float) -> QPD:
    """Gate cut of ``RZZ(θ) = exp(-iθ Z⊗Z/2)``: six terms, ``γ = 1 + 2|sin θ|`` (Mitarai & Fujii 2021, Eq. 5)."""
    return pauli_rotation_qpd("Z", "Z", theta)


def rxx_qpd(theta: float) -> QPD:
    """Gate cut of ``RXX(θ)``: ``γ = 1 + 2|sin θ|`` (Mitarai & Fujii 2021, Eq. 5)."""
    return pauli_rotation_qpd("X", "X", theta)


def ryy_qpd(theta: float) -> QPD:
    """Gate cut of ``RYY(θ)``: ``γ = 1 + 2|sin θ|`` (Mitarai & Fujii 2021, Eq. 5)."""
    return pauli_rotation_qpd("Y", "Y", theta)


def _wrap(
    qpd: QPD,
    name: str,
    pre: tuple[tuple[Instruction, ...], tuple[Instruction, ...]],
    post: tuple[tuple[Instruction, ...], tuple[Instruction, ...]],
    citation: str,
) -> QPD:
    terms = tuple(
        QPDTerm(
            t.coefficient,
            tuple(Branch(br.weight, pre[0] + br.left + post[0], pre[1] + br.right + post[1]) for br in t.branches),
            t.feedforward,
            t.label,
        )
        for t in qpd.terms
    )
    return QPD(name, "gate", terms, citation)


def cz_qpd() -> QPD:
    """Gate cut of CZ, ``γ = 3``.

    ``CZ = exp(iπ|11⟩⟨11|) = e^{iπ/4}·(RZ(π/2) ⊗ RZ(π/2))·RZZ(−π/2)``, since
    ``|11⟩⟨11| = (I − Z₁ − Z₂ + Z₁Z₂)/4``; the RZZ factor is cut with :func:`pauli_rotation_qpd`
    (Mitarai & Fujii 2021, Eq. 5 with θ = −π/2) and the local RZ gates are appended to every term.
    """
    hp = math.pi / 2
    post = ((_gate("rz", hp),), (_gate("rz", hp),))
    return _wrap(
        rzz_qpd(-hp),
        "cz",
        ((), ()),
        post,
        "Mitarai & Fujii, New J. Phys. 23, 023021 (2021), Eq. 5 (θ = −π/2) plus local RZ(π/2)",
    )


def cx_qpd() -> QPD:
    """Gate cut of CNOT (control = first qubit), ``γ = 3``: ``CNOT = (I ⊗ H)·CZ·(I ⊗ H)`` and :func:`cz_qpd`."""
    cz = cz_qpd()
    return _wrap(
        cz, "cx", ((), (_gate("h"),)), ((), (_gate("h"),)), "Mitarai & Fujii 2021, Eq. 5 via CNOT = (I⊗H) CZ (I⊗H)"
    )


def gate_qpd(name: str, angle: float | None = None) -> QPD:
    """The decomposition used to cut a gate of :mod:`qnet_dqnn.quantum.gates` by name.

    Raises:
        QnetError: for a gate this module cannot cut (e.g. ``swap``) or a symbolic angle.
    """
    if name == "cz":
        return cz_qpd()
    if name == "cx":
        return cx_qpd()
    if name in ("rzz", "rxx", "ryy"):
        if not isinstance(angle, (int, float, np.floating, np.integer)):
            raise QnetError(
                f"cutting {name!r} needs a numeric angle (got {angle!r}); trainable or data angles "
                "on a cut gate are not supported — cut the wire instead"
            )
        p = name[1].upper()
        return pauli_rotation_qpd(p, p, float(angle))
    raise QnetError(f"cannot cut gate {name!r} (cuttable: 'cx', 'cz', 'rxx', 'ryy', 'rzz')")


def wire_cut_qpd() -> QPD:
    """Wire cut by measure-and-prepare (Peng, Harrow, Ozols & Wu, PRL 125, 150504 (2020), Eq. 2), ``γ = 4``.

    ``ρ = ½[Tr(ρ)(|0⟩⟨0| + |1⟩⟨1|) + Tr(Xρ)(|+⟩⟨+| − |−⟩⟨−|) + Tr(Yρ)(|+i⟩⟨+i| − |−i⟩⟨−i|)
    + Tr(Zρ)(|0⟩⟨0| − |1⟩⟨1|)]``: eight terms with ``c = ±½``, where ``Tr(Pρ)`` is a measurement of ``P``
    signed by its outcome on the sender and the state is prepared on a fresh receiver qubit.
    """
    terms = [
        QPDTerm(0.5, (Branch(1.0, (_meas("Z", TRACE),), (_prep("0"),)),), label="I,|0>"),
        QPDTerm(0.5, (Branch(1.0, (_meas("Z", TRACE),), (_prep("1"),)),), label="I,|1>"),
        QPDTerm(0.5, (Branch(1.0, (_meas("X"),), (_prep("+"),)),), label="X,|+>"),
        QPDTerm(-0.5, (Branch(1.0, (_meas("X"),), (_prep("-"),)),), label="X,|->"),
        QPDTerm(0.5, (Branch(1.0, (_meas("Y"),), (_prep("+i"),)),), label="Y,|+i>"),
        QPDTerm(-0.5, (Branch(1.0, (_meas("Y"),), (_prep("-i"),)),), label="Y,|-i>"),
        QPDTerm(0.5, (Branch(1.0, (_meas("Z"),), (_prep("0"),)),), label="Z,|0>"),
        QPDTerm(-0.5, (Branch(1.0, (_meas("Z"),), (_prep("1"),)),), label="Z,|1>"),
    ]
    return QPD("wire", "wire", tuple(terms), "Peng, Harrow, Ozols & Wu, PRL 125, 150504 (2020), Eq. 2")


_EIGEN = {("X", 0): "+", ("X", 1): "-", ("Y", 0): "+i", ("Y", 1): "-i", ("Z", 0): "0", ("Z", 1): "1"}


def wire_cut_cc_qpd() -> QPD:
    """Wire cut with classical communication (feed-forward), ``γ = 3`` (Brenner, Piveteau & Sutter 2023, Thm 2).

    ``id = Σ_{P∈{X,Y,Z}} [⅔·MP_P − ⅓·M̃P_P]`` where ``MP_P`` measures ``P`` on the sender, sends the outcome
    ``s`` and prepares the eigenstate ``s`` on the receiver, and ``M̃P_P`` prepares the eigenstate ``−s``.
    Each term is one sub-experiment with two branches (one per outcome) and a classical message per shot.
    """
    terms = []
    for p in ("X", "Y", "Z"):
        for coef, flip in ((2.0 / 3.0, 0), (-1.0 / 3.0, 1)):
            branches = tuple(
                Branch(1.0, (_meas(p, (1.0, 0.0) if s == 0 else (0.0, 1.0)),), (_prep(_EIGEN[(p, s ^ flip)]),))
                for s in (0, 1)
            )
            terms.append(QPDTerm(coef, branches, feedforward=True, label=f"{p},{'flip' if flip else 'same'}"))
    return QPD(
        "wire-cc",
        "wire",
        tuple(terms),
        "Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023), Thm 2; Harada, Wada & Yamamoto, "
        "PRX Quantum 5, 040308 (2024)",
    )


def joint_cnot_gamma(n: int) -> float:
    """Optimal ``γ`` of cutting ``n`` CNOTs between the same two parties jointly: ``2^(n+1) − 1``.

    Piveteau & Sutter, IEEE TIT 70, 2734 (2024) (arXiv:2205.00016), Thm 3 (with classical communication);
    Schmitt, Piveteau & Sutter, arXiv:2312.11638 (2023) reach the same value without. Cutting them one by one
    costs ``3^n`` instead.

    Examples:
        >>> [joint_cnot_gamma(n) for n in (1, 2, 3)]
        [3.0, 7.0, 15.0]
    """
    if n < 1:
        raise QnetError(f"n must be >= 1 (got {n!r})")
    return float(2 ** (n + 1) - 1)


# ---------------------------------------------------------------------------- process matrices
_PROJ = {
    "X": (np.array([[1, 1], [1, 1]]) / 2, np.array([[1, -1], [-1, 1]]) / 2),
    "Y": (np.array([[1, -1j], [1j, 1]]) / 2, np.array([[1, 1j], [-1j, 1]]) / 2),
    "Z": (np.diag([1.0, 0.0]), np.diag([0.0, 1.0])),
}
_KETS = {"0": [1, 0], "1": [0, 1], "+": [1, 1], "-": [1, -1], "+i": [1, 1j], "-i": [1, -1j]}


def _kraus_list(instrs: tuple[Instruction, ...]) -> list[tuple[float, np.ndarray]]:
    """``[(w, K)]`` with ``ρ ↦ Σ w KρK†`` for a sequence of gate/measure instructions on one qubit."""
    out: list[tuple[float, np.ndarray]] = [(1.0, np.eye(2, dtype=complex))]
    for ins in instrs:
        if ins.kind == "gate":
            u = gate_matrix(ins.name, ins.angle)
            out = [(w, u @ k) for w, k in out]
        elif ins.kind == "measure":
            p0, p1 = _PROJ[ins.name]
            out = [(w * ws, p @ k) for w, k in out for ws, p in zip(ins.weight, (p0, p1), strict=True) if ws != 0]
        else:
            raise QnetError("a prepare instruction has no Kraus form on a continuing wire")
    return out


def _superop_kraus(items: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Row-major superoperator ``Σ w K ⊗ K̄`` (``vec(KρK†) = (K ⊗ K̄) vec(ρ)``)."""
    return sum(w * np.kron(k, k.conj()) for w, k in items)


def _wire_branch_superop(br: Branch) -> np.ndarray:
    """Superoperator of ``ρ ↦ Σ_s w_s Tr(Π_s ρ) · σ`` (sender measures, receiver prepares σ)."""
    (meas,) = [i for i in br.left if i.kind == "measure"]
    pre = tuple(i for i in br.left if i.kind == "gate")
    (prep,) = [i for i in br.right if i.kind == "prepare"]
    ket = np.array(_KETS[prep.name], dtype=complex)
    ket /= np.linalg.norm(ket)
    sigma = np.outer(ket, ket.conj())
    functional = sum(w * p.T.reshape(-1) for w, p in zip(meas.weight, _PROJ[meas.name], strict=True))
    s = np.outer(sigma.reshape(-1), functional)
    if pre:
        s = s @ _superop_kraus(_kraus_list(pre))
    return s


def qpd_superoperator(qpd: QPD) -> np.ndarray:
    """The process (superoperator) matrix ``Σ_k c_k L_k`` in row-major vectorisation.

    For a gate cut it is ``16 × 16`` (two qubits, qubit 0 = left); for a wire cut ``4 × 4``. Compare with
    ``U ⊗ Ū`` of the cut gate (or the identity) to check a decomposition.
    """
    total: np.ndarray | None = None
    for t in qpd.terms:
        for br in t.branches:
            if qpd.kind == "wire":
                s = _wire_branch_superop(br)
            else:
                kl, kr = _kraus_list(br.left), _kraus_list(br.right)
                s = _superop_kraus([(wa * wb, np.kron(a, b)) for wa, a in kl for wb, b in kr])
            s = t.coefficient * br.weight * s
            total = s if total is None else total + s
    assert total is not None
    return total
