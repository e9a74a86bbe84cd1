"""Confidence intervals and effect sizes against scipy's own tests and their coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from qnet_dqnn.stats import check_level, crossover, difference_interval, mean_interval


def test_mean_interval_matches_scipy_t_interval() -> None:
    v = np.array([0.81, 0.77, 0.9, 0.85, 0.79, 0.88])
    iv = mean_interval(v, 0.9)
    low, high = st.t.interval(0.9, len(v) - 1, loc=v.mean(), scale=st.sem(v))
    assert iv.mean == pytest.approx(v.mean(), abs=1e-15)
    assert (iv.low, iv.high) == pytest.approx((low, high), abs=1e-12)
    assert iv.n == 6


def test_mean_interval_covers_the_true_mean_at_its_level() -> None:
    rng = np.random.default_rng(7)
    trials = 4000
    hits = 0
    for _ in range(trials):
        iv = mean_interval(rng.normal(3.0, 2.0, 5))
        hits += iv.low <= 3.0 <= iv.high
    # binomial standard error of the coverage at 0.95 over 4000 trials is 0.0034: 4 sigma either side
    assert abs(hits / trials - 0.95) < 4 * math.sqrt(0.95 * 0.05 / trials)


def test_non_finite_values_are_left_out_and_small_samples_have_no_interval() -> None:
    iv = mean_interval([1.0, math.nan, math.inf])
    assert iv.n == 1 and iv.mean == 1.0 and math.isnan(iv.low)
    assert mean_interval([]).n == 0 and str(mean_interval([])) == "-"


def test_welch_difference_matches_scipy() -> None:
    a = np.array([5.1, 6.3, 7.2, 6.0, 5.5])
    b = np.array([1.0, 2.5, 3.1, 2.2])
    d = difference_interval(a, b)
    ref = st.ttest_ind(a, b, equal_var=False)
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert d.significant


def test_hedges_g_closed_form() -> None:
    a, b = np.array([2.0, 4.0, 6.0]), np.array([1.0, 3.0, 5.0])
    # pooled sd = 2, delta = 1, correction 1 - 3/(4*6 - 9) = 0.8
    assert difference_interval(a, b).hedges_g == pytest.approx(0.5 * 0.8, abs=1e-15)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.9"])
def test_level_outside_open_unit_interval_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match=r"confidence level: must lie in \(0, 1\)"):
        check_level(bad)  # type: ignore[arg-type]


def test_crossover_is_claimed_only_where_the_intervals_resolve_it() -> None:
    """Seeds drawn so that one setting is far better at high x, equal in the middle and worse at low x: the
    crossover lies between the last tie and the first win; reversed for a time (lower is better)."""
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.01, 8)
    means = {0.7: 0.6, 0.8: 0.7, 0.9: 0.8, 1.0: 0.95}
    points = [(x, difference_interval(rng.normal(m, 0.01, 8), base)) for x, m in means.items()]
    found = crossover(points)
    assert (found.losses, found.ties, found.wins, found.between) == ((0.7, 0.8), (0.9,), (1.0,), (0.9, 1.0))
    times = [(x, difference_interval(-rng.normal(m, 0.01, 8), -base)) for x, m in means.items()]
    assert crossover(times, better="lower").between == (0.9, 1.0)
    # no win at all, and wins that interleave with ties, claim no crossover
    assert crossover(points[:3]).between is None
    assert crossover([(0.85, points[3][1]), (0.9, points[2][1]), (1.0, points[3][1])]).between is None
    # wins at the low end (short links): the crossover lies between the first value without a win and the last win
    short = [(10.0, points[3][1]), (50.0, points[3][1]), (100.0, points[2][1])]
    assert crossover(short).between == (100.0, 50.0)
    with pytest.raises(ValueError, match="better"):
        crossover(points, better="faster")  # type: ignore[arg-type]
