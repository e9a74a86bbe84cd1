"""Analytic expectations for a topology's links, beside which simulated measurements are reported."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from qnet_dqnn.physics import (
    MemoryModel,
    attempt_period_s,
    attempt_success_probability,
    bell_fidelity,
    classical_hop_delay_s,
    decohere_pair,
    heralding_time_s,
    storage_before_herald_s,
    transmissivity,
    werner_state,
)
from qnet_dqnn.topology import LinkSpec, NodeSpec, TopologySpec


def memory_model(node: NodeSpec) -> MemoryModel:
    """The decoherence model of a node's memory."""
    m = node.memory
    channel = None if m.channel is None else tuple(complex(v) for v in m.channel.generator.ravel())
    return MemoryModel(t1_s=m.t1_s, t2_s=m.t2_s, coherence_time_s=m.coherence_time_s, channel=channel)


@dataclass(frozen=True, slots=True)
class LinkExpectation:
    """What theory expects of one quantum link.

    Attributes:
        link: the link's name.
        transmissivity: fiber transmissivity eta(L).
        success_probability: per attempt.
        attempt_period_s: time between attempts (in s).
        heralding_time_s: emission to herald (in s).
        pair_rate_hz: p / period, pairs per second while memory is free.
        delivered_fidelity: Bell fidelity at the herald (source fidelity decayed during the herald wait).
        stored_before_herald_s: (A, B) time each half has been stored at the herald (in s).
    """

    link: str
    transmissivity: float
    success_probability: float
    attempt_period_s: float
    heralding_time_s: float
    pair_rate_hz: float
    delivered_fidelity: float
    stored_before_herald_s: tuple[float, float]

    def rate_standard_error_hz(self, duration_s: float) -> float:
        """Standard error of the rate measured over ``duration_s``: sqrt(N p (1-p)) / T, N = T / period.

        The number of successes in N independent attempts is binomial (N, p).
        """
        attempts = duration_s / self.attempt_period_s
        return math.sqrt(attempts * self.success_probability * (1.0 - self.success_probability)) / duration_s


def fidelity_after_storage(topology: TopologySpec, link: LinkSpec, stored_a_s: float, stored_b_s: float) -> float:
    """Bell fidelity of a fresh pair of ``link`` after its halves were stored for the given times."""
    assert link.quantum is not None
    a, b = (memory_model(topology.node(name)) for name in link.between)
    state = decohere_pair(
        werner_state(link.quantum.source_fidelity), a.bloch_factors(stored_a_s), b.bloch_factors(stored_b_s)
    )
    return bell_fidelity(state)


def expected_link(topology: TopologySpec, link: LinkSpec) -> LinkExpectation:
    """The analytic expectation of a quantum link (see :mod:`qnet_dqnn.physics.heralding`)."""
    q = link.quantum
    if q is None:
        raise ValueError(f"link {link.name!r} has no quantum channel")
    eta = transmissivity(link.length_km, q.attenuation_db_per_km)
    p = attempt_success_probability(
        q.heralding, eta, q.source_efficiency, q.detector_efficiency, q.multiplexing, q.bsm_success_probability
    )
    period = attempt_period_s(q.heralding, link.length_km, q.source_rate_hz)
    stored = storage_before_herald_s(q.heralding, link.length_km)
    return LinkExpectation(
        link=link.name,
        transmissivity=eta,
        success_probability=p,
        attempt_period_s=period,
        heralding_time_s=heralding_time_s(q.heralding, link.length_km),
        pair_rate_hz=p / period,
        delivered_fidelity=fidelity_after_storage(topology, link, *stored),
        stored_before_herald_s=stored,
    )


def path_latency_s(topology: TopologySpec, path: list[str], bits: int) -> float:
    """One-way latency of a ``bits``-long message along ``path`` on idle links: the sum of hop delays.

    Each hop is :func:`qnet_dqnn.physics.classical_hop_delay_s` with the sending node's processing time.
    """
    links = {frozenset(link.between): link for link in topology.links}
    total = 0.0
    for a, b in itertools.pairwise(path):
        link = links[frozenset((a, b))]
        total += classical_hop_delay_s(
            link.length_km,
            bits,
            link.classical.bandwidth_bps,
            topology.node(a).classical_processing_s,
            link.classical.extra_latency_s,
        )
    return total
