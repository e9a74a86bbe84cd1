"""Units and simulated time, stated once.

Simulated time is an integer number of ticks; one tick is one nanosecond. Integer ticks never drift,
whatever the horizon (SeQUeNCe moved to integer picoseconds after floating-point time bugs; a
nanosecond is fine enough for every delay this simulator models: gates are tens of ns or more).
Every ``env.timeout`` in the package goes through :func:`to_ticks`.
"""

from __future__ import annotations

import math
from typing import Final

#: Ticks in one simulated second (1 tick = 1 ns).
TICKS_PER_SECOND: Final[int] = 1_000_000_000

#: Speed of light in standard single-mode fiber, in km/s (group index ~1.47 gives c/1.47 = 2.04e5 km/s;
#: the common engineering value 2e5 km/s is used, e.g. Munro et al., IEEE JSTQE 21, 6400112 (2015)).
FIBER_LIGHT_SPEED_KM_PER_S: Final[float] = 2.0e5


def to_ticks(seconds: float) -> int:
    """Convert seconds to integer ticks, rounding to the nearest tick.

    Examples:
        >>> to_ticks(1.5e-6)
        1500
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be finite and >= 0 (got {seconds!r} s)")
    return round(seconds * TICKS_PER_SECOND)


def to_seconds(ticks: int) -> float:
    """Convert ticks to seconds.

    Examples:
        >>> to_seconds(2_000_000_000)
        2.0
    """
    return ticks / TICKS_PER_SECOND
