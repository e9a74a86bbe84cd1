"""Circuit cutting (circuit knitting) as pure linear algebra: decompositions, plans, cut finder, reconstruction.

No network and no SimPy here: the ``cut`` training strategy (:mod:`qnet_dqnn.distributed.cut`) runs these plans on
the simulated network. The pipeline is staged as pure functions (qiskit-addon-cutting's ``partition → experiments →
reconstruct``):

1. :func:`find_cuts` (or a hand-made :class:`CutPlan`) chooses gate, wire and joint cuts under a per-QPU qubit limit;
2. :func:`list_subexperiments` lists the fragment circuits, each touching only its own fragment's qubits;
3. :func:`evaluate_cut` / :func:`evaluate_cut_gradient` reconstruct expectation values and gradients — exactly,
   from sampled shots, or by Monte Carlo over terms — and :func:`reconstruct_distribution` the output distribution
   (directly, or by maximum-likelihood fragment tomography).
"""

from __future__ import annotations

from qnet_dqnn.cutting.distribution import mlft_distribution, reconstruct_distribution, total_variation
from qnet_dqnn.cutting.experiments import SubExperiment, list_subexperiments
from qnet_dqnn.cutting.finder import cut_count_lower_bound, find_cuts, finder_backends, register_finder
from qnet_dqnn.cutting.gate_cuts import (
    FAMILIES,
    cut_operation,
    cx_qpd,
    cz_qpd,
    gate_qpd,
    nonlocal_qpd,
    optimal_gamma,
    pauli_rotation_qpd,
    rxx_qpd,
    ryy_qpd,
    rzz_qpd,
)
from qnet_dqnn.cutting.joint import joint_gamma, joint_qpd
from qnet_dqnn.cutting.kak import KAK, kak
from qnet_dqnn.cutting.plan import CutPlan, Fragment, GateCut, JointCut, RandomizedWireCut, WireCut
from qnet_dqnn.cutting.qpd import QPD, Branch, CutError, Instruction, QPDTerm, qpd_superoperator
from qnet_dqnn.cutting.reconstruct import CutEstimate, draw_terms, evaluate_cut, evaluate_cut_gradient
from qnet_dqnn.cutting.sampling import Run, plan_runs
from qnet_dqnn.cutting.wire_cuts import randomized_wire_cut_qpd, wire_cut_cc_qpd, wire_cut_qpd

__all__ = [
    "FAMILIES",
    "KAK",
    "QPD",
    "Branch",
    "CutError",
    "CutEstimate",
    "CutPlan",
    "Fragment",
    "GateCut",
    "Instruction",
    "JointCut",
    "QPDTerm",
    "RandomizedWireCut",
    "Run",
    "SubExperiment",
    "WireCut",
    "cut_count_lower_bound",
    "cut_operation",
    "cx_qpd",
    "cz_qpd",
    "draw_terms",
    "evaluate_cut",
    "evaluate_cut_gradient",
    "find_cuts",
    "finder_backends",
    "gate_qpd",
    "joint_gamma",
    "joint_qpd",
    "kak",
    "mlft_distribution",
    "list_subexperiments",
    "nonlocal_qpd",
    "optimal_gamma",
    "pauli_rotation_qpd",
    "plan_runs",
    "qpd_superoperator",
    "randomized_wire_cut_qpd",
    "reconstruct_distribution",
    "rxx_qpd",
    "ryy_qpd",
    "rzz_qpd",
    "total_variation",
    "wire_cut_cc_qpd",
    "wire_cut_qpd",
    "register_finder",
]
