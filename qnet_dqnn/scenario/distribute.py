"""The ``distribute`` workload: K end-to-end pairs between named node pairs, with rate, latency, fidelity and cost.

Each node pair gets one request (:func:`qnet_dqnn.net.entanglement.request_pairs`), all running at once
and competing for shared links; every delivered pair is used (measured) at once, freeing its memory. The
report gives, per node pair, the delivery rate, the latency and fidelity distributions and, in total, the
resources spent per delivered pair (link attempts, link pairs, classical bits), from the ledger. The ideal
reference fidelity is the closed form for perfect swaps on the delivered link states, w = prod w_i
(Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1), before decoherence and purification.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.errors import ResourceExhausted
from qnet_dqnn.net import Pair, RequestResult, expected_link, quantum_path
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.net.routing import path_links
from qnet_dqnn.physics import fidelity_from_werner, werner_parameter
from qnet_dqnn.scenario.context import RunContext
from qnet_dqnn.scenario.workloads import WorkloadOutput, register_workload
from qnet_dqnn.units import to_seconds


class DistributeSpec(BaseModel):
    """Options of the ``distribute`` workload.

    Attributes:
        pairs: node pairs to serve, ``[[a, b], ...]``; empty: every pair of QPUs.
        pairs_per_request: end-to-end pairs wanted per node pair (K).
        metric: routing metric (``hops``, ``rate`` or ``fidelity``).
        min_fidelity: purify each pair up to this Bell fidelity (None: no purification).
        protocol: purification protocol.
        deadline_s: a request still short of K pairs this long after the start fails (in s).
        pair_model: ``bell_diagonal`` (fast) or ``density_matrix`` (exact).
        memory_split: ``per_link`` (each link its share of a node's memory) or ``shared``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["distribute"]
    pairs: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = []
    pairs_per_request: Annotated[int, Field(ge=1, le=10**7)] = 100
    metric: Literal["hops", "rate", "fidelity"] = "hops"
    min_fidelity: Annotated[float, Field(gt=0.5, le=1.0)] | None = None
    protocol: Literal["dejmps", "bbpssw"] = "dejmps"
    deadline_s: Annotated[float, Field(gt=0.0)] | None = None
    pair_model: Literal["auto", "bell_diagonal", "density_matrix"] = "auto"
    memory_split: Literal["per_link", "shared"] = "per_link"


@register_workload(
    "distribute",
    DistributeSpec,
    "K end-to-end pairs per node pair: rate, latency, fidelity, cost",
    headline=("rate_hz_total", "latency_mean_s", "fidelity_mean"),
)
def distribute(ctx: RunContext) -> WorkloadOutput:
    """Serve every node pair's request until done or the stop time, and report."""
    spec: DistributeSpec = ctx.scenario.workload  # type: ignore[assignment]
    net = ctx.network
    net.configure(pair_model=spec.pair_model, memory_split=spec.memory_split)
    topology = ctx.scenario.topology
    node_pairs = [tuple(p) for p in spec.pairs] or list(
        itertools.combinations([n.name for n in topology.nodes if n.kind == "qpu"], 2)
    )
    outcomes: dict[tuple[str, ...], RequestResult | str] = {}

    def use(box: simpy.Store) -> Generator[simpy.Event, Any, None]:
        while True:
            pair: Pair = yield box.get()
            net.consume_pair(pair)

    def serve(a: str, b: str) -> Generator[simpy.Event, Any, None]:
        box = simpy.Store(net.env)
        net.env.process(use(box))
        request = request_pairs(
            net,
            a,
            b,
            spec.pairs_per_request,
            min_fidelity=spec.min_fidelity,
            deadline_s=spec.deadline_s,
            metric=spec.metric,
            protocol=spec.protocol,
            deliver_to=box,
        )
        try:
            outcomes[(a, b)] = yield request
        except ResourceExhausted as error:
            outcomes[(a, b)] = str(error)

    for a, b in node_pairs:
        net.env.process(serve(a, b))
    ctx.run_until(ctx.stop_tick)
    net.settle()
    request_rows, delivery_rows = [], []
    for a, b in node_pairs:
        path = quantum_path(topology, a, b, spec.metric)
        outcome = outcomes.get((a, b), "unfinished at the stop time")
        request_rows.append(_request_row(ctx, a, b, path, outcome))
        if isinstance(outcome, RequestResult):
            for d in outcome.deliveries:
                delivery_rows.append(
                    {
                        "a": a,
                        "b": b,
                        "pair_id": d.pair_id,
                        "delivered_s": to_seconds(d.delivered_tick),
                        "latency_s": d.latency_s,
                        "fidelity": d.fidelity,
                        "purification_rounds": d.purification_rounds,
                    }
                )
    return WorkloadOutput(
        metrics=_metrics(ctx, request_rows, delivery_rows),
        tables={
            "requests": request_rows,
            "deliveries": delivery_rows,
        },
    )


def _ideal_fidelity(ctx: RunContext, path: list[str]) -> float:
    """Closed-form end-to-end fidelity for perfect swaps of freshly delivered link pairs: w = prod w_i."""
    topology = ctx.scenario.topology
    links = {link.name: link for link in topology.quantum_links}
    w = math.prod(
        werner_parameter(expected_link(topology, links[name]).delivered_fidelity) for name in path_links(topology, path)
    )
    return fidelity_from_werner(w)


def _request_row(ctx: RunContext, a: str, b: str, path: list[str], outcome: RequestResult | str) -> dict[str, Any]:
    deliveries = outcome.deliveries if isinstance(outcome, RequestResult) else []
    latencies = np.array([d.latency_s for d in deliveries])
    fidelities = np.array([d.fidelity for d in deliveries])
    last_s = max((to_seconds(d.delivered_tick) for d in deliveries), default=math.nan)
    nan = math.nan
    return {
        "a": a,
        "b": b,
        "path": "-".join(path),
        "hops": len(path) - 1,
        "status": outcome.status if isinstance(outcome, RequestResult) else "failed",
        "reason": outcome.reason if isinstance(outcome, RequestResult) else outcome,
        "delivered": len(deliveries),
        "rate_hz": len(deliveries) / last_s if deliveries else 0.0,
        "latency_mean_s": float(latencies.mean()) if deliveries else nan,
        "latency_p50_s": float(np.percentile(latencies, 50)) if deliveries else nan,
        "latency_p95_s": float(np.percentile(latencies, 95)) if deliveries else nan,
        "fidelity_mean": float(fidelities.mean()) if deliveries else nan,
        "fidelity_min": float(fidelities.min()) if deliveries else nan,
        "ideal_fidelity": _ideal_fidelity(ctx, path),
    }


def _metrics(
    ctx: RunContext, request_rows: list[dict[str, Any]], delivery_rows: list[dict[str, Any]]
) -> dict[str, float]:
    totals = ctx.network.ledger.totals()
    delivered = len(delivery_rows)
    per_pair = max(delivered, 1)
    makespan = max((r["delivered_s"] for r in delivery_rows), default=math.nan)
    fidelities = [r["fidelity"] for r in delivery_rows]
    latencies = [r["latency_s"] for r in delivery_rows]
    return {
        "requests": float(len(request_rows)),
        "requests_done": float(sum(r["status"] == "done" for r in request_rows)),
        "e2e_pairs_delivered": float(delivered),
        "makespan_s": makespan,
        "rate_hz_total": delivered / makespan if delivered else 0.0,
        "latency_mean_s": float(np.mean(latencies)) if delivered else math.nan,
        "fidelity_mean": float(np.mean(fidelities)) if delivered else math.nan,
        "fidelity_min": float(np.min(fidelities)) if delivered else math.nan,
        "attempts_per_pair": totals["attempts"] / per_pair,
        "link_pairs_per_pair": totals["pairs_consumed"] / per_pair,
        "bits_per_pair": totals["bits"] / per_pair,
        "swaps": float(totals["swaps"]),
        "purification_attempts": float(totals["purification_attempts"]),
        "purification_successes": float(totals["purification_successes"]),
    }
