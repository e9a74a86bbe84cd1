"""Quantum state simulation: circuit IR, batched statevector, gradients, density matrix, noise, shots."""

from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, Trainable, UnitaryMatrix
from qnet_dqnn.quantum.density_matrix import density_matrix, dm_expectation
from qnet_dqnn.quantum.gradients import (
    adjoint_jacobian,
    finite_difference_jacobian,
    parameter_shift_circuits,
    parameter_shift_jacobian,
)
from qnet_dqnn.quantum.light_cone import LightCone, cone_metrics, light_cone, prune, remote_ops_in_cone
from qnet_dqnn.quantum.noise import NoiseModel, kraus_operators, pauli_probabilities
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation, noisy_jacobian, noisy_shift_values, noisy_vjp
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.shots import (
    ESTIMATORS,
    ExecutionCost,
    QPUTiming,
    ShotTally,
    check_shots,
    circuit_duration,
    forward_cost,
    gradient_cost,
    sample_counts,
    sample_expectation,
    shot_evaluator,
    shot_ticks,
)
from qnet_dqnn.quantum.statevector import expectation, probabilities, statevector
from qnet_dqnn.quantum.trajectories import trajectory_expectation

__all__ = [
    "ESTIMATORS",
    "Circuit",
    "Data",
    "ExecutionCost",
    "LightCone",
    "NoiseModel",
    "Operation",
    "PauliString",
    "QPUTiming",
    "ShotTally",
    "Trainable",
    "UnitaryMatrix",
    "adjoint_jacobian",
    "check_shots",
    "circuit_duration",
    "cone_metrics",
    "density_matrix",
    "dm_expectation",
    "expectation",
    "finite_difference_jacobian",
    "forward_cost",
    "gradient_cost",
    "kraus_operators",
    "light_cone",
    "noisy_expectation",
    "noisy_jacobian",
    "noisy_shift_values",
    "noisy_vjp",
    "parameter_shift_circuits",
    "parameter_shift_jacobian",
    "pauli_probabilities",
    "probabilities",
    "prune",
    "remote_ops_in_cone",
    "sample_counts",
    "sample_expectation",
    "shot_evaluator",
    "shot_ticks",
    "statevector",
    "trajectory_expectation",
]
