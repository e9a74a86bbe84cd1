"""Light cones of an observable: the operations of a circuit that can change its expectation value.

In the Heisenberg picture the measured observable is carried backwards through the circuit,
``O_t = U_{>t}† O U_{>t}`` with ``U_{>t}`` the operations after ``t``, and ``⟨O⟩ = Tr(O_0 ρ_in)`` (Gottesman,
"The Heisenberg representation of quantum computers", arXiv:quant-ph/9807006 (1998)). An operation ``G`` at
``t`` may be left out, exactly and for every input state and parameter value, when ``G† O_t G = O_t``. Two
prunings are built on that:

- **causal** (the reverse causal cone of Farhi, Goldstone & Gutmann, arXiv:1411.4028 (2014), Sec. 3): ``O_t``
  acts as the identity outside a *support*; walking back from the end, an operation on no qubit of the
  support is dropped, any other is kept and its qubits join the support. Channels are dropped on the same
  rule (the adjoint of a trace-preserving channel maps ``I`` to ``I``).
- **commuting**: ``O_t`` is kept as an over-approximation of the Pauli letters it may carry on each qubit,
  ``A_q ⊆ {X, Y, Z}``: ``O_t`` lies in the span of the strings ``⊗_q P_q`` with ``P_q ∈ {I} ∪ A_q``. A gate
  that commutes with every such string, restricted to its qubits, commutes with ``O_t`` and is dropped; a
  kept gate maps each string through its Pauli transfer matrix ``R[Q, P] = Tr(Q G† P G)/d`` (Greenbaum,
  arXiv:1509.02921 (2015), Sec. 3.3) and the letters of the images become the new ``A_q`` of its qubits.
  A Pauli channel whose Pauli operators all commute with those strings acts as the identity on ``O_t``
  (``E†(O) = Σ_k p_k P_k O P_k``) and is dropped; one that does not only rescales strings (no new letter).
  The ``thermal`` channel's adjoint maps ``X → c X``, ``Y → c Y``, ``Z → a Z + b I`` (Nielsen & Chuang 2010,
  Eq. 8.108 and Sec. 8.3.6): no new letter; it is kept when its qubit carries a letter. Any other channel on
  the support is kept and its qubits may carry every letter afterwards.

Both are exact for ``⟨O⟩``; the commuting cone is a subset of the causal one (a kept gate touches a qubit
with a letter, and the qubits with letters are a subset of the causal support at every step). For several
observables the cone is the union of their cones, which is exact for each of them (an operation dropped for
one observable commutes with its ``O_t`` whether or not later operations are kept).

A gate angle that is a :class:`~qnet_dqnn.quantum.circuit.Trainable` or :class:`~qnet_dqnn.quantum.circuit.Data`
reference is treated as unknown: the gate is dropped only if it commutes for every angle. With
``U(θ) = exp(-iθG/2)``, ``U† P U = Σ_jk e^{iθ(λ_j − λ_k)/2} Π_j P Π_k`` over the eigenvalues ``λ`` of ``G``
and their projectors; when the eigenvalue differences are integers of magnitude at most 2 (every
parameterised gate of :mod:`qnet_dqnn.quantum.gates`: Pauli rotations, RZZ/RXX/RYY, the phase gate), each
entry of ``R(θ)`` is a trigonometric polynomial of degree at most 2 in ``θ/2``, and one that vanishes at
:data:`ANGLE_SAMPLES` = 5 distinct angles of ``[0, 4π)`` is identically zero (a non-zero one has at most 4
roots there). So 5 sample angles decide both "commutes for every θ" and which letters appear for some ``θ``.

:func:`remote_ops_in_cone` counts the operations of a split circuit that cross nodes inside the cone — the
network's share of what the readout sees — and :func:`cone_metrics` gives the numbers the split strategies
report.

Examples:
    >>> from qnet_dqnn.quantum.circuit import Circuit, Trainable
    >>> c = Circuit(2).ry(0, Trainable(0)).cx(0, 1).rz(0, Trainable(1))
    >>> light_cone(c, [PauliString.z(0)], method="causal").ops
    (0, 1, 2)
    >>> light_cone(c, [PauliString.z(0)]).ops  # RZ and the CNOT's control commute with Z on qubit 0
    (0,)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Operation, Trainable
from qnet_dqnn.quantum.gates import PAULIS, gate_matrix, gate_spec
from qnet_dqnn.quantum.noise import pauli_probabilities
from qnet_dqnn.quantum.observables import PauliString

__all__ = [
    "ANGLE_SAMPLES",
    "LightCone",
    "Method",
    "cone_metrics",
    "light_cone",
    "prune",
    "remote_ops_in_cone",
]

#: Sample angles that decide a parameterised gate's commutation for every angle (see the module docstring).
ANGLE_SAMPLES = 5

#: The two prunings (see the module docstring).
Method = Literal["causal", "commuting"]

#: Single-qubit Pauli letters, indexed as in a letter mask (bit ``i`` set: letter ``i`` allowed; I always).
_LETTERS = "IXYZ"
_ONLY_I = 0b0001
_ALL = 0b1111
#: Entries of a transfer matrix below this are zero (float rounding of 4x4 products).
_TOL = 1e-10
_PAULI_CHANNELS = ("pauli1", "pauli2", "depolarize1", "depolarize2")


@dataclass(frozen=True)
class LightCone:
    """The operations that can change the observables' expectation values, and where the observables live.

    Attributes:
        ops: indices (into ``circuit.ops``) of the operations kept, in circuit order.
        live: per operation index, the qubits of that operation on which the Heisenberg-evolved observable
            acts non-trivially just *before* it (a wire into the operation that lies in the cone).
        qubits: the qubits on which the observable, carried back to the input, acts non-trivially.
    """

    ops: tuple[int, ...]
    live: dict[int, frozenset[int]]
    qubits: frozenset[int]


# ------------------------------------------------------------------------------------------ Pauli algebra


def _letters(mask: int) -> list[int]:
    return [i for i in range(4) if mask >> i & 1]


def _anticommute(p: int, q: int) -> bool:
    """Single-qubit Paulis (indices of ``IXYZ``) anticommute iff both differ from I and from each other."""
    return p != 0 and q != 0 and p != q


def _basis(num_qubits: int) -> list[np.ndarray]:
    mats = [PAULIS[s] for s in _LETTERS]
    if num_qubits == 1:
        return mats
    return [np.kron(a, b) for a in mats for b in mats]


@lru_cache(maxsize=4096)
def _transfer(name: str, angle: float | None) -> tuple[np.ndarray, ...]:
    """Pauli transfer matrices ``R[Q, P] = Re Tr(Q U† P U)/d`` of a gate: one for a known angle (or none), one
    per sample angle for an unknown one."""
    spec = gate_spec(name)
    if spec.num_params == 0:
        angles: list[float | None] = [None]
    elif angle is not None:
        angles = [angle]
    else:  # distinct angles of [0, 4π), none at a special point
        if spec.generator is None:
            raise QnetError(f"gate {name!r} has no generator")
        gaps = np.subtract.outer(*(2 * [np.linalg.eigvalsh(spec.generator)]))
        if np.any(np.abs(gaps) > 2 + _TOL) or not np.allclose(gaps, np.round(gaps), atol=_TOL):
            raise QnetError(f"gate {name!r}: eigenvalue gaps of its generator outside the sampled degree")
        angles = [4 * math.pi * (k + 0.37) / ANGLE_SAMPLES for k in range(ANGLE_SAMPLES)]
    basis = _basis(spec.num_qubits)
    d = 2**spec.num_qubits
    out = []
    for a in angles:
        u = gate_matrix(name, a)
        images = [u.conj().T @ p @ u for p in basis]
        out.append(np.array([[np.trace(q @ img).real / d for img in images] for q in basis]))
    return tuple(out)


def _strings(masks: Sequence[int]) -> list[int]:
    """Every Pauli string (index in the ``IXYZ`` basis of ``len(masks)`` qubits) the letter masks allow."""
    if len(masks) == 1:
        return _letters(masks[0])
    return [4 * a + b for a in _letters(masks[0]) for b in _letters(masks[1])]


@lru_cache(maxsize=65536)
def _conjugate(name: str, angle: float | None, masks: tuple[int, ...]) -> tuple[int, ...] | None:
    """None if the gate commutes with every string the masks allow; else the masks of the images."""
    ptms = _transfer(name, angle)
    strings = _strings(masks)
    if all(np.allclose(r[:, p], np.eye(len(r))[p], atol=_TOL) for r in ptms for p in strings):
        return None
    new = [0] * len(masks)
    for r in ptms:
        for p in strings:
            for q in np.flatnonzero(np.abs(r[:, p]) > _TOL):
                digits = (int(q),) if len(masks) == 1 else divmod(int(q), 4)
                for k, letter in enumerate(digits):
                    new[k] |= 1 << letter
    return tuple(m | _ONLY_I for m in new)


def _angle_key(op: Operation) -> float | None:
    """The gate's angle if it is a number; None if it is a parameter reference (unknown) or absent."""
    if not op.params:
        return None
    value = op.params[0]
    return float(value) if isinstance(value, (int, float)) else None


def _gate_images(op: Operation, masks: tuple[int, ...]) -> tuple[int, ...] | None:
    """:func:`_conjugate` for ``op``; gates it cannot build a transfer matrix for are kept, every letter out."""
    try:
        if len(op.params) > 1:
            raise QnetError("more than one angle")
        return _conjugate(op.name, _angle_key(op), masks)
    except QnetError:
        return tuple(_ALL for _ in masks)


def _pauli_channel_commutes(op: Operation, masks: tuple[int, ...]) -> bool:
    """Whether every Pauli a Pauli channel applies (with probability > 0) commutes with every allowed string."""
    labels, probs = pauli_probabilities(op)
    strings = [tuple(_letters(m)) for m in masks]
    for label, p in zip(labels, probs, strict=True):
        if p <= 0.0:
            continue
        error = [_LETTERS.index(s) for s in label]
        if len(error) == 1:
            if any(_anticommute(error[0], x) for x in strings[0]):
                return False
        elif any(_anticommute(error[0], x) != _anticommute(error[1], y) for x in strings[0] for y in strings[1]):
            return False
    return True


# ------------------------------------------------------------------------------------------ the cones


def _observables(observables: Sequence[PauliString] | PauliString, n: int) -> list[PauliString]:
    obs = [observables] if isinstance(observables, PauliString) else list(observables)
    if not obs:
        raise QnetError("a light cone needs at least one observable")
    for o in obs:
        o.check(n)
    return obs


def _causal(circuit: Circuit, obs: PauliString) -> tuple[set[int], dict[int, frozenset[int]], set[int]]:
    support = set(obs.qubits)
    kept: set[int] = set()
    live: dict[int, frozenset[int]] = {}
    for i in range(len(circuit.ops) - 1, -1, -1):
        op = circuit.ops[i]
        if support.intersection(op.qubits):
            kept.add(i)
            if not op.is_channel or op.name not in (*_PAULI_CHANNELS, "thermal"):  # Pauli-type channels never spread
                support.update(op.qubits)
        live[i] = frozenset(q for q in op.qubits if q in support)
    return kept, live, support


def _commuting(circuit: Circuit, obs: PauliString) -> tuple[set[int], dict[int, frozenset[int]], set[int]]:
    masks = [_ONLY_I] * circuit.num_qubits
    for q, s in obs.paulis:
        masks[q] = _ONLY_I | 1 << _LETTERS.index(s)
    kept: set[int] = set()
    live: dict[int, frozenset[int]] = {}
    for i in range(len(circuit.ops) - 1, -1, -1):
        op = circuit.ops[i]
        mine = tuple(masks[q] for q in op.qubits)
        if any(m != _ONLY_I for m in mine):
            if op.is_channel:
                if op.name in _PAULI_CHANNELS:
                    if not _pauli_channel_commutes(op, mine):
                        kept.add(i)
                elif op.name == "thermal":
                    kept.add(i)
                else:  # an unknown channel: every letter may appear on its qubits
                    kept.add(i)
                    for q in op.qubits:
                        masks[q] = _ALL
            else:
                images = _gate_images(op, mine)
                if images is not None:
                    kept.add(i)
                    for q, m in zip(op.qubits, images, strict=True):
                        masks[q] = m
        live[i] = frozenset(q for q in op.qubits if masks[q] != _ONLY_I)
    return kept, live, {q for q, m in enumerate(masks) if m != _ONLY_I}


def light_cone(
    circuit: Circuit, observables: Sequence[PauliString] | PauliString, *, method: Method = "commuting"
) -> LightCone:
    """The operations of ``circuit`` that can change ``⟨O⟩`` for one of ``observables`` (see the module docstring).

    Raises:
        QnetError: on an unknown method, no observable, or an observable outside the register.
    """
    if method not in ("causal", "commuting"):
        raise QnetError(f"light cone method must be 'causal' or 'commuting' (got {method!r})")
    walk = _causal if method == "causal" else _commuting
    kept: set[int] = set()
    live: dict[int, set[int]] = {i: set() for i in range(len(circuit.ops))}
    qubits: set[int] = set()
    for obs in _observables(observables, circuit.num_qubits):
        k, lv, qs = walk(circuit, obs)
        kept |= k
        qubits |= qs
        for i, s in lv.items():
            live[i] |= s
    return LightCone(tuple(sorted(kept)), {i: frozenset(s) for i, s in live.items()}, frozenset(qubits))


def prune(
    circuit: Circuit,
    observables: Sequence[PauliString] | PauliString,
    *,
    method: Method = "commuting",
    keep_trainable: bool = False,
) -> Circuit:
    """``circuit`` with only the operations of its light cone, in order (same register; parameter references
    unchanged, so a caller that needs the parameter count reads it from the original circuit).

    ``⟨O⟩`` of the pruned circuit equals that of ``circuit`` for every observable given, every input state and
    every parameter value. With ``keep_trainable`` the gates with a :class:`~qnet_dqnn.quantum.circuit.Trainable`
    angle stay too, wherever they are: a dropped operation leaves the observable, carried back to it, unchanged,
    so keeping one is exact as well, and every parameter keeps its shifted circuits, sampled and charged as on a
    QPU that runs the parameter-shift rule over the whole model (what the split strategies' shot ledger counts).
    """
    keep = set(light_cone(circuit, observables, method=method).ops)
    if keep_trainable:
        keep |= {i for i, op in enumerate(circuit.ops) if any(isinstance(p, Trainable) for p in op.params)}
    return Circuit(circuit.num_qubits, [circuit.ops[i] for i in sorted(keep)])


# ------------------------------------------------------------------------------------------ remote operations


def _link(a: Hashable, b: Hashable) -> str:
    x, y = sorted((str(a), str(b)))
    return f"{x}~{y}"


def remote_ops_in_cone(
    circuit: Circuit,
    assignment: Sequence[Hashable] | Callable[[int, int], Hashable],
    observables: Sequence[PauliString] | PauliString,
    *,
    method: Method | None = "commuting",
) -> dict[str, int]:
    """The operations that cross nodes inside the light cone, per pair of nodes ``"a~b"`` (sorted names).

    A *remote operation* is a two-qubit gate whose qubits sit on different nodes (a telegate, or a gate done
    after teleporting a qubit; a gate cut), or a qubit that moves to another node between two of its
    operations (a teleport; a wire cut). The gate counts when it is in the cone, the move when the qubit's
    wire between the two operations is.

    Args:
        circuit: the circuit (its channels, if any, take part as in :func:`light_cone`).
        assignment: the node of each qubit (a sequence), or ``where(op_index, qubit)`` for qubits that move
            (e.g. the fragment of a wire segment of a cut plan).
        observables: the readout.
        method: ``causal``, ``commuting`` or None (every remote operation, no cone).

    Returns:
        ``{"a~b": count}`` for the node pairs with at least one remote operation in the cone.
    """
    if callable(assignment):
        where = assignment
    else:
        placed = list(assignment)
        if len(placed) != circuit.num_qubits:
            raise QnetError(f"assignment names {len(placed)} nodes for a {circuit.num_qubits}-qubit circuit")

        def where(_: int, q: int) -> Hashable:
            return placed[q]

    if method is None:
        ops = set(range(len(circuit.ops)))
        live = {i: frozenset(op.qubits) for i, op in enumerate(circuit.ops)}
    else:
        cone = light_cone(circuit, observables, method=method)
        ops, live = set(cone.ops), cone.live
    counts: dict[str, int] = {}
    last: dict[int, Hashable] = {}
    for i, op in enumerate(circuit.ops):
        nodes = [where(i, q) for q in op.qubits]
        for q, node in zip(op.qubits, nodes, strict=True):
            if q in last and last[q] != node and q in live[i]:
                key = _link(last[q], node)
                counts[key] = counts.get(key, 0) + 1
            last[q] = node
        if len(op.qubits) == 2 and not op.is_channel and nodes[0] != nodes[1] and i in ops:
            key = _link(*nodes)
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def cone_metrics(
    circuit: Circuit,
    assignment: Sequence[Hashable] | Callable[[int, int], Hashable],
    observables: Sequence[PauliString] | PauliString,
) -> dict[str, float]:
    """What a split strategy reports about its remote operations and the readout (:func:`remote_ops_in_cone`).

    Returns:
        ``remote_ops`` (all of them, per run of the circuit), ``remote_ops_in_causal_cone``,
        ``remote_ops_in_cone`` (the commutation-aware cone) and ``remote_ops_in_cone[a~b]`` per node pair.
    """
    every = remote_ops_in_cone(circuit, assignment, observables, method=None)
    causal = remote_ops_in_cone(circuit, assignment, observables, method="causal")
    cone = remote_ops_in_cone(circuit, assignment, observables, method="commuting")
    return {
        "remote_ops": float(sum(every.values())),
        "remote_ops_in_causal_cone": float(sum(causal.values())),
        "remote_ops_in_cone": float(sum(cone.values())),
        **{f"remote_ops_in_cone[{link}]": float(n) for link, n in cone.items()},
    }
