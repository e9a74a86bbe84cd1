"""BBPSSW and DEJMPS against their published closed forms; recurrence rounds to a target fidelity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnet_dqnn.physics.bell_diagonal import werner_state
from qnet_dqnn.physics.density import pair_fidelity, pair_from_bell_diagonal, purify_pairs
from qnet_dqnn.physics.purification import bbpssw, bbpssw_fixed_point, dejmps, purify, purify_many, purify_until

bell_coeffs = (
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)
    .filter(lambda v: sum(v) > 1e-3)
    .map(lambda v: np.array(v) / sum(v))
)


def bbpssw_published(f: float) -> tuple[float, float]:
    """Bennett et al., PRL 76, 722 (1996): success probability and output fidelity for equal Werner inputs."""
    p = f**2 + 2 * f * (1 - f) / 3 + 5 * (1 - f) ** 2 / 9
    return p, (f**2 + (1 - f) ** 2 / 9) / p


def bbpssw_two_inputs(f1: float, f2: float) -> tuple[float, float]:
    """BBPSSW for different Werner inputs (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 5.1)."""
    r1, r2 = (1 - f1) / 3, (1 - f2) / 3
    p = f1 * f2 + f1 * r2 + r1 * f2 + 5 * r1 * r2
    return p, (f1 * f2 + r1 * r2) / p


def dejmps_published(c1: np.ndarray, c2: np.ndarray) -> tuple[float, np.ndarray]:
    """Deutsch et al., PRL 77, 2818 (1996) in the paper's labels A, B, C, D = Phi+, Psi-, Psi+, Phi-."""
    a1, b1, cc1, d1 = c1[0], c1[3], c1[1], c1[2]  # our order is Phi+, Psi+, Phi-, Psi-
    a2, b2, cc2, d2 = c2[0], c2[3], c2[1], c2[2]
    n = (a1 + b1) * (a2 + b2) + (cc1 + d1) * (cc2 + d2)
    a = (a1 * a2 + b1 * b2) / n
    b = (cc1 * d2 + d1 * cc2) / n
    c = (cc1 * cc2 + d1 * d2) / n
    d = (a1 * b2 + b1 * a2) / n
    return n, np.array([a, c, d, b])  # back to our order


@pytest.mark.parametrize("f", [0.55, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0])
def test_bbpssw_matches_published_formula(f: float) -> None:
    p, f_out = bbpssw_published(f)
    r = bbpssw(werner_state(f), werner_state(f))
    assert r.success_probability == pytest.approx(p, abs=1e-14)
    assert r.fidelity == pytest.approx(f_out, abs=1e-14)
    np.testing.assert_allclose(r.coefficients, werner_state(f_out), atol=1e-14)  # output in Werner form


@pytest.mark.parametrize(("f1", "f2"), [(0.9, 0.7), (0.6, 0.95), (0.8, 0.55)])
def test_bbpssw_with_different_inputs(f1: float, f2: float) -> None:
    p, f_out = bbpssw_two_inputs(f1, f2)
    r = bbpssw(werner_state(f1), werner_state(f2))
    assert r.success_probability == pytest.approx(p, abs=1e-14)
    assert r.fidelity == pytest.approx(f_out, abs=1e-14)


def test_bbpssw_twirls_non_werner_inputs_first() -> None:
    c = np.array([0.8, 0.2, 0.0, 0.0])
    r = bbpssw(c, c)
    p, f_out = bbpssw_published(0.8)
    assert (r.success_probability, r.fidelity) == pytest.approx((p, f_out), abs=1e-14)


@pytest.mark.parametrize(
    ("c1", "c2"),
    [
        ([0.8, 0.1, 0.05, 0.05], [0.8, 0.1, 0.05, 0.05]),
        ([0.7, 0.0, 0.3, 0.0], [0.7, 0.0, 0.3, 0.0]),
        ([0.6, 0.2, 0.1, 0.1], [0.9, 0.02, 0.05, 0.03]),
        ([0.5, 0.0, 0.0, 0.5], [0.75, 0.05, 0.1, 0.1]),
        ([0.25, 0.25, 0.25, 0.25], [0.99, 0.0, 0.01, 0.0]),
    ],
)
def test_dejmps_matches_published_map(c1: list[float], c2: list[float]) -> None:
    n, expected = dejmps_published(np.array(c1), np.array(c2))
    r = dejmps(np.array(c1), np.array(c2))
    assert r.success_probability == pytest.approx(n, abs=1e-14)
    np.testing.assert_allclose(r.coefficients, expected, atol=1e-14)


def test_dejmps_on_phase_noise() -> None:
    # (A, B, C, D) = (F, 0, 0, 1 - F) in the paper's labels gives A' = F^2/N, C' = (1 - F)^2/N, B' = D' = 0
    f = 0.8
    r = dejmps(np.array([f, 0.0, 1 - f, 0.0]), np.array([f, 0.0, 1 - f, 0.0]))
    assert r.fidelity == pytest.approx(f**2 / (f**2 + (1 - f) ** 2), abs=1e-14)


@pytest.mark.parametrize("f", [0.6, 0.75, 0.9])
def test_dejmps_on_werner_first_round_equals_bbpssw(f: float) -> None:
    a, b = dejmps(werner_state(f), werner_state(f)), bbpssw(werner_state(f), werner_state(f))
    assert a.success_probability == pytest.approx(b.success_probability, abs=1e-14)
    assert a.fidelity == pytest.approx(b.fidelity, abs=1e-14)


@given(bell_coeffs, bell_coeffs, st.floats(0.0, 0.5), st.floats(0.0, 0.5), st.sampled_from(["bbpssw", "dejmps"]))
@settings(max_examples=50, deadline=None)
def test_purification_outputs_are_distributions(
    c1: np.ndarray, c2: np.ndarray, dep: float, readout: float, protocol: str
) -> None:
    r = purify(c1, c2, protocol, gate_depolarizing=dep, readout_error=readout)  # type: ignore[arg-type]
    assert 0.0 <= r.success_probability <= 1.0 + 1e-12
    if r.success_probability > 1e-12:
        assert r.coefficients.min() >= -1e-12
        assert r.coefficients.sum() == pytest.approx(1.0, abs=1e-12)


def test_noisy_bbpssw_matches_density_circuit_and_has_a_fixed_point_below_one() -> None:
    f_star = bbpssw_fixed_point(gate_depolarizing=0.02, readout_error=0.01)
    assert 0.9 < f_star < 0.99
    assert bbpssw_fixed_point() == pytest.approx(1.0, abs=1e-5)
    rho = pair_from_bell_diagonal(werner_state(f_star))
    exact = purify_pairs(rho, rho, "bbpssw", gate_depolarizing=0.02, readout_error=0.01)
    assert pair_fidelity(exact.state) == pytest.approx(f_star, abs=1e-9)


def test_purify_until_reaches_target_and_counts_pairs() -> None:
    c0 = werner_state(0.75)
    plan = purify_until(c0, 0.97, "dejmps")
    assert plan.status == "reached" and plan.reached
    # replay by hand
    c, expected, fids = c0, 1.0, [0.75]
    for _ in range(plan.rounds):
        r = dejmps(c, c)
        c, expected = r.coefficients, expected * 2 / r.success_probability
        fids.append(r.fidelity)
    assert fids[-2] < 0.97 <= fids[-1]
    np.testing.assert_allclose(plan.coefficients, c, atol=1e-14)
    assert plan.expected_pairs == pytest.approx(expected, rel=1e-12)
    assert plan.fidelities == pytest.approx(tuple(fids))
    assert plan.expected_pairs >= 2**plan.rounds
    assert len(plan.success_probabilities) == plan.rounds


def test_dejmps_needs_fewer_rounds_than_bbpssw() -> None:
    c0 = werner_state(0.7)
    d, b = purify_until(c0, 0.99, "dejmps"), purify_until(c0, 0.99, "bbpssw")
    assert d.reached and b.reached
    assert d.rounds < b.rounds
    assert d.expected_pairs < b.expected_pairs


def test_purify_until_gives_up_with_a_status() -> None:
    assert purify_until(werner_state(0.5), 0.9).status == "not_distillable"
    assert purify_until(werner_state(0.95), 0.9).status == "already_reached"
    assert purify_until(werner_state(0.95), 0.9).rounds == 0
    capped = purify_until(werner_state(0.7), 0.999, max_rounds=1)
    assert capped.status == "max_rounds" and capped.rounds == 1 and not capped.reached
    f_star = bbpssw_fixed_point(gate_depolarizing=0.03)
    stuck = purify_until(
        werner_state(0.8), min(1.0, f_star + 0.01), "bbpssw", gate_depolarizing=0.03, max_rounds=10_000
    )
    assert stuck.status == "no_progress"
    assert stuck.fidelities[-1] < f_star + 1e-6
    assert math.isfinite(stuck.expected_pairs)
    with pytest.raises(ValueError, match="protocol"):
        purify(c1 := werner_state(0.9), c1, "nope")  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", ["bbpssw", "dejmps"])
def test_a_round_on_many_pairs_is_the_round_row_by_row(protocol: str) -> None:
    rng = np.random.default_rng(5)
    c, d = rng.dirichlet(np.ones(4) * 3, size=(2, 3)), rng.dirichlet(np.ones(4) * 3, size=(2, 3))
    p, out = purify_many(c, d, protocol, 0.01, 0.02)  # type: ignore[arg-type]
    assert p.shape == (2, 3) and out.shape == (2, 3, 4)
    for i in range(2):
        for j in range(3):
            one = purify(c[i, j], d[i, j], protocol, gate_depolarizing=0.01, readout_error=0.02)  # type: ignore[arg-type]
            assert p[i, j] == pytest.approx(one.success_probability, abs=1e-15)
            np.testing.assert_allclose(out[i, j], one.coefficients, atol=1e-15)
    # and the first row against DEJMPS's own formula (Deutsch et al. 1996, Eq. (4)) for perfect operations
    if protocol == "dejmps":
        p0, out0 = purify_many(c[0, 0], d[0, 0], "dejmps")
        (a1, c1, d1, b1), (a2, c2, d2, b2) = c[0, 0], d[0, 0]  # (Phi+, Psi+, Phi-, Psi-) = (A, C, D, B)
        n = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
        assert p0 == pytest.approx(n, abs=1e-15) and out0[0] == pytest.approx((a1 * a2 + b1 * b2) / n, abs=1e-15)
