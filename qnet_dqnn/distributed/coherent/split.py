"""The split circuit: which remote gates are telegates and which runs teleport a qubit, and the Pauli channels
the pairs they consume put after them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from qnet_dqnn.distributed.partition import telegates_per_gate
from qnet_dqnn.errors import QnetError
from qnet_dqnn.physics.teleportation import teleportation_pauli_channel
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.noise import PAULI2_LABELS

#: Bell coefficients of a perfect pair.
PERFECT = np.array([1.0, 0.0, 0.0, 0.0])

#: Pairs a teleported run costs: one to teleport the qubit to the other node, one to bring it back (Bennett
#: et al., PRL 70, 1895 (1993): one pair and two bits per teleport).
TELEPORT_PAIRS = 2

#: How a remote gate is done: by telegates, by teleporting a qubit there and back, or chosen per run.
RemoteGates = Literal["auto", "telegate", "teleport"]

#: The two ways a remote gate uses a pair (:class:`RemoteOp`).
KINDS = ("telegate", "teleport")

# ------------------------------------------------------------------------------------------ the split circuit


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def telegate_probabilities(name: str, coefficients: np.ndarray) -> list[float]:
    """The 15 probabilities (``pauli2`` order IX, IY, …, ZZ on (control, target)) of a telegate's error.

    ``cx``: (I, X), (Z, I), (Z, X) with ``c1, c2, c3``; ``cz``: (I, Z), (Z, I), (Z, Z) (Eisert et al. 2000;
    :func:`qnet_dqnn.physics.telegate.telegate_pauli_errors`).
    """
    c = np.clip(np.asarray(coefficients, dtype=float), 0.0, None)
    c = c / c.sum()
    target = "X" if name == "cx" else "Z"
    probs = dict.fromkeys(PAULI2_LABELS, 0.0)
    probs["I" + target] += float(c[1])
    probs["ZI"] += float(c[2])
    probs["Z" + target] += float(c[3])
    return [probs[label] for label in PAULI2_LABELS]


def _decompose(op: Operation) -> list[Operation]:
    """A remote two-qubit gate as CNOTs/CZs and local gates (the identities of the module docstring)."""
    a, b = op.qubits
    if op.name in ("cx", "cz"):
        return [op]
    if op.name == "swap":
        return [Operation("cx", (a, b)), Operation("cx", (b, a)), Operation("cx", (a, b))]
    theta = op.params[0]
    core = [Operation("cx", (a, b)), Operation("rz", (b,), (theta,)), Operation("cx", (a, b))]
    if op.name == "rzz":
        return core
    if op.name == "rxx":
        h = [Operation("h", (a,)), Operation("h", (b,))]
        return h + core + h
    if op.name == "ryy":  # S X S† = Y, so RYY = (S⊗S) RXX (S†⊗S†)
        pre = [Operation("sdg", (a,)), Operation("sdg", (b,)), Operation("h", (a,)), Operation("h", (b,))]
        post = [Operation("h", (a,)), Operation("h", (b,)), Operation("s", (a,)), Operation("s", (b,))]
        return pre + core + post
    raise QnetError(f"gate {op.name!r} cannot be split across nodes")


@dataclass(frozen=True)
class RemoteOp:
    """One use of an end-to-end pair in a run of the split circuit.

    Attributes:
        kind: ``telegate`` (a remote CNOT/CZ) or ``teleport`` (a data qubit moved to another node).
        src: the control's node (telegate) or the sender (teleport).
        dst: the target's node (telegate) or the receiver (teleport).
        qubits: the gate's (control, target), or the teleported qubit.
    """

    kind: Literal["telegate", "teleport"]
    src: str
    dst: str
    qubits: tuple[int, ...]

    @property
    def key(self) -> tuple[str, str]:
        """The node pair ``(a, b)``, ``a <= b``, whose pair it consumes."""
        return _key(self.src, self.dst)


def teleport_pays(telegates: int, remote_gates: RemoteGates) -> bool:
    """Whether a run of ``telegates`` telegates between the same two nodes is done by teleporting the qubit.

    ``auto``: teleport when the run needs more pairs as telegates (``k``, one each: Eisert et al., PRA 62,
    052317 (2000)) than teleporting the qubit there and back (:data:`TELEPORT_PAIRS` = 2, one pair each way:
    Bennett et al., PRL 70, 1895 (1993)), i.e. ``k > 2`` — the per-qubit comparison of telegate versus
    teledata cost of Wu et al., "AutoComm", MICRO 2022. ``telegate``: never; ``teleport``: always.

    Examples:
        >>> [teleport_pays(k, "auto") for k in (1, 2, 3)]
        [False, False, True]
    """
    if remote_gates == "telegate":
        return False
    if remote_gates == "teleport":
        return True
    return telegates > TELEPORT_PAIRS


def _run_from(
    ops: Sequence[Operation], start: int, qubit: int, dest: str, loc: Sequence[str], visiting: Mapping[int, int]
) -> tuple[int, int, set[int]]:
    """The run of remote gates ``qubit`` would do at ``dest`` from ``ops[start]``: (telegates, last op, partners).

    The run goes on over single-qubit gates on ``qubit`` (done at ``dest`` while it is there) and two-qubit
    gates with qubits that sit at ``dest`` (and are not visiting); it stops before the first two-qubit gate
    with a qubit elsewhere (at home, or on a third node). Channels are transparent.
    """
    telegates, end, partners = 0, start, set()
    for j in range(start, len(ops)):
        op = ops[j]
        if op.is_channel or qubit not in op.qubits or len(op.qubits) == 1:
            continue
        other = op.qubits[1] if op.qubits[0] == qubit else op.qubits[0]
        if loc[other] != dest or other in visiting:
            break
        telegates += telegates_per_gate(op)
        end = j
        partners.add(other)
    return telegates, end, partners


def remote_plan(
    circuit: Circuit,
    assignment: Sequence[str],
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> list[Operation | RemoteOp]:
    """How the split machine runs the circuit: its ops (node-tagged) and the pair uses between them.

    Walks the ops in order with each qubit's current node. A remote two-qubit gate whose qubits are both at
    home starts a *run* for one of them (the one with the longer run, ties: the first qubit; see
    :func:`_run_from`); if :func:`teleport_pays` for the run's telegates and the receiving node has a spare
    data slot (``spare``: data qubits a node can take in beyond those placed on it; None: no limit), the qubit
    is teleported there (a ``teleport`` :class:`RemoteOp`), the run's gates are done locally there, and the
    qubit is teleported home right after the run (before the next gate of the circuit; channels that follow
    the run's last gate act on it where it is), freeing its slot. Otherwise the gate is
    decomposed (:func:`_decompose`) and each remote CNOT/CZ is a ``telegate``. A qubit a run still needs at
    its node is not moved away by another run meanwhile.

    Returns:
        The circuit's ops tagged with the node that runs them, with the remote CNOTs/CZs of telegates in
        place, each followed by its ``telegate`` :class:`RemoteOp`; each ``teleport`` :class:`RemoteOp` sits
        where the qubit moves. Channels are kept, tagged with their first qubit's node.
    """
    ops = circuit.ops
    loc = list(assignment)
    visiting: dict[int, int] = {}  # qubit away from home -> index of the last op of its run
    needed: dict[int, int] = {}  # qubit a run needs where it is -> until that op index
    free = dict(spare) if spare is not None else None
    out: list[Operation | RemoteOp] = []

    def home(q: int) -> None:
        out.append(RemoteOp("teleport", loc[q], assignment[q], (q,)))
        if free is not None:
            free[loc[q]] += 1
        loc[q] = assignment[q]
        del visiting[q]

    for i, op in enumerate(ops):
        if op.is_channel:
            out.append(Operation(op.name, op.qubits, op.params, loc[op.qubits[0]]))
            continue
        for q in [q for q, end in visiting.items() if i > end]:  # runs over: home before the next gate
            home(q)
        if len(op.qubits) == 1 or loc[op.qubits[0]] == loc[op.qubits[1]]:
            out.append(Operation(op.name, op.qubits, op.params, loc[op.qubits[0]]))
            continue
        if remote_gates != "telegate" and not any(q in visiting for q in op.qubits):
            best: tuple[int, int, int, set[int]] | None = None
            for q, other in (op.qubits, op.qubits[::-1]):
                dest = loc[other]
                if needed.get(q, -1) >= i or (free is not None and free.get(dest, 0) < 1):
                    continue
                k, end, partners = _run_from(ops, i, q, dest, loc, visiting)
                if best is None or k > best[0]:
                    best = (k, q, end, partners)
            if best is not None and teleport_pays(best[0], remote_gates):
                k, q, end, partners = best
                dest = loc[op.qubits[1] if op.qubits[0] == q else op.qubits[0]]
                out.append(RemoteOp("teleport", loc[q], dest, (q,)))
                if free is not None:
                    free[dest] -= 1
                loc[q] = dest
                visiting[q] = end
                for p in partners:
                    needed[p] = max(needed.get(p, -1), end)
                out.append(Operation(op.name, op.qubits, op.params, dest))
                continue
        for part in _decompose(op):
            where = loc[part.qubits[0]]
            out.append(Operation(part.name, part.qubits, part.params, where))
            if len(part.qubits) == 2 and loc[part.qubits[1]] != where:
                out.append(RemoteOp("telegate", where, loc[part.qubits[1]], part.qubits))
    for q in list(visiting):
        home(q)
    return out


def teleport_probabilities(coefficients: np.ndarray) -> list[float]:
    """The ``pauli1`` probabilities ``(p_X, p_Y, p_Z)`` of teleporting a qubit over a Bell-diagonal pair.

    Teleportation over ``c`` is the Pauli channel ``X^x Z^z`` with probability ``c_(x+2z)`` (Bennett et al.,
    PRL 70, 1895 (1993); Bowen & Bose, PRL 87, 267901 (2001);
    :func:`qnet_dqnn.physics.teleportation.teleportation_pauli_channel`, order ``(p_I, p_X, p_Z, p_Y)``).
    """
    c = np.clip(np.asarray(coefficients, dtype=float), 0.0, None)
    p = teleportation_pauli_channel(c / c.sum())
    return [float(p[1]), float(p[3]), float(p[2])]


def split_circuit(
    circuit: Circuit,
    assignment: Sequence[str],
    coefficients: Mapping[tuple[str, str], np.ndarray] | np.ndarray | None = None,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
    idle: Sequence[Mapping[str, tuple[str, tuple[float, ...]]] | None] | None = None,
) -> Circuit:
    """The circuit as the split machine runs it: ops tagged with their node, remote gates as telegates or
    done locally after teleporting a qubit (:func:`remote_plan`).

    Args:
        circuit: the (possibly gate-noisy) model circuit.
        assignment: node of each qubit.
        coefficients: Bell coefficients of the pairs remote gates consume: per pair use, in the order of
            :func:`remote_ops` (an ``(uses, 4)`` array: the mean over shots of the pairs used there), per node
            pair ``(a, b)`` with ``a <= b``, or one array for all; None or perfect pairs insert no channel.
        remote_gates: ``telegate`` (every remote gate by telegates), ``teleport`` or ``auto``
            (:func:`teleport_pays`).
        spare: data qubits each node can take in (for teleported qubits); None: no limit.
        idle: per pair use (:func:`remote_ops` order), per node, the one-qubit channel ``(name, params)`` each of
            its data qubits goes through while the shot waits there (for the pair and the classical bits), or None.

    Returns:
        A circuit on the same qubits whose remote two-qubit gates are CNOTs/CZs, each followed by its
        telegate's Pauli channel (:func:`telegate_probabilities`), and with a one-qubit Pauli channel
        (:func:`teleport_probabilities`) after each teleport of a qubit, there and back.
    """
    out = Circuit(circuit.num_qubits)
    ops: list[Operation] = []
    use = -1
    for item in remote_plan(circuit, assignment, remote_gates, spare):
        if isinstance(item, Operation):
            ops.append(item)
            continue
        use += 1
        c = coefficients
        if isinstance(c, Mapping):
            c = c.get(item.key)
        elif c is not None and np.ndim(c) == 2:
            c = c[use]
        if c is not None and not np.allclose(c, PERFECT, rtol=0, atol=1e-15):
            if item.kind == "teleport":
                ops.append(Operation("pauli1", item.qubits, tuple(teleport_probabilities(np.asarray(c))), item.dst))
            else:
                name = next(op.name for op in reversed(ops) if not op.is_channel)
                probs = tuple(telegate_probabilities(name, np.asarray(c)))
                ops.append(Operation("pauli2", item.qubits, probs, item.src))
        wait = idle[use] if idle is not None else None
        if wait is not None:
            for q in range(circuit.num_qubits):
                if assignment[q] in wait:
                    name, params = wait[assignment[q]]
                    ops.append(Operation(name, (q,), params, assignment[q]))
    out.extend(ops)
    return out


def remote_ops(
    circuit: Circuit,
    assignment: Sequence[str],
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> list[RemoteOp]:
    """The pair uses of one run of the split circuit, in order (:func:`remote_plan`)."""
    return [item for item in remote_plan(circuit, assignment, remote_gates, spare) if isinstance(item, RemoteOp)]
