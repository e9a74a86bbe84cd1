"""Statistics over seeds: means with confidence intervals, and effect sizes with theirs.

Every study reports a quantity measured over independent seeds as a mean with a Student-t confidence
interval (Student, Biometrika 6, 1 (1908)); a claimed difference between two settings as the difference of
their means with Welch's interval (Welch, Biometrika 34, 28 (1947): unequal variances, Welch–Satterthwaite
degrees of freedom) and Hedges' g, the standardised mean difference with its small-sample correction
(Hedges, J. Educ. Stat. 6, 107 (1981), Eq. 6e). Pure functions of arrays: no network, no simulator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as _st

__all__ = [
    "DEFAULT_LEVEL",
    "Crossover",
    "Difference",
    "Interval",
    "check_level",
    "crossover",
    "difference_interval",
    "mean_interval",
]

#: Confidence level used when none is given (two-sided).
DEFAULT_LEVEL = 0.95


def check_level(level: float, field: str = "confidence level") -> float:
    """``level`` if it lies in the open interval (0, 1); else a ValueError naming ``field``.

    Examples:
        >>> check_level(0.95)
        0.95
    """
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise ValueError(f"{field}: must lie in (0, 1) (got {level!r})")
    return float(level)


def _finite(values: Iterable[float]) -> np.ndarray:
    v = np.asarray(list(values), dtype=float).ravel()
    return v[np.isfinite(v)]


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean over ``n`` finite samples with its two-sided confidence interval.

    Attributes:
        mean: the sample mean (NaN when ``n`` is 0).
        low, high: the interval's ends, ``mean ∓ t_{(1+level)/2, n-1} · s/√n`` (NaN when ``n`` < 2).
        n: the finite samples used (NaN and infinities are left out).
        std: the sample standard deviation (``ddof=1``; NaN when ``n`` < 2).
        level: the confidence level.
    """

    mean: float
    low: float
    high: float
    n: int
    std: float
    level: float

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when it has none)."""
        return (self.high - self.low) / 2.0

    def __str__(self) -> str:
        if self.n == 0:
            return "-"
        if not math.isfinite(self.half_width):
            return f"{self.mean:.4g}"
        return f"{self.mean:.4g} ± {self.half_width:.2g}"


def mean_interval(values: Iterable[float], level: float = DEFAULT_LEVEL) -> Interval:
    """The mean of ``values`` with its Student-t confidence interval (non-finite values are left out).

    Examples:
        >>> iv = mean_interval([1.0, 2.0, 3.0])
        >>> iv.mean, round(iv.low, 4), round(iv.high, 4)
        (2.0, -0.4841, 4.4841)
    """
    level = check_level(level)
    v = _finite(values)
    n = int(v.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, math.nan, level)
    mean = float(v.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, 1, math.nan, level)
    std = float(v.std(ddof=1))
    half = float(_st.t.ppf((1.0 + level) / 2.0, n - 1)) * std / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, std, level)


@dataclass(frozen=True, slots=True)
class Difference:
    """The difference ``mean(a) − mean(b)`` with Welch's interval and Hedges' g.

    Attributes:
        delta: ``mean(a) − mean(b)``.
        low, high: Welch's two-sided confidence interval of ``delta`` (NaN with fewer than 2 samples a side).
        hedges_g: the standardised difference ``delta / s_pooled`` times ``1 − 3/(4(n_a + n_b) − 9)``
            (NaN when the pooled deviation is 0 or a side has fewer than 2 samples).
        p_value: Welch's two-sided p-value for ``delta = 0``.
        level: the confidence level.
    """

    delta: float
    low: float
    high: float
    hedges_g: float
    p_value: float
    level: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return bool(self.low > 0.0 or self.high < 0.0)


def difference_interval(a: Iterable[float], b: Iterable[float], level: float = DEFAULT_LEVEL) -> Difference:
    """``mean(a) − mean(b)`` with Welch's confidence interval and Hedges' g (non-finite values left out).

    Examples:
        >>> d = difference_interval([5.0, 6.0, 7.0], [1.0, 2.0, 3.0])
        >>> d.delta, d.significant
        (4.0, True)
    """
    level = check_level(level)
    x, y = _finite(a), _finite(b)
    nan = math.nan
    if x.size == 0 or y.size == 0:
        return Difference(nan, nan, nan, nan, nan, level)
    delta = float(x.mean() - y.mean())
    if x.size < 2 or y.size < 2:
        return Difference(delta, nan, nan, nan, nan, level)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(va + vb)
    pooled = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
    g = nan
    if pooled > 0.0:
        g = delta / pooled * (1.0 - 3.0 / (4.0 * (x.size + y.size) - 9.0))
    if se == 0.0:
        return Difference(delta, delta, delta, g, 0.0 if delta != 0.0 else 1.0, level)
    dof = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = float(_st.t.ppf((1.0 + level) / 2.0, dof)) * se
    p = float(2.0 * _st.t.sf(abs(delta) / se, dof))
    return Difference(delta, delta - half, delta + half, g, p, level)


@dataclass(frozen=True, slots=True)
class Crossover:
    """Where a setting stops beating a baseline along a swept axis (:func:`crossover`).

    Attributes:
        wins, ties, losses: the swept values at which the difference (setting − baseline) is significantly
            better, undecided (its interval holds 0) or significantly worse.
        between: ``(last value without a win, first value with one)`` when the wins fill one end of the
            range and nothing else does: the crossover lies between the two. None when there is no win, every
            value is a win, or wins and the rest interleave (no single crossover).
    """

    wins: tuple[float, ...]
    ties: tuple[float, ...]
    losses: tuple[float, ...]
    between: tuple[float, float] | None


def crossover(points: Sequence[tuple[float, Difference]], better: Literal["higher", "lower"] = "higher") -> Crossover:
    """Classify each swept value by its difference's confidence interval and find the crossover.

    A value is a *win* only when the interval excludes 0 on the good side (``better``: ``higher`` for accuracy,
    ``lower`` for a time); an interval holding 0 is a tie, so a crossover is claimed only where the seeds
    resolve it.

    Examples:
        >>> d = lambda lo, hi: Difference((lo + hi) / 2, lo, hi, math.nan, math.nan, DEFAULT_LEVEL)
        >>> crossover([(0.7, d(-0.2, -0.1)), (0.9, d(-0.1, 0.1)), (1.0, d(0.05, 0.2))]).between
        (0.9, 1.0)
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower' (got {better!r})")
    ordered = sorted(points, key=lambda p: p[0])
    sign = 1.0 if better == "higher" else -1.0
    kinds = []
    for _, d in ordered:
        low, high = sorted((sign * d.low, sign * d.high))
        kinds.append("win" if low > 0.0 else "loss" if high < 0.0 else "tie")
    xs = [float(x) for x, _ in ordered]
    won = [k == "win" for k in kinds]
    between = None
    for cut in range(1, len(xs)):  # wins exactly on one side of the cut
        if all(won[cut:]) and not any(won[:cut]):
            between = (xs[cut - 1], xs[cut])
        elif all(won[:cut]) and not any(won[cut:]):
            between = (xs[cut], xs[cut - 1])
    return Crossover(
        tuple(x for x, k in zip(xs, kinds, strict=True) if k == "win"),
        tuple(x for x, k in zip(xs, kinds, strict=True) if k == "tie"),
        tuple(x for x, k in zip(xs, kinds, strict=True) if k == "loss"),
        between,
    )
