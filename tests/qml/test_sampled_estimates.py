"""A model's finite-shot estimates over many seeds: unbiased, with the binomial variance (1 − ⟨Z⟩²)/S of each
value and the parameter-shift variance Σ [(1 − E₊²) + (1 − E₋²)]/(4S) of each gradient entry."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.qml.datasets import blobs
from qnet_dqnn.qml.encodings import AngleEncoding
from qnet_dqnn.qml.models import QNNModel
from qnet_dqnn.qml.optimizers import Adam
from qnet_dqnn.qml.training import TrainingSession
from qnet_dqnn.quantum import ShotTally
from qnet_dqnn.quantum.gradients import expand_occurrences
from qnet_dqnn.quantum.noise import NoiseModel

SHOTS = 200
SEEDS = 15
REPEATS = 100  # each input repeated in the batch: every row is its own draw
DRAWS = SEEDS * REPEATS
# the sample variance of n normal-ish draws has relative standard deviation sqrt(2/(n-1)) ≈ 0.037 here
VAR_REL = 5 * np.sqrt(2 / (DRAWS - 1))
NOISE = {"ideal": None, "noisy": NoiseModel(p1=0.01, p2=0.03, readout=0.05)}


def _setup() -> tuple[QNNModel, np.ndarray, np.ndarray]:
    model = QNNModel(AngleEncoding(3), hardware_efficient(3, 1))
    params = model.init_params(np.random.default_rng(11))
    x = np.array([[0.3, 1.2, 2.5], [2.9, 0.4, 1.7]])
    return model, params, x


@pytest.mark.parametrize("noise", sorted(NOISE))
def test_value_estimates_have_the_binomial_variance(noise: str) -> None:
    model, params, x = _setup()
    exact = model.expectations(params, x, noise=NOISE[noise])[:, 0]
    rows = np.tile(x, (REPEATS, 1))
    draws = np.concatenate(
        [
            model.expectations(params, rows, noise=NOISE[noise], shots=SHOTS, rng=np.random.default_rng(s))
            for s in range(SEEDS)
        ]
    )[:, 0].reshape(DRAWS, len(x))
    var = (1 - exact**2) / SHOTS
    assert np.all(np.abs(draws.mean(axis=0) - exact) < 5 * np.sqrt(var / DRAWS))
    np.testing.assert_allclose(draws.var(axis=0, ddof=1), var, rtol=VAR_REL)


def test_gradient_estimates_have_the_parameter_shift_variance() -> None:
    model, params, x = _setup()
    circuit, origin, scales = expand_occurrences(model.circuit)
    assert np.array_equal(np.sort(origin), np.arange(model.num_params)) and np.all(scales == 1.0)
    # the exact value of every shifted circuit: E(θ ± π/2 e_p) for each parameter p and input b
    shifted = np.empty((2, model.num_params, len(x)))
    for p in range(model.num_params):
        for i, sign in enumerate((1, -1)):
            theta = params.copy()
            theta[p] += sign * np.pi / 2
            shifted[i, p] = model.expectations(theta, x)[:, 0]
    exact_jac = (shifted[0] - shifted[1]).T / 2  # (B, P)
    var = ((1 - shifted[0] ** 2) + (1 - shifted[1] ** 2)).T / (4 * SHOTS)
    rows = np.tile(x, (REPEATS, 1))
    draws = np.concatenate(
        [model.jacobian(params, rows, shots=SHOTS, rng=np.random.default_rng(s))[1][:, 0, :] for s in range(SEEDS)]
    ).reshape(DRAWS, len(x), model.num_params)
    assert np.all(np.abs(draws.mean(axis=0) - exact_jac) < 5 * np.sqrt(var / DRAWS))
    np.testing.assert_allclose(draws.var(axis=0, ddof=1), var, rtol=VAR_REL)


def test_a_gradient_draws_the_circuits_a_qpu_runs() -> None:
    model, params, x = _setup()
    tally = ShotTally()
    model.loss_and_grad(params, x, np.array([0, 1]), shots=SHOTS, rng=np.random.default_rng(0), tally=tally)
    circuits = len(x) * (1 + 2 * model.num_params)  # forward + two shifted circuits per parameter, per input
    assert (tally.circuits, tally.shots) == (circuits, circuits * SHOTS)


def test_exact_training_charges_what_sampled_training_charges_and_draws_nothing() -> None:
    data = blobs(40, num_features=3, seed=1)
    sessions = {
        est: TrainingSession(
            QNNModel(AngleEncoding(3), hardware_efficient(3, 1)),
            data,
            Adam(0.1),
            batch_size=4,
            shots=SHOTS,
            estimator=est,
            seed=3,
        )
        for est in ("sampled", "exact")
    }
    for _ in range(3):
        records = {est: s.step() for est, s in sessions.items()}
        assert records["sampled"].shots == records["exact"].shots
        assert records["sampled"].qpu_time_s == records["exact"].qpu_time_s
    assert sessions["exact"].sampled.shots == 0
    assert sessions["sampled"].sampled.shots == sessions["sampled"].history.cost.shots
    assert not np.allclose(sessions["sampled"].params, sessions["exact"].params)


def test_a_bad_estimator_or_shot_count_names_the_argument() -> None:
    model, data = QNNModel(AngleEncoding(3), hardware_efficient(3, 1)), blobs(40, num_features=3, seed=1)
    with pytest.raises(QnetError, match="^estimator: must be one of"):
        TrainingSession(model, data, Adam(0.1), estimator="approximate")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(QnetError, match="^shots: must be an integer >= 1"):
            TrainingSession(model, data, Adam(0.1), shots=bad)
