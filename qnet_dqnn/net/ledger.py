"""The ledger: what a run spent, per link and per node, and in total.

Every service of the network writes here; strategies and reports only read it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from qnet_dqnn.errors import SimulationError


@dataclass
class LinkCounters:
    """What went over one link (both directions)."""

    messages: int = 0
    bits: int = 0
    attempts: int = 0
    pairs_delivered: int = 0
    pairs_consumed: int = 0
    pairs_discarded: int = 0
    memory_wait_ticks: int = 0
    discarded_by_reason: Counter[str] = field(default_factory=Counter)


@dataclass
class NodeCounters:
    """What one node did."""

    messages_sent: int = 0
    messages_received: int = 0
    messages_lost: int = 0
    circuits: int = 0
    shots: int = 0
    busy_ticks: int = 0
    swaps: int = 0
    swaps_failed: int = 0
    purification_attempts: int = 0
    purification_successes: int = 0
    teleports: int = 0
    telegates: int = 0


@dataclass
class PathCounters:
    """What happened to the end-to-end pairs between two nodes (made by swapping over several links)."""

    e2e_pairs_delivered: int = 0
    e2e_pairs_consumed: int = 0
    e2e_pairs_discarded: int = 0
    e2e_discarded_by_reason: Counter[str] = field(default_factory=Counter)


_LINK_TOTALS = [f.name for f in fields(LinkCounters) if f.name != "discarded_by_reason"]
_NODE_TOTALS = [f.name for f in fields(NodeCounters)]
_PATH_TOTALS = [f.name for f in fields(PathCounters) if f.name != "e2e_discarded_by_reason"]


class Ledger:
    """Counters per link and per node, and per end-to-end path (``a~b``, created on first use)."""

    def __init__(self, link_names: list[str], node_names: list[str]) -> None:
        self.links: dict[str, LinkCounters] = {name: LinkCounters() for name in link_names}
        self.nodes: dict[str, NodeCounters] = {name: NodeCounters() for name in node_names}
        self.paths: dict[str, PathCounters] = {}
        #: Ages and fidelities of the pairs the pair timeline handed out, per node pair (JSON-ready summaries).
        self.consumed_pairs: dict[str, dict[str, Any]] = {}

    def path(self, name: str) -> PathCounters:
        """The counters of end-to-end path ``name`` (created on first use)."""
        if name not in self.paths:
            self.paths[name] = PathCounters()
        return self.paths[name]

    def discard(self, link: str, reason: str, count: int = 1) -> None:
        """Count ``count`` pairs discarded on ``link`` (or end-to-end path ``a~b``) for ``reason`` (e.g. ``cutoff``)."""
        if link in self.links:
            counters = self.links[link]
            counters.pairs_discarded += count
            counters.discarded_by_reason[reason] += count
        else:
            path = self.path(link)
            path.e2e_pairs_discarded += count
            path.e2e_discarded_by_reason[reason] += count

    def book_messages(self, route: list[str], link_of: dict[tuple[str, str], str], count: int, bits: int) -> None:
        """Count ``count`` messages of ``bits`` bits along ``route`` without simulating them one by one (per-shot
        classical traffic: telegate and feed-forward bits, swap notices of the pair timeline)."""
        if count <= 0 or len(route) < 2:
            return
        for a, b in itertools.pairwise(route):
            counters = self.links[link_of[(a, b)]]
            counters.messages += count
            counters.bits += count * bits
        self.nodes[route[0]].messages_sent += count
        self.nodes[route[-1]].messages_received += count

    def totals(self) -> dict[str, int]:
        """Sums over all links, nodes and end-to-end paths."""
        total = {name: sum(getattr(c, name) for c in self.links.values()) for name in _LINK_TOTALS}
        node_total = {name: sum(getattr(c, name) for c in self.nodes.values()) for name in _NODE_TOTALS}
        total.update({k: v for k, v in node_total.items() if k not in ("messages_sent", "messages_received")})
        total.update({name: sum(getattr(c, name) for c in self.paths.values()) for name in _PATH_TOTALS})
        return total

    def check(self) -> None:
        """Raise :class:`~qnet_dqnn.errors.SimulationError` if the ledger is inconsistent (cheap: one pass).

        Checked: no counter is negative; per link and per path, the discards by reason add up to the discards;
        per link, no more pairs were consumed and discarded than delivered (each pair leaves memory once);
        :meth:`totals` equals the sums of the per-link, per-node and per-path entries, recomputed here.
        """
        problems: list[str] = []
        sums: dict[str, int] = {}
        for kind, table in (("link", self.links), ("node", self.nodes), ("path", self.paths)):
            for name, counters in table.items():
                for key, value in vars(counters).items():
                    if isinstance(value, Counter):
                        if any(v < 0 for v in value.values()):
                            problems.append(f"{kind} {name!r}: negative count in {key}")
                        total = getattr(counters, "pairs_discarded" if kind == "link" else "e2e_pairs_discarded")
                        if sum(value.values()) != total:
                            problems.append(f"{kind} {name!r}: {key} sums to {sum(value.values())}, not {total}")
                        continue
                    if value < 0:
                        problems.append(f"{kind} {name!r}: {key} is negative ({value})")
                    sums[key] = sums.get(key, 0) + value
                if kind == "link":
                    left = counters.pairs_consumed + counters.pairs_discarded
                    if left > counters.pairs_delivered:
                        problems.append(
                            f"link {name!r}: {left} pairs consumed or discarded but only "
                            f"{counters.pairs_delivered} delivered"
                        )
        for key, value in self.totals().items():
            if value != sums.get(key, 0):
                problems.append(f"totals: {key} is {value}, the entries sum to {sums.get(key, 0)}")
        if problems:
            raise SimulationError("ledger check failed: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: totals, per link and per node."""
        links = {}
        for name, counters in self.links.items():
            row = asdict(counters)
            row["discarded_by_reason"] = dict(sorted(counters.discarded_by_reason.items()))
            links[name] = row
        paths = {}
        for name, path in sorted(self.paths.items()):
            row = asdict(path)
            row["e2e_discarded_by_reason"] = dict(sorted(path.e2e_discarded_by_reason.items()))
            paths[name] = row
        out = {
            "totals": self.totals(),
            "links": links,
            "nodes": {name: asdict(c) for name, c in self.nodes.items()},
            "paths": paths,
        }
        if self.consumed_pairs:
            out["consumed_pairs"] = dict(sorted(self.consumed_pairs.items()))
        return out
