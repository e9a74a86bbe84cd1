"""The ``coherent`` strategy: one QNN circuit split over several QPUs, remote gates by telegates or teleported qubits.

Coherent model splitting (the review, sec. 6.1.2): the model circuit's qubits are placed on QPUs by the
partitioner (:mod:`qnet_dqnn.distributed.partition`), and every two-qubit gate between qubits on different
QPUs is done by a telegate — cat-entangler and disentangler over one end-to-end pair, one classical bit each
way (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000)) — or locally after teleporting one of its
qubits to the other QPU (teledata: one pair and two bits there, one pair and two bits back; Bennett et al.,
PRL 70, 1895 (1993)). ``cx``/``cz`` take one telegate; ``rzz`` is CNOT·RZ·CNOT, ``rxx``/``ryy`` the same in a
rotated basis (two), ``swap`` three CNOTs.

**Telegate or teleport** (``remote_gates``, :func:`remote_plan`). A *run* is what a qubit could do on the
other node once there: the remote gates it shares with qubits of that node, consecutively, with only
single-qubit gates on it in between (done on the other node too); a gate with a qubit anywhere else ends it.
Teleporting the qubit there and back costs :data:`TELEPORT_PAIRS` = 2 pairs, the run's ``k`` telegates ``k``
pairs, so ``auto`` teleports a run of ``k > 2`` telegates (``k ≥ 3``) and uses telegates otherwise
(:func:`teleport_pays`; the telegate-versus-teledata comparison of Wu et al., "AutoComm", MICRO 2022);
``telegate`` never teleports, ``teleport`` teleports every run. Of a gate's two qubits the one with the longer
run moves (ties: the first). A teleported qubit takes a data slot on the receiving node: with none spare
(:func:`~qnet_dqnn.distributed.partition.spare_slots`) the run falls back to telegates. The plan is made once
per circuit, the same for every shot.

**Noise the network causes.** A telegate over a Bell-diagonal pair with coefficients ``c_k`` (k = x + 2z)
acts as the ideal CNOT followed by ``Z^z`` on the control and ``X^x`` on the target with probability ``c_k``
(:func:`qnet_dqnn.physics.telegate.telegate_pauli_errors`); a CZ (CNOT conjugated by H on the target) gets
``Z^z ⊗ Z^x``. A teleport applies ``X^x Z^z`` to the moved qubit with probability ``c_k``
(:func:`qnet_dqnn.physics.teleportation.teleportation_pauli_channel`; average fidelity ``(2F + 1)/3`` for a
Werner pair). :func:`split_circuit` inserts the two-qubit Pauli channel after every remote CNOT/CZ and the
one-qubit one after every teleport (there and back), with the mean Bell coefficients of the pairs the step
consumed there — each in its state when used, after its own wait in memory. The mean is exact for expectation
values: every shot uses fresh pairs and the channels are linear in ``c``. The annotated circuit is evaluated
exactly by summing over the Pauli errors of the channels in the readout's light cone
(:func:`pauli_expansion` over the commutation-aware cone of :func:`qnet_dqnn.quantum.light_cone.prune`;
values and adjoint gradients per error pattern), or
with density matrices (``qubits ≤ dm_max_qubits``) or Pauli trajectories (parameter-shift gradients) when
there are too many patterns, so training sees the degraded values and gradients. With perfect pairs the
circuit has no channels and the adjoint method gives the unsplit circuit's gradient.

**Pairs on the exact timeline.** One step evaluates the batch loss and its parameter-shift gradient:
``C = B·(1 + 2·n_occ)`` circuits of ``S`` shots (``shots``; sampled unless ``estimator: exact``), each shot
using its pairs at fixed points (:func:`shot_plan`: the start of the ASAP layer of the remote gate, plus the classical
waits and local operations of the uses before it). The step submits all ``C·S`` shots' uses, in order, to
the network's pair timeline (:mod:`qnet_dqnn.net.timeline`), which says exactly when each use gets its
pair: links generate in memory shared with nothing but the budget left by the data qubits
(:func:`data_peaks`, one qubit budget), repeaters swap (``swap_policy``), a use stalls when no pair is
there and every later shot moves with it, and replicas that share a link (``hybrid``) are served in the
``contention`` order. The QPUs compute for the step's shots plus its stalls (``wait_pairs`` on their
timelines, the rest ``compute``). Every consumed pair's state comes from its own ages; the split circuit
carries, per pair use, the mean over shots of those states' channels (exact for expectation values: the
channels are linear), and, with gate noise on, the data qubits' idling during each use's stall and
classical round trip (:func:`idle_channel`). The ledger counts the timeline's attempts, pairs, swaps and
notices, and books the telegates (at the control qubit's node, one 1-bit message each way) and teleports
(at the sender, one 2-bit message). With ``purification: {protocol, rounds: k}`` every pair a shot uses is the
output of ``k`` recurrence rounds on end-to-end pairs, scheduled on the timeline
(:mod:`qnet_dqnn.net.timeline.purify`): the use consumes the pairs its rounds take, the shot waits ``k`` rounds
of local operations and outcome exchange, and the pair's state is the protocol's output on the pairs' own states.

**Faults** (``faults:``, :class:`~qnet_dqnn.distributed.faults.FaultsSpec`; only ``dropout`` here). A step
needs every QPU holding qubits of the split circuit. If one of them is down when the step starts, or an outage
begins before the step ends, the step fails: its ``C·S`` shots are lost (``failed_shots``, ``failed_steps`` in
the metrics, a ``step_failed`` trace event), the parameters are not updated, and the run waits until all those
QPUs are up again before the next step (its minibatch is drawn afresh). A crashed QPU stops computing at the
crash (its busy time is booked up to then, its shots are not); the pair supply of the failed step runs to its
end (the network is not down, only the QPU). If a node never comes back, or not before the run's time limit,
the run ends there (``stopped_by_fault`` = 1 and a ``run_stopped`` trace event) instead of waiting forever.
The pairs of a failed step are still scheduled to its end (the network is not down, only the QPU).

The parts: :mod:`~.options` (options and their checks), :mod:`~.split` (the remote plan and the split
circuit), :mod:`~.noise` (evaluation, light cone, output fidelity), :mod:`~.timing` (workload and shot
timing), :mod:`~.replica` (a step through the network), :mod:`~.strategy` (registration).

The per-step work is a :class:`CoherentReplica`, so that the ``hybrid`` strategy can run several split
replicas at once, each on its own group of QPUs. Metrics: ``output_fidelity`` — mean ``⟨ψ|ρ|ψ⟩`` of the final
split circuit's output state against the ideal unsplit one over ``fidelity_samples`` validation inputs — and
the cut, pair (``pairs_consumed``, ``telegates``, ``teleports``) and timing numbers.
"""

from qnet_dqnn.distributed.coherent.noise import SplitEvaluator, output_fidelity, pauli_expansion
from qnet_dqnn.distributed.coherent.options import CoherentOptions, cutoff_problems, plan_partition
from qnet_dqnn.distributed.coherent.replica import CoherentReplica, data_peaks, idle_channel
from qnet_dqnn.distributed.coherent.split import (
    TELEPORT_PAIRS,
    RemoteGates,
    RemoteOp,
    remote_ops,
    remote_plan,
    split_circuit,
    telegate_probabilities,
    teleport_pays,
    teleport_probabilities,
)
from qnet_dqnn.distributed.coherent.strategy import coherent
from qnet_dqnn.distributed.coherent.timing import (
    ShotPlan,
    StepWorkload,
    shot_plan,
    shot_seconds,
    step_workload,
    telegate_seconds,
    teleport_seconds,
)

__all__ = [
    "TELEPORT_PAIRS",
    "CoherentOptions",
    "CoherentReplica",
    "RemoteGates",
    "RemoteOp",
    "ShotPlan",
    "SplitEvaluator",
    "StepWorkload",
    "coherent",
    "cutoff_problems",
    "data_peaks",
    "idle_channel",
    "output_fidelity",
    "pauli_expansion",
    "plan_partition",
    "remote_ops",
    "remote_plan",
    "shot_plan",
    "shot_seconds",
    "split_circuit",
    "step_workload",
    "telegate_probabilities",
    "telegate_seconds",
    "teleport_pays",
    "teleport_probabilities",
    "teleport_seconds",
]
