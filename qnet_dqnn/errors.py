"""The exception tree of qnet_dqnn.

Every error a user can cause is a :class:`QnetError`; configuration errors name the file,
the field path and the reason in one shape: ``file: field.path: reason``.
"""

from __future__ import annotations

from collections.abc import Sequence


class QnetError(Exception):
    """Base class of every error raised on purpose by qnet_dqnn."""


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so every problem stays on one readable line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


class ConfigError(QnetError):
    """A topology or scenario description is invalid.

    Attributes:
        source: the file (or ``"<string>"``) the description came from.
        problems: one ``(field_path, reason)`` per problem found; all are reported together.
    """

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = [(_printable(path), _printable(reason)) for path, reason in problems]
        lines = [f"{source}: {path}: {reason}" if path else f"{source}: {reason}" for path, reason in self.problems]
        super().__init__("\n".join(lines))


class TopologyError(ConfigError):
    """A topology description is invalid."""


class ScenarioError(ConfigError):
    """A scenario description is invalid."""


class SimulationError(QnetError):
    """The simulation reached a state the physics or the protocol forbids."""


class NoRouteError(SimulationError):
    """No path connects two nodes over the links a service needs."""


class ResourceExhausted(SimulationError):
    """A memory, a deadline or a budget ran out."""


class ProtocolError(SimulationError):
    """A protocol was used against its rules (e.g. a consumed pair used again: no cloning)."""
