"""Noise channels and a gate-level noise model.

Channels (Nielsen & Chuang 2010, §8.3):

- Pauli channel ``ρ → (1-Σp)ρ + p_x XρX + p_y YρY + p_z ZρZ`` (Eq. 8.87 generalised); the two-qubit
  Pauli channel has 15 probabilities for IX, IY, …, ZZ;
- depolarizing ``ρ → (1-p)ρ + (p/3)(XρX + YρY + ZρZ)`` (Eq. 8.102), and on two qubits
  ``ρ → (1-p)ρ + (p/15) Σ_{P≠II} PρP``;
- idle relaxation for a time ``t`` (``thermal``): amplitude damping with ``γ = 1 - e^{-t/T1}``
  (Eq. 8.108) followed by a phase flip with ``p_z = (1 - e^{-t/T2} e^{t/(2T1)})/2`` so that the
  coherences decay exactly as ``e^{-t/T2}`` and populations relax as ``e^{-t/T1}`` (needs ``T2 ≤ 2 T1``);
- its Pauli twirl, used by the trajectory sampler (Ghosh, Fowler & Geller, PRA 86, 062318 (2012),
  Eq. 11): ``p_x = p_y = (1 - e^{-t/T1})/4``, ``p_z = (1 + e^{-t/T1} - 2 e^{-t/T2})/4``;
- readout error: each measured bit flips with probability ``p``; for a Z string of weight ``w`` the
  expectation scales by ``(1 - 2p)^w``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.gates import PAULIS

#: Labels of the two-qubit Paulis in the order ``pauli2`` takes its 15 probabilities (II left out).
PAULI2_LABELS: tuple[str, ...] = tuple(a + b for a, b in itertools.product("IXYZ", repeat=2))[1:]


def _check_probs(name: str, probs: np.ndarray) -> None:
    if np.any(probs < -1e-15) or probs.sum() > 1 + 1e-12:
        raise QnetError(f"{name}: probabilities must be >= 0 and sum to <= 1 (got {probs.tolist()})")


def thermal_parameters(duration_s: float, t1_s: float, t2_s: float) -> tuple[float, float]:
    """``(γ, p_z)`` of the idle channel: amplitude damping then phase flip (see module docstring)."""
    if duration_s < 0 or t1_s <= 0 or t2_s <= 0:
        raise QnetError(f"thermal: need t >= 0, T1 > 0, T2 > 0 (got t={duration_s}, T1={t1_s}, T2={t2_s})")
    if t2_s > 2 * t1_s * (1 + 1e-12):
        raise QnetError(f"thermal: T2 must be <= 2·T1 (got T1={t1_s}, T2={t2_s})")
    gamma = 1.0 - math.exp(-duration_s / t1_s)
    pz = 0.5 * (1.0 - math.exp(-duration_s / t2_s + duration_s / (2 * t1_s)))
    return gamma, max(pz, 0.0)


def thermal_kraus(duration_s: float, t1_s: float, t2_s: float) -> list[np.ndarray]:
    """Kraus operators of amplitude damping (N&C Eq. 8.108) composed with a phase flip."""
    gamma, pz = thermal_parameters(duration_s, t1_s, t2_s)
    ad = [
        np.array([[1, 0], [0, math.sqrt(1 - gamma)]], dtype=complex),
        np.array([[0, math.sqrt(gamma)], [0, 0]], dtype=complex),
    ]
    pf = [math.sqrt(1 - pz) * PAULIS["I"], math.sqrt(pz) * PAULIS["Z"]]
    return [f @ a for f in pf for a in ad]


def pauli_probabilities(op: Operation) -> tuple[tuple[str, ...], np.ndarray]:
    """``(labels, probs)`` of the Pauli channel an operation is (or is twirled to), identity first."""
    par = np.asarray(op.params, dtype=float)
    if op.name == "pauli1":
        labels, probs = ("X", "Y", "Z"), par
    elif op.name == "depolarize1":
        labels, probs = ("X", "Y", "Z"), np.full(3, par[0] / 3)
    elif op.name == "pauli2":
        labels, probs = PAULI2_LABELS, par
    elif op.name == "depolarize2":
        labels, probs = PAULI2_LABELS, np.full(15, par[0] / 15)
    elif op.name == "thermal":
        t, t1, t2 = par
        thermal_parameters(t, t1, t2)
        pxy = (1 - math.exp(-t / t1)) / 4
        pz = (1 + math.exp(-t / t1) - 2 * math.exp(-t / t2)) / 4
        labels, probs = ("X", "Y", "Z"), np.array([pxy, pxy, max(pz, 0.0)])
    else:
        raise QnetError(f"{op.name!r} is not a channel")
    _check_probs(op.name, probs)
    ident = "I" * len(op.qubits)
    return (ident,) + tuple(labels), np.concatenate([[1.0 - probs.sum()], probs])


def kraus_operators(op: Operation) -> list[np.ndarray]:
    """The exact Kraus operators of a channel operation (thermal is *not* twirled here)."""
    if op.name == "thermal":
        return thermal_kraus(*op.params)
    labels, probs = pauli_probabilities(op)
    out = []
    for lab, p in zip(labels, probs, strict=True):
        if p <= 0:
            continue
        m = PAULIS[lab[0]] if len(lab) == 1 else np.kron(PAULIS[lab[0]], PAULIS[lab[1]])
        out.append(math.sqrt(p) * m)
    return out


@dataclass(frozen=True, slots=True)
class NoiseModel:
    """Gate-level noise of one QPU.

    Attributes:
        p1: depolarizing probability after each one-qubit gate.
        p2: depolarizing probability after each two-qubit gate.
        readout: symmetric readout bit-flip probability.
        t1_s: energy relaxation time (in s), or ``None`` for no idle noise.
        t2_s: coherence time (in s), or ``None`` (defaults to ``t1_s`` when only T1 is given).
    """

    p1: float = 0.0
    p2: float = 0.0
    readout: float = 0.0
    t1_s: float | None = None
    t2_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("p1", "p2"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise QnetError(f"NoiseModel.{name} must be in [0, 1] (got {v!r})")
        if not 0.0 <= self.readout <= 0.5:
            raise QnetError(f"NoiseModel.readout must be in [0, 0.5] (got {self.readout!r})")

    @property
    def is_ideal(self) -> bool:
        """True when the model adds no noise at all."""
        return self.p1 == 0 and self.p2 == 0 and self.readout == 0 and self.t1_s is None

    def readout_factor(self, weight: int) -> float:
        """``(1 - 2p)^w``: how a weight-``w`` Z string's expectation shrinks under readout error."""
        return (1.0 - 2.0 * self.readout) ** weight

    def apply(self, circuit: Circuit, timing=None) -> Circuit:
        """A copy of ``circuit`` with channels inserted.

        Depolarizing channels follow every gate; with ``t1_s`` set and a
        :class:`~qnet_dqnn.quantum.shots.QPUTiming` given, every qubit idles through the part of each ASAP
        layer it does not spend in its own gate (the slowest gate sets the layer's length).
        """
        out = Circuit(circuit.num_qubits)
        if self.t1_s is not None and timing is not None:
            t2 = self.t2_s if self.t2_s is not None else self.t1_s
            for layer in circuit.layers():
                length = max(timing.gate_time(op) for op in layer)
                busy = {}
                for op in layer:
                    self._gate_with_noise(out, op)
                    for q in op.qubits:
                        busy[q] = timing.gate_time(op)
                for q in range(circuit.num_qubits):
                    idle = length - busy.get(q, 0.0)
                    if idle > 0:
                        out.thermal(q, idle, self.t1_s, t2)
            return out
        for op in circuit.ops:
            if op.is_channel:
                out.extend([op])
            else:
                self._gate_with_noise(out, op)
        return out

    def _gate_with_noise(self, out: Circuit, op: Operation) -> None:
        out.extend([op])
        p = self.p1 if len(op.qubits) == 1 else self.p2
        if p > 0 and op.name != "i":
            out.depolarize(op.qubits, p)
