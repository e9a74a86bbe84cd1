"""Fiber, heralding and Bell-diagonal formulas against their closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.physics import (
    attempt_period_s,
    attempt_success_probability,
    bell_diagonal_density_matrix,
    classical_hop_delay_s,
    fidelity_from_werner,
    heralding_time_s,
    pauli_channel_on_pair,
    propagation_delay_s,
    storage_before_herald_s,
    transmissivity,
    werner_parameter,
    werner_state,
)
from qnet_dqnn.physics.bell_diagonal import BELL_VECTORS

PAULIS = [np.eye(2), np.array([[0, 1], [1, 0]]), np.diag([1, -1]), np.array([[0, -1j], [1j, 0]])]


@pytest.mark.parametrize(
    "length_km, alpha, expected", [(0.0, 0.2, 1.0), (50.0, 0.2, 0.1), (100.0, 0.2, 0.01), (10.0, 0.3, 10**-0.3)]
)
def test_transmissivity_follows_the_db_law(length_km: float, alpha: float, expected: float) -> None:
    assert transmissivity(length_km, alpha) == pytest.approx(expected, rel=1e-12)


def test_classical_hop_delay_adds_its_four_terms() -> None:
    delay = classical_hop_delay_s(40.0, 8_000_000, 1e9, processing_s=1e-5, extra_latency_s=2e-5)
    assert delay == pytest.approx(1e-5 + 2e-5 + 40.0 / 2e5 + 8e-3, rel=1e-12)


def test_midpoint_success_is_half_the_two_photon_coincidence() -> None:
    eta = transmissivity(10.0, 0.2)
    p = attempt_success_probability("midpoint", eta, 0.75, 0.8)
    assert p == pytest.approx(0.5 * (0.75 * 0.8) ** 2 * eta, rel=1e-12)


def test_multiplexing_is_one_minus_all_modes_failing() -> None:
    single = attempt_success_probability("at_node", 0.01, 0.5, 0.9)
    assert attempt_success_probability("at_node", 0.01, 0.5, 0.9, multiplexing=50) == pytest.approx(
        1 - (1 - single) ** 50, rel=1e-12
    )


def test_heralding_timing_per_model() -> None:
    one_way = propagation_delay_s(20.0)
    assert heralding_time_s("midpoint", 20.0) == pytest.approx(one_way)
    assert heralding_time_s("at_node", 20.0) == pytest.approx(2 * one_way)
    assert storage_before_herald_s("at_node", 20.0) == pytest.approx((2 * one_way, one_way))
    assert attempt_period_s("midpoint", 20.0, 1e3) == pytest.approx(1e-3)  # source-limited
    assert attempt_period_s("midpoint", 20.0, 1e6) == pytest.approx(one_way)  # herald-limited


def test_unknown_heralding_model_is_rejected() -> None:
    with pytest.raises(ValueError, match="heralding model"):
        attempt_success_probability("teleporter", 0.5, 1.0, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("fidelity", [0.25, 0.5, 0.935, 1.0])
def test_werner_parameter_round_trip_and_density_matrix(fidelity: float) -> None:
    w = werner_parameter(fidelity)
    assert fidelity_from_werner(w) == pytest.approx(fidelity)
    rho = bell_diagonal_density_matrix(werner_state(fidelity))
    expected = w * np.outer(BELL_VECTORS[0], BELL_VECTORS[0]) + (1 - w) * np.eye(4) / 4
    np.testing.assert_allclose(rho, expected, atol=1e-12)
    assert np.trace(rho).real == pytest.approx(1.0)


def test_pauli_channel_on_pair_matches_the_density_matrix_action() -> None:
    rng = np.random.default_rng(5)
    coefficients = rng.dirichlet(np.ones(4))
    probabilities = rng.dirichlet(np.ones(4))
    rho = bell_diagonal_density_matrix(coefficients)
    for qubit in (0, 1):
        out = sum(
            p
            * np.kron(*([P, np.eye(2)] if qubit == 0 else [np.eye(2), P]))
            @ rho
            @ np.kron(*([P, np.eye(2)] if qubit == 0 else [np.eye(2), P])).conj().T
            for p, P in zip(probabilities, PAULIS, strict=True)
        )
        fast = bell_diagonal_density_matrix(pauli_channel_on_pair(coefficients, probabilities))
        np.testing.assert_allclose(out, fast, atol=1e-12)
    assert math.isclose(pauli_channel_on_pair(coefficients, probabilities).sum(), 1.0)
