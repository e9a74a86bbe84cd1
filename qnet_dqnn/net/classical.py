"""Classical channels: one FIFO per direction of a link, with serialisation and propagation."""

from __future__ import annotations

from typing import Any, NamedTuple

from qnet_dqnn.physics import propagation_delay_s
from qnet_dqnn.topology import LinkSpec
from qnet_dqnn.units import TICKS_PER_SECOND, to_ticks


class Message(NamedTuple):
    """A classical message: who sent it to whom, how big it is, what it carries and when it left (immutable; a
    named tuple, the cheapest record to make once per message)."""

    src: str
    dst: str
    bits: int
    payload: Any
    sent_tick: int
    kind: str = "data"


class ClassicalChannel:
    """One direction of a link's classical channel.

    A hop takes the sending node's processing time, then serialisation (bits / bandwidth), then the
    link's extra latency and propagation (L / v): :func:`qnet_dqnn.physics.classical_hop_delay_s` on an
    idle link. Serialisation is FIFO: a message starts transmitting only once the previous one has left,
    so large messages queue behind each other; propagation overlaps freely.
    """

    def __init__(self, link: LinkSpec, processing_s: float) -> None:
        self.link = link.name
        self.bandwidth_bps = link.classical.bandwidth_bps
        self.processing_ticks = to_ticks(processing_s)
        self.flight_ticks = to_ticks(link.classical.extra_latency_s) + to_ticks(propagation_delay_s(link.length_km))
        self.transmitter_free_tick = 0
        self._serialisation: dict[int, int] = {}  # bits -> ticks, for the sizes this channel carries

    def serialisation_ticks(self, bits: int) -> int:
        """Ticks to put ``bits`` on the wire."""
        return round(bits * TICKS_PER_SECOND / self.bandwidth_bps)

    def idle_delay_ticks(self, bits: int) -> int:
        """The hop's delay when nothing else is queued: its weight for routing."""
        return self.processing_ticks + self.serialisation_ticks(bits) + self.flight_ticks

    def schedule(self, now_tick: int, bits: int) -> int:
        """Book a transmission of ``bits`` handed over at ``now_tick``; return its arrival tick."""
        ticks = self._serialisation.get(bits)
        if ticks is None:
            ticks = self._serialisation[bits] = self.serialisation_ticks(bits)
        start = now_tick + self.processing_ticks
        if start < self.transmitter_free_tick:
            start = self.transmitter_free_tick
        self.transmitter_free_tick = start + ticks
        return self.transmitter_free_tick + self.flight_ticks
