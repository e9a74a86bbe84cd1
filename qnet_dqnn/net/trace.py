"""The event trace: (tick, where, kind, detail) records, and per-node activity intervals for timelines."""

from __future__ import annotations

from typing import NamedTuple

from qnet_dqnn.errors import SimulationError

#: Activity kinds a node's timeline distinguishes (strategies record these).
ACTIVITY_KINDS = ("compute", "wait_message", "wait_pairs")


class TraceEvent(NamedTuple):
    """One traced event: when (in ticks), where (a node or link name), what, and a short detail."""

    tick: int
    where: str
    kind: str
    detail: str = ""


class Activity(NamedTuple):
    """A node spent [start, end) ticks doing ``kind`` (one of :data:`ACTIVITY_KINDS`)."""

    node: str
    kind: str
    start_tick: int
    end_tick: int


class Trace:
    """Append-only lists of :class:`TraceEvent` and :class:`Activity`; off when ``enabled`` is False.

    Always on, even when ``enabled`` is False: simulated time never goes backwards. An event at a tick earlier
    than the last event (or activity end) recorded raises :class:`~qnet_dqnn.errors.SimulationError`.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.events: list[TraceEvent] = []
        self.activities: list[Activity] = []
        self.last_tick = 0

    def _advance(self, tick: int, what: str) -> None:
        if tick < self.last_tick:
            raise SimulationError(f"simulated time went backwards: {what} at tick {tick} after tick {self.last_tick}")
        self.last_tick = tick

    def record(self, tick: int, where: str, kind: str, detail: str = "") -> None:
        """Append one event if tracing is on (the time check runs either way)."""
        if tick < self.last_tick:
            self._advance(tick, f"{kind} at {where}")
        self.last_tick = tick
        if self.enabled:
            self.events.append(TraceEvent(tick, where, kind, detail))

    def activity(self, node: str, kind: str, start_tick: int, end_tick: int) -> None:
        """Record that ``node`` was doing ``kind`` from ``start_tick`` to ``end_tick`` (if tracing is on)."""
        self._check_activity(node, kind, start_tick, end_tick)
        self._advance(end_tick, f"end of {kind} of {node!r}")
        if self.enabled and end_tick > start_tick:
            self.activities.append(Activity(node, kind, start_tick, end_tick))

    def known_activity(self, node: str, kind: str, start_tick: int, end_tick: int) -> None:
        """Like :meth:`activity`, for an interval learned only after it ended (a step on the pair timeline
        learns where its shots stalled when it ends): it may end before the latest tick recorded."""
        self._check_activity(node, kind, start_tick, end_tick)
        self.last_tick = max(self.last_tick, end_tick)
        if self.enabled and end_tick > start_tick:
            self.activities.append(Activity(node, kind, start_tick, end_tick))

    @staticmethod
    def _check_activity(node: str, kind: str, start_tick: int, end_tick: int) -> None:
        if kind not in ACTIVITY_KINDS:
            raise ValueError(f"activity kind must be one of {ACTIVITY_KINDS} (got {kind!r})")
        if end_tick < start_tick:
            raise ValueError(f"activity of {node!r} ends ({end_tick}) before it starts ({start_tick})")

    def of_kind(self, kind: str) -> list[TraceEvent]:
        """The events of one kind, in time order."""
        return [e for e in self.events if e.kind == kind]

    def timeline(self) -> dict[str, list[tuple[int, int, str]]]:
        """Activities per node as (start_tick, end_tick, kind), in start order."""
        nodes: dict[str, list[tuple[int, int, str]]] = {}
        for a in sorted(self.activities, key=lambda a: (a.node, a.start_tick)):
            nodes.setdefault(a.node, []).append((a.start_tick, a.end_tick, a.kind))
        return nodes
