"""Finite shots, QPU timing and the cost accounting of circuits.

**Sampling.** Measuring a Pauli string ``P`` gives ±1 with ``Pr(+1) = (1 + ⟨P⟩)/2``; with a symmetric
readout flip probability ``p`` on each of its ``w`` measured bits the observed mean is ``(1-2p)^w ⟨P⟩``.
The ``S``-shot estimate ``2k/S − 1`` with ``k ~ Binomial(S, Pr(+1))`` is unbiased for that mean and has
variance ``(1 − ⟨P⟩_obs²)/S``. Full bit strings are drawn with a multinomial over the Born probabilities.

A circuit measured on ``K`` readout qubits gives ``K`` such estimates from the same ``S`` shots; they are
drawn here as independent binomials, which keeps each one's distribution exact and leaves out the
correlations between readout qubits (none for the one-qubit readout of the data-parallel models).

**Timing.** A circuit runs as its ASAP layers (:meth:`qnet_dqnn.quantum.circuit.Circuit.layers`); the
slowest gate in a layer sets the layer's length, then the register is measured:
``duration = Σ_layers max_{g ∈ layer} t_g + t_meas``. One shot runs the circuit once, so
``QPU busy time = shots × duration``. Both are integer ticks (:mod:`qnet_dqnn.units`): each gate time is
rounded to the tick once, and the busy time of ``N`` shots is ``N × shot ticks`` in integer arithmetic, exact
at any horizon (``N ≈ 10¹⁴`` shots of a millisecond are centuries; the product of float seconds would be
rounded to 2⁻⁵² of it, hundreds of ticks there).

**Accounting.** A forward pass over ``B`` inputs is ``B`` circuits; a parameter-shift gradient
(Mitarai et al. 2018, Eq. 12) is ``2 × n_occ`` circuits per input, ``n_occ`` the number of trainable gate
occurrences (``= n_params`` when each parameter drives one gate); each circuit costs ``shots`` shots. What
is charged is what is sampled: :class:`ShotTally` counts the circuits and shots an estimator actually drew,
so a test can hold the cost model to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.gradients import parameter_shift_circuits
from qnet_dqnn.quantum.observables import as_pauli
from qnet_dqnn.units import to_seconds, to_ticks

#: How expectation values are estimated: ``sampled`` (``S`` shots drawn per circuit, the default) or
#: ``exact`` (the ``S → ∞`` limit, for debugging and tests; the ``S`` shots are still charged in time).
ESTIMATORS = ("sampled", "exact")


def check_shots(shots: int, field: str = "shots") -> int:
    """``shots`` if it is an integer >= 1; else a QnetError naming ``field``."""
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer) or shots < 1:
        raise QnetError(f"{field}: must be an integer >= 1 (got {shots!r})")
    return int(shots)


@dataclass
class ShotTally:
    """Circuits run and shots drawn by a finite-shot estimator (what was sampled, to hold the charge to).

    Attributes:
        circuits: circuits estimated.
        shots: shots drawn in all (circuits × shots per circuit).
    """

    circuits: int = 0
    shots: int = 0

    def record(self, circuits: int, shots: int) -> None:
        """Count ``circuits`` circuits of ``shots`` shots each."""
        self.circuits += int(circuits)
        self.shots += int(circuits) * int(shots)

    def add(self, other: ShotTally) -> None:
        """Count what ``other`` counted (e.g. a job's draws made on a cluster)."""
        self.circuits += other.circuits
        self.shots += other.shots


def sample_expectation(
    values: np.ndarray,
    shots: int,
    rng: np.random.Generator,
    *,
    readout: float = 0.0,
    weight: int | Sequence[int] = 1,
    tally: ShotTally | None = None,
) -> np.ndarray:
    """Finite-shot estimates of Pauli expectation values (each value from its own ``shots`` shots).

    Args:
        values: exact ``⟨P⟩`` (any shape; the last axis may index observables of different ``weight``).
        shots: shots per estimate (>= 1).
        rng: the random generator.
        readout: symmetric readout flip probability per measured bit.
        weight: number of measured bits of each observable (broadcast against the last axis).
        tally: counts ``values.shape[0]`` circuits of ``shots`` shots: the rows of ``(R, K)`` values are
            circuits, their ``K`` observables read from the same shots.
    """
    check_shots(shots)
    if tally is not None:
        tally.record(np.shape(values)[0], shots)
    v = np.asarray(values, dtype=float) * (1.0 - 2.0 * readout) ** np.asarray(weight)
    p_plus = np.clip((1.0 + v) / 2.0, 0.0, 1.0)
    k = rng.binomial(shots, p_plus)
    return 2.0 * k / shots - 1.0


def sample_counts(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Multinomial counts of ``shots`` draws from each row of Born probabilities ``(B, D)``."""
    p = np.clip(np.asarray(probs, dtype=float), 0.0, None)
    p = p / p.sum(axis=-1, keepdims=True)
    return rng.multinomial(shots, p)


@dataclass(frozen=True, slots=True)
class QPUTiming:
    """Gate and measurement durations of a QPU.

    Attributes:
        t1q_s: one-qubit gate time (in s).
        t2q_s: two-qubit gate time (in s).
        tmeas_s: measurement (and reset) time (in s).
    """

    t1q_s: float = 50e-9
    t2q_s: float = 300e-9
    tmeas_s: float = 1e-6

    def __post_init__(self) -> None:
        for name in ("t1q_s", "t2q_s", "tmeas_s"):
            v = getattr(self, name)
            if not v >= 0:
                raise QnetError(f"QPUTiming.{name} must be >= 0 (got {v!r})")

    def gate_time(self, op: Operation) -> float:
        """Duration of one gate (in s); channels take no time."""
        if op.is_channel:
            return 0.0
        return self.t1q_s if len(op.qubits) == 1 else self.t2q_s


def shot_ticks(circuit: Circuit, timing: QPUTiming) -> int:
    """Duration of one shot in integer ticks: ``Σ_layers max gate ticks + measurement ticks``."""
    layers = sum(max(to_ticks(timing.gate_time(op)) for op in layer) for layer in circuit.layers())
    return layers + to_ticks(timing.tmeas_s)


def circuit_duration(circuit: Circuit, timing: QPUTiming) -> float:
    """Wall time of one shot (in s): ``Σ_layers max gate time + t_meas`` (see module docstring)."""
    return to_seconds(shot_ticks(circuit, timing))


@dataclass(frozen=True, slots=True)
class ExecutionCost:
    """What a piece of work costs on a QPU.

    Attributes:
        circuits: distinct circuits run.
        shots: total shots (circuits × shots per circuit).
        qpu_ticks: busy time in integer ticks = shots × one-shot ticks (exact at any horizon).
    """

    circuits: int = 0
    shots: int = 0
    qpu_ticks: int = 0

    @property
    def qpu_time_s(self) -> float:
        """Busy time (in s)."""
        return to_seconds(self.qpu_ticks)

    def __add__(self, other: ExecutionCost) -> ExecutionCost:
        return ExecutionCost(self.circuits + other.circuits, self.shots + other.shots, self.qpu_ticks + other.qpu_ticks)


def _cost(circuits: int, shots: int, circuit: Circuit, timing: QPUTiming) -> ExecutionCost:
    total = circuits * check_shots(shots)
    return ExecutionCost(circuits, total, total * shot_ticks(circuit, timing))


def forward_cost(circuit: Circuit, n_inputs: int, shots: int, timing: QPUTiming) -> ExecutionCost:
    """Cost of evaluating ``circuit`` on ``n_inputs`` inputs: ``n_inputs`` circuits × ``shots``."""
    return _cost(int(n_inputs), shots, circuit, timing)


def gradient_cost(circuit: Circuit, n_inputs: int, shots: int, timing: QPUTiming) -> ExecutionCost:
    """Cost of a parameter-shift gradient on ``n_inputs`` inputs: ``2·n_occ·n_inputs`` circuits × ``shots``."""
    return _cost(parameter_shift_circuits(circuit) * int(n_inputs), shots, circuit, timing)


def shot_evaluator(
    evaluator,
    observables: Sequence,
    shots: int,
    rng: np.random.Generator,
    *,
    readout: float = 0.0,
    tally: ShotTally | None = None,
):
    """Wrap an exact evaluator so every value is a ``shots``-shot estimate (readout error included).

    The evaluator returns ``(R, K)`` values, ``R`` circuits of ``K`` observables each; every circuit is
    estimated from its own ``shots`` shots and counted in ``tally``. With
    :func:`qnet_dqnn.quantum.gradients.parameter_shift_jacobian` this gives the gradient a QPU would
    estimate: each of the ``2·n_occ`` shifted circuits is sampled independently, so the gradient carries
    the real estimator's noise (variance ``Σ scale²(1-⟨P⟩±²)/(4S)`` per parameter).
    """
    check_shots(shots)
    weights = [len(as_pauli(o).qubits) for o in observables]

    def run(circ: Circuit, params: np.ndarray, data, init) -> np.ndarray:
        values = evaluator(circ, params, data, init)
        return sample_expectation(values, shots, rng, readout=readout, weight=weights, tally=tally)

    return run
