"""Finite-shot statistics, timing and accounting."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.quantum.gradients import exact_evaluator, parameter_shift_jacobian
from qnet_dqnn.quantum.shots import (
    QPUTiming,
    circuit_duration,
    forward_cost,
    gradient_cost,
    sample_counts,
    sample_expectation,
    shot_evaluator,
)


@pytest.mark.parametrize("value", [0.0, 0.6, -0.9])
def test_shot_estimate_mean_and_variance(value: float) -> None:
    rng = np.random.default_rng(0)
    shots, repeats = 100, 20000
    est = sample_expectation(np.full(repeats, value), shots, rng)
    var = (1 - value**2) / shots
    assert est.mean() == pytest.approx(value, abs=4 * np.sqrt(var / repeats))
    assert est.var() == pytest.approx(var, rel=0.05)


def test_readout_error_biases_mean() -> None:
    rng = np.random.default_rng(1)
    est = sample_expectation(np.full(20000, 0.8), 200, rng, readout=0.1, weight=2)
    assert est.mean() == pytest.approx(0.8 * 0.8**2, abs=0.005)


def test_sample_counts_sum_to_shots() -> None:
    counts = sample_counts(np.array([[0.5, 0.5, 0, 0], [0, 0, 0, 1]]), 1000, np.random.default_rng(2))
    assert counts.sum(axis=1).tolist() == [1000, 1000]
    assert counts[1, 3] == 1000


def test_finite_shot_gradient_is_noisy_and_unbiased() -> None:
    c = Circuit(1).ry(0, Trainable(0)).rz(0, Trainable(1))
    theta = np.array([0.7, 0.3])
    exact = parameter_shift_jacobian(c, ["Z0"], theta)[0, 0]
    rng = np.random.default_rng(3)
    ev = shot_evaluator(exact_evaluator(["Z0"]), ["Z0"], 100, rng)
    samples = np.array([parameter_shift_jacobian(c, ["Z0"], theta, evaluator=ev)[0, 0] for _ in range(2000)])
    assert samples.std(axis=0)[0] > 0.01
    # var of (f+ - f-)/2 = [(1-f+^2) + (1-f-^2)] / (4 S)
    fp, fm = np.cos(0.7 + np.pi / 2), np.cos(0.7 - np.pi / 2)
    assert samples[:, 0].var() == pytest.approx((2 - fp**2 - fm**2) / 400, rel=0.1)
    assert samples.mean(axis=0) == pytest.approx(exact, abs=0.01)


def test_duration_and_accounting() -> None:
    c = Circuit(3).h(0).h(1).cx(0, 1).ry(2, Trainable(0)).ry(0, Trainable(1))
    timing = QPUTiming(t1q_s=20e-9, t2q_s=200e-9, tmeas_s=1e-6)
    # layers: [h0, h1, ry2] 20 ns; [cx] 200 ns; [ry0] 20 ns; + measurement
    assert circuit_duration(c, timing) == pytest.approx(20e-9 + 200e-9 + 20e-9 + 1e-6)
    f = forward_cost(c, 10, 100, timing)
    g = gradient_cost(c, 10, 100, timing)
    assert (f.circuits, f.shots) == (10, 1000)
    assert (g.circuits, g.shots) == (2 * 2 * 10, 4000)
    assert (f + g).qpu_time_s == pytest.approx(5000 * circuit_duration(c, timing))
    assert (f + g).qpu_ticks == round(5000 * circuit_duration(c, timing) * 1e9)
