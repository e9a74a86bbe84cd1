"""Quantum memories: a node's qubits that hold halves of entangled pairs."""

from __future__ import annotations

import simpy

from qnet_dqnn.errors import ResourceExhausted
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.topology import NodeSpec
from qnet_dqnn.units import to_ticks


class QuantumMemory:
    """A node's communication qubits: a capacity, the qubits in use, and how stored qubits decohere.

    Taking a qubit never waits: callers check :attr:`free` and, when it is 0, wait on
    :meth:`when_released`. Taking several memories' qubits in one step (no yield between the check and
    the take) means no process ever holds one memory while waiting for another, so generation cannot
    deadlock.
    """

    def __init__(self, env: simpy.Environment, node: NodeSpec) -> None:
        self.env = env
        self.node = node.name
        self.capacity = node.memory_capacity
        spec = node.memory
        self.model = memory_model(node)
        self.cutoff_ticks = to_ticks(spec.cutoff_s) if spec.cutoff_s is not None else None
        self.in_use = 0
        self._release_waiters: list[simpy.Event] = []

    @property
    def free(self) -> int:
        """Qubits not holding anything."""
        return self.capacity - self.in_use

    def take(self) -> None:
        """Occupy one qubit (the caller checked :attr:`free`)."""
        if self.in_use >= self.capacity:
            raise ResourceExhausted(f"memory of node {self.node!r} is full ({self.capacity} qubits)")
        self.in_use += 1

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
