"""The Gaussian-process surrogate against scikit-learn's, its kernel's closed form, and the shared observations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import Matern

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.bayesopt import GaussianProcess, SharedSurrogate, lower_confidence_bound, matern52, propose


def test_matern52_closed_form() -> None:
    a = np.zeros((1, 2))
    b = np.array([[0.0, 0.0], [3.0, 4.0]])  # distances 0 and 5
    k = matern52(a, b, length_scale=5.0)
    s5 = np.sqrt(5.0)
    assert k[0] == pytest.approx([1.0, (1 + s5 + 5.0 / 3.0) * np.exp(-s5)], abs=1e-14)


def test_posterior_equals_scikit_learns_with_the_same_hyperparameters() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, size=(25, 3))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.05 * rng.normal(size=25)
    gp = GaussianProcess.fit(x, y, scale=1.0)
    reference = GaussianProcessRegressor(
        Matern(length_scale=gp.length_scale, nu=2.5, length_scale_bounds="fixed"),
        alpha=gp.noise,
        normalize_y=True,
        optimizer=None,
    ).fit(x, y)
    xs = rng.uniform(-1, 1, size=(10, 3))
    mean, std = gp.predict(xs)
    ref_mean, ref_std = reference.predict(xs, return_std=True)
    assert mean == pytest.approx(ref_mean, abs=1e-9)
    # scikit-learn's std is the latent's with the y scale (its alpha is not added at prediction either)
    assert std == pytest.approx(ref_std, rel=1e-6, abs=1e-9)
    # the chosen hyperparameters are the grid's most likely: scikit-learn's evidence agrees they beat the others
    chosen = reference.log_marginal_likelihood_value_
    for ls in (0.125, 4.0):
        other = GaussianProcessRegressor(
            Matern(length_scale=ls, nu=2.5, length_scale_bounds="fixed"),
            alpha=gp.noise,
            normalize_y=True,
            optimizer=None,
        ).fit(x, y)
        assert chosen >= other.log_marginal_likelihood_value_ - 1e-9


def test_noise_free_data_is_interpolated() -> None:
    x = np.linspace(-1, 1, 9)[:, None]
    y = np.cos(3 * x[:, 0])
    gp = GaussianProcess.fit(x, y, scale=1.0)
    mean, std = gp.predict(x)
    assert gp.noise == 1e-4
    assert mean == pytest.approx(y, abs=0.02)
    assert np.all(std < 0.1 * y.std())


def test_proposal_minimises_the_confidence_bound_inside_the_box() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, size=(30, 2))
    y = np.sum((x - 0.7) ** 2, axis=1)
    gp = GaussianProcess.fit(x, y, scale=1.0)
    centre = np.zeros(2)
    point = propose(gp, centre, 1.0, 400, 0.0, np.random.default_rng(0))
    assert np.all(np.abs(point - centre) <= 1.0)
    assert np.linalg.norm(point - 0.7) < 0.35  # κ = 0: the surrogate's minimum, near the true one at (0.7, 0.7)
    assert lower_confidence_bound(np.array([1.0]), np.array([0.5]), 2.0) == pytest.approx([0.0])


def test_shared_surrogate_fits_on_everyones_observations_or_on_ones_own() -> None:
    s = SharedSurrogate()
    rng = np.random.default_rng(1)
    for i in range(12):
        s.observe(f"w{i % 3}", rng.normal(size=2), float(i))
    assert [s.seen_from(w) for w in ("w0", "w1", "w2")] == [4, 4, 4]
    assert len(s.surrogate(None, 1.0).x) == 12
    assert len(s.surrogate("w1", 1.0).x) == 4
    assert s.best()[1] == 0.0 and s.best("w2")[1] == 2.0
    near = s.surrogate(None, 1.0, centre=s.points[5], limit=3)
    assert len(near.x) == 3 and any(np.array_equal(row, s.points[5]) for row in near.x)
    distances = np.sort([np.sum((p - s.points[5]) ** 2) for p in s.points])
    assert max(np.sum((near.x - s.points[5]) ** 2, axis=1)) == pytest.approx(distances[2])
    with pytest.raises(QnetError, match="no observation from 'w9'"):
        s.best("w9")
