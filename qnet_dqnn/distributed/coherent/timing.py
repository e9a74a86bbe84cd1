"""What a step asks of the split machine and how long its shots take: workload, per-shot timing, and where in
the shot each pair is used (the demand the pair timeline serves)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qnet_dqnn.distributed.coherent.split import RemoteGates, RemoteOp, remote_ops, remote_plan
from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.gradients import parameter_shift_circuits
from qnet_dqnn.quantum.shots import QPUTiming
from qnet_dqnn.units import to_seconds


@dataclass(frozen=True)
class StepWorkload:
    """What one training step asks of the split machine.

    Attributes:
        circuits: circuits run (``B·(1 + 2·n_occ)``).
        shots: shots in all (``circuits × S``).
        telegates: node pair ``(a, b)`` -> telegates per run of the circuit.
        pairs: node pair -> pairs the step consumes (``(telegates + teleports) × shots``).
        teleports: node pair -> qubit teleports per run (there and back count two).
    """

    circuits: int
    shots: int
    telegates: dict[tuple[str, str], int]
    pairs: dict[tuple[str, str], int]
    teleports: dict[tuple[str, str], int] = field(default_factory=dict)


def step_workload(
    circuit: Circuit,
    assignment: Sequence[str],
    batch: int,
    shots: int,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> StepWorkload:
    """Circuits, shots, telegates, teleports and pairs of one step of ``batch`` inputs at ``shots`` per circuit."""
    circuits = batch * (1 + parameter_shift_circuits(circuit))
    telegates: dict[tuple[str, str], int] = {}
    teleports: dict[tuple[str, str], int] = {}
    for op in remote_ops(circuit, assignment, remote_gates, spare):
        counts = telegates if op.kind == "telegate" else teleports
        counts[op.key] = counts.get(op.key, 0) + 1
    total = circuits * shots
    per_run = {k: telegates.get(k, 0) + teleports.get(k, 0) for k in dict.fromkeys([*telegates, *teleports])}
    return StepWorkload(circuits, total, telegates, {k: v * total for k, v in per_run.items()}, teleports)


def _slowest(timings: Sequence[QPUTiming]) -> QPUTiming:
    return QPUTiming(
        t1q_s=max(t.t1q_s for t in timings),
        t2q_s=max(t.t2q_s for t in timings),
        tmeas_s=max(t.tmeas_s for t in timings),
    )


def telegate_seconds(timing: QPUTiming, round_trip_s: float) -> float:
    """Time one telegate adds to a shot (in s): the classical bit each way plus the protocol's local
    operations beyond the CNOT itself, ``t2q + 2·tmeas + 2·t1q`` (CNOT and Z measurement at the control's
    node, X correction and X-basis measurement at the target's, Z correction back; Eisert et al., PRA 62,
    052317 (2000), Fig. 1)."""
    return round_trip_s + timing.t2q_s + 2 * timing.tmeas_s + 2 * timing.t1q_s


def teleport_seconds(timing: QPUTiming, one_way_s: float) -> float:
    """Time one teleport of a qubit adds to a shot (in s): the 2-bit message one way plus the Bell
    measurement (CNOT, H, both qubits measured at once: ``t2q + t1q + tmeas``) and the ``X^x Z^z``
    correction (``2·t1q``) (Bennett et al., PRL 70, 1895 (1993))."""
    return one_way_s + timing.t2q_s + timing.t1q_s + timing.tmeas_s + 2 * timing.t1q_s


def shot_seconds(
    network: Network,
    circuit: Circuit,
    assignment: Sequence[str],
    timing: QPUTiming,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> float:
    """One shot of the split circuit (in s): its scheduled depth on ``timing`` plus :func:`telegate_seconds`
    per telegate and :func:`teleport_seconds` per teleport."""
    return shot_plan(network, circuit, assignment, timing, remote_gates=remote_gates, spare=spare).shot_s


def classical_wait_s(network: Network, op: RemoteOp) -> float:
    """How long a shot waits for the classical bits of pair use ``op`` (in s): a telegate's bit each way
    (1 bit), a teleport's 2 bits one way, on idle links."""
    if op.kind == "telegate":
        return to_seconds(
            classical_delay_ticks(network, op.src, op.dst, 1) + classical_delay_ticks(network, op.dst, op.src, 1)
        )
    return to_seconds(classical_delay_ticks(network, op.src, op.dst, 2))


@dataclass(frozen=True)
class ShotPlan:
    """One shot of the split circuit in time: where each pair use falls and how long the shot takes.

    Attributes:
        ops: the pair uses, in order (:func:`~qnet_dqnn.distributed.coherent.split.remote_ops`).
        offsets_s: per use, when the shot reaches it: the start of the ASAP layer of the gate it follows,
            plus the extra time (:func:`telegate_seconds`, :func:`teleport_seconds`, purification) of the uses
            before it.
        waits_s: per use, the classical wait of its protocol (:func:`classical_wait_s`) and of purifying its
            pair, while the data qubits idle.
        shot_s: the whole shot: the split circuit's duration plus every use's extra time.
    """

    ops: tuple[RemoteOp, ...]
    offsets_s: tuple[float, ...]
    waits_s: tuple[float, ...]
    shot_s: float


def shot_plan(
    network: Network,
    circuit: Circuit,
    assignment: Sequence[str],
    timing: QPUTiming,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
    purify_s: Mapping[tuple[str, str], float] | None = None,
) -> ShotPlan:
    """The :class:`ShotPlan` of the split circuit on ``timing`` (the slowest QPU's gate times); ``purify_s``:
    per node pair, the time purifying a pair adds after its last input pair (none if not given)."""
    level = [0] * circuit.num_qubits
    lengths: list[float] = []
    ops: list[RemoteOp] = []
    layer_of_use: list[int] = []
    last_layer = 0
    for item in remote_plan(circuit, assignment, remote_gates, spare):
        if isinstance(item, RemoteOp):
            ops.append(item)
            layer_of_use.append(last_layer)
            continue
        if item.is_channel:
            continue
        layer = max(level[q] for q in item.qubits)
        if layer == len(lengths):
            lengths.append(0.0)
        lengths[layer] = max(lengths[layer], timing.gate_time(item))
        for q in item.qubits:
            level[q] = layer + 1
        last_layer = layer
    starts = [sum(lengths[:i]) for i in range(len(lengths) + 1)]
    purify_s = purify_s or {}
    waits = [classical_wait_s(network, op) + purify_s.get(op.key, 0.0) for op in ops]
    extras = [
        telegate_seconds(timing, w) if op.kind == "telegate" else teleport_seconds(timing, w)
        for op, w in zip(ops, waits, strict=True)
    ]
    offsets = [starts[layer] + sum(extras[:i]) for i, layer in enumerate(layer_of_use)]
    shot = starts[-1] + timing.tmeas_s + sum(extras)
    return ShotPlan(tuple(ops), tuple(offsets), tuple(waits), shot)
