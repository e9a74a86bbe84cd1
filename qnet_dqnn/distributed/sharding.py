"""Splitting the training set over L workers, as in eq. (7) of the review (Pira & Ferrie 2024, Sec. 5).

The review cuts ``D = {x⁽¹⁾, …, x⁽ᴹ⁾}`` into consecutive blocks ``D_j = {x⁽⁽ʲ⁻¹⁾ᴷ⁺¹⁾, …, x⁽ʲᴷ⁾}`` of ``K``
points each. Here the blocks stay consecutive and
- ``equal``: the sizes differ by at most one when ``L`` does not divide ``M`` (the review assumes
  ``K = M / L``; a last short block, as in eq. (7d), would starve the last worker when ``M`` is small);
- ``capacity``: the sizes are proportional to each worker's capacity (samples per second of QPU time), so
  that heterogeneous QPUs finish their shards together (largest-remainder rounding, every worker >= 1);
- ``replicate``: every worker holds the whole set (the i.i.d. limit; used to check that federated averaging
  over identical shards equals centralized training);
- ``dirichlet``: non-IID label skew, the partition of federated-learning benchmarks (Yurochkin et al., ICML 2019,
  arXiv:1905.12022, Sec. 5; Hsu, Qi & Brown, arXiv:1909.06335, Sec. 3): for each class ``c`` a vector of
  client proportions ``q_c ~ Dir(α·1_L)`` is drawn and the class's samples go to the clients in those
  proportions. Small ``α`` gives each client few classes; ``α → ∞`` gives every client the global label mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from qnet_dqnn.errors import QnetError

ShardBy = Literal["equal", "capacity", "replicate", "dirichlet"]


def split_sizes(total: int, weights: Sequence[float]) -> list[int]:
    """Sizes of consecutive shards of ``total`` samples, proportional to ``weights``, each >= 1.

    Largest-remainder (Hamilton) rounding of ``total·w_k / Σw``: floors first, then the leftover samples go
    to the largest fractional parts (ties to the earlier worker); a worker whose share rounds to zero gets one
    sample, taken from the largest shard.

    Examples:
        >>> split_sizes(10, [1, 1, 1, 1])
        [3, 3, 2, 2]
        >>> split_sizes(100, [4, 1, 1, 4])
        [40, 10, 10, 40]
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0:
        raise QnetError("need at least one worker to shard over")
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise QnetError(f"shard weights must be finite and > 0 (got {list(weights)!r})")
    if total < w.size:
        raise QnetError(f"cannot split {total} samples over {w.size} workers (each needs at least one)")
    sizes = largest_remainder(total, w)
    while np.any(sizes == 0):
        sizes[int(np.argmax(sizes))] -= 1
        sizes[int(np.argmin(sizes))] += 1
    return [int(s) for s in sizes]


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers summing to ``total`` in proportion to ``weights`` (>= 0, positive sum): floors first, then the
    leftover units to the largest fractional parts, ties to the earlier entry (Hamilton's method).

    Examples:
        >>> largest_remainder(10, np.array([0.5, 0.3, 0.2, 0.0])).tolist()
        [5, 3, 2, 0]
    """
    exact = total * weights / weights.sum()
    sizes = np.floor(exact).astype(int)
    order = sorted(range(weights.size), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[: total - int(sizes.sum())]:
        sizes[i] += 1
    return sizes


def dirichlet_shards(labels: np.ndarray, count: int, alpha: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Label-skewed shards: for each class (in sorted order) ``q ~ Dir(α·1_count)`` and a random permutation of the
    class's indices cut into consecutive pieces of sizes ``largest_remainder(n_c, q)``, piece ``k`` to client ``k``
    (Yurochkin et al., ICML 2019, arXiv:1905.12022). A client left with no sample gets one from the largest shard.

    Returns:
        one sorted index array per client; together they partition ``range(len(labels))``.
    """
    if count < 1:
        raise QnetError("need at least one worker to shard over")
    if not alpha > 0:
        raise QnetError(f"the Dirichlet concentration alpha must be > 0 (got {alpha!r})")
    labels = np.asarray(labels)
    if labels.size < count:
        raise QnetError(f"cannot split {labels.size} samples over {count} workers (each needs at least one)")
    pieces: list[list[int]] = [[] for _ in range(count)]
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        q = rng.dirichlet(np.full(count, float(alpha)))
        bounds = np.concatenate([[0], np.cumsum(largest_remainder(members.size, q))])
        for k in range(count):
            pieces[k].extend(int(i) for i in members[bounds[k] : bounds[k + 1]])
    for k in range(count):
        if not pieces[k]:
            donor = max(range(count), key=lambda j: (len(pieces[j]), -j))
            pieces[k].append(pieces[donor].pop())
    return [np.sort(np.asarray(p, dtype=int)) for p in pieces]


def shard_indices(total: int, weights: Sequence[float], by: ShardBy = "equal") -> list[np.ndarray]:
    """The training-set indices of each worker's shard: consecutive blocks as in eq. (7) of the review.

    Args:
        total: samples in the training set (``M``).
        weights: one capacity per worker (ignored unless ``by == "capacity"``; its length is ``L``).
        by: ``equal``, ``capacity`` or ``replicate`` (see the module docstring; ``dirichlet`` needs the labels:
            :func:`dirichlet_shards`).

    Examples:
        >>> [s.tolist() for s in shard_indices(7, [1, 1, 1])]
        [[0, 1, 2], [3, 4], [5, 6]]
    """
    count = len(weights)
    if by == "replicate":
        if count < 1:
            raise QnetError("need at least one worker to shard over")
        return [np.arange(total) for _ in range(count)]
    if by == "equal":
        sizes = split_sizes(total, [1.0] * count)
    elif by == "capacity":
        sizes = split_sizes(total, weights)
    else:
        raise QnetError(f"sharding must be in ('equal', 'capacity', 'replicate') here (got {by!r})")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [np.arange(bounds[i], bounds[i + 1]) for i in range(count)]
