"""Coresets: what their weights sum to, how points are drawn, and the weighted loss a coreset trains on."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import AngleEncoding, QNNModel, hardware_efficient, moons
from qnet_dqnn.qml.coresets import build_coreset, class_allocation, lightweight_probabilities


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    d = moons(200, num_features=2, seed=3)
    return d.x_train, d.y_train


@pytest.mark.parametrize("method", ["lightweight", "uniform"])
@pytest.mark.parametrize("size", [2, 7, 40, 150])
def test_weights_sum_to_the_data_set_size_class_by_class(data, method: str, size: int) -> None:
    x, y = data
    c = build_coreset(x, y, size, method, np.random.default_rng(size))
    assert c.size == size == len(np.unique(c.indices))
    assert np.all(c.weights > 0)
    assert c.weights.sum() == pytest.approx(len(x), rel=1e-12)
    for label in (0, 1):
        mine = y[c.indices] == label
        assert c.weights[mine].sum() == pytest.approx(np.sum(y == label), rel=1e-12)


def test_imbalanced_three_class_set_keeps_every_class() -> None:
    rng = np.random.default_rng(0)
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    x = rng.normal(size=(100, 3))
    for method in ("lightweight", "uniform"):
        c = build_coreset(x, y, 5, method, rng)
        assert sorted(np.unique(y[c.indices])) == [0, 1, 2]
        assert [c.weights[y[c.indices] == k].sum() for k in range(3)] == pytest.approx([90, 8, 2])


def test_allocation_is_proportional_by_largest_remainder() -> None:
    assert class_allocation(np.array([60, 30, 10]), 10).tolist() == [6, 3, 1]
    assert class_allocation(np.array([50, 50]), 3).tolist() == [2, 1]
    assert class_allocation(np.array([98, 1, 1]), 3).tolist() == [1, 1, 1]  # every class present


def test_a_uniform_coreset_of_the_whole_set_is_the_set_with_unit_weights(data) -> None:
    x, y = data
    c = build_coreset(x, y, len(x), "uniform", np.random.default_rng(1))
    assert c.indices.tolist() == list(range(len(x)))
    assert np.allclose(c.weights, 1.0, atol=1e-12)


def test_lightweight_distribution_closed_forms() -> None:
    # four points at distances 0, 1, 1, 2 from their mean (1, 0): q = 1/8 + d²/(2·6)
    x = np.array([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 2.0], [1.0, -2.0]])
    d2 = np.array([0.0, 1.0, 1.0, 4.0, 4.0])
    assert lightweight_probabilities(x) == pytest.approx(0.5 / 5 + 0.5 * d2 / d2.sum())
    assert lightweight_probabilities(np.ones((4, 2))) == pytest.approx([0.25] * 4)


def test_lightweight_draws_far_points_as_often_as_q_says() -> None:
    # one class of 5 points; coresets of 1 point: P(point i) = q_i exactly, and its weight is the class size
    x = np.array([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 2.0], [1.0, -2.0]])
    y = np.zeros(5, dtype=int)
    q = lightweight_probabilities(x)
    rng = np.random.default_rng(7)
    picks = np.array([build_coreset(x, y, 1, "lightweight", rng).indices[0] for _ in range(2000)])
    freq = np.bincount(picks, minlength=5) / len(picks)
    assert np.all(np.abs(freq - q) < 4 * np.sqrt(q * (1 - q) / len(picks)))
    far, near = freq[3] + freq[4], freq[0]
    assert far > 5 * near  # the points 2 away are drawn far more often than the one on the mean


def test_weighted_coreset_sums_estimate_the_full_sum(data) -> None:
    # the self-normalised estimator of Σ f(x) over a class: averaged over coresets it sits within 2 % here
    x, y = data
    f = np.sin(3 * x[:, 0]) + x[:, 1] ** 2
    rng = np.random.default_rng(11)
    for method in ("lightweight", "uniform"):
        estimates = []
        for _ in range(300):
            c = build_coreset(x, y, 20, method, rng)
            estimates.append(float(c.weights @ f[c.indices]))
        assert np.mean(estimates) == pytest.approx(f.sum(), rel=0.02)


@pytest.mark.parametrize(
    "size, method, reason",
    [(0, "uniform", "coreset size must be in [1, 150]"), (151, "uniform", "(got 151)"), (5, "kmeans", "method")],
)
def test_bad_sizes_and_methods_are_refused(data, size: int, method: str, reason: str) -> None:
    x, y = data
    with pytest.raises(QnetError, match=None) as info:
        build_coreset(x, y, size, method, np.random.default_rng(0))  # type: ignore[arg-type]
    assert reason in str(info.value)


def test_integer_weights_equal_repeated_samples() -> None:
    """The weighted loss with weights (2, 1, 3) is the plain mean loss over the batch with rows repeated so."""
    model = QNNModel(encoding=AngleEncoding(2), ansatz=hardware_efficient(2, 2))
    rng = np.random.default_rng(4)
    params = model.init_params(rng)
    x = rng.uniform(0, np.pi, size=(3, 2))
    y = np.array([0, 1, 1])
    repeat = np.array([0, 0, 1, 2, 2, 2])
    loss_w, grad_w = model.loss_and_grad(params, x, y, np.array([2.0, 1.0, 3.0]))
    loss_r, grad_r = model.loss_and_grad(params, x[repeat], y[repeat])
    assert loss_w == pytest.approx(loss_r, abs=1e-12)
    assert np.allclose(grad_w, grad_r, atol=1e-12)
    with pytest.raises(QnetError, match="weights must be 3 finite values"):
        model.loss_and_grad(params, x, y, np.array([1.0, -1.0, 1.0]))
