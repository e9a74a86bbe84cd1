"""Quantum memories: a node's qubits that hold halves of entangled pairs."""

from __future__ import annotations

import simpy

from qnet_dqnn.errors import ResourceExhausted
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.topology import NodeSpec
from qnet_dqnn.units import to_ticks


class QuantumMemory:
    """A node's communication qubits: a capacity, the qubits in use, and how stored qubits decohere.

    **One qubit budget.** The node's qubits hold either data (a split circuit's qubits, reserved with
    :meth:`reserve_data`) or halves of pairs, never more than it has: pairs may use at most
    ``min(capacity, qubits − data)`` of them (:attr:`budget`). Taking a qubit beyond it, or reserving data
    qubits that pairs already hold, raises :class:`~qnet_dqnn.errors.ResourceExhausted` (a run-time guard,
    like the no-cloning guard of consumed pairs).

    Taking a qubit never waits: callers check :attr:`free` and, when it is 0, wait on
    :meth:`when_released`. Taking several memories' qubits in one step (no yield between the check and
    the take) means no process ever holds one memory while waiting for another, so generation cannot
    deadlock.
    """

    def __init__(self, env: simpy.Environment, node: NodeSpec) -> None:
        self.env = env
        self.node = node.name
        self.capacity = node.memory_capacity
        self.qubits = node.qubits
        #: Qubits holding data (reserved by a split circuit), not available to pairs.
        self.data_qubits = 0
        #: Qubits pairs may hold (:meth:`_update_budget`; an attribute, as it is read on every pair).
        self.budget = 0
        self._update_budget()
        spec = node.memory
        self.model = memory_model(node)
        self.cutoff_ticks = to_ticks(spec.cutoff_s) if spec.cutoff_s is not None else None
        self.in_use = 0
        self._release_waiters: list[simpy.Event] = []

    @property
    def free(self) -> int:
        """Qubits pairs may still take."""
        return self.budget - self.in_use

    def take(self) -> None:
        """Occupy one qubit (the caller checked :attr:`free`)."""
        if self.in_use >= self.budget:
            raise ResourceExhausted(
                f"memory of node {self.node!r} is full ({self.budget} qubits for pairs: {self.capacity} "
                f"communication qubits, {self.qubits} in all, {self.data_qubits} holding data)"
            )
        self.in_use += 1

    def reserve_data(self, qubits: int) -> None:
        """Hold ``qubits`` more qubits for data (a split circuit's); they leave the pairs' budget."""
        if qubits < 0:
            raise ValueError(f"cannot reserve {qubits} data qubits")
        if self.in_use + self.data_qubits + qubits > self.qubits:
            raise ResourceExhausted(
                f"node {self.node!r} has {self.qubits} qubits: {self.data_qubits + qubits} for data and "
                f"{self.in_use} holding pairs do not fit"
            )
        self.data_qubits += qubits
        self._update_budget()

    def _update_budget(self) -> None:
        """The capacity, less the data qubits if they leave fewer."""
        self.budget = max(min(self.capacity, self.qubits - self.data_qubits), 0)

    def release(self) -> None:
        """Free one qubit and wake whoever waits for one."""
        if self.in_use <= 0:
            raise ResourceExhausted(f"memory of node {self.node!r} released more qubits than it held")
        self.in_use -= 1
        if self._release_waiters:
            waiters, self._release_waiters = self._release_waiters, []
            for event in waiters:
                event.succeed()

    def when_released(self) -> simpy.Event:
        """An event that fires the next time a qubit is released."""
        event = self.env.event()
        self._release_waiters.append(event)
        return event
