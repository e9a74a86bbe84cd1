"""Quasi-probability decompositions (QPDs): the data types every cut is made of.

A cut replaces a nonlocal operation (a two-qubit gate, the identity channel of a wire, a block of CNOTs) by a
quasi-probability sum of *local* operations,

    𝒰(ρ) = Σ_k c_k (𝓛_k ⊗ 𝓡_k)(ρ),        γ = Σ_k |c_k|,

so the expectation value of the uncut circuit is the ``c_k``-weighted sum of expectation values of circuits in
which each side only runs local operations (review, §6.1.1–6.2, Eqs. 18–19). Sampling term ``k`` with
probability ``|c_k|/γ`` and weighting it by ``γ·sign(c_k)`` gives an unbiased estimator whose variance grows as
``γ²``: the *sampling overhead* (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)).

The local operations are :class:`Instruction` s:

- ``gate``: a gate of :mod:`qnet_dqnn.quantum.gates` (its angle a number or a trainable reference);
- ``measure``: a measurement of the Pauli ``X``/``Y``/``Z`` whose outcome ``s`` multiplies the result by
  ``weight[s]``: ``(1, -1)`` is the signed measurement ``ρ ↦ Π₊ρΠ₊ − Π₋ρΠ₋`` of Mitarai & Fujii, ``(1, 1)``
  discards the outcome, ``(1, 0)``/``(0, 1)`` keep one outcome (terms whose outcome is fed forward). With a
  ``phase`` ψ ≠ 0 it is the generalized measurement with Kraus operators ``K_s = (I + (−1)^s e^{iψ} P)/2``
  (see :mod:`qnet_dqnn.cutting.gate_cuts`), realized with one ancilla qubit;
- ``prepare``: prepare a fresh qubit in ``|0⟩, |1⟩, |+⟩, |−⟩, |+i⟩`` or ``|−i⟩`` (wire cuts).

Each instruction names the side-local qubits it acts on (``qubits``: the side's anchors first, then its
ancillas) and the anchor whose time it is placed at (``slot``); an ordinary gate or wire cut has one anchor per
side, so the defaults ``qubits=(0,)``, ``slot=0`` fit. A QPD carries ``pre``/``post`` instructions common to every
term (the local parts of a gate's KAK decomposition, possibly with trainable angles), so a term's branches hold
only what varies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Data, Trainable
from qnet_dqnn.quantum.gates import gate_matrix

__all__ = [
    "QPD",
    "SIGN",
    "TRACE",
    "Branch",
    "CutError",
    "Instruction",
    "QPDTerm",
    "qpd_superoperator",
]

SIGN = (1.0, -1.0)
TRACE = (1.0, 1.0)
STATES = ("0", "1", "+", "-", "+i", "-i")


class CutError(QnetError):
    """A cut cannot be made: an unknown or unsupported gate, a bad cut position, a budget or a width."""


@dataclass(frozen=True, slots=True)
class Instruction:
    """One local operation of a QPD term (see the module docstring).

    Attributes:
        kind: ``"gate"``, ``"measure"`` or ``"prepare"``.
        name: the gate name, the measured Pauli (``"X"``, ``"Y"``, ``"Z"``) or the prepared state label.
        angle: the gate angle (in rad, or a :class:`~qnet_dqnn.quantum.circuit.Trainable` reference), else None.
        weight: for a measurement, the factors ``(w₀, w₁)`` applied to outcome ``+1`` / ``−1``.
        phase: for a measurement, ψ of the generalized measurement (0: projective).
        qubits: the side-local qubits it acts on (anchors first, then ancillas).
        slot: the anchor at whose time it is placed.
    """

    kind: str
    name: str
    angle: float | Trainable | None = None
    weight: tuple[float, float] = SIGN
    phase: float = 0.0
    qubits: tuple[int, ...] = (0,)
    slot: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("gate", "measure", "prepare"):
            raise CutError(f"Instruction.kind must be 'gate', 'measure' or 'prepare' (got {self.kind!r})")
        if self.kind == "measure" and self.name not in ("X", "Y", "Z"):
            raise CutError(f"a measurement basis is 'X', 'Y' or 'Z' (got {self.name!r})")
        if self.kind == "prepare" and self.name not in STATES:
            raise CutError(f"a prepared state is one of {STATES!r} (got {self.name!r})")
        if isinstance(self.angle, Data):
            raise CutError("a cut instruction cannot depend on the input data")

    @property
    def trainable(self) -> bool:
        """True when the angle is a trainable reference."""
        return isinstance(self.angle, Trainable)

    @property
    def label(self) -> str:
        """A short human-readable label, e.g. ``rz(1.571)``, ``meas[Z](1,-1)``, ``prep[+i]``."""
        where = "" if self.qubits == (0,) and self.slot == 0 else f"@{self.slot}{list(self.qubits)}"
        if self.kind == "gate":
            if self.angle is None:
                return self.name + where
            a = self.angle if isinstance(self.angle, Trainable) else f"{self.angle:.4g}"
            return f"{self.name}({a}){where}"
        if self.kind == "measure":
            ph = f",ψ={self.phase:.4g}" if self.phase else ""
            return f"meas[{self.name}]({self.weight[0]:g},{self.weight[1]:g}{ph}){where}"
        return f"prep[{self.name}]{where}"

    def physical(self) -> Instruction:
        """The same operation with its outcome weights dropped: what runs on the QPU (weights are post-processing)."""
        return Instruction(self.kind, self.name, self.angle, TRACE, self.phase, self.qubits, self.slot)


def gate(
    name: str, angle: float | Trainable | None = None, qubits: tuple[int, ...] = (0,), slot: int = 0
) -> Instruction:
    """A gate instruction."""
    a = angle if angle is None or isinstance(angle, Trainable) else float(angle)
    return Instruction("gate", name, a, SIGN, 0.0, qubits, slot)


def measure(
    basis: str,
    weight: tuple[float, float] = SIGN,
    phase: float = 0.0,
    qubits: tuple[int, ...] = (0,),
    slot: int = 0,
) -> Instruction:
    """A (signed, filtered or generalized) measurement instruction."""
    return Instruction("measure", basis, None, (float(weight[0]), float(weight[1])), float(phase), qubits, slot)


def prepare(state: str, qubits: tuple[int, ...] = (0,), slot: int = 0) -> Instruction:
    """A preparation of a fresh qubit."""
    return Instruction("prepare", state, None, SIGN, 0.0, qubits, slot)


@dataclass(frozen=True, slots=True)
class Branch:
    """One product of local operations: ``weight · (𝓛 ⊗ 𝓡)``.

    Attributes:
        weight: a real factor (1 for an ordinary term).
        left: instructions of side 0 (the first qubit of a gate, a wire's sender).
        right: instructions of side 1 (the second qubit of a gate, a wire's receiver).
    """

    weight: float
    left: tuple[Instruction, ...]
    right: tuple[Instruction, ...]

    def side(self, s: int) -> tuple[Instruction, ...]:
        """The instructions of side ``s``."""
        return self.left if s == 0 else self.right


@dataclass(frozen=True, slots=True)
class QPDTerm:
    """One term ``c_k L_k`` of a decomposition.

    ``L_k`` is the sum of its branches. A term without feed-forward has one branch; a term whose sides exchange
    measurement outcomes during the run (``feedforward=True``) has one branch per outcome assignment, all
    realised by the *same* run (the branches differ by outcome filters and by the corrections the received
    outcomes trigger).

    Attributes:
        coefficient: ``c_k``.
        branches: the product operations whose sum is ``L_k``.
        feedforward: True when outcomes are exchanged during each shot.
        label: a short description.
    """

    coefficient: float
    branches: tuple[Branch, ...]
    feedforward: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not self.branches:
            raise CutError("a QPD term needs at least one branch")
        if not self.feedforward and len(self.branches) != 1:
            raise CutError(f"a term without feed-forward has exactly one branch (got {len(self.branches)})")


@dataclass(frozen=True)
class QPD:
    """A quasi-probability decomposition of a cut gate, wire or block.

    Attributes:
        name: what is cut (``"cz"``, ``"rzz(0.3)"``, ``"wire"``, ``"cx×2"`` …).
        kind: ``"gate"``, ``"wire"`` or ``"block"``.
        terms: the terms ``c_k L_k``.
        citation: the paper and equation the decomposition comes from.
        pre: per side, instructions run before every term's own (common local parts).
        post: per side, instructions run after every term's own.
        derivatives: ``∂c_k/∂φ`` for a cut gate whose angle ``φ`` is trainable (same order as ``terms``), else None.
        ancillas: extra qubits each side needs on hardware (per side).
        messages: bits each side sends the other per shot during a feed-forward term (per side).
        delays: one-way classical delays on the critical path of one feed-forward shot.
    """

    name: str
    kind: str
    terms: tuple[QPDTerm, ...]
    citation: str = ""
    pre: tuple[tuple[Instruction, ...], tuple[Instruction, ...]] = ((), ())
    post: tuple[tuple[Instruction, ...], tuple[Instruction, ...]] = ((), ())
    derivatives: tuple[float, ...] | None = None
    ancillas: tuple[int, int] = (0, 0)
    messages: tuple[int, int] = (0, 0)
    delays: int = 0
    _coefficients: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("gate", "wire", "block"):
            raise CutError(f"QPD.kind must be 'gate', 'wire' or 'block' (got {self.kind!r})")
        if not self.terms:
            raise CutError(f"QPD {self.name!r} has no terms")
        c = np.array([t.coefficient for t in self.terms], dtype=float)
        if not np.all(np.isfinite(c)):
            raise CutError(f"QPD {self.name!r} has a non-finite coefficient")
        if self.derivatives is not None and len(self.derivatives) != len(self.terms):
            raise CutError(f"QPD {self.name!r}: one derivative per term ({len(self.derivatives)} != {len(self.terms)})")
        object.__setattr__(self, "_coefficients", c)

    @property
    def coefficients(self) -> np.ndarray:
        """``c_k`` as an array."""
        return self._coefficients

    @property
    def gamma(self) -> float:
        """``γ = Σ_k |c_k|`` (the 1-norm of the quasi-probability distribution)."""
        return float(np.abs(self._coefficients).sum())

    @property
    def overhead(self) -> float:
        """Sampling overhead ``γ²``: the factor by which the shot count grows for a fixed error."""
        return self.gamma**2

    @property
    def weights(self) -> np.ndarray:
        """What sampling is proportional to: ``|c_k|``, plus ``|∂c_k/∂φ|`` for a trainable cut (so a term whose
        coefficient vanishes at this angle but whose derivative does not is still run)."""
        a = np.abs(self._coefficients)
        if self.derivatives is not None:
            a = a + np.abs(np.asarray(self.derivatives))
        return a

    @property
    def probabilities(self) -> np.ndarray:
        """Sampling probabilities ``p_k`` (``|c_k|/γ`` for a fixed cut; see :attr:`weights`)."""
        a = self.weights
        return a / a.sum()

    @property
    def feedforward(self) -> bool:
        """True when any term needs an outcome fed forward during the run."""
        return any(t.feedforward for t in self.terms)

    @cached_property
    def options(self) -> tuple[tuple[int, int, float], ...]:
        """``((term k, branch b, c_k · w_b), …)``: a feed-forward term gives one option per branch."""
        return tuple(
            (k, b, t.coefficient * br.weight) for k, t in enumerate(self.terms) for b, br in enumerate(t.branches)
        )


# ---------------------------------------------------------------------------- process matrices
_PROJ = {
    "X": (np.array([[1, 1], [1, 1]]) / 2, np.array([[1, -1], [-1, 1]]) / 2),
    "Y": (np.array([[1, -1j], [1j, 1]]) / 2, np.array([[1, 1j], [-1j, 1]]) / 2),
    "Z": (np.diag([1.0, 0.0]), np.diag([0.0, 1.0])),
}
_PAULI = {"X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1.0, -1.0])}
KETS = {"0": [1, 0], "1": [0, 1], "+": [1, 1], "-": [1, -1], "+i": [1, 1j], "-i": [1, -1j]}


def measurement_kraus(ins: Instruction) -> tuple[np.ndarray, np.ndarray]:
    """``(K₀, K₁)`` of a measurement instruction: projectors, or ``(I ± e^{iψ}P)/2`` with a phase."""
    if ins.phase == 0.0:
        p0, p1 = _PROJ[ins.name]
        return np.asarray(p0, dtype=complex), np.asarray(p1, dtype=complex)
    c = np.exp(1j * ins.phase) * _PAULI[ins.name]
    return (np.eye(2) + c) / 2, (np.eye(2) - c) / 2


def kraus_list(instrs: tuple[Instruction, ...]) -> list[tuple[float, np.ndarray]]:
    """``[(w, K)]`` with ``ρ ↦ Σ w KρK†`` for a sequence of numeric one-qubit gate/measure instructions."""
    out: list[tuple[float, np.ndarray]] = [(1.0, np.eye(2, dtype=complex))]
    for ins in instrs:
        if ins.qubits != (0,) or ins.slot != 0:
            raise CutError("kraus_list handles one-anchor, one-qubit instructions only")
        if ins.kind == "gate":
            if isinstance(ins.angle, Trainable):
                raise CutError("kraus_list needs numeric angles")
            u = gate_matrix(ins.name, ins.angle)
            out = [(w, u @ k) for w, k in out]
        elif ins.kind == "measure":
            ks = measurement_kraus(ins)
            out = [(w * ws, p @ k) for w, k in out for ws, p in zip(ins.weight, ks, strict=True) if ws != 0]
        else:
            raise CutError("a prepare instruction has no Kraus form on a continuing wire")
    return out


def _superop_kraus(items: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Row-major superoperator ``Σ w K ⊗ K̄`` (``vec(KρK†) = (K ⊗ K̄) vec(ρ)``)."""
    return sum(w * np.kron(k, k.conj()) for w, k in items)


def _wire_branch_superop(br: Branch, pre: tuple, post: tuple) -> np.ndarray:
    """Superoperator of ``ρ ↦ Σ_s w_s Tr(K_s ρ K_s†) · σ``: the sender (gates, one measurement) ends its wire, the
    receiver starts a fresh qubit (a preparation, or ``|0⟩``, then gates)."""
    meas = [i for i in br.left if i.kind == "measure"]
    if len(meas) != 1:
        raise CutError("a wire-cut branch measures its sender once")
    before = pre[0] + tuple(i for i in br.left if i.kind == "gate")
    preps = [i for i in br.right if i.kind == "prepare"]
    ket = np.array(KETS[preps[0].name] if preps else KETS["0"], dtype=complex)
    ket /= np.linalg.norm(ket)
    after = tuple(i for i in br.right if i.kind == "gate") + post[1]
    sigma = np.outer(ket, ket.conj())
    for w, k in kraus_list(after):
        sigma = w * (k @ sigma @ k.conj().T)
    ks = measurement_kraus(meas[0])
    functional = sum(w * (k.conj().T @ k).T.reshape(-1) for w, k in zip(meas[0].weight, ks, strict=True))
    s = np.outer(sigma.reshape(-1), functional)
    if before:
        s = s @ _superop_kraus(kraus_list(before))
    return s


def qpd_superoperator(qpd: QPD) -> np.ndarray:
    """The process (superoperator) matrix ``Σ_k c_k L_k`` in row-major vectorisation.

    For a gate cut it is ``16 × 16`` (two qubits, qubit 0 = left); for a wire cut ``4 × 4``. Compare with
    ``U ⊗ Ū`` of the cut gate (or the identity) to check a decomposition. Handles one-anchor, one-qubit-per-side
    decompositions with numeric angles (not the multi-qubit blocks of :mod:`~qnet_dqnn.cutting.joint`).
    """
    total: np.ndarray | None = None
    for t in qpd.terms:
        for br in t.branches:
            if qpd.kind == "wire":
                s = _wire_branch_superop(br, qpd.pre, qpd.post)
            elif qpd.kind == "gate":
                kl = kraus_list(qpd.pre[0] + br.left + qpd.post[0])
                kr = kraus_list(qpd.pre[1] + br.right + qpd.post[1])
                s = _superop_kraus([(wa * wb, np.kron(a, b)) for wa, a in kl for wb, b in kr])
            else:
                raise CutError(f"qpd_superoperator does not handle {qpd.kind!r} decompositions")
            s = t.coefficient * br.weight * s
            total = s if total is None else total + s
    assert total is not None
    return total
