"""Swapping Bell-diagonal pairs: XOR-convolution, Werner products, Pauli frames, chain closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnet_dqnn.physics.bell_diagonal import BELL_VECTORS, werner_parameter, werner_state
from qnet_dqnn.physics.density import (
    BELL_PROJECTORS,
    apply_operator,
    bell_coefficients,
    pair_from_bell_diagonal,
    partial_trace,
    swap_pairs,
)
from qnet_dqnn.physics.swapping import (
    PERFECT_BSM,
    BellMeasurement,
    apply_pauli_frame,
    chain_bell_coefficients,
    chain_fidelity,
    chain_success_probability,
    chain_werner_parameter,
    combine_frames,
    correction_for_outcome,
    outcome_bits,
    swap_bell_diagonal,
    swap_outcome_probabilities,
    swap_werner,
    uncorrected_swap_output,
)

bell_coeffs = (
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)
    .filter(lambda v: sum(v) > 1e-3)
    .map(lambda v: np.array(v) / sum(v))
)


def xor_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(4)
    for i in range(4):
        for j in range(4):
            out[i ^ j] += a[i] * b[j]
    return out


@given(bell_coeffs, bell_coeffs)
@settings(max_examples=50, deadline=None)
def test_perfect_swap_is_xor_convolution_and_a_distribution(c1: np.ndarray, c2: np.ndarray) -> None:
    out = swap_bell_diagonal(c1, c2)
    np.testing.assert_allclose(out, xor_convolution(c1, c2), atol=1e-12)
    assert out.min() >= -1e-15
    assert out.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("f1", "f2"), [(1.0, 0.7), (0.9, 0.8), (0.6, 0.6), (0.25, 0.95)])
def test_swap_of_werner_pairs_gives_product_of_werner_parameters(f1: float, f2: float) -> None:
    w = werner_parameter(f1) * werner_parameter(f2)
    out = swap_bell_diagonal(werner_state(f1), werner_state(f2))
    np.testing.assert_allclose(out, [(3 * w + 1) / 4] + [(1 - w) / 4] * 3, atol=1e-12)
    assert swap_werner(werner_parameter(f1), werner_parameter(f2)) == pytest.approx(w, abs=1e-15)


@pytest.mark.parametrize(("dep", "readout"), [(0.0, 0.0), (0.1, 0.0), (0.0, 0.05), (0.2, 0.1)])
def test_imperfect_bsm_werner_factor_is_p2_times_4eta2_minus_1_over_3(dep: float, readout: float) -> None:
    # Dur, Briegel, Cirac & Zoller, PRA 59, 169 (1999), Eq. (9): w' = w1 w2 p2 (4 eta^2 - 1)/3 (fidelity)
    p2, eta = 1 - dep, 1 - readout
    bsm = BellMeasurement(depolarizing=dep, readout_error=readout)
    assert bsm.werner_factor == pytest.approx(p2 * (4 * eta**2 - 1) / 3, abs=1e-14)
    out = swap_bell_diagonal(werner_state(0.9), werner_state(0.8), bsm)
    w = werner_parameter(0.9) * werner_parameter(0.8) * p2 * (4 * eta**2 - 1) / 3
    assert out[0] == pytest.approx((3 * w + 1) / 4, abs=1e-12)
    assert swap_werner(werner_parameter(0.9), werner_parameter(0.8), bsm) == pytest.approx(w, abs=1e-14)
    if readout == 0.0:  # a depolarizing BSM keeps Werner form
        np.testing.assert_allclose(out, [(3 * w + 1) / 4] + [(1 - w) / 4] * 3, atol=1e-12)
    else:  # misread bits give X or Z errors more often than Y: not Werner
        assert out[1] > out[3] + 1e-4


def test_imperfect_bsm_matches_the_exact_path() -> None:
    c1, c2 = np.array([0.8, 0.1, 0.06, 0.04]), np.array([0.9, 0.02, 0.05, 0.03])
    bsm = BellMeasurement(depolarizing=0.07, readout_error=0.03)
    exact = swap_pairs(
        pair_from_bell_diagonal(c1), pair_from_bell_diagonal(c2), bsm_depolarizing=0.07, readout_error=0.03
    )
    np.testing.assert_allclose(bell_coefficients(exact.average), swap_bell_diagonal(c1, c2, bsm), atol=1e-12)


def test_bsm_from_fidelity_reports_the_right_bell_state_with_that_probability() -> None:
    bsm = BellMeasurement.from_fidelity(0.85, success_probability=0.5)
    # measure |Phi+><Phi+| on the exact path with that depolarizing: right outcome with probability 0.85
    phi = pair_from_bell_diagonal(np.array([1.0, 0, 0, 0]))
    dep = bsm.depolarizing
    rho = (1 - dep) * phi + dep * np.eye(4) / 4
    assert np.trace(BELL_PROJECTORS[0] @ rho).real == pytest.approx(0.85, abs=1e-12)
    assert bsm.success_probability == 0.5
    with pytest.raises(ValueError, match="bsm_fidelity"):
        BellMeasurement.from_fidelity(0.1)
    with pytest.raises(ValueError, match="depolarizing"):
        BellMeasurement(depolarizing=1.2)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("bsm", [PERFECT_BSM, BellMeasurement(0.5, 0.02, 0.0), BellMeasurement(0.5, 0.02, 0.01)])
def test_chain_of_identical_werner_links_matches_closed_form(n: int, bsm: BellMeasurement) -> None:
    f = 0.95
    c = werner_state(f)
    for _ in range(n - 1):  # swap link by link from one end
        c = swap_bell_diagonal(c, werner_state(f), bsm)
    np.testing.assert_allclose(chain_bell_coefficients(f, n, bsm), c, atol=1e-13)
    assert chain_fidelity(f, n, bsm) == pytest.approx(c[0], abs=1e-13)
    assert chain_werner_parameter(werner_parameter(f), n, bsm) == pytest.approx((4 * c[0] - 1) / 3, abs=1e-13)
    # Dur et al. (1999): w^n (p2 (4 eta^2 - 1)/3)^(n-1), which twirls after every swap
    w_dur = werner_parameter(f) ** n * ((1 - bsm.depolarizing) * (4 * (1 - bsm.readout_error) ** 2 - 1) / 3) ** (n - 1)
    if bsm.readout_error == 0.0 or n <= 2:
        assert chain_werner_parameter(werner_parameter(f), n, bsm) == pytest.approx(w_dur, abs=1e-13)
    else:
        assert chain_werner_parameter(werner_parameter(f), n, bsm) > w_dur + 1e-6
    if bsm is PERFECT_BSM:
        assert chain_werner_parameter(werner_parameter(f), n) == pytest.approx(werner_parameter(f) ** n, abs=1e-14)
    assert chain_success_probability(n, bsm) == pytest.approx(bsm.success_probability ** (n - 1))


def test_chain_nested_order_gives_the_same_end_state() -> None:
    # swapping is associative: (12)(34) equals ((12)3)4 for any Bell-diagonal links
    links = [
        np.array([0.9, 0.05, 0.03, 0.02]),
        np.array([0.8, 0.1, 0.05, 0.05]),
        np.array([0.85, 0.0, 0.15, 0.0]),
        np.array([0.7, 0.1, 0.1, 0.1]),
    ]
    seq = links[0]
    for link in links[1:]:
        seq = swap_bell_diagonal(seq, link)
    nested = swap_bell_diagonal(swap_bell_diagonal(links[0], links[1]), swap_bell_diagonal(links[2], links[3]))
    np.testing.assert_allclose(seq, nested, atol=1e-14)


def test_chain_of_three_links_on_the_exact_path_matches_closed_form() -> None:
    f = 0.9
    rho = pair_from_bell_diagonal(werner_state(f))
    out = swap_pairs(swap_pairs(rho, rho).average, rho).average
    w = werner_parameter(f) ** 3
    np.testing.assert_allclose(bell_coefficients(out), [(3 * w + 1) / 4] + [(1 - w) / 4] * 3, atol=1e-12)


@pytest.mark.parametrize("m", range(4))
def test_uncorrected_output_matches_explicit_bell_projection(m: int) -> None:
    c1, c2 = np.array([0.7, 0.1, 0.15, 0.05]), np.array([0.8, 0.05, 0.1, 0.05])
    rho = np.kron(pair_from_bell_diagonal(c1), pair_from_bell_diagonal(c2))  # A, B1, B2, C
    branch = partial_trace(apply_operator(rho, BELL_PROJECTORS[m], [1, 2], 4), [0, 3], 4)
    prob = np.trace(branch).real
    assert prob == pytest.approx(swap_outcome_probabilities(c1, c2)[m], abs=1e-12)
    np.testing.assert_allclose(bell_coefficients(branch / prob), uncorrected_swap_output(c1, c2, m), atol=1e-12)
    corrected = apply_pauli_frame(uncorrected_swap_output(c1, c2, m), correction_for_outcome(m))
    np.testing.assert_allclose(corrected, swap_bell_diagonal(c1, c2), atol=1e-14)


def test_phi_plus_with_outcome_m_leaves_pauli_m_on_the_outer_pair() -> None:
    phi = pair_from_bell_diagonal(np.array([1.0, 0.0, 0.0, 0.0]))
    rho = np.kron(phi, phi)
    for m in range(4):
        branch = partial_trace(apply_operator(rho, BELL_PROJECTORS[m], [1, 2], 4), [0, 3], 4)
        branch /= np.trace(branch)
        np.testing.assert_allclose(branch, np.outer(BELL_VECTORS[m], BELL_VECTORS[m].conj()), atol=1e-12)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=6))
@settings(max_examples=30, deadline=None)
def test_deferred_pauli_frame_equals_correcting_at_every_swap(outcomes: list[int]) -> None:
    links = [np.array([0.9, 0.04, 0.04, 0.02])] * (len(outcomes) + 1)
    corrected = links[0]
    uncorrected = links[0]
    frame = 0
    for link, m in zip(links[1:], outcomes, strict=True):
        corrected = swap_bell_diagonal(corrected, link)
        uncorrected = uncorrected_swap_output(uncorrected, link, m)
        frame = combine_frames(frame, m)
    np.testing.assert_allclose(apply_pauli_frame(uncorrected, frame), corrected, atol=1e-14)


def test_outcome_bits_and_index_checks() -> None:
    assert [outcome_bits(m) for m in range(4)] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    with pytest.raises(ValueError, match="0..3"):
        correction_for_outcome(4)
    with pytest.raises(ValueError, match="n_links"):
        chain_werner_parameter(0.9, 0)
