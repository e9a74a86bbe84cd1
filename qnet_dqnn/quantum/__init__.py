"""Quantum state simulation: circuit IR, batched statevector, gradients, density matrix, noise, shots."""

from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, Trainable, UnitaryMatrix
from qnet_dqnn.quantum.density_matrix import density_matrix, dm_expectation
from qnet_dqnn.quantum.gradients import (
    adjoint_jacobian,
    finite_difference_jacobian,
    parameter_shift_circuits,
    parameter_shift_jacobian,
)
from qnet_dqnn.quantum.noise import NoiseModel, kraus_operators, pauli_probabilities
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation, noisy_jacobian, noisy_shift_values, noisy_vjp
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.qiskit_io import from_qiskit, to_qiskit
from qnet_dqnn.quantum.shots import (
    ExecutionCost,
    QPUTiming,
    circuit_duration,
    forward_cost,
    gradient_cost,
    sample_counts,
    sample_expectation,
    shot_evaluator,
)
from qnet_dqnn.quantum.statevector import expectation, probabilities, statevector
from qnet_dqnn.quantum.trajectories import trajectory_expectation

__all__ = [
    "Circuit",
    "Data",
    "ExecutionCost",
    "NoiseModel",
    "Operation",
    "PauliString",
    "QPUTiming",
    "Trainable",
    "UnitaryMatrix",
    "adjoint_jacobian",
    "circuit_duration",
    "density_matrix",
    "dm_expectation",
    "expectation",
    "finite_difference_jacobian",
    "from_qiskit",
    "forward_cost",
    "gradient_cost",
    "kraus_operators",
    "noisy_expectation",
    "noisy_jacobian",
    "noisy_shift_values",
    "noisy_vjp",
    "parameter_shift_circuits",
    "parameter_shift_jacobian",
    "pauli_probabilities",
    "probabilities",
    "sample_counts",
    "sample_expectation",
    "shot_evaluator",
    "statevector",
    "to_qiskit",
    "trajectory_expectation",
]
