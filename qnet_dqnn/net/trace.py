"""The event trace: (tick, where, kind, detail) records for timelines and debugging."""

from __future__ import annotations

from typing import NamedTuple


class TraceEvent(NamedTuple):
    """One traced event: when (in ticks), where (a node or link name), what, and a short detail."""

    tick: int
    where: str
    kind: str
    detail: str = ""


class Trace:
    """An append-only list of :class:`TraceEvent`; off when ``enabled`` is False (long runs)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.events: list[TraceEvent] = []

    def record(self, tick: int, where: str, kind: str, detail: str = "") -> None:
        """Append one event if tracing is on."""
        if self.enabled:
            self.events.append(TraceEvent(tick, where, kind, detail))

    def of_kind(self, kind: str) -> list[TraceEvent]:
        """The events of one kind, in time order."""
        return [e for e in self.events if e.kind == kind]
