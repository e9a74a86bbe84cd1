"""Pure physics formulas: fiber, heralded generation, Bell-diagonal pair states, decoherence.

Nothing here knows about SimPy or the network; every function cites its source.
"""

from qnet_dqnn.physics.bell_diagonal import (
    BELL_LABELS,
    bell_diagonal_density_matrix,
    bell_fidelity,
    fidelity_from_werner,
    pauli_channel_on_pair,
    werner_parameter,
    werner_state,
)
from qnet_dqnn.physics.decoherence import (
    MemoryModel,
    amplitude_phase_damping_kraus,
    decohere_pair,
    werner_fidelity_after_depolarizing,
)
from qnet_dqnn.physics.fiber import classical_hop_delay_s, propagation_delay_s, transmissivity
from qnet_dqnn.physics.heralding import (
    attempt_period_s,
    attempt_success_probability,
    heralding_time_s,
    storage_before_herald_s,
)

__all__ = [
    "BELL_LABELS",
    "MemoryModel",
    "amplitude_phase_damping_kraus",
    "attempt_period_s",
    "attempt_success_probability",
    "bell_diagonal_density_matrix",
    "bell_fidelity",
    "classical_hop_delay_s",
    "decohere_pair",
    "fidelity_from_werner",
    "heralding_time_s",
    "pauli_channel_on_pair",
    "propagation_delay_s",
    "storage_before_herald_s",
    "transmissivity",
    "werner_fidelity_after_depolarizing",
    "werner_parameter",
    "werner_state",
]
