"""Gradient-variance statistics: a 2-qubit, 1-layer random circuit against its closed form, the shift rule
against the adjoint method, the noise's closed-form damping, fragments of a cut plan, and the decay fit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qnet_dqnn.cutting import find_cuts
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.plateaus import (
    decay_rate,
    fragment_circuit,
    random_parameters,
    random_pqc,
    shift_gradients,
)
from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.quantum.gradients import adjoint_jacobian
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.statevector import expectation
from qnet_dqnn.stats import mean_interval

ZZ = PauliString.z(0, 1)
# Hand derivation for R_Y(π/4)⊗R_Y(π/4), then R_P0(θ0)⊗R_P1(θ1), then CZ, cost ⟨Z0 Z1⟩. CZ commutes with
# Z0 Z1 and the state is a product, so ⟨Z0 Z1⟩ = z0(θ0) z1(θ1), each qubit's Bloch vector starting at
# (1/√2, 0, 1/√2): R_X(θ) gives z = cos θ/√2, R_Y(θ) z = (cos θ − sin θ)/√2, R_Z(θ) z = 1/√2. Averaged over
# θ uniform: E[(∂z0)²] = 1/4, 1/2, 0 and E[z1²] = 1/4, 1/2, 1/2 for X, Y, Z; E[∂z0] = 0, so
# Var[∂⟨Z0Z1⟩/∂θ0] = E[(∂z0)²]·E[z1²].
GRAD_SQ = {"rx": 0.25, "ry": 0.5, "rz": 0.0}
VALUE_SQ = {"rx": 0.25, "ry": 0.5, "rz": 0.5}
#: Averaged over the axes too: (1/4 + 1/2 + 0)/3 · (1/4 + 1/2 + 1/2)/3 = 5/48.
CLOSED_FORM = 5.0 / 48.0


def _one_layer(a0: str, a1: str) -> Circuit:
    c = Circuit(2).ry(0, math.pi / 4).ry(1, math.pi / 4)
    return c.append(a0, [0], [Trainable(0)]).append(a1, [1], [Trainable(1)]).cz(0, 1)


@pytest.mark.parametrize("a0, a1", list(itertools.product(("rx", "ry", "rz"), repeat=2)))
def test_two_qubit_one_layer_variance_matches_its_closed_form_exactly(a0: str, a1: str) -> None:
    # the gradient squared is a trigonometric polynomial of degree <= 2 in each angle, so the mean over an
    # 8 x 8 grid of equally spaced angles is its exact average over the torus
    grid = 2 * math.pi * np.arange(8) / 8
    params = np.array(list(itertools.product(grid, grid)))
    g = shift_gradients(_one_layer(a0, a1), ZZ, params, 0)
    assert np.mean(g) == pytest.approx(0.0, abs=1e-12)
    assert np.var(g) == pytest.approx(GRAD_SQ[a0] * VALUE_SQ[a1], abs=1e-12)


def test_random_circuits_of_two_qubits_and_one_layer_average_to_five_48ths() -> None:
    rng = np.random.default_rng(20)
    per_seed = []
    for _ in range(8):  # 8 independent estimates, each over 250 random structures x 4 random parameter vectors
        samples = []
        for _ in range(250):
            c = random_pqc(2, 1, rng)
            samples.append(shift_gradients(c, ZZ, random_parameters(c, 4, rng), 0))
        per_seed.append(np.var(np.concatenate(samples)))
    iv = mean_interval(per_seed, level=0.99)
    assert iv.low < CLOSED_FORM < iv.high
    assert iv.half_width < 0.02  # tight enough to tell 5/48 from its neighbours 1/12 and 1/8


def test_shift_rule_equals_the_adjoint_method() -> None:
    rng = np.random.default_rng(1)
    c = random_pqc(4, 3, rng)
    params = random_parameters(c, 5, rng)
    for index in (0, 5, 11):
        g = shift_gradients(c, ZZ, params, index)
        exact = [adjoint_jacobian(c, [ZZ], p)[1][0, 0, index] for p in params]
        assert g == pytest.approx(exact, abs=1e-12)


def test_depolarizing_noise_damps_the_gradient_by_its_closed_form() -> None:
    # every gate is followed by its depolarizing channel: a one-qubit one shrinks the Bloch vector by
    # 1 − 4p1/3, the two-qubit one after CZ shrinks ⟨Z0 Z1⟩ by 1 − 16p2/15, and readout flips by (1 − 2r)²;
    # each qubit passes two one-qubit gates before the CZ
    p1, p2, r = 0.01, 0.03, 0.02
    noise = NoiseModel(p1=p1, p2=p2, readout=r)
    c = _one_layer("ry", "rx")
    params = random_parameters(c, 7, np.random.default_rng(2))
    damping = (1 - 4 * p1 / 3) ** 4 * (1 - 16 * p2 / 15) * (1 - 2 * r) ** 2
    assert shift_gradients(c, ZZ, params, 0, noise=noise) == pytest.approx(
        damping * shift_gradients(c, ZZ, params, 0), abs=1e-12
    )


def test_shot_estimates_scatter_as_binomials() -> None:
    # ⟨Z0 Z1⟩(θ ± π/2) = ±1/2·… : each estimate from S shots has variance (1 − v²)/S, the gradient's is the
    # sum over the two shifts divided by 4
    c = _one_layer("ry", "ry")
    params = np.zeros((4000, 2))
    exact = expectation(c, [ZZ], np.array([[math.pi / 2, 0], [-math.pi / 2, 0]]))[:, 0]
    g = shift_gradients(c, ZZ, params, 0, shots=100, rng=np.random.default_rng(3))
    assert np.var(g) == pytest.approx(np.sum(1 - exact**2) / (4 * 100), rel=0.1)
    with pytest.raises(QnetError, match="random generator"):
        shift_gradients(c, ZZ, params, 0, shots=100)


def test_fragments_of_a_cut_plan_are_the_circuit_on_their_qubits() -> None:
    rng = np.random.default_rng(4)
    c = random_pqc(6, 2, rng)
    plan = find_cuts(c, 3, allow_wire_cuts=False)
    assert len(plan.cuts) == 2 and plan.sampling_overhead == pytest.approx(81.0)  # one CZ per layer, γ = 3
    widths = []
    for fragment in plan.fragments:
        qubits = [q for q, _ in fragment.segments]
        piece = fragment_circuit(c, qubits)
        widths.append(piece.num_qubits)
        assert len(piece.two_qubit_gates()) == 2 * (len(qubits) - 1)  # its own CZs, the cut ones left out
    assert sorted(widths) == [3, 3]
    # with no gate across the boundary the fragment is exactly the circuit restricted to its qubits
    product = Circuit(3).ry(0, Trainable(0)).cx(0, 1).rx(2, Trainable(1))
    params = np.array([[0.3, 1.1]])
    whole = expectation(product, [PauliString.z(0, 1)], params)
    assert expectation(fragment_circuit(product, [0, 1]), [ZZ], params) == pytest.approx(whole, abs=1e-12)


def test_decay_rate_recovers_an_exponential() -> None:
    n = np.array([2, 4, 6, 8])
    rate, intercept = decay_rate(n, 3.0 * np.exp(-0.7 * n))
    assert rate == pytest.approx(0.7, abs=1e-12) and intercept == pytest.approx(math.log(3.0), abs=1e-12)
    with pytest.raises(QnetError):
        decay_rate([2, 2], [0.1, 0.2])


def test_bad_parameter_is_refused() -> None:
    c = Circuit(1).rx(0, Trainable(0)).ry(0, Trainable(0))
    with pytest.raises(QnetError, match="exactly one"):
        shift_gradients(c, PauliString.z(0), np.zeros((1, 1)), 0)
