"""A host's classical and quantum storage, as QuNetSim keeps them, with waits in simulated time.

QuNetSim semantics kept: messages are kept per sender in arrival order and never removed (``get_next_classical``
moves a read index, ``get_classical(seq_num=i)`` reads the i-th); qubits are kept per partner host in arrival
order with a purpose (EPR, data, GHZ, W) and removed when taken (the oldest first, or by id). A wait is a
request served, in the order requests were made, as soon as an arrival satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from qnet_dqnn.interop.qunetsim.runtime.roles import MessageRole, QubitRole, SessionRole


@dataclass
class _Request:
    attempt: Callable[[], Any]
    event: simpy.Event


class _Waitable:
    """Requests that wait for arrivals; each is tried again, in order, after every arrival."""

    def __init__(self, session: SessionRole) -> None:
        self.session = session
        self._requests: list[_Request] = []

    def _serve(self) -> None:
        for request in list(self._requests):
            value = request.attempt()
            if value is not None:
                self._requests.remove(request)
                request.event.succeed(value)

    def _get(self, attempt: Callable[[], Any], wait: float | int | None, what: str) -> Any:
        """``attempt()`` now, or after waiting ``wait`` simulated seconds (0: no wait, -1 or None: forever)."""
        value = attempt()
        if value is not None or wait == 0:
            return value
        wait_s = None if wait is None or wait < 0 else float(wait)
        request = _Request(attempt, self.session.env.event())
        self._requests.append(request)
        try:
            if self.session.wait_for(request.event, wait_s, what):
                return request.event.value
        finally:
            if request in self._requests:  # timed out (or the run is ending): the request lapses
                self._requests.remove(request)
        return None


class MessageStore(_Waitable):
    """A host's received classical messages."""

    def __init__(self, session: SessionRole) -> None:
        super().__init__(session)
        self._by_sender: dict[str, list[MessageRole]] = {}
        self._read: dict[str, int] = {}

    def add(self, message: MessageRole) -> None:
        """Store an arrived message and serve the waits it satisfies."""
        self._by_sender.setdefault(message.sender, []).append(message)
        self._read.setdefault(message.sender, 0)
        self._serve()

    def all(self) -> list[MessageRole]:
        """Every stored message."""
        return [m for messages in self._by_sender.values() for m in messages]

    def empty(self) -> None:
        """Forget every message."""
        self._by_sender.clear()
        self._read.clear()

    def _next(self, sender: str) -> MessageRole | None:
        messages = self._by_sender.get(sender, [])
        i = self._read.get(sender, 0)
        if i >= len(messages):
            return None
        self._read[sender] = i + 1
        return messages[i]

    def next_from(self, sender: str, wait: float | int | None, what: str) -> MessageRole | None:
        """The next unread message from ``sender``."""
        return self._get(lambda: self._next(sender), wait, what)

    def nth_from(self, sender: str, index: int, wait: float | int | None, what: str) -> MessageRole | None:
        """The ``index``-th message from ``sender`` (QuNetSim's ``seq_num``)."""

        def attempt() -> MessageRole | None:
            messages = self._by_sender.get(sender, [])
            return messages[index] if 0 <= index < len(messages) else None

        return self._get(attempt, wait, what)

    def all_from(self, sender: str, wait: float | int | None, what: str) -> list[MessageRole]:
        """Every message from ``sender`` (waiting for the first one if there is none)."""
        found = self._get(lambda: self._by_sender.get(sender) or None, wait, what)
        return list(found) if found else []


@dataclass
class _Stored:
    qubit: QubitRole
    purpose: str
    partner: str


class QubitStore(_Waitable):
    """A host's stored qubits: EPR halves, data qubits, GHZ and W qubits, by partner host.

    Attributes:
        limit: most qubits kept per partner (-1: no limit); an arrival beyond it is released (QuNetSim).
        limits: per-partner limits that override ``limit``.
    """

    def __init__(self, session: SessionRole) -> None:
        super().__init__(session)
        self._items: list[_Stored] = []
        self.limit = -1
        self.limits: dict[str, int] = {}

    def _alive(self) -> list[_Stored]:
        """The stored qubits, dropping EPR halves whose network pair a memory cutoff discarded."""
        lost = [s for s in self._items if s.qubit._lost()]
        for s in lost:
            self._items.remove(s)
        return self._items

    def add(self, qubit: QubitRole, purpose: str, partner: str) -> bool:
        """Store ``qubit`` (from ``partner``, for ``purpose``); False if a memory limit released it."""
        limit = self.limits.get(partner, self.limit)
        if limit >= 0 and sum(1 for s in self._alive() if s.partner == partner) >= limit:
            qubit.release()
            return False
        for s in self._items:
            if s.qubit.id == qubit.id and s.partner == partner and s.purpose == purpose:
                raise ValueError("Qubit with these parameters already in storage!")
        self._items.append(_Stored(qubit, purpose, partner))
        self._serve()
        return True

    def _take(self, partner: str, q_id: str | None, purpose: str | None) -> QubitRole | None:
        for s in self._alive():
            if (
                s.partner == partner
                and (purpose is None or s.purpose == purpose)
                and (q_id is None or s.qubit.id == q_id)
            ):
                self._items.remove(s)
                return s.qubit
        return None

    def take(self, partner: str, q_id: str | None, purpose: str | None, wait: float | int | None, what: str) -> Any:
        """Remove and return the oldest qubit from ``partner`` (with ``q_id``, for ``purpose``), or None."""
        q_id = None if q_id is None else str(q_id)
        return self._get(lambda: self._take(partner, q_id, purpose), wait, what)

    def peek(self, partner: str, purpose: str | None = None) -> list[QubitRole]:
        """The stored qubits from ``partner`` (for ``purpose``), left in storage."""
        return [s.qubit for s in self._alive() if s.partner == partner and (purpose is None or s.purpose == purpose)]

    def by_id(self, q_id: str) -> QubitRole | None:
        """A stored qubit with id ``q_id``, or None."""
        return next((s.qubit for s in self._alive() if s.qubit.id == str(q_id)), None)

    def change_id(self, partner: str, new_id: str, old_id: str | None) -> str | None:
        """Give the qubit ``old_id`` (or the oldest) from ``partner`` the id ``new_id``; return the old id."""
        for s in self._alive():
            if s.partner == partner and (old_id is None or s.qubit.id == str(old_id)):
                old = s.qubit.id
                s.qubit.id = new_id
                return old
        return old_id

    def remove_all(self, partner: str | None, purpose: str | None) -> list[QubitRole]:
        """Remove and return every qubit from ``partner`` (all partners if None) for ``purpose``."""
        taken = [s for s in self._alive() if (partner is None or s.partner == partner)]
        taken = [s for s in taken if purpose is None or s.purpose == purpose]
        for s in taken:
            self._items.remove(s)
        return [s.qubit for s in taken]

    def count(self, partner: str | None = None) -> int:
        """How many qubits are stored (from ``partner``)."""
        return sum(1 for s in self._alive() if partner is None or s.partner == partner)
