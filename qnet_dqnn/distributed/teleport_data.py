"""Entanglement-assisted aggregation: the clients' quantum data travel to the model by teleportation.

Beyond the review (issue 20, item 5). Clients hold *quantum* data — states their own sensors or simulators
prepare (``tfim_phases``) — sharded as in eq. (7) of the review. Federated training keeps the data where it is
and moves the model: every round each client sends ``n·b`` bits of gradient and receives ``n·b`` bits of
parameters (``parameter_server``). This strategy moves the data instead, once: the clients, one after
another, teleport each of their samples to the ``server`` qubit by qubit
(:func:`~qnet_dqnn.distributed.quantum_data.distribute`: one end-to-end pair and 2 classical bits per qubit,
each qubit arriving with one Pauli error drawn from its pair's Bell coefficients), and the server then trains
alone on what arrived — minibatches of ``L × batch_size`` samples, the union of what the ``L`` clients would
have used in one parameter-server round — with no parameter or gradient message at all.

So the quantum channel's price is pairs and fidelity (the delivered states are degraded: metrics
``teleport_*``), the classical one's is bits every round; and the server computes every gradient itself, where
the clients' QPUs worked in parallel. Over perfect pairs, with batches covering every shard, the trajectory is
the parameter server's (a tested invariant).

As :mod:`~qnet_dqnn.distributed.quantum_data` does, one teleported copy of a sample stands for every copy the
server's circuits measure: a run whose every shot consumed a fresh copy would need ``(1 + 2P)·S`` copies per
sample per gradient, each ``n`` pairs (reported as ``teleport_pairs_per_shot_protocol`` for the pairs the
whole training would then take; not simulated).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import DataParallelOptions, data_parallel_problems, setup_workers
from qnet_dqnn.distributed.quantum_data import QuantumDataReport, distribute
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


class TeleportDataOptions(DataParallelOptions):
    """Options of ``teleport_data`` (the common data-parallel ones name the clients and their shards).

    Attributes:
        server: the QPU that receives every client's data and trains on it.
    """

    type: Literal["teleport_data"]
    server: Annotated[str, Field(min_length=1)]


def _check(options: TeleportDataOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    problems += qpu_node_problems(topology, [options.server], "server", spec.model.qubits)
    if spec.dataset.name != "tfim_phases":
        problems.append(
            ("type", f"teleport_data moves quantum data: use dataset tfim_phases (got {spec.dataset.name!r})")
        )
    if spec.quantum_data is not None:
        problems.append(("type", "the clients hold the data here: leave workload.quantum_data out"))
    if options.sharding == "replicate":
        problems.append(
            ("sharding", "quantum data cannot be replicated over clients (no cloning): use equal or capacity")
        )
    if options.faults != type(options.faults)():
        problems.append(("faults", "teleport_data does not model faults"))
    return problems


def _gather_data(
    ctx: TrainingContext, options: TeleportDataOptions, shards: dict[str, np.ndarray]
) -> Generator[simpy.Event, Any, list[QuantumDataReport]]:
    """Process: the clients teleport their shards to the server, one client after another (concurrent requests
    into the server's link can each hold half of what another needs); then ``x_train`` is what arrived."""
    rng = component_rng(ctx.seed, "teleport_data")
    reports = []
    for client, shard in shards.items():
        states = ctx.dataset.x_train[shard]
        assignment = {options.server: np.arange(len(shard))}
        reports.append((yield from distribute(ctx.network, client, states, assignment, rng.spawn(1)[0])))
    x = np.array(ctx.dataset.x_train, dtype=complex)
    for shard, report in zip(shards.values(), reports, strict=True):
        for local, state in report.delivered.items():
            x[shard[local]] = state
    ctx.dataset.x_train = x
    return reports


@register_strategy(
    "teleport_data",
    TeleportDataOptions,
    "clients teleport their quantum data to a server that trains alone (entanglement-assisted aggregation)",
    _check,
)
def teleport_data(ctx: TrainingContext, options: TeleportDataOptions) -> Generator[simpy.Event, Any, None]:
    """Teleport every client's shard to the server, then train there on minibatches of ``L·batch_size``."""
    env = ctx.network.env
    workers = setup_workers(ctx, options)
    # every link its share of a node's memory (as the coherent split does): with one shared pool, the links of
    # clients already served fill the hub with pairs nobody will use, and the next client's pairs never come
    ctx.network.configure(memory_split="per_link")
    start = ctx.network.now
    reports = yield from _gather_data(ctx, options, workers.shards)
    moved = [r for r, name in zip(reports, workers.names, strict=True) if name != options.server]
    pair_fidelities = [f for r in moved for f in r.pair_fidelities]
    state_fidelities = [f for r in moved for f in r.state_fidelities.values()]
    ctx.extra_metrics.update(
        {
            "teleport_pairs": float(sum(r.pairs for r in moved)),
            "teleport_bits": float(2 * sum(r.teleports for r in moved)),
            "teleport_time_s": to_seconds(ctx.network.now - start),
            "teleport_mean_pair_fidelity": float(np.mean(pair_fidelities)) if pair_fidelities else 1.0,
            "teleport_mean_state_fidelity": float(np.mean(state_fidelities)) if state_fidelities else 1.0,
        }
    )
    qpu = ctx.qpu(options.server)
    next_batch = ctx.batches("teleport_data", np.arange(len(ctx.dataset.x_train)))
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    while not ctx.done:
        parts = [next_batch() for _ in range(workers.count)]  # what the L clients would use in one round
        x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        _, grad = yield env.process(qpu.gradient(params, x, y))
        params, state = ctx.optimizer.step(params, grad, state)
        ctx.final_params = params
        ctx.record_update(params, qpu)
    # a protocol spending one fresh copy of the sample (n qubits, n pairs) on every shot the server runs
    shots = ctx.network.ledger.nodes[options.server].shots
    ctx.extra_metrics["teleport_pairs_per_shot_protocol"] = float(shots * ctx.model.num_qubits)
