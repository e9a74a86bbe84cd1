"""Weighted coresets of a labelled training set: train on a few weighted points instead of all of them.

A coreset of a data set ``X`` (``N`` points) is a weighted subset ``(C, w)`` whose weighted loss
``Σ_{c∈C} w_c ℓ(c; θ)`` approximates the full loss ``Σ_{x∈X} ℓ(x; θ)`` for every model ``θ`` (Bachem, Lucic &
Krause, arXiv:1703.06476 (2017), Def. 1). Harrow (arXiv:2004.00026, 2020) proposes them for small quantum
computers and large classical data sets: the quantum computer only ever sees the ``m ≪ N`` coreset points;
Tomesh, Gokhale, Anschuetz & Chong (Electronics 10, 1690 (2021)) build coresets for k-means on small QPUs and
compare them with uniform random subsamples, as the study here does.

Two constructions, both per class (``m`` split over the classes in proportion to their sizes, largest
remainder, at least one point per class present), so a coreset keeps the class priors exactly:

- ``lightweight`` (Bachem, Lucic & Krause, "Scalable k-means clustering via lightweight coresets", KDD 2018,
  arXiv:1702.08248, Algorithm 1): importance sampling with ``q(x) = ½·1/N_c + ½·d(x, μ_c)² / Σ_{x'} d(x', μ_c)²``
  (``μ_c`` the class mean), points far from the mean — the ones a model is most sensitive to — drawn more
  often. Points are drawn i.i.d. from ``q`` until ``m_c`` distinct ones are in; a point drawn ``k`` times
  weighs ``k / q(x)``;
- ``uniform``: ``m_c`` points without replacement, equal weights (the control).

Weights are then scaled so that each class's weights sum to its size ``N_c`` (for ``lightweight``: the
self-normalised importance-sampling estimator, Owen, *Monte Carlo theory, methods and examples* (2013),
Sec. 9.2, whose weights are known only up to the draw count), hence ``Σ w = N`` exactly and a coreset of the
whole set (``m = N``, ``uniform``) is the set itself with unit weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from qnet_dqnn.errors import QnetError

CoresetMethod = Literal["lightweight", "uniform"]
METHODS: tuple[str, ...] = ("lightweight", "uniform")


@dataclass(frozen=True)
class Coreset:
    """A weighted subset of a data set.

    Attributes:
        indices: positions of the chosen points in the data set (sorted, distinct).
        weights: one weight per chosen point (> 0); they sum to the data set's size.
    """

    indices: np.ndarray
    weights: np.ndarray

    @property
    def size(self) -> int:
        """Points in the coreset."""
        return int(len(self.indices))


def class_allocation(counts: np.ndarray, size: int) -> np.ndarray:
    """Points of a ``size``-point coreset per class, in proportion to the class ``counts``.

    Largest-remainder rounding of ``size·N_c/N`` (ties to the earlier class), every present class at least one
    point and none more than its count.

    Examples:
        >>> class_allocation(np.array([75, 75]), 9).tolist()
        [5, 4]
        >>> class_allocation(np.array([3, 97]), 10).tolist()
        [1, 9]
    """
    counts = np.asarray(counts, dtype=int)
    total = int(counts.sum())
    present = int(np.count_nonzero(counts))
    if not present <= size <= total:
        raise QnetError(f"a coreset of {size} points cannot keep {present} classes of a {total}-point set")
    exact = size * counts / total
    alloc = np.floor(exact).astype(int)
    order = sorted(range(len(counts)), key=lambda c: (-(exact[c] - alloc[c]), c))
    for c in order[: size - int(alloc.sum())]:
        alloc[c] += 1
    for c in np.flatnonzero((alloc == 0) & (counts > 0)):  # a rare class keeps one point, taken from the largest
        alloc[int(np.argmax(alloc))] -= 1
        alloc[c] += 1
    return alloc


def lightweight_probabilities(x: np.ndarray) -> np.ndarray:
    """Bachem et al.'s (KDD 2018, Algorithm 1, line 3) sampling distribution over the rows of ``x``:
    ``q(x) = ½·1/n + ½·d(x, μ)² / Σ d(x', μ)²`` (uniform when every point sits on the mean)."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    n = len(x)
    d2 = np.sum((x - x.mean(axis=0)) ** 2, axis=1)
    spread = float(d2.sum())
    if spread <= 0.0:
        return np.full(n, 1.0 / n)
    return 0.5 / n + 0.5 * d2 / spread


def _lightweight(x: np.ndarray, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw from ``q`` until ``m`` distinct points are in; (chosen rows, ``times drawn / q``)."""
    n = len(x)
    q = lightweight_probabilities(x)
    draws = np.empty(0, dtype=int)
    while True:
        draws = np.concatenate([draws, rng.choice(n, size=max(m, 16), p=q)])
        _, first = np.unique(draws, return_index=True)
        if len(first) >= m:
            draws = draws[: int(np.sort(first)[m - 1]) + 1]  # stop at the draw that brought the m-th point
            break
    counts = np.bincount(draws, minlength=n)
    chosen = np.flatnonzero(counts)
    return chosen, counts[chosen] / q[chosen]


def build_coreset(x: np.ndarray, y: np.ndarray, size: int, method: CoresetMethod, rng: np.random.Generator) -> Coreset:
    """A ``size``-point coreset of ``(x, y)`` built by ``method`` (module docstring), per class.

    Raises:
        QnetError: ``size`` outside ``[1, len(x)]`` (or fewer points than classes), an unknown ``method``, or
            ``x`` and ``y`` of different lengths.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise QnetError(f"a coreset needs one label per point (got {len(x)} points, {len(y)} labels)")
    if method not in METHODS:
        raise QnetError(f"coreset method must be one of {METHODS} (got {method!r})")
    if not 1 <= size <= len(x):
        raise QnetError(f"coreset size must be in [1, {len(x)}], the data set's size (got {size})")
    classes, inverse = np.unique(y, return_inverse=True)
    members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
    alloc = class_allocation(np.array([len(m) for m in members]), size)
    indices, weights = [], []
    for rows, m in zip(members, alloc, strict=True):
        if m == 0:
            continue
        if method == "uniform":
            picked = np.sort(rng.choice(len(rows), size=m, replace=False))
            raw = np.ones(m)
        else:
            picked, raw = _lightweight(x[rows], int(m), rng)
        indices.append(rows[picked])
        weights.append(raw * (len(rows) / raw.sum()))  # the class's weights sum to its size
    index = np.concatenate(indices)
    order = np.argsort(index)
    return Coreset(index[order], np.concatenate(weights)[order])
