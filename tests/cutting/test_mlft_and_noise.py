"""Maximum-likelihood fragment tomography against direct reconstruction, and noisy fragments."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.cutting import (
    CutError,
    CutPlan,
    GateCut,
    WireCut,
    evaluate_cut,
    evaluate_cut_gradient,
    mlft_distribution,
    total_variation,
)
from qnet_dqnn.quantum import Circuit, NoiseModel, QPUTiming, Trainable, dm_expectation, probabilities


def _circuit() -> Circuit:
    c = Circuit(4)
    for q in range(4):
        c.ry(q, 0.4 + 0.5 * q)
    return c.cx(0, 1).cx(1, 2).rz(2, 0.3).cx(2, 3).ry(1, 0.7).cx(0, 1)


def test_mlft_is_a_distribution_and_more_accurate_than_direct_reconstruction() -> None:
    c = _circuit()
    plan = CutPlan(c, (WireCut(2, 6),))
    exact = probabilities(c)[0]
    tvd_ml, tvd_direct, negative = [], [], 0
    for seed in range(6):
        p, direct = mlft_distribution(plan, None, None, 200, np.random.default_rng(seed), direct=True)
        assert p.min() >= 0.0 and p.sum() == pytest.approx(1.0)
        negative += int(direct.min() < 0)
        tvd_ml.append(total_variation(p, exact))
        tvd_direct.append(total_variation(direct, exact))
    assert negative > 0  # the direct estimate does leave the simplex
    assert np.mean(tvd_ml) < np.mean(tvd_direct)


def test_mlft_converges_to_the_exact_distribution() -> None:
    c = _circuit()
    p = mlft_distribution(CutPlan(c, (WireCut(2, 6),)), None, None, 10**7, np.random.default_rng(0))
    assert total_variation(p, probabilities(c)[0]) < 2e-3


def test_mlft_refuses_gate_cuts() -> None:
    with pytest.raises(CutError, match="Peng wire cuts only"):
        mlft_distribution(CutPlan(_circuit(), (GateCut(5),)), None, None, 10, np.random.default_rng(0))


NOISE = NoiseModel(p1=0.01, p2=0.04, readout=0.02)
TIMING = QPUTiming()


def test_noise_free_noise_model_gives_the_exact_value() -> None:
    c = _circuit()
    plan = CutPlan(c, (GateCut(5), WireCut(3, 7)))
    obs = ["Z0 Z3", "X1", "Z2"]
    ideal = evaluate_cut(plan, observable=obs).value
    noisy = evaluate_cut(plan, observable=obs, noise=NoiseModel(), timing=TIMING).value
    np.testing.assert_allclose(noisy, ideal, atol=1e-12)


def test_a_single_fragment_under_noise_equals_the_density_matrix_of_the_noisy_circuit() -> None:
    c = _circuit()
    obs = ["Z0 Z3", "X1", "Z2"]
    ours = evaluate_cut(CutPlan(c, ()), observable=obs, noise=NOISE, timing=TIMING).value
    ref = dm_expectation(NOISE.apply(c, TIMING), obs, readout=NOISE.readout)
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_noisy_fragments_are_biased_and_sampling_converges_to_the_noisy_value() -> None:
    c = _circuit()
    plan = CutPlan(c, (GateCut(5),))
    obs = ["Z1 Z2"]
    ideal = evaluate_cut(plan, observable=obs).value[0, 0]
    noisy = evaluate_cut(plan, observable=obs, noise=NOISE, timing=TIMING).value[0, 0]
    assert abs(noisy - ideal) > 1e-2  # the bias the noise causes
    rng = np.random.default_rng(4)
    est = [
        evaluate_cut(plan, observable=obs, shots=200, rng=rng, noise=NOISE, timing=TIMING).value[0, 0]
        for _ in range(30)
    ]
    assert abs(np.mean(est) - noisy) < 4 * np.std(est, ddof=1) / np.sqrt(len(est))


def _trainable_circuit() -> Circuit:
    c = Circuit(4)
    for q in range(4):
        c.ry(q, Trainable(q)).rz(q, Trainable(4 + q, 0.5))
    c.cx(0, 1).cx(1, 2).rzz(2, 3, Trainable(8)).cx(2, 3).ry(1, Trainable(1)).cx(0, 1)
    return c


@pytest.mark.parametrize("cuts", [(), (GateCut(10),), (GateCut(10), WireCut(3, 11))])
def test_noisy_cut_gradient_equals_finite_differences_of_the_noisy_density_matrix(cuts) -> None:
    c = _trainable_circuit()
    theta = np.random.default_rng(2).uniform(-1, 1, c.num_trainable)
    obs = ["Z0 Z3", "X1", "Z2"]
    plan = CutPlan(c, cuts)
    got = evaluate_cut_gradient(plan, theta, observable=obs, noise=NOISE, timing=TIMING)
    noisy = NOISE.apply(c, TIMING)  # the uncut noisy circuit: a reference only when nothing is cut
    if not cuts:
        np.testing.assert_allclose(got.value, dm_expectation(noisy, obs, theta, readout=NOISE.readout), atol=1e-12)
    h, fd = 1e-5, np.zeros_like(got.jacobian)
    for i in range(theta.size):
        e = np.eye(theta.size)[i] * h
        up = evaluate_cut(plan, theta + e, observable=obs, noise=NOISE, timing=TIMING).value
        down = evaluate_cut(plan, theta - e, observable=obs, noise=NOISE, timing=TIMING).value
        fd[..., i] = (up - down) / (2 * h)
    np.testing.assert_allclose(got.jacobian, fd, atol=1e-7)


@pytest.mark.parametrize("sweep_reals", [None, 2 * 4**3])  # 2: the read strings swept two at a time
def test_noisy_read_distributions_equal_the_density_matrix_shifted_or_not(sweep_reals, monkeypatch) -> None:
    from qnet_dqnn.cutting import evaluation
    from qnet_dqnn.cutting.evaluation import _noisy_read_distributions
    from qnet_dqnn.quantum import density_matrix

    if sweep_reals is not None:
        monkeypatch.setattr(evaluation, "_SWEEP_REALS", sweep_reals)

    c = Circuit(3)
    for q in range(3):
        c.ry(q, Trainable(q))
    c.cx(0, 1).rzz(0, 2, Trainable(3)).rx(1, Trainable(4, 0.5)).cx(1, 2)
    noisy, theta, read = NOISE.apply(c, TIMING), np.array([0.3, -0.7, 1.1, 0.4, -0.9]), [0, 2]
    shifts = [None, (3, np.pi / 2), (4, -np.pi / 2)]
    got = _noisy_read_distributions(noisy, read, theta, None, shifts, NOISE.readout)
    flip = np.array([[1 - NOISE.readout, NOISE.readout], [NOISE.readout, 1 - NOISE.readout]])
    for sh, dist in zip(shifts, got, strict=True):
        t = theta.copy()
        if sh is not None:
            t[sh[0]] += sh[1] / (0.5 if sh[0] == 4 else 1.0)
        p = np.real(np.diagonal(density_matrix(noisy, t)[0])).reshape(2, 2, 2).sum(axis=1)  # qubit 1 unread
        ref = np.einsum("ab,cd,ac->bd", flip, flip, p)
        ours = dist[0].reshape(2, 2, 2)
        assert ours[:, 1, :].sum() == 0.0  # the unread qubit is reported as 0
        np.testing.assert_allclose(ours.sum(axis=1), ref, atol=1e-12)
