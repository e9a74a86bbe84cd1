"""One coherently split copy of the model on a group of QPUs, stepping through the network's pair timeline."""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping, Sequence
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.distributed.coherent.noise import SplitEvaluator, output_fidelity
from qnet_dqnn.distributed.coherent.options import CoherentOptions, _nodes, plan_partition
from qnet_dqnn.distributed.coherent.split import KINDS, RemoteOp, remote_plan, split_circuit
from qnet_dqnn.distributed.coherent.timing import _slowest, shot_plan, step_workload
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.faults import apply_faults
from qnet_dqnn.distributed.partition import spare_slots
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.net.timeline import Demand, IndexedDraws, Outcome, PairTimeline
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.net.timeline.purify import (
    RecurrencePlan,
    block_starts,
    end_rates,
    expand,
    fresh_coefficients,
    purified_states,
    recurrence_plan,
    round_probabilities,
)
from qnet_dqnn.physics import MemoryModel
from qnet_dqnn.quantum.light_cone import cone_metrics
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.rng import component_rng
from qnet_dqnn.units import TICKS_PER_SECOND, to_seconds, to_ticks

#: Most activity intervals a step records per node exactly; beyond, its stalls are drawn per slice of the step.
MAX_INTERVALS = 100


def data_peaks(assignment: Sequence[str], plan: Sequence[Any]) -> dict[str, int]:
    """Most data qubits each node holds at once: its own, plus the teleported qubits visiting it."""
    held = {n: sum(1 for a in assignment if a == n) for n in dict.fromkeys(assignment)}
    peak = dict(held)
    for item in plan:
        if isinstance(item, RemoteOp) and item.kind == "teleport":
            held[item.src] = held.get(item.src, 0) - 1
            held[item.dst] = held.get(item.dst, 0) + 1
            peak[item.dst] = max(peak.get(item.dst, 0), held[item.dst])
    return peak


def idle_channel(
    model: MemoryModel, waits_s: np.ndarray, weights: np.ndarray | None = None
) -> tuple[str, tuple[float, ...]] | None:
    """The one-qubit channel of a data qubit that waited ``waits_s`` (one wait per shot, or each ``weights``
    times), averaged over shots.

    Channels are linear, so over shots the qubit goes through the mean channel. For T1/T2 it shrinks the
    Bloch vector's x, y by ``E[e^{−t/T2}]`` and z by ``E[e^{−t/T1}]`` towards |0>
    (:meth:`~qnet_dqnn.physics.MemoryModel.bloch_factors`), the ``thermal`` channel of one second with
    ``T1' = −1/ln E[e^{−t/T1}]``, ``T2' = −1/ln E[e^{−t/T2}]`` (``T2' ≤ 2T1'`` by Cauchy–Schwarz); a depolarizing
    memory gives ``depolarize1`` with ``p = 3(1 − E[λ])/4`` (Nielsen & Chuang, Sec. 8.3.4). None if ideal or no wait.
    """
    if model.is_ideal or not np.any(waits_s > 0):
        return None
    lxy, lz, _ = model.bloch_factors(np.asarray(waits_s, dtype=float))
    if model.coherence_time_s is not None:
        return "depolarize1", (float(0.75 * (1.0 - np.average(lxy, weights=weights))),)
    mz, mxy = float(np.average(lz, weights=weights)), float(np.average(lxy, weights=weights))
    t1 = -1.0 / math.log(mz) if mz < 1.0 else math.inf
    t2 = -1.0 / math.log(mxy) if mxy < 1.0 else math.inf
    if math.isinf(t1) and math.isinf(t2):
        return None
    t1 = min(t1, 1e300)
    return "thermal", (1.0, t1, min(t2, 2.0 * t1))


class CoherentReplica:
    """One coherently split copy of the model on a group of QPUs: per call of :meth:`step`, one gradient
    evaluation through the network (pairs from the pair timeline, shots, faults), as the package docstring says.

    The ``coherent`` strategy runs one replica over all its nodes; the ``hybrid`` strategy runs several at
    once on disjoint groups and averages their gradients.

    Args:
        ctx: the training context (network, model, spec, seed).
        options: the ``coherent`` options (``nodes`` is overridden by ``nodes``).
        nodes: the QPUs this replica may use (default: ``options.nodes``, else every QPU of the topology).
        name: names the replica's random streams (``{name}:evaluate``) and its demands on the timeline.
    """

    def __init__(
        self, ctx: TrainingContext, options: CoherentOptions, nodes: list[str] | None = None, name: str = "coherent"
    ) -> None:
        self.ctx, self.options, self.name = ctx, options, name
        network, model = ctx.network, ctx.model
        topology = network.topology
        self.order = list(nodes) if nodes is not None else _nodes(options, topology)
        self.partition = plan_partition(model.circuit, topology, options, nodes=self.order)
        assignment = self.partition.assignment
        #: QPUs holding qubits, in first-qubit order.
        self.nodes_used: list[str] = self.partition.nodes_used
        used = self.nodes_used
        #: The replica's first used node in node order (draws its minibatches, sends its gradient).
        self.home: str = min(used, key=self.order.index)
        self.timing = _slowest([qpu_timing(network.nodes[n].spec) for n in used])
        noise: NoiseModel | None = None
        if ctx.spec.noise:
            noise = qpu_noise(network.nodes[used[0]].spec)
            noise = None if noise.is_ideal else noise
        self.noise = noise
        self.base = noise.apply(model.circuit, self.timing) if noise is not None else model.circuit
        self.spare = spare_slots(topology, self.order, assignment, options.communication_qubits)
        self.remote: dict[str, Any] = {"remote_gates": options.remote_gates, "spare": self.spare}
        plan = remote_plan(model.circuit, assignment, options.remote_gates, self.spare)
        for node, qubits in data_peaks(assignment, plan).items():  # one budget: data first, pairs the rest
            memory = network.nodes[node].memory  # data teleported in by quantum_data is held there already
            network.reserve_data_qubits(node, max(qubits - (memory.data_qubits if memory is not None else 0), 0))
        self.timeline = PairTimeline.of(network, options.contention)
        self.purification = options.purification
        #: per node pair, one purification round's local operations and outcome exchange (ticks)
        self.round_ticks = {
            key: to_ticks(self.timing.t2q_s + self.timing.tmeas_s)
            + max(classical_delay_ticks(network, *key, 1), classical_delay_ticks(network, *key[::-1], 1))
            for key in dict.fromkeys(item.key for item in plan if isinstance(item, RemoteOp))
        }
        rounds = self.purification.rounds if self.purification is not None else 0
        purify_s = {key: rounds * ticks / TICKS_PER_SECOND for key, ticks in self.round_ticks.items()}
        self.shot = shot_plan(network, model.circuit, assignment, self.timing, **self.remote, purify_s=purify_s)
        self.per_shot_s = self.shot.shot_s
        self.ops: tuple[RemoteOp, ...] = self.shot.ops
        keys = list(dict.fromkeys(op.key for op in self.ops))
        self.keys = keys
        self.paths = [self.timeline.path(*key) for key in keys]
        self.pattern = np.array([keys.index(op.key) for op in self.ops], dtype=np.int64)
        self._patterns: dict[int, Demand] = {}  # shots -> the step's uses from tick 0 (:meth:`demand`)
        self._last: Outcome | None = None  # the last step's outcome, whose arrays the next step's reuses
        if self.purification is not None:
            self._plan_purification(keys, component_rng(ctx.seed, f"{name}:purify"))
        fallback = "density_matrix" if model.num_qubits <= options.dm_max_qubits else "trajectories"
        method = "enumerate" if options.evaluation == "auto" else options.evaluation
        #: Values and gradients through the split circuit (duck-types ``QPU.loss``/``QPU.accuracy``).
        self.evaluator = SplitEvaluator(
            model,
            split_circuit(self.base, assignment, **self.remote),
            method,
            readout=noise.readout if noise is not None else 0.0,
            shots=ctx.spec.sampled_shots,
            tally=ctx.sampled,
            trajectories=options.trajectories,
            rng=component_rng(ctx.seed, f"{name}:evaluate"),
            max_terms=options.max_terms,
            fallback=fallback,
        )
        self.shots = ctx.spec.shots
        #: node pair -> {"telegate"|"teleport": {node booking it (control or sender): count per run}}
        self.booked: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        for op in self.ops:
            per = self.booked.setdefault(op.key, {}).setdefault(op.kind, {})
            per[op.src] = per.get(op.src, 0) + 1
        #: Memory models of the QPUs' data qubits (idle noise while a shot waits), when gate noise is on.
        self.idle_models = {n: memory_model(network.nodes[n].spec) for n in used} if noise is not None else {}
        mine = [drop for drop in options.faults.dropout if drop.node in used]
        apply_faults(ctx, options.faults.model_copy(update={"dropout": mine}))
        self.qpus = {n: ctx.qpu(n) for n in used} if options.faults.dropout else {}
        #: True once a node will never come back (or not before the time limit): the run should end.
        self.stopped = False
        self.totals = dict.fromkeys(
            (
                *("pairs", "uses", "telegates", "teleports", "wait_ticks", "steps", "failed_steps", "failed_shots"),
                *("purification_rounds", "purification_successes"),
            ),
            0,
        )
        self.fidelity_sum = 0.0

    def _plan_purification(self, keys: list[tuple[str, str]], rng: np.random.Generator) -> None:
        """Per node pair the uses name: each round's success probability on pairs as delivered, the round's
        time, the ends' memory decay (:mod:`qnet_dqnn.net.timeline.purify`)."""
        spec, schedule = self.purification, self.timeline.schedule
        assert spec is not None
        index = [schedule.path_index[self.timeline.path(*key).key] for key in keys]
        self.round_p = np.array([round_probabilities(fresh_coefficients(schedule, i), spec.protocol, spec.rounds)
                                 for i in index]).reshape(len(keys), spec.rounds)  # fmt: skip
        if self.round_p.size and float(self.round_p.min()) <= 0.0:
            raise ProtocolError(f"{self.name}: a {spec.protocol} round on these pairs can never succeed")
        self.round_delta = np.array([self.round_ticks[key] for key in keys], dtype=np.int64)
        rates = [end_rates(schedule, i) for i in index]
        self.rates_a = np.array([r[0] for r in rates]).reshape(len(keys), 3)
        self.rates_b = np.array([r[1] for r in rates]).reshape(len(keys), 3)
        self.purify_draws = IndexedDraws(rng)
        self.purified = 0  # uses purified so far: numbers the next step's draws

    # -- one step -----------------------------------------------------------------------------------

    def demand(self, shots: int, start: int) -> Demand:
        """The step's pair uses: the shot's pattern, ``shots`` times over, from ``start`` (the pattern's arrays
        are made once per number of shots: every step of that size shares them, and nothing writes them)."""
        if shots not in self._patterns:
            offsets = np.array([to_ticks(o) for o in self.shot.offsets_s], dtype=np.int64)
            shot_ticks = to_ticks(self.per_shot_s)
            gaps_one = np.diff(np.concatenate([[0], offsets]))
            tail = shot_ticks - int(offsets[-1]) if len(offsets) else shot_ticks
            gaps = np.tile(gaps_one, shots)
            if len(offsets) and shots > 1:
                gaps[len(offsets) :: len(offsets)] += tail
            keys, tail = np.tile(self.pattern, shots), tail * (1 if len(offsets) else shots)
            self._patterns[shots] = Demand(
                self.name, self.paths, keys, gaps, tail, 0, self.options.swap_policy, self.options.lookahead_pairs
            )
        return self._patterns[shots].starting_at(start)

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray | None]:
        """Process: one gradient of the batch ``(x, y)`` through the network; None if the step failed (a node
        was down; the wait for it is done, or :attr:`stopped` is set)."""
        network, env = self.ctx.network, self.ctx.network.env
        assignment, totals = self.partition.assignment, self.totals
        work = step_workload(self.ctx.model.circuit, assignment, len(x), self.shots, **self.remote)
        start = network.now
        down = [n for n, qpu in self.qpus.items() if qpu.down_at(start)]
        if down:  # a node is down as the step starts: nothing runs
            yield from self._fail(start, down, work.shots)
            return None
        turns = [network.nodes[n].processor.request() for n in self.nodes_used]
        yield env.all_of(turns)
        start = network.now
        uses = self.demand(work.shots, start)
        demand, plan = uses, None
        if self.purification is not None:  # each use takes the pairs its rounds consume
            plan = recurrence_plan(self.round_p[uses.keys], self.purify_draws, self.purified)
            self.purified += uses.uses
            demand = expand(uses, plan.counts)
        else:
            uses.recycle, self._last = self._last, None  # the last step's outcome is done with
        # the event fires when the step's last shot ends, as every demand submitted until then leaves it
        outcome: Outcome = yield self.timeline.submit(demand)
        self._last = outcome if plan is None else None
        for n, turn in zip(self.nodes_used, turns, strict=True):
            network.nodes[n].processor.release(turn)
        view = outcome if plan is None else _per_use(outcome, uses, plan)
        stalls = view.stalls
        _record(network, self.nodes_used, view, stalls)
        compute_ticks = work.shots * to_ticks(self.per_shot_s)  # the demand's shots, each of whole ticks
        for n in self.nodes_used:
            _book_compute(network, n, start, _stop(self.qpus.get(n), start, outcome.end_tick), work, compute_ticks)
        self._book_uses(work.shots)
        totals["pairs"] += outcome.demand.uses
        totals["uses"] += uses.uses
        totals["telegates"] += sum(work.telegates.values()) * work.shots
        totals["teleports"] += sum(work.teleports.values()) * work.shots
        totals["wait_ticks"] += int(stalls.sum())
        if plan is not None:
            self._book_purification(uses, plan)
            totals["purification_rounds"] += int(plan.attempts.sum())
            totals["purification_successes"] += int(plan.successes.sum())
        totals["steps"] += 1
        crashed = _crashed(self.qpus, start, network.now)
        if crashed:  # a node went down during the step: its shots are lost, no update
            yield from self._fail(network.now, crashed, work.shots)
            return None
        # the circuit the quantum layer evaluates carries this step's pair and waiting noise
        self.evaluator.circuit = self._noisy_circuit(outcome, view, stalls, plan)
        _, grad = self.evaluator.loss_and_grad(params, x, y)
        return grad

    def _noisy_circuit(self, outcome: Outcome, view: Outcome, stalls: np.ndarray, plan: RecurrencePlan | None) -> Any:
        """The split circuit with this step's pairs (mean state per use position) and data-qubit idling
        (``stalls``: per use of ``view``, ticks)."""
        uses = len(self.ops)
        if plan is None:
            states = self.timeline.states(outcome, period=max(uses, 1), per_use=False)
            shots = outcome.demand.uses // uses if uses else 0
            mean = states.mean_coefficients
            self.fidelity_sum += float(mean[:, 0].sum()) * shots
        else:
            assert self.purification is not None
            raw = self.timeline.states(outcome, per_use=True)
            keys = view.demand.keys
            purified, _, _ = purified_states(
                raw.coefficients, outcome.consumed, plan, self.round_delta[keys], self.rates_a[keys],
                self.rates_b[keys], self.purification.protocol,
            )  # fmt: skip
            mean = purified.reshape(-1, uses, 4).mean(axis=0) if uses else np.zeros((0, 4))
            self.fidelity_sum += float(purified[:, 0].sum())
        per_use = mean if uses else None
        idle = None
        if self.idle_models and uses:
            stalls = stalls.reshape(-1, uses)
            idle = []
            for r in range(uses):
                waits, weights = _waits(stalls[:, r], self.shot.waits_s[r])
                channels = {n: idle_channel(m, waits, weights) for n, m in self.idle_models.items()}
                idle.append({n: c for n, c in channels.items() if c is not None} or None)
        return split_circuit(self.base, self.partition.assignment, per_use, idle=idle, **self.remote)

    def _book_uses(self, shots: int) -> None:
        """Telegates (at the control's node) with one bit each way, teleports (at the sender) with two bits."""
        network = self.ctx.network
        for key, kinds in self.booked.items():
            for control, count in kinds.get("telegate", {}).items():
                other = key[1] if control == key[0] else key[0]
                network.ledger.nodes[control].telegates += count * shots
                network.book_messages(control, other, count * shots, 1)
                network.book_messages(other, control, count * shots, 1)
            for sender, count in kinds.get("teleport", {}).items():
                other = key[1] if sender == key[0] else key[0]
                network.ledger.nodes[sender].teleports += count * shots
                network.book_messages(sender, other, count * shots, 2)

    def _book_purification(self, uses: Demand, plan: RecurrencePlan) -> None:
        """Every purification round sends one outcome bit each way between the pair's ends (BBPSSW and DEJMPS
        keep the pair when both ends' parity outcomes agree); the first end books the rounds, as the one-event
        path does (:mod:`qnet_dqnn.net.entanglement`)."""
        network = self.ctx.network
        size = len(self.keys)
        rounds = np.bincount(uses.keys, weights=plan.rounds, minlength=size).astype(np.int64).tolist()
        wins = np.bincount(uses.keys, weights=plan.wins, minlength=size).astype(np.int64).tolist()
        for (a, b), count, won in zip(self.keys, rounds, wins, strict=True):
            network.ledger.nodes[a].purification_attempts += count
            network.ledger.nodes[a].purification_successes += won
            network.book_messages(a, b, count, 1)
            network.book_messages(b, a, count, 1)

    def _fail(self, when: int, down: list[str], shots: int) -> Generator[simpy.Event, Any, None]:
        """Book a failed step; wait for the nodes to come back, or set :attr:`stopped`."""
        self.totals["failed_steps"] += 1
        self.totals["failed_shots"] += shots
        network = self.ctx.network
        network.trace.record(when, down[0], "step_failed", f"{', '.join(down)} down: {shots} shots lost")
        back = _all_up_at(self.qpus, when)
        if back is None or back >= self.ctx.stop_tick:
            self.stopped = True
            network.trace.record(when, down[0], "run_stopped", f"{', '.join(down)} not back in time")
            return
        if back > network.now:
            yield network.env.timeout(back - network.now)

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """What the replica reports: output fidelity at ``params``, pair, cut and timing numbers."""
        d, model, totals = self.ctx.dataset, self.ctx.model, self.totals
        m = min(self.options.fidelity_samples, len(d.x_val))
        xs = d.x_val[:m]
        data, init = model.encoding.transform(xs), model.encoding.initial_state(xs)
        # density matrices while they fit (dm_max_qubits), else the exact Pauli-pattern sum over statevectors
        method = "density_matrix" if model.num_qubits <= self.options.dm_max_qubits else "enumerate"
        fid = output_fidelity(  # against the ideal circuit: gate noise and pair noise both lower it
            model.circuit, self.evaluator.circuit, params, data, init, method=method, max_terms=self.options.max_terms
        )
        steps = totals["steps"]
        per_run = {kind: sum(sum(v.get(kind, {}).values()) for v in self.booked.values()) for kind in KINDS}
        return {
            "output_fidelity": float(np.mean(fid)),
            "pair_fidelity": self.fidelity_sum / totals["uses"] if totals["uses"] else 1.0,
            "cut_size": float(self.partition.cut_size),
            "telegates_per_circuit": float(per_run["telegate"]),
            "partition_cost": float(self.partition.cost),
            "qpus_used": float(len(self.nodes_used)),
            "pairs_consumed": float(totals["pairs"]),
            "telegates": float(totals["telegates"]),
            "pairs_per_step": totals["pairs"] / steps if steps else math.nan,
            "wait_pairs_s": to_seconds(totals["wait_ticks"]),
            "shot_s": self.per_shot_s,
            "failed_steps": float(totals["failed_steps"]),
            "failed_shots": float(totals["failed_shots"]),
            "stopped_by_fault": float(self.stopped),
            "teleports": float(totals["teleports"]),
            "teleports_per_circuit": float(per_run["teleport"]),
            **cone_metrics(model.circuit, self.partition.assignment, model.observables),
            **(
                {
                    "purified_pairs": float(totals["uses"]),
                    "purification_rounds": float(totals["purification_rounds"]),
                    "purification_successes": float(totals["purification_successes"]),
                }
                if self.purification is not None
                else {}
            ),
        }


def _per_use(outcome: Outcome, uses: Demand, plan: RecurrencePlan) -> Outcome:
    """The outcome of a purified step per use: needed when its first pair was, served when its last pair
    was consumed (the rounds after it are in the shot's time)."""
    first = block_starts(plan.counts)
    last = first + plan.counts - 1
    view = Outcome(
        uses, outcome.need[first], outcome.consumed[last], outcome.consumed[last], np.zeros((uses.uses, 0), np.int64)
    )
    view.end_tick = outcome.end_tick
    return view


def _waits(stalls_ticks: np.ndarray, classical_s: float) -> tuple[np.ndarray, np.ndarray]:
    """One position's waits per shot (stall plus the protocol's classical wait, in s) as distinct values and
    their counts: the shots that did not stall share one value."""
    stalled = stalls_ticks[stalls_ticks > 0]
    waits = np.concatenate([[0.0], stalled / TICKS_PER_SECOND]) + classical_s
    weights = np.concatenate([[len(stalls_ticks) - len(stalled)], np.ones(len(stalled))])
    return waits, weights


def _stop(qpu: QPU | None, start: int, end: int) -> int:
    """When a node's share of a step from ``start`` to ``end`` stopped: at ``end``, or when the node crashed."""
    if qpu is None:
        return end
    if qpu.down_at(start):
        return start
    crash = qpu.next_outage(start)
    return crash if crash is not None and crash < end else end


def _book_compute(network: Any, node: str, start: int, stop: int, work: Any, ticks: int) -> None:
    """Book a node's step: circuits, shots and busy time if it ran to the end, its busy time up to a crash."""
    ledger = network.ledger.nodes[node]
    if stop >= start + ticks:
        ledger.circuits += work.circuits
        ledger.shots += work.shots
        ledger.busy_ticks += ticks
    else:
        ledger.busy_ticks += max(stop - start, 0)


def _record(network: Any, nodes: Sequence[str], outcome: Outcome, stalls: np.ndarray) -> None:
    """The step's ``compute`` and ``wait_pairs`` intervals on each node's timeline (exact up to
    :data:`MAX_INTERVALS` stalls; beyond, per slice of the step, its compute then its stalls)."""
    d = outcome.demand
    start, end = d.start_tick, outcome.end_tick
    waiting = np.flatnonzero(stalls > 0)
    spans: list[tuple[int, int, str]] = []
    if len(waiting) <= MAX_INTERVALS:
        t = start
        for i in waiting.tolist():
            need, used = int(outcome.need[i]), int(outcome.consumed[i])
            spans += [(t, need, "compute"), (need, used, "wait_pairs")]
            t = used
        spans.append((t, end, "compute"))
    else:
        edges = np.linspace(start, end, MAX_INTERVALS + 1).astype(np.int64)
        slot = np.clip(np.searchsorted(edges, outcome.need[waiting], side="right") - 1, 0, MAX_INTERVALS - 1)
        per = np.bincount(slot, weights=stalls[waiting], minlength=MAX_INTERVALS)
        for k in range(MAX_INTERVALS):
            lo, hi = int(edges[k]), int(edges[k + 1])
            cut = max(hi - min(int(per[k]), hi - lo), lo)
            spans += [(lo, cut, "compute"), (cut, hi, "wait_pairs")]
    for lo, hi, kind in spans:
        if hi > lo:
            for n in nodes:
                network.trace.known_activity(n, kind, lo, hi)


def _crashed(qpus: Mapping[str, QPU], start: int, end: int) -> list[str]:
    """The nodes down at ``start`` or whose outage begins before ``end``."""
    out = []
    for name, qpu in qpus.items():
        crash = qpu.next_outage(start)
        if qpu.down_at(start) or (crash is not None and crash < end):
            out.append(name)
    return out


def _all_up_at(qpus: Mapping[str, QPU], tick: int) -> int | None:
    """The first tick >= ``tick`` at which every one of ``qpus`` is up (None: one never comes back)."""
    while True:
        back = tick
        for qpu in qpus.values():
            up = qpu.up_again_at(tick)
            if up is None:
                return None
            back = max(back, up)
        if back == tick:
            return tick
        tick = back
