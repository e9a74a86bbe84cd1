"""The pipeline (vertical) split as pure functions: which layers each stage runs, the circuit the pipeline
really computes, and how long a step of shots takes.

The review (Sec. 6, Fig. 8) calls *vertical* the split between layers: stage ``s`` holds the whole ``n``-qubit
register, runs its consecutive layers of the ansatz (stage 0 also the encoding), and hands the register to
stage ``s + 1``. Handing over measured outcomes would need tomography, "maximally inefficient" in the
review's words; teleporting the ``n`` qubits (teledata: one pair and two bits each, Bennett et al., PRL 70,
1895 (1993)) keeps the state. Over a Bell-diagonal pair with coefficients ``c`` a teleported qubit suffers the
Pauli channel ``X^x Z^z`` with probability ``c_{x+2z}``
(:func:`~qnet_dqnn.distributed.coherent.teleport_probabilities`), so the pipeline computes
:func:`pipeline_circuit`: each stage's gates (with its own gate noise), a one-qubit Pauli channel on every
qubit at every boundary, the last stage's readout.

Timing (:func:`pipeline_timing`), as a classical instruction pipeline (Hennessy & Patterson, *Computer
Architecture: A Quantitative Approach*, 5th ed. 2012, App. C.1; GPipe, Huang et al., NeurIPS 2019, the
review's pipeline parallelism): a shot's *latency* is the stages' busy times plus each boundary's one-way
classical delay; shots enter every *period*, the largest of (a) the busiest stage, (b) the latency over the
shots allowed in flight at once (Little's law, Oper. Res. 9, 383 (1961): throughput ≤ in flight / latency),
(c) at each boundary, the time its link needs to make the ``n`` pairs a shot consumes. ``K`` shots then take
``latency + (K − 1)·period``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnet_dqnn.distributed.coherent import teleport_probabilities
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import QNNModel, hardware_efficient
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.shots import QPUTiming

#: A perfect pair's Bell coefficients (``|Φ+⟩``): its teleport adds no error.
PERFECT = np.array([1.0, 0.0, 0.0, 0.0])


def segments(model: QNNModel, layers: Sequence[int]) -> list[Circuit]:
    """The model circuit cut between layers: stage ``s`` gets the next ``layers[s]`` layers of its
    hardware-efficient ansatz, stage 0 the encoding before them.

    Raises:
        QnetError: the stages do not cover the ansatz's layers exactly, or a stage has none.
    """
    n = model.num_qubits
    total = sum(layers)
    if any(count < 1 for count in layers):
        raise QnetError(f"every stage needs at least one layer (got {list(layers)})")
    full = hardware_efficient(n, total)
    if [(op.name, op.qubits) for op in full.ops] != [(op.name, op.qubits) for op in model.ansatz.ops]:
        raise QnetError(f"the stages cover {total} layers: the model is not a {total}-layer hardware-efficient ansatz")
    circuit = model.circuit
    start = len(circuit.ops) - len(model.ansatz.ops)
    bounds = [0] + [start + len(hardware_efficient(n, k).ops) for k in np.cumsum(layers)]
    return [Circuit(n, circuit.ops[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def pipeline_circuit(
    parts: Sequence[Circuit],
    coefficients: Sequence[np.ndarray | None],
    noises: Sequence[NoiseModel | None],
    timings: Sequence[QPUTiming | None] | None = None,
) -> Circuit:
    """What the pipeline computes: stage ``s``'s gates with its gate noise (``noises[s].apply``), then, at
    boundary ``s``, every qubit teleported over a pair of Bell coefficients ``coefficients[s]`` (a one-qubit
    Pauli channel on each; none for perfect pairs)."""
    if len(coefficients) != len(parts) - 1 or len(noises) != len(parts):
        raise QnetError(f"{len(parts)} stages need {len(parts) - 1} boundaries and {len(parts)} noise models")
    n = parts[0].num_qubits
    timings = timings if timings is not None else [None] * len(parts)
    out = Circuit(n)
    for s, part in enumerate(parts):
        noise = noises[s]
        out.extend(noise.apply(part, timings[s]) if noise is not None and not noise.is_ideal else part)
        if s == len(parts) - 1:
            break
        c = coefficients[s]
        if c is None or np.allclose(c, PERFECT, rtol=0.0, atol=1e-15):
            continue
        probabilities = tuple(teleport_probabilities(np.asarray(c, dtype=float)))
        out.extend([Operation("pauli1", (q,), probabilities) for q in range(n)])
    return out


def teleport_local_seconds(timing: QPUTiming) -> tuple[float, float]:
    """(sender, receiver) local time of teleporting a register, all qubits at once: the Bell measurement
    ``t2q + t1q + tmeas`` (CNOT, H, measure both), the ``X^x Z^z`` correction ``2·t1q`` (Bennett et al. 1993)."""
    return timing.t2q_s + timing.t1q_s + timing.tmeas_s, 2.0 * timing.t1q_s


def stage_seconds(part: Circuit, timing: QPUTiming, first: bool, last: bool) -> float:
    """One shot's busy time at a stage: its gates' scheduled depth, its side of the teleports around it, and
    the measurement at the last stage."""
    gates = sum(max(timing.gate_time(op) for op in layer) for layer in part.layers())
    send, receive = teleport_local_seconds(timing)
    return gates + (0.0 if last else send) + (0.0 if first else receive) + (timing.tmeas_s if last else 0.0)


def pipeline_timing(
    busy_s: Sequence[float], boundary_delay_s: Sequence[float], pair_period_s: Sequence[float], in_flight: int
) -> tuple[float, float]:
    """``(latency, period)`` of the pipeline (module docstring), in seconds.

    Args:
        busy_s: each stage's busy time per shot.
        boundary_delay_s: each boundary's one-way delay of the 2-bit outcomes.
        pair_period_s: each boundary's time to make one shot's ``n`` pairs (0 when supply never limits).
        in_flight: shots allowed in the pipeline at once (1: one shot at a time, no pipelining).

    Examples:
        >>> pipeline_timing([1.0, 1.0], [0.5], [0.0], 1)
        (2.5, 2.5)
        >>> pipeline_timing([1.0, 1.0], [0.5], [0.0], 4)
        (2.5, 1.0)
        >>> pipeline_timing([1.0, 1.0], [0.5], [3.0], 4)
        (2.5, 3.0)
    """
    if in_flight < 1:
        raise QnetError(f"in_flight must be >= 1 (got {in_flight})")
    latency = float(sum(busy_s) + sum(boundary_delay_s))
    period = max(max(busy_s), latency / in_flight, max(pair_period_s, default=0.0))
    return latency, float(period)


def step_seconds(shots: int, latency_s: float, period_s: float) -> float:
    """``K`` shots through the pipeline: the first takes the latency, each next one a period more."""
    return latency_s + max(shots - 1, 0) * period_s
