"""Per-component random streams.

Each component (node, link, workload) draws from its own generator derived from the run's seed and the
component's name, so adding a node does not change the random numbers of the others.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 64-bit integer for a name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def component_rng(seed: int, name: str) -> np.random.Generator:
    """The random generator of component ``name`` in a run seeded with ``seed``.

    Examples:
        >>> a = component_rng(7, "link:q1-q2").random()
        >>> b = component_rng(7, "link:q1-q2").random()
        >>> a == b
        True
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed) & (2**63 - 1), _name_key(name)]))
