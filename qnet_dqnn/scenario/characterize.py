"""The ``characterize`` workload: measure every quantum link and every classical path of a network.

For each quantum link, pairs are generated for the scenario's simulated time and measured at delivery
(and, optionally, after being held in memory for ``storage_time_s``); the measured rate and fidelities are
reported beside their analytic expectations (:mod:`qnet_dqnn.net.analytic`). Generation pauses while a
memory is full, so the rate is also given per second of *active* generation, the quantity theory predicts.
For every pair of nodes, one probe message is sent along the lowest-latency path and its one-way latency is
compared with the closed form.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from typing import Annotated, Any, Literal

import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.net import Pair, QuantumLink, expected_link, path_latency_s
from qnet_dqnn.net.analytic import fidelity_after_storage
from qnet_dqnn.physics import bell_fidelity
from qnet_dqnn.scenario.context import RunContext
from qnet_dqnn.scenario.workloads import WorkloadOutput, register_workload
from qnet_dqnn.units import to_seconds, to_ticks


class CharacterizeSpec(BaseModel):
    """Options of the ``characterize`` workload.

    Attributes:
        storage_time_s: how long each pair is held in memory before its second measurement (in s).
        message_bits: size of the latency probe messages (in bits).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["characterize"]
    storage_time_s: Annotated[float, Field(ge=0.0, le=1e4)] = 0.0
    message_bits: Annotated[int, Field(ge=0, le=10**12)] = 1024


class _FidelityTally:
    """Running count and sum of measured fidelities (pairs are many; only their mean is reported)."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan


@register_workload(
    "characterize",
    CharacterizeSpec,
    "pair rate and fidelity per quantum link, latency per node pair",
    headline=("pair_rate_hz_total", "mean_fidelity_stored", "max_latency_s"),
)
def characterize(ctx: RunContext) -> WorkloadOutput:
    """Run the characterisation and return the per-link and per-path tables."""
    spec: CharacterizeSpec = ctx.scenario.workload  # type: ignore[assignment]
    net = ctx.network
    topology = ctx.scenario.topology
    storage_ticks = to_ticks(spec.storage_time_s)
    delivered = {name: _FidelityTally() for name in net.quantum_links}
    stored = {name: _FidelityTally() for name in net.quantum_links}

    def finish(pair: Pair) -> None:
        if pair.is_stored:  # a cutoff may have discarded it meanwhile
            stored[pair.link].add(bell_fidelity(net.consume_pair(pair)))

    def measure(link: QuantumLink) -> Generator[simpy.Event, Any, None]:
        while True:
            pair = yield link.pairs.get()
            delivered[link.name].add(bell_fidelity(net.pair_state(pair)))
            if storage_ticks:
                net.env.timeout(storage_ticks).callbacks.append(lambda _event, pair=pair: finish(pair))
            else:
                finish(pair)

    latency_rows: list[dict[str, Any]] = []

    def probe() -> Generator[simpy.Event, Any, None]:
        for src, dst in itertools.combinations([n.name for n in topology.nodes], 2):
            path = net.route(src, dst)
            sent = net.now
            yield net.send(src, dst, spec.message_bits, kind="probe")
            latency_rows.append(
                {
                    "src": src,
                    "dst": dst,
                    "path": "-".join(path),
                    "hops": len(path) - 1,
                    "latency_s": to_seconds(net.now - sent),
                    "analytic_latency_s": path_latency_s(topology, path, spec.message_bits),
                }
            )

    net.start_generation()
    for link in net.quantum_links.values():
        net.env.process(measure(link))
    net.env.process(probe())
    ctx.run_until(ctx.stop_tick)
    net.settle()
    duration_s = to_seconds(ctx.stop_tick)
    link_rows = _link_rows(ctx, spec, delivered, stored, duration_s)

    total_delivered = sum(r["pairs_delivered"] for r in link_rows)
    metrics = {
        "duration_s": duration_s,
        "storage_time_s": spec.storage_time_s,
        "quantum_links": float(len(link_rows)),
        "pairs_delivered": float(total_delivered),
        "pair_rate_hz_total": total_delivered / duration_s,
        "mean_fidelity_delivered": _weighted_mean(link_rows, "fidelity_delivered"),
        "mean_fidelity_stored": _weighted_mean(link_rows, "fidelity_stored"),
        "max_latency_s": max((r["latency_s"] for r in latency_rows), default=0.0),
        # probes still under way when the run ended (the run is not extended for them)
        "probes_unfinished": float(len(topology.nodes) * (len(topology.nodes) - 1) // 2 - len(latency_rows)),
    }
    return WorkloadOutput(metrics=metrics, tables={"links": link_rows, "latency": latency_rows})


def _link_rows(
    ctx: RunContext,
    spec: CharacterizeSpec,
    delivered: dict[str, _FidelityTally],
    stored: dict[str, _FidelityTally],
    duration_s: float,
) -> list[dict[str, Any]]:
    """Measured vs analytic, one row per quantum link, as the ledger stands now."""
    topology, net = ctx.scenario.topology, ctx.network
    link_rows = []
    for spec_link in topology.quantum_links:
        expect = expected_link(topology, spec_link)
        counters = net.ledger.links[spec_link.name]
        rate = counters.pairs_delivered / duration_s
        # Generation pauses while a memory is full; theory applies to the time it was running.
        active_s = max(duration_s - to_seconds(counters.memory_wait_ticks), 1e-12)
        active_rate = counters.pairs_delivered / active_s
        error = expect.rate_standard_error_hz(active_s)
        held = tuple(t + spec.storage_time_s for t in expect.stored_before_herald_s)
        link_rows.append(
            {
                "link": spec_link.name,
                "length_km": spec_link.length_km,
                "transmissivity": expect.transmissivity,
                "success_probability": expect.success_probability,
                "pairs_delivered": counters.pairs_delivered,
                "attempts": counters.attempts,
                "rate_hz": rate,
                "active_rate_hz": active_rate,
                "analytic_rate_hz": expect.pair_rate_hz,
                "rate_standard_error_hz": error,
                "rate_z": (active_rate - expect.pair_rate_hz) / error if error > 0 else 0.0,
                "fidelity_delivered": delivered[spec_link.name].mean,
                "analytic_fidelity_delivered": expect.delivered_fidelity,
                "fidelity_stored": stored[spec_link.name].mean,
                "analytic_fidelity_stored": fidelity_after_storage(topology, spec_link, *held),
                "pairs_discarded": counters.pairs_discarded,
                "memory_wait_s": to_seconds(counters.memory_wait_ticks),
            }
        )
    return link_rows


def _weighted_mean(rows: list[dict[str, Any]], column: str) -> float:
    """Mean of ``column`` over links, weighted by pairs delivered (NaN-free rows only)."""
    pairs = [(r[column], r["pairs_delivered"]) for r in rows if not math.isnan(r[column])]
    weight = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / weight if weight else math.nan
