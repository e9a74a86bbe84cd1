"""The entanglement service: end-to-end pairs over repeater chains, with swapping and purification.

:func:`request_pairs` routes over quantum links (:mod:`qnet_dqnn.net.routing`), takes one link-level pair
from every link of the path (generation is the links' own, :mod:`qnet_dqnn.net.quantum_link`), then every
repeater measures its two qubits in the Bell basis at once ("parallel" swapping: Briegel et al., PRL 81,
5932 (1998); Munro et al., IEEE JSTQE 21, 6400112 (2015), Sec. IV). A BSM succeeds with the node's
``bsm_success_probability``; one failure anywhere loses the attempt (all p_bsm^(n-1) succeed together).
Each repeater sends its outcome (2 bits) to both ends over the classical network; the far end keeps the
XOR of the outcomes as its Pauli frame (``physics.swapping.combine_frames``), and the pair is delivered
when the last notice has arrived. The end qubits keep decohering from the swap until then, and until the
pair is used. Optional recurrence purification (BBPSSW or DEJMPS) follows, round after round, until
``min_fidelity`` or a clear give-up.

Timing: a BSM takes the node's 1q + 2q + measurement times (CNOT, H and two measurements: Nielsen &
Chuang, Fig. 1.13 run backwards); a purification round takes 2q + measurement (+ 1q for DEJMPS rotations)
at each end and one bit each way. Imperfections: a node's ``two_qubit_error`` depolarizes the measured
qubits and its ``readout_error`` flips each outcome bit (Dur, Briegel, Cirac & Zoller, PRA 59, 169 (1999)).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy

from qnet_dqnn.errors import NoRouteError, ResourceExhausted
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.net.routing import RouteMetric
from qnet_dqnn.physics.density import bell_coefficients, pair_fidelity, purify_pairs, swap_pairs
from qnet_dqnn.physics.purification import Protocol, purify, purify_until
from qnet_dqnn.physics.swapping import BellMeasurement, combine_frames, swap_bell_diagonal
from qnet_dqnn.topology import NodeSpec
from qnet_dqnn.units import to_seconds, to_ticks

RequestStatus = Literal["done", "gave_up"]

#: The two-qubit SWAP, to put a pair's halves in path order on the exact path.
SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)

#: Extra purification rounds allowed beyond the plan, to make up for decoherence while pairs wait.
EXTRA_ROUNDS = 2


@dataclass(frozen=True, slots=True)
class Delivery:
    """One end-to-end pair handed to the requester.

    Attributes:
        pair_id: the delivered pair.
        started_tick: when the service began working on it.
        swap_tick: when the last swap (or purification round) made it; the herald for one-link paths.
        delivered_tick: when both ends knew it (last notice arrived).
        fidelity: its Bell fidelity at ``delivered_tick``.
        link_wait_ticks: total time the link-level qubits it was swapped from sat in memory up to the swap.
        purification_rounds: rounds on its way (0 without purification).
    """

    pair_id: int
    started_tick: int
    swap_tick: int
    delivered_tick: int
    fidelity: float
    link_wait_ticks: int
    purification_rounds: int

    @property
    def latency_s(self) -> float:
        """Time from the start of its work to its delivery (in s)."""
        return to_seconds(self.delivered_tick - self.started_tick)


@dataclass
class RequestResult:
    """What a request delivered.

    Attributes:
        a, b: the end nodes (halves of each pair at ``a`` first).
        path: the nodes of the route.
        requested: pairs asked for.
        status: ``done`` or ``gave_up`` (purification cannot reach ``min_fidelity``; see ``reason``).
        reason: why it gave up (a :data:`~qnet_dqnn.physics.purification.PurificationStatus`), else ``""``.
        pairs: the delivered pairs, in delivery order, stored until the requester uses them.
        deliveries: one record per delivered pair.
        reroutes: how often the request moved to another path because a quantum link of its path went down
            (``path`` is then the last path used).
    """

    a: str
    b: str
    path: list[str]
    requested: int
    status: RequestStatus = "done"
    reason: str = ""
    pairs: list[Pair] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    reroutes: int = 0


def bsm_of(node: NodeSpec) -> BellMeasurement:
    """The Bell-state measurement a node performs: its success probability, 2q error and readout error."""
    return BellMeasurement(
        success_probability=node.bsm_success_probability,
        depolarizing=node.gates.two_qubit_error,
        readout_error=node.readout_error,
    )


def bsm_duration_ticks(node: NodeSpec) -> int:
    """Duration of a BSM at ``node``: 1q + 2q + measurement times (in ticks)."""
    g = node.gates
    return to_ticks(g.one_qubit_time_s + g.two_qubit_time_s + g.measurement_time_s)


def fidelity_of(state: np.ndarray) -> float:
    """Bell fidelity of a pair state on either path."""
    return pair_fidelity(state) if np.shape(state) == (4, 4) else float(state[0])


def oriented(state: np.ndarray, pair: Pair, first: str) -> np.ndarray:
    """The pair's state with the half at ``first`` as qubit 0 (Bell coefficients are symmetric)."""
    if pair.ends[0] == first or np.shape(state) == (4,):
        return state
    return SWAP @ state @ SWAP


def request_pairs(
    net: Network,
    a: str,
    b: str,
    n: int,
    *,
    min_fidelity: float | None = None,
    deadline_s: float | None = None,
    metric: RouteMetric = "hops",
    protocol: Protocol = "dejmps",
    deliver_to: simpy.Store | None = None,
    path: list[str] | None = None,
) -> simpy.Process:
    """Start delivering ``n`` end-to-end pairs between ``a`` and ``b``; returns the service's process.

    Args:
        net: the network.
        a, b: end nodes.
        n: pairs wanted.
        min_fidelity: purify each pair up to this Bell fidelity (None: no purification).
        deadline_s: give up with :class:`~qnet_dqnn.errors.ResourceExhausted` this long after the start.
        metric: routing metric, ``hops``, ``rate`` or ``fidelity`` (:mod:`qnet_dqnn.net.routing`).
        protocol: purification protocol, ``dejmps`` or ``bbpssw``.
        deliver_to: a store that receives each pair as it is delivered (to use pairs while others come).
        path: the nodes to swap along, from ``a`` to ``b``, each step a quantum link (a route the caller
            chose, e.g. a QuNetSim script's routing function); None routes by ``metric``.

    Returns:
        A process whose value is a :class:`RequestResult`; it fails with ``ResourceExhausted`` past the
        deadline (held pairs are discarded, reason ``deadline``; the message names the quantum links of the path
        that are down) and with ``NoRouteError`` if no path exists.

    Link outages (:meth:`Network.fail_link <qnet_dqnn.net.Network.fail_link>`): the path avoids the quantum
    links down at the start when another path exists. When a link of the path goes down while the request
    waits for its pairs, the request moves to the best path over the links up (pairs already taken on links of
    the new path are kept, the others go back to their links) and counts it in ``reroutes``; with no such
    path it waits for the link to come back, or for its deadline. Pairs already stored on a down link are
    still used.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1 (got {n!r})")
    if min_fidelity is not None and not 0.5 < min_fidelity <= 1.0:
        raise ValueError(f"min_fidelity must be in (0.5, 1] (got {min_fidelity!r})")
    if deadline_s is not None and deadline_s <= 0.0:
        raise ValueError(f"deadline_s must be > 0 (got {deadline_s!r})")
    if path is not None:
        path = _checked_path(net, a, b, path)
    else:
        path = net.quantum_route(a, b, metric)
        if net.has_quantum_outages:
            path = _path_avoiding_outages(net, a, b, metric) or path
    service = _Request(net, path, n, min_fidelity, deadline_s, protocol, deliver_to, metric)
    net.start_generation(service.links)
    return net.env.process(service.run())


def _checked_path(net: Network, a: str, b: str, path: list[str]) -> list[str]:
    """``path`` as a list, if it runs from ``a`` to ``b`` over quantum links; else :class:`NoRouteError`."""
    path = list(path)
    if len(path) < 2 or path[0] != a or path[-1] != b:
        raise NoRouteError(f"path {path!r} does not run from {a!r} to {b!r}")
    linked = {frozenset(link.between) for link in net.topology.quantum_links}
    for u, v in zip(path, path[1:], strict=False):
        if frozenset((u, v)) not in linked:
            raise NoRouteError(f"path {'-'.join(map(str, path))}: no quantum link between {u!r} and {v!r}")
    return path


def _path_avoiding_outages(net: Network, a: str, b: str, metric: RouteMetric) -> list[str] | None:
    """The best path over the quantum links up now, or None if there is none."""
    try:
        return net.quantum_route(a, b, metric, around_outages=True)
    except NoRouteError:
        return None


class _Request:
    """One request's state; its generators are the SimPy processes of the service."""

    def __init__(
        self,
        net: Network,
        path: list[str],
        n: int,
        min_fidelity: float | None,
        deadline_s: float | None,
        protocol: Protocol,
        deliver_to: simpy.Store | None,
        metric: RouteMetric = "hops",
    ) -> None:
        self.net = net
        self.metric = metric
        self.env = net.env
        self.path = path
        self.links = net.path_links(path)
        self.name = f"{path[0]}~{path[-1]}"
        self.result = RequestResult(path[0], path[-1], path, n)
        self.min_fidelity = min_fidelity
        self.deadline_s = deadline_s
        self.deadline = self.env.timeout(to_ticks(deadline_s)) if deadline_s is not None else None
        self.protocol = protocol
        self.deliver_to = deliver_to
        self.pending: list[simpy.Event] = []
        self.held: list[Pair] = []
        self.failed = False
        if min_fidelity is not None:  # the ends' purification round: worst gate and readout errors, slowest time
            ends = [net.nodes[name].spec for name in (path[0], path[-1])]
            self.purify_gate_error = max(e.gates.two_qubit_error for e in ends)
            self.purify_readout_error = max(e.readout_error for e in ends)
            extra = 1 if protocol == "dejmps" else 0
            self.purify_ticks = max(
                to_ticks(e.gates.two_qubit_time_s + e.gates.measurement_time_s + extra * e.gates.one_qubit_time_s)
                for e in ends
            )

    # -- waiting with a deadline ---------------------------------------------------------------------

    def _wait(self, event: simpy.Event) -> Generator[simpy.Event, Any, Any]:
        """Wait for ``event``; past the deadline, drop what is held and raise ResourceExhausted."""
        if self.deadline is None:
            return (yield event)
        yield event | self.deadline
        if event.triggered:
            return event.value
        self._abandon()
        down = [name for name in self.links if not self.net.quantum_links[name].is_up()]
        cause = f"; quantum link {', '.join(repr(d) for d in down)} down" if down else ""
        raise ResourceExhausted(
            f"request for {self.result.requested} pairs between {self.path[0]!r} and {self.path[-1]!r} "
            f"(path {'-'.join(self.path)}) missed its deadline of {self.deadline_s} s with "
            f"{len(self.result.pairs)} delivered{cause}"
        )

    def _abandon(self) -> None:
        self.failed = True
        for get in self.pending:
            if get.triggered and isinstance(get.value, Pair):
                self.held.append(get.value)
            else:
                get.cancel()  # type: ignore[attr-defined]
        for pair in self.held:
            if pair.is_stored:
                self.net.discard_pair(pair, "deadline")

    # -- the request -------------------------------------------------------------------------------

    def run(self) -> Generator[simpy.Event, Any, RequestResult]:
        n = self.result.requested
        if self.min_fidelity is None:
            while len(self.result.pairs) < n:
                finishing = []
                for _ in range(n - len(self.result.pairs)):
                    started = self.net.now
                    pair, notices, wait_ticks = yield from self._swapped_pair()
                    if notices is None:  # one link: the herald told both ends, nothing more to wait for
                        self._deliver(pair, started, wait_ticks, 0)
                    else:
                        finishing.append(self.env.process(self._finish(pair, notices, started, wait_ticks, 0)))
                if finishing:
                    yield from self._wait(self.env.all_of(finishing))
            return self.result
        while len(self.result.pairs) < n:
            started = self.net.now
            outcome = yield from self._target_pair()
            if outcome is None:
                self.result.status = "gave_up"
                return self.result
            pair, rounds, wait_ticks = outcome
            self._deliver(pair, started, wait_ticks, rounds)
        return self.result

    def _deliver(self, pair: Pair, started: int, wait_ticks: int, rounds: int) -> None:
        self.result.pairs.append(pair)
        self.result.deliveries.append(
            Delivery(
                pair.pair_id,
                started,
                max(pair.stored_since),
                self.net.now,
                fidelity_of(self.net.pair_state(pair)),
                wait_ticks,
                rounds,
            )
        )
        if len(self.links) > 1:
            self.net.ledger.path(self.name).e2e_pairs_delivered += 1
        if self.net.trace.enabled:
            self.net.trace.record(self.net.now, self.name, "e2e_delivered", f"pair {pair.pair_id}")
        if self.deliver_to is not None:
            self.deliver_to.put(pair)

    def _finish(
        self, pair: Pair, notices: simpy.Event, started: int, wait_ticks: int, rounds: int
    ) -> Generator[simpy.Event, Any, None]:
        """Deliver ``pair`` when the swap notices have arrived (if it survived and the request stands)."""
        yield notices
        if pair.is_stored and self.failed:
            self.net.discard_pair(pair, "deadline")
        elif pair.is_stored:
            self._deliver(pair, started, wait_ticks, rounds)

    # -- link pairs and swapping ---------------------------------------------------------------------

    def _gather(self) -> Generator[simpy.Event, Any, list[Pair]]:
        """One stored pair from every link of the path, held at the same time (cutoffs are re-filled)."""
        got: dict[int, Pair] = {}
        while True:
            missing = [i for i in range(len(self.links)) if i not in got or not got[i].is_stored]
            if not missing:
                return [got[i] for i in range(len(self.links))]
            self.pending = [self.net.quantum_links[self.links[i]].pairs.get() for i in missing]
            for i, get in zip(missing, list(self.pending), strict=True):
                pair = yield from self._wait_pair(i, get)
                if pair is None:  # a link of the path is down and another path exists
                    got = self._reroute(got)
                    break
                got[i] = pair
                self.pending.remove(get)
                self.held.append(got[i])

    def _wait_pair(self, i: int, get: simpy.Event) -> Generator[simpy.Event, Any, Pair | None]:
        """The pair of ``get`` (link ``i`` of the path); None if that link is down and another path exists."""
        if not self.net.has_quantum_outages:
            return (yield from self._wait(get))
        link = self.net.quantum_links[self.links[i]]
        while not get.triggered:
            if not link.is_up() and self._alternative() is not None:
                return None
            yield from self._wait(get | link.when_down())
        return (yield from self._wait(get))

    def _alternative(self) -> list[str] | None:
        """A path over the links up now, if it differs from the current one."""
        path = _path_avoiding_outages(self.net, self.path[0], self.path[-1], self.metric)
        return path if path is not None and path != self.path else None

    def _reroute(self, got: dict[int, Pair]) -> dict[int, Pair]:
        """Move to the best path over the links up; keep the pairs taken on its links, return the others."""
        path = self._alternative()
        assert path is not None
        taken = list(got.values())
        for get in self.pending:
            if get.triggered and isinstance(get.value, Pair):
                taken.append(get.value)
            else:
                get.cancel()  # type: ignore[attr-defined]
        self.pending = []
        old = self.links
        links = self.net.path_links(path)
        kept: dict[int, Pair] = {}
        for pair in taken:
            if not pair.is_stored:
                continue
            if pair.link in links and links.index(pair.link) not in kept:
                kept[links.index(pair.link)] = pair
            else:
                self.net.quantum_links[pair.link].pairs.put(pair)
        self.held = list(kept.values())
        self.path, self.links = path, links
        self.result.path = path
        self.result.reroutes += 1
        down = ", ".join(repr(name) for name in old if not self.net.quantum_links[name].is_up())
        self.net.trace.record(self.net.now, self.name, "rerouted", f"link {down} down: path {'-'.join(path)}")
        self.net.start_generation(links)
        return kept

    def _swapped_pair(self) -> Generator[simpy.Event, Any, tuple[Pair, simpy.Event | None, int]]:
        """Gather and swap until all BSMs succeed; return the new pair, its notices event (None for one link: the
        herald reached both ends) and link wait."""
        while True:
            links = yield from self._gather()
            self.held = list(links)
            if len(links) == 1:
                return links[0], None, 0
            repeaters = [self.net.nodes[name].spec for name in self.path[1:-1]]
            yield from self._wait(self.env.timeout(max(bsm_duration_ticks(r) for r in repeaters)))
            if not all(p.is_stored for p in links):  # a cutoff struck during the BSM
                for p in links:
                    if p.is_stored:
                        self.net.discard_pair(p, "swap_partner_lost")
                continue
            pair = self._swap(links, repeaters)
            if pair is not None:
                wait = sum(self.net.now - s for p in links for s in p.stored_since)
                notices = [self.net.send(r.name, end, 2, kind="swap_outcome") for r in repeaters for end in pair.ends]
                return pair, self.env.all_of(notices), wait

    def _swap(self, links: list[Pair], repeaters: list[NodeSpec]) -> Pair | None:
        """Swap the link pairs at every repeater now; the end-to-end pair, or None if a BSM failed."""
        net, path = self.net, self.path
        states = [oriented(net.pair_state(p), p, path[i]) for i, p in enumerate(links)]
        state, frame, ok = states[0], 0, True
        for j, node in enumerate(repeaters, start=1):
            bsm, rng = bsm_of(node), net.nodes[node.name].rng
            if rng.random() >= bsm.success_probability:
                ok = False
                net.ledger.nodes[node.name].swaps_failed += 1
                continue
            net.ledger.nodes[node.name].swaps += 1
            if np.shape(state) == (4, 4):
                out = swap_pairs(state, states[j], bsm_depolarizing=bsm.depolarizing, readout_error=bsm.readout_error)
                outcome = int(rng.choice(4, p=out.probabilities / out.probabilities.sum()))
                state = out.states[outcome]
            else:
                outcome = int(rng.integers(4))  # uniform for Bell-diagonal inputs (Dur & Briegel 2007, 4.1)
                state = swap_bell_diagonal(state, states[j], bsm)
            frame = combine_frames(frame, outcome)
        ends = (path[0], path[-1])
        if not ok:
            for p in links:
                net.discard_pair(p, "bsm_failed")
            return None
        first, last = links[0], links[-1]
        born = (
            first.in_memory_since[first.ends.index(ends[0])],
            last.in_memory_since[last.ends.index(ends[1])],
        )
        for p in links:
            net.consume_pair(p, keep_qubits_at=tuple(e for e in p.ends if e in ends))
        now = net.now
        pair = Pair(
            pair_id=net.new_pair_id(),
            link=self.name,
            ends=ends,
            state=state,
            stored_since=(now, now),
            delivered_tick=now,
            qubits_since=born,
            memory_links=(self.links[0], self.links[-1]),
        )
        net.trace.record(now, self.name, "swapped", f"pair {pair.pair_id}, Pauli frame {frame}")
        net.watch_cutoff(pair)
        return pair

    def _raw_pair(self) -> Generator[simpy.Event, Any, tuple[Pair, int]]:
        """A delivered (notices arrived) end-to-end pair, before purification, and its link wait."""
        while True:
            pair, notices, wait = yield from self._swapped_pair()
            self.held = [pair]
            if notices is not None:
                yield from self._wait(notices)
            if pair.is_stored:
                pair.delivered_tick = self.net.now
                return pair, wait

    # -- purification -----------------------------------------------------------------------------------

    def _purify(self, keep: Pair, sacrifice: Pair) -> Generator[simpy.Event, Any, Pair | None]:
        """One recurrence round on two delivered pairs; the kept pair on success, else None."""
        net, a, b = self.net, self.path[0], self.path[-1]
        self.held = [keep, sacrifice]
        yield from self._wait(self.env.timeout(self.purify_ticks))
        if not (keep.is_stored and sacrifice.is_stored):  # a cutoff struck while waiting
            for p in (keep, sacrifice):
                if p.is_stored:
                    net.discard_pair(p, "purification_partner_lost")
            return None
        net.ledger.nodes[a].purification_attempts += 1
        s1 = oriented(net.pair_state(keep), keep, a)
        s2 = oriented(net.consume_pair(sacrifice), sacrifice, a)
        if np.shape(s1) == (4, 4):
            exact = purify_pairs(
                s1, s2, self.protocol, gate_depolarizing=self.purify_gate_error, readout_error=self.purify_readout_error
            )
            p_success, new_state = exact.success_probability, exact.state
        else:
            fast = purify(
                s1, s2, self.protocol, gate_depolarizing=self.purify_gate_error, readout_error=self.purify_readout_error
            )
            p_success, new_state = fast.success_probability, fast.coefficients
        success = net.nodes[a].rng.random() < p_success
        now = net.now
        if success:
            keep.state, keep.stored_since, keep.ends = new_state, (now, now), (a, b)
            net.ledger.nodes[a].purification_successes += 1
        yield from self._wait(self.env.all_of([net.send(a, b, 1, kind="parity"), net.send(b, a, 1, kind="parity")]))
        if not success:
            if keep.is_stored:
                net.discard_pair(keep, "purification_failed")
            return None
        if not keep.is_stored:
            return None
        keep.delivered_tick = net.now
        return keep

    def _level_pair(self, level: int) -> Generator[simpy.Event, Any, Pair]:
        """A pair purified ``level`` times by the symmetric recurrence (two level-1 pairs per round)."""
        if level == 0:
            pair, _ = yield from self._raw_pair()
            return pair
        while True:
            first = yield from self._level_pair(level - 1)
            second = yield from self._level_pair(level - 1)
            kept = yield from self._purify(first, second)
            if kept is not None:
                return kept

    def _target_pair(self) -> Generator[simpy.Event, Any, tuple[Pair, int, int] | None]:
        """A pair of fidelity >= min_fidelity (with rounds and link wait), or None when it gives up."""
        assert self.min_fidelity is not None
        pair, wait = yield from self._raw_pair()
        state = oriented(self.net.pair_state(pair), pair, self.path[0])
        coefficients = bell_coefficients(state) if np.shape(state) == (4, 4) else state
        plan = purify_until(
            coefficients,
            self.min_fidelity,
            self.protocol,
            gate_depolarizing=self.purify_gate_error,
            readout_error=self.purify_readout_error,
        )
        if not plan.reached:
            self.net.discard_pair(pair, "purification_gave_up")
            self.result.reason = plan.status
            return None
        level = 0
        while fidelity_of(self.net.pair_state(pair)) < self.min_fidelity:
            if level >= plan.rounds + EXTRA_ROUNDS:
                self.net.discard_pair(pair, "purification_gave_up")
                self.result.reason = "max_rounds"
                return None
            partner = yield from self._level_pair(level)
            kept = yield from self._purify(pair, partner)
            if kept is None:
                pair, wait = yield from self._raw_pair()
                level = 0
            else:
                pair, level = kept, level + 1
        return pair, level, wait
