"""Teleportation (teledata) and the telegate (non-local CNOT) as network services.

Teleportation (Bennett et al., PRL 70, 1895 (1993)): the sender measures the data qubit and her half of a
pair in the Bell basis, sends the 2 outcome bits over the classical network, and the receiver applies the
Pauli P_m when they arrive; meanwhile the receiver's qubit decoheres in its memory. The data qubit is moved,
never copied: the sender's :class:`QubitHandle` is invalid from the moment of the measurement, and any use
of it raises :class:`~qnet_dqnn.errors.ProtocolError`.

Telegate (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000)): cat-entangler at the control's
node, 1 bit to the target's node, local CNOT and X-basis measurement there, 1 bit back, Z correction.
Its effective channel for a Bell-diagonal pair is :func:`qnet_dqnn.physics.telegate.telegate_kraus`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net.entanglement import bsm_duration_ticks, oriented
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.pairs import Pair, memory_kraus
from qnet_dqnn.physics.density import PAULIS, Matrix, apply_kraus, bell_coefficients
from qnet_dqnn.physics.telegate import telegate_channel, telegate_cnot, telegate_kraus
from qnet_dqnn.physics.teleportation import apply_pauli_channel, teleport_outcomes, teleportation_pauli_channel
from qnet_dqnn.units import to_seconds, to_ticks


class QubitHandle:
    """A data qubit held at one node: its one-qubit state (a 2x2 density matrix) and where it lives.

    Teleporting it invalidates this handle and returns a new one at the destination (no cloning).
    """

    def __init__(self, node: str, state: np.ndarray) -> None:
        state = np.asarray(state, dtype=complex)
        if state.shape == (2,):
            state = np.outer(state, state.conj()) / np.vdot(state, state).real
        if state.shape != (2, 2):
            raise ValueError(f"a qubit state must be a 2-vector or a 2x2 density matrix (got shape {state.shape})")
        self._node = node
        self._state: Matrix = state
        self._moved_to: str | None = None

    def __repr__(self) -> str:
        where = f"moved {self._node!r} -> {self._moved_to!r}" if self._moved_to else f"at {self._node!r}"
        return f"QubitHandle({where})"

    @property
    def valid(self) -> bool:
        """False once the qubit was teleported away."""
        return self._moved_to is None

    def _check(self) -> None:
        if self._moved_to is not None:
            raise ProtocolError(
                f"this qubit was teleported from {self._node!r} to {self._moved_to!r}: the handle at "
                f"{self._node!r} is void (no cloning); use the handle teleport returned"
            )

    @property
    def node(self) -> str:
        """The node holding the qubit."""
        self._check()
        return self._node

    @property
    def state(self) -> Matrix:
        """The qubit's 2x2 density matrix."""
        self._check()
        return self._state

    def _move(self, dst: str) -> Matrix:
        """Take the state out for teleportation to ``dst``; the handle is void from now on."""
        self._check()
        self._moved_to = dst
        return self._state


@dataclass(frozen=True, slots=True)
class TeleportResult:
    """A finished teleportation.

    Attributes:
        qubit: the new handle, at the destination.
        outcome: the Bell outcome m (the 2 bits sent).
        pair_state: the pair's state when the sender measured (sender's half first).
        started_tick: when the sender began its Bell measurement.
        finished_tick: when the receiver's correction was done.
    """

    qubit: QubitHandle
    outcome: int
    pair_state: np.ndarray
    started_tick: int
    finished_tick: int


@dataclass(frozen=True, slots=True)
class TelegateResult:
    """A finished telegate.

    Attributes:
        kraus: the effective two-qubit channel on (control, target), ``physics.telegate.telegate_kraus`` of
            the pair's Bell coefficients (exact for Bell-diagonal pairs; the Pauli twirl otherwise).
        state: the (control, target) output, if an input state was given (the explicit protocol on the
            exact path, the channel on the fast path), else None.
        pair_state: the pair's state when used (control side first).
        started_tick: start of the cat-entangler.
        finished_tick: when the control's Z correction was done.
    """

    kraus: list[Matrix]
    state: Matrix | None
    pair_state: np.ndarray
    started_tick: int
    finished_tick: int


def _check_pair(pair: Pair, a: str, b: str) -> None:
    if set(pair.ends) != {a, b} or a == b:
        raise ProtocolError(f"pair {pair.pair_id} joins {pair.ends[0]!r} and {pair.ends[1]!r}, not {a!r} and {b!r}")
    if not pair.is_stored:
        raise ProtocolError(f"pair {pair.pair_id} on {pair.link} is {pair.status}: it cannot be used again")


def teleport(net: Network, qubit: QubitHandle, dst: str, pair: Pair) -> simpy.Process:
    """Teleport ``qubit`` to ``dst`` over ``pair``; the process's value is a :class:`TeleportResult`.

    The pair is consumed at the sender's Bell measurement (its state then, sender's half first, feeds
    :func:`qnet_dqnn.physics.teleportation.teleport_outcomes`); the outcome is drawn with the sender's
    random stream; the 2 bits go through :meth:`Network.send`; the receiver's qubit waits for them in its
    memory (its memory channel applies before the Pauli correction), then one 1q gate corrects it.
    """
    src = qubit.node
    _check_pair(pair, src, dst)
    return net.env.process(_teleport(net, qubit._move(dst), src, dst, pair))


def _teleport(
    net: Network, data: Matrix, src: str, dst: str, pair: Pair
) -> Generator[simpy.Event, Any, TeleportResult]:
    started = net.now
    yield net.env.timeout(bsm_duration_ticks(net.nodes[src].spec))
    pair_state = oriented(net.consume_pair(pair), pair, src)
    if np.shape(pair_state) == (4,):
        # Bell-diagonal pair: the outcomes are uniform whatever the input (the sender's half is maximally mixed)
        # and every corrected branch is the Pauli channel of the pair's coefficients (Bowen & Bose, PRL 87,
        # 267901 (2001)): no 8x8 state needed. One uniform draw, read as the inverse CDF of (1/4, 1/4, 1/4, 1/4).
        m = int(net.nodes[src].rng.random() * 4)
        received = apply_pauli_channel(data, teleportation_pauli_channel(pair_state))
    else:
        outcomes = teleport_outcomes(data, pair_state)
        m = int(net.nodes[src].rng.choice(4, p=outcomes.probabilities / outcomes.probabilities.sum()))
        received = outcomes.states[m]
    measured = net.now
    yield net.send(src, dst, 2, payload=m, kind="teleport")
    memory = net.nodes[dst].memory
    if memory is not None and not memory.model.is_ideal:
        rho = PAULIS[m] @ received @ PAULIS[m].conj().T  # before the correction
        rho = apply_kraus(rho, memory_kraus(memory.model, to_seconds(net.now - measured)), [0], 1)
        received = PAULIS[m] @ rho @ PAULIS[m].conj().T
    yield net.env.timeout(to_ticks(net.nodes[dst].spec.gates.one_qubit_time_s))
    net.ledger.nodes[src].teleports += 1
    if net.trace.enabled:
        net.trace.record(net.now, dst, "teleported", f"qubit from {src}, outcome {m}")
    return TeleportResult(QubitHandle(dst, received), m, pair_state, started, net.now)


def telegate(
    net: Network, control_node: str, target_node: str, pair: Pair, state: np.ndarray | None = None
) -> simpy.Process:
    """A CNOT from a qubit at ``control_node`` to one at ``target_node`` over ``pair``.

    The process's value is a :class:`TelegateResult`. Timeline: CNOT + Z measurement at the control's node,
    1 bit over; X correction, CNOT and X-basis measurement at the target's node (the pair is consumed
    there, its state then: the control side's half is counted as stored until then, an upper bound), 1 bit
    back; Z correction at the control's node. ``state`` is an optional 4x4 (control, target) input.
    """
    _check_pair(pair, control_node, target_node)
    if state is not None and np.shape(state) != (4, 4):
        raise ValueError(f"state must be a 4x4 (control, target) density matrix (got shape {np.shape(state)})")
    return net.env.process(_telegate(net, control_node, target_node, pair, state))


def _telegate(
    net: Network, a: str, b: str, pair: Pair, state: np.ndarray | None
) -> Generator[simpy.Event, Any, TelegateResult]:
    started = net.now
    ga, gb = net.nodes[a].spec.gates, net.nodes[b].spec.gates
    yield net.env.timeout(to_ticks(ga.two_qubit_time_s + ga.measurement_time_s))
    yield net.send(a, b, 1, kind="telegate_cat")
    pair_state = oriented(net.consume_pair(pair), pair, a)
    yield net.env.timeout(to_ticks(2 * gb.one_qubit_time_s + gb.two_qubit_time_s + gb.measurement_time_s))
    yield net.send(b, a, 1, kind="telegate_uncat")
    yield net.env.timeout(to_ticks(ga.one_qubit_time_s))
    exact = np.shape(pair_state) == (4, 4)
    coefficients = bell_coefficients(pair_state) if exact else pair_state
    out = None
    if state is not None:
        out = telegate_cnot(state, pair_state) if exact else telegate_channel(np.asarray(state, complex), pair_state)
    net.ledger.nodes[a].telegates += 1
    net.trace.record(net.now, a, "telegate", f"CNOT {a} -> {b}")
    return TelegateResult(telegate_kraus(coefficients), out, pair_state, started, net.now)
