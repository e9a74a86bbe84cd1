"""The end-to-end paths the pair timeline serves: links in order, repeaters, BSM time and swap notices.

As :func:`qnet_dqnn.net.entanglement.request_pairs` does it: the path is the quantum route with the fewest
hops (:func:`~qnet_dqnn.net.routing.quantum_path`); once a pair is stored on every link, every repeater
measures at once ("parallel" swapping: Briegel et al., PRL 81, 5932 (1998)), the BSMs taking as long as the
slowest repeater's (:func:`~qnet_dqnn.net.entanglement.bsm_duration_ticks`); each repeater sends its 2-bit
outcome to both ends, and the pair is delivered when the last notice has arrived. A notice takes the idle
delay of a 2-bit message along the classical route (the notices of the timeline are counted in the ledger,
not queued behind other messages: 2 bits serialise in nanoseconds).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from qnet_dqnn.net.entanglement import bsm_duration_ticks
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.routing import path_links, quantum_path

#: Bits of one swap notice (the BSM outcome).
NOTICE_BITS = 2


def classical_delay_ticks(network: Network, src: str, dst: str, bits: int) -> int:
    """One-way delay of a ``bits``-bit message from ``src`` to ``dst`` on idle links (ticks): the hop delays
    along :meth:`~qnet_dqnn.net.Network.route` (swap notices, telegate and feed-forward bits)."""
    if src == dst:
        return 0
    route = network.route(src, dst)
    return sum(network.channels[(x, y)].idle_delay_ticks(bits) for x, y in itertools.pairwise(route))


@dataclass(frozen=True)
class PairPath:
    """How the pairs of one node pair are made.

    Attributes:
        key: the node pair ``(a, b)`` (``a`` first, as the demand names it).
        nodes: the route, ``a`` to ``b``.
        links: its quantum links, in route order.
        repeaters: the inner nodes (they swap).
        bsm_ticks: duration of the parallel BSMs (0 on one link).
        notice_ticks: from the end of the BSMs until the last notice has arrived at both ends (0 on one link).
        ends_at: per link, for each of its two ends, whether that end is ``a`` or ``b`` (it keeps its qubit
            until the end-to-end pair is used) rather than a repeater (its qubit is freed by the swap).
        near: per link, which of its two ends (0 or 1) is nearer to ``a`` along the route.
    """

    key: tuple[str, str]
    nodes: tuple[str, ...]
    links: tuple[str, ...]
    repeaters: tuple[str, ...]
    bsm_ticks: int
    notice_ticks: int
    ends_at: tuple[tuple[bool, bool], ...]
    near: tuple[int, ...]

    @property
    def end_sides(self) -> tuple[int, int]:
        """Which end of the first link is ``a``, and which end of the last link is ``b``."""
        return self.near[0], 1 - self.near[-1]

    @property
    def name(self) -> str:
        """``a~b``, the ledger's name of the end-to-end path."""
        return f"{self.nodes[0]}~{self.nodes[-1]}"

    @classmethod
    def of(cls, network: Network, a: str, b: str) -> PairPath:
        """The path of ``(a, b)`` on ``network`` (raises :class:`~qnet_dqnn.errors.NoRouteError` if none)."""
        topology = network.topology
        nodes = quantum_path(topology, a, b)
        links = path_links(topology, nodes)
        repeaters = tuple(nodes[1:-1])
        bsm = max((bsm_duration_ticks(topology.node(r)) for r in repeaters), default=0)
        notice = max(
            (classical_delay_ticks(network, r, end, NOTICE_BITS) for r in repeaters for end in (a, b)), default=0
        )
        ends = tuple(tuple(n in (a, b) for n in network.quantum_links[name].ends) for name in links)
        near = tuple(0 if network.quantum_links[name].ends[0] == nodes[i] else 1 for i, name in enumerate(links))
        return cls((a, b), tuple(nodes), tuple(links), repeaters, bsm, notice, ends, near)  # type: ignore[arg-type]
