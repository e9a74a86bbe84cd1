"""The ``cut`` strategy: incoherent model splitting by circuit cutting, trained over the network.

The model circuit is too wide for any one QPU, so it is cut once, before training, into fragments that fit
(:func:`~qnet_dqnn.cutting.find_cuts`: gate cuts of any two-qubit gate by its KAK decomposition at the optimal
overhead — Mitarai & Fujii, NJP 23, 023021 (2021) and Quantum 5, 388 (2021); Schmitt, Piveteau & Sutter,
arXiv:2312.11638 (2023) — wire cuts by Peng et al., PRL 125, 150504 (2020), with classical feed-forward by
Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023), and joint CNOT cuts by Piveteau & Sutter, IEEE TIT 70, 2734
(2024); the review, sec. 6.1.1). Every optimizer step then runs as follows:

1. the controller asks for the step's physical runs (:func:`~qnet_dqnn.cutting.plan_runs`; ``samples=None``: every
   distinct fragment circuit; ``samples=N``: the runs of ``N`` joint term choices drawn with ``p_k = |c_k|/γ``);
2. it schedules them on the worker QPUs, balanced by each QPU's speed (greedy list scheduling: longest job first,
   each to the worker where it would finish earliest), fragments joined by a feed-forward cut pinned to distinct
   workers (and, with noise, every fragment pinned to one worker, whose noise it then carries), and sends each
   worker its jobs: one message of ``jobs × circuit_bits`` bits;
3. each worker holds its processor for its jobs' shots and books circuits, shots, busy time and a ``compute``
   activity (as :meth:`qnet_dqnn.distributed.qpu.QPU.gradient` does), then returns its results: one message of
   ``Σ_jobs batch × outputs × precision_bits`` bits (``outputs`` = the fragment's values and derivatives);
4. the controller waits for every result (a ``wait_message`` activity), reconstructs values and gradients
   (:func:`~qnet_dqnn.cutting.evaluate_cut_gradient`, pure), takes one optimizer step and records it.

Steps 1–4 are :meth:`CutReplica.step` (the ``hybrid`` strategy runs several replicas, one per group of workers).
The recorded loss and validation accuracy are reconstructed exactly through the same cuts by :class:`CutEvaluator`
(not charged), so no circuit wider than a fragment is ever simulated — which is what lets the strategy train
32–64-qubit ``blocks`` models on 8-qubit QPUs.

**Shots are sampled.** Every run's shots are drawn from its exact outcome distribution and the estimate is
reconstructed from those counts (:mod:`qnet_dqnn.cutting.sampling`), so the gradient carries the shot noise cutting
really costs. Cutting multiplies the shots needed for a given statistical error by the sampling overhead
``γ² = Π γ_j²`` (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)): with ``scale_shots`` (the default) every unit
gets ``S·γ²`` shots per circuit in all, ``S`` the shots of an uncut circuit (``shots``),
split over its runs in proportion to their sampling probability; in Monte Carlo mode ``S·γ²/N`` per sample.
Without scaling each run gets ``S`` and the estimate's variance grows as ``γ²``. A run's circuits are its forward
circuit and the parameter-shift pairs of every trainable gate occurrence in its unit (Mitarai et al., PRA 98,
032309 (2018)), each shot as long as :func:`~qnet_dqnn.quantum.shots.circuit_duration` on the worker's gates. The
shots charged are exactly the shots sampled (tested). ``exact: true`` computes exact values instead (the runs
are still charged): training then follows the single-QPU trajectory to float precision (STYLE point 13).

**Feed-forward.** A feed-forward cut needs outcomes at the partner fragment *during* every shot. The two fragments
run on distinct workers; each shot lasts its circuit plus the one-way classical latency of every message on the
shot's critical path (one for a wire cut, ``2n`` for a joint cut of ``n`` gates: each telegate's round trip), and
every received bit books one message on each link of the route in the ledger (counted, not simulated one by one).

**Noise.** With ``workload.noise`` the fragments run under their worker's gate, readout and idle noise (density
matrices; :mod:`qnet_dqnn.cutting.fragments`): the reconstruction is then biased by the noise, and the run reports
that bias (``noise_bias``: mean ``|E_noisy − E_ideal|`` of the exact reconstructions) beside the sampling error
(``sampling_error``: mean ``|Ê − E_noisy|``).

In Monte Carlo mode the values and the Jacobian come from independent draws (forward circuits and shifted
circuits are separate runs anyway), so the loss gradient ``Σ ∂L/∂E(Ê) · Ĵ`` is unbiased whenever ``∂L/∂E`` is
affine in ``E`` (MSE) and carries an ``O(γ²/N)`` bias through the curvature of the loss otherwise; in the sampled
exact enumeration both come from the same runs (the Jacobian's product rule reuses the forward estimates of the
other units), a bias of order ``1/(S γ²)`` through the loss's curvature.
"""

from qnet_dqnn.distributed.cut.options import CutOptions, plan_for
from qnet_dqnn.distributed.cut.schedule import (
    FEEDFORWARD_BITS,
    CutSetup,
    feedforward_latency_ticks,
    run_ticks,
    schedule,
)
from qnet_dqnn.distributed.cut.step import StepResult, cut_loss_and_grad
from qnet_dqnn.distributed.cut.strategy import CutEvaluator, CutReplica, cut

__all__ = [
    "CutEvaluator",
    "CutOptions",
    "CutReplica",
    "FEEDFORWARD_BITS",
    "CutSetup",
    "StepResult",
    "cut",
    "cut_loss_and_grad",
    "feedforward_latency_ticks",
    "plan_for",
    "run_ticks",
    "schedule",
]
