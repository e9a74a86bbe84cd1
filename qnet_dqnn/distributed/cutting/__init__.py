"""Circuit cutting (incoherent model splitting): decompositions, plans, sub-experiments, reconstruction.

The pipeline is staged as pure functions (qiskit-addon-cutting's ``partition → experiments → reconstruct``):

1. :func:`find_cuts` (or a hand-made :class:`CutPlan`) chooses gate and wire cuts under a per-QPU qubit limit;
2. :func:`list_subexperiments` lists the fragment circuits, each touching only its own fragment's qubits;
3. :func:`evaluate_cut` / :func:`evaluate_cut_gradient` reconstruct expectation values (exact enumeration or
   Monte Carlo sampling by ``|c_k|/γ``) and their gradients, :func:`reconstruct_distribution` the full output
   distribution.

The network layer schedules the sub-experiments on QPUs and charges their time; it reads the counts in
:class:`CutEstimate` (runs, shots, feed-forward messages) and :attr:`CutPlan.sampling_overhead`.
"""

from __future__ import annotations

from qnet_dqnn.distributed.cutting.decompositions import (
    QPD,
    Branch,
    Instruction,
    QPDTerm,
    cx_qpd,
    cz_qpd,
    gate_qpd,
    joint_cnot_gamma,
    pauli_rotation_qpd,
    qpd_superoperator,
    rxx_qpd,
    ryy_qpd,
    rzz_qpd,
    wire_cut_cc_qpd,
    wire_cut_qpd,
)
from qnet_dqnn.distributed.cutting.experiments import SubExperiment, list_subexperiments
from qnet_dqnn.distributed.cutting.plan import CutPlan, Fragment, GateCut, WireCut, cut_count_lower_bound, find_cuts
from qnet_dqnn.distributed.cutting.reconstruct import (
    CutEstimate,
    draw_terms,
    evaluate_cut,
    evaluate_cut_gradient,
    reconstruct_distribution,
)

__all__ = [
    "QPD",
    "Branch",
    "CutEstimate",
    "CutPlan",
    "Fragment",
    "GateCut",
    "Instruction",
    "QPDTerm",
    "SubExperiment",
    "WireCut",
    "cut_count_lower_bound",
    "cx_qpd",
    "cz_qpd",
    "draw_terms",
    "evaluate_cut",
    "evaluate_cut_gradient",
    "find_cuts",
    "gate_qpd",
    "joint_cnot_gamma",
    "list_subexperiments",
    "pauli_rotation_qpd",
    "qpd_superoperator",
    "reconstruct_distribution",
    "rxx_qpd",
    "ryy_qpd",
    "rzz_qpd",
    "wire_cut_cc_qpd",
    "wire_cut_qpd",
]
