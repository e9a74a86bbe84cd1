"""A QPU node as a worker: evaluates gradients on its processor and pays for them in simulated time."""

from __future__ import annotations

from collections.abc import Generator
from fractions import Fraction
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.errors import SimulationError
from qnet_dqnn.net import Network
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum import NoiseModel, QPUTiming, ShotTally, check_shots, forward_cost, gradient_cost
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import NodeSpec


def qpu_timing(node: NodeSpec) -> QPUTiming:
    """The node's gate and measurement durations."""
    g = node.gates
    return QPUTiming(t1q_s=g.one_qubit_time_s, t2q_s=g.two_qubit_time_s, tmeas_s=g.measurement_time_s)


def qpu_noise(node: NodeSpec) -> NoiseModel:
    """The node's gate, readout and idle (T1/T2) noise as a circuit noise model.

    A depolarizing memory (``coherence_time_s``) has no T1/T2 pair and adds no idle noise here.
    """
    g, m = node.gates, node.memory
    return NoiseModel(
        p1=g.one_qubit_error, p2=g.two_qubit_error, readout=min(node.readout_error, 0.5), t1_s=m.t1_s, t2_s=m.t2_s
    )


class NodeDown(SimulationError):
    """A worker's node dropped out (a fault) before or while it computed: the result is lost.

    Attributes:
        node: the node's name.
        tick: when it went (or was found) down (in ticks).
    """

    def __init__(self, node: str, tick: int) -> None:
        self.node = node
        self.tick = tick
        super().__init__(node, tick)

    def __str__(self) -> str:
        return f"node {self.node!r} is down at tick {self.tick}"


class QPU:
    """A QPU node running one model's circuits.

    Every gradient evaluation holds the node's processor for the parameter-shift cost of the batch —
    (1 + 2 x parameter occurrences) circuits per sample, each run ``shots`` times, each shot as long as the
    circuit's scheduled depth (:mod:`qnet_dqnn.quantum.shots`) — and books circuits, shots and busy time in
    the ledger and a ``compute`` activity in the trace. The loss and gradient are estimated from those
    shots (``estimator: sampled``, counted in :attr:`sampled`: what is charged is what is sampled) or
    computed exactly (``exact``: the same shots charged, none drawn).

    Faults (:mod:`qnet_dqnn.distributed.faults`) act here: :attr:`slowdown` multiplies the QPU time of every
    evaluation, and :attr:`outages` are ``[start, end)`` tick intervals (``end`` None: for good) in which the
    node is down; an evaluation that starts in one, or is still running when one begins, ends at that
    moment with :class:`NodeDown` (the QPU time spent until then is booked, the result is lost: no shot is
    drawn or charged for it).
    """

    def __init__(
        self,
        network: Network,
        node: str,
        model: QNNModel,
        *,
        noise: bool,
        shots: int,
        exact: bool = False,
        seed: int,
        tally: ShotTally | None = None,
    ) -> None:
        self.network = network
        self.name = node
        self.node = network.nodes[node]
        self.model = model
        self.timing = qpu_timing(self.node.spec)
        model_noise = qpu_noise(self.node.spec) if noise else None
        self.noise = model_noise if model_noise is not None and not model_noise.is_ideal else None
        #: Shots per circuit, charged always and drawn unless ``exact``.
        self.shots = check_shots(shots)
        self.exact = exact
        #: Circuits and shots the estimator drew (0 when ``exact``; shared with the run's other QPUs if given).
        self.sampled = tally if tally is not None else ShotTally()
        self.rng = component_rng(seed, f"qpu:{node}")
        self.slowdown = 1.0
        self.outages: list[tuple[int, int | None]] = []

    def set_shots(self, shots: int) -> None:
        """Run, charge and (unless ``exact``) draw ``shots`` shots per circuit from now on."""
        self.shots = check_shots(shots)

    def down_at(self, tick: int) -> bool:
        """True if the node is down at ``tick``."""
        return any(start <= tick and (end is None or tick < end) for start, end in self.outages)

    def up_again_at(self, tick: int) -> int | None:
        """The first tick >= ``tick`` at which the node is up (None: it never comes back)."""
        moved = True
        while moved:
            moved = False
            for start, end in self.outages:
                if start <= tick and (end is None or tick < end):
                    if end is None:
                        return None
                    tick, moved = end, True
        return tick

    def next_outage(self, after: int) -> int | None:
        """The start of the first outage after ``after`` (None: no more outages)."""
        starts = [start for start, _ in self.outages if start > after]
        return min(starts) if starts else None

    def gradient(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, tuple]:
        """Process: the batch loss and gradient, after the QPU time they cost. Value: (loss, grad)."""
        with self.node.processor.request() as turn:
            yield turn
            if self.down_at(self.network.now):
                raise NodeDown(self.name, self.network.now)
            yield from self._compute(len(x))
            loss, grad = self.model.loss_and_grad(
                params,
                x,
                y,
                noise=self.noise,
                timing=self.timing,
                shots=None if self.exact else self.shots,
                rng=self.rng,
                tally=self.sampled,
            )
        return float(loss), np.asarray(grad, dtype=float)

    def occupy(self, batch: int) -> Generator[simpy.Event, Any, None]:
        """Process: hold the processor for the QPU time of one gradient of ``batch`` samples (the numbers are
        computed elsewhere, e.g. a federated client's local steps on a cluster); :class:`NodeDown` as there."""
        with self.node.processor.request() as turn:
            yield turn
            if self.down_at(self.network.now):
                raise NodeDown(self.name, self.network.now)
            yield from self._compute(batch)

    def _compute(self, batch: int) -> Generator[simpy.Event, Any, None]:
        """The processor's time for a forward pass and gradient of ``batch`` samples, booked in the ledger."""
        env, ledger = self.network.env, self.network.ledger.nodes[self.name]
        circuit = self.model.circuit
        cost = forward_cost(circuit, batch, self.shots, self.timing) + gradient_cost(
            circuit, batch, self.shots, self.timing
        )
        start = self.network.now
        ticks = round(Fraction(self.slowdown) * cost.qpu_ticks)  # exact: ticks may exceed 2**53
        crash = self.next_outage(start)
        if crash is not None and crash < start + ticks:
            yield env.timeout(crash - start)
            ledger.busy_ticks += crash - start
            self.network.trace.activity(self.name, "compute", start, crash)
            raise NodeDown(self.name, crash)
        yield env.timeout(ticks)
        ledger.circuits += cost.circuits
        ledger.shots += cost.shots
        ledger.busy_ticks += ticks
        self.network.trace.activity(self.name, "compute", start, self.network.now)

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of ``params`` on this QPU's noise (exact expectations; the experimenter's view, not charged)."""
        e = self.model.expectations(params, x, noise=self.noise, timing=self.timing, rng=self.rng)
        return float(self.model.score(e, y))

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Loss of ``params`` on this QPU's noise (exact expectations, not charged)."""
        e = self.model.expectations(params, x, noise=self.noise, timing=self.timing, rng=self.rng)
        return float(self.model.loss_from_expectations(e, y)[0])
