"""The noisy adjoint against the density matrix, finite differences, parameter shift and qutip."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.density_matrix import dm_expectation
from qnet_dqnn.quantum.gates import gate_matrix
from qnet_dqnn.quantum.gradients import combine_shifts, expand_occurrences, parameter_shift_jacobian
from qnet_dqnn.quantum.noise import NoiseModel, kraus_operators
from qnet_dqnn.quantum.noisy_adjoint import (
    cone_qubits,
    noisy_expectation,
    noisy_jacobian,
    noisy_shift_values,
    noisy_vjp,
)
from qnet_dqnn.quantum.pauli_transfer import (
    density_to_vector,
    pauli_basis,
    pure_to_vector,
    transfer_matrix,
)

OBS = ["Z0", "X1 Z2", "Y3"]
READOUT = 0.03


def _circuit() -> Circuit:
    """Every kind of step: data and trainable rotations (1 and 2 qubits, shared and scaled parameters),
    Clifford and non-Clifford fixed gates, Pauli, depolarizing and thermal channels."""
    c = Circuit(4)
    for q in range(4):
        c.ry(q, Data(q))
    c.rzz(0, 1, Data(4, 0.5))
    k = 0
    for _ in range(2):
        for q in range(4):
            c.ry(q, Trainable(k)).rz(q, Trainable(k + 1))
            k += 2
        for q in range(3):
            c.cx(q, q + 1)
    c.rxx(1, 2, Trainable(0, 0.7)).rzz(0, 3, Trainable(3)).h(1).t(2).cz(2, 0).ry(0, Trainable(5)).p(3, Trainable(7))
    c.rx(2, Trainable(8)).swap(1, 3).s(0)
    noisy = NoiseModel(p1=0.02, p2=0.05).apply(c)
    noisy.thermal(1, 1e-6, 2e-5, 1e-5).pauli_channel(2, 0.01, 0.02, 0.03)
    noisy.pauli_channel2(0, 3, [0.004 * (i + 1) / 1.2 for i in range(15)])
    return noisy


@pytest.fixture(scope="module")
def case() -> tuple[Circuit, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    c = _circuit()
    return c, rng.normal(size=c.num_trainable), rng.uniform(0, np.pi, size=(3, 5))


def test_values_equal_density_matrix(case) -> None:
    c, theta, x = case
    ref = dm_expectation(c, OBS, theta, x, readout=READOUT)
    np.testing.assert_allclose(noisy_expectation(c, OBS, theta, x, readout=READOUT), ref, atol=1e-13)
    rows = np.random.default_rng(1).normal(size=(3, c.num_trainable))  # one parameter row per input
    np.testing.assert_allclose(
        noisy_expectation(c, OBS, rows, x, readout=READOUT),
        dm_expectation(c, OBS, rows, x, readout=READOUT),
        atol=1e-13,
    )


def test_jacobian_equals_finite_differences(case) -> None:
    c, theta, x = case
    values, jac = noisy_jacobian(c, OBS, theta, x, readout=READOUT)
    eps = 1e-6
    fd = np.stack(
        [
            (
                dm_expectation(c, OBS, theta + eps * e, x, readout=READOUT)
                - dm_expectation(c, OBS, theta - eps * e, x, readout=READOUT)
            )
            / (2 * eps)
            for e in np.eye(theta.size)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(jac, fd, atol=1e-8)
    assert np.abs(jac).max() > 0.1  # the check is not vacuous


def test_shifted_values_are_the_shifted_circuits(case) -> None:
    """Each of the 2·n_occ shifted values equals the density matrix of that shifted circuit, and they combine
    into the parameter-shift Jacobian of the slow path (parameter shift over density matrices)."""
    c, theta, x = case
    values, jac, shifted = noisy_shift_values(c, OBS, theta, x, readout=READOUT)
    expanded, origin, scales = expand_occurrences(c)
    base = theta[origin]
    for o in range(origin.size):
        for s, sign in enumerate((1.0, -1.0)):
            p = base.copy()
            p[o] += sign * np.pi / 2 / scales[o]
            np.testing.assert_allclose(shifted[s, o], dm_expectation(expanded, OBS, p, x, readout=READOUT), atol=1e-12)

    def ev(circ, params, data, init):
        return dm_expectation(circ, OBS, params, data, init, readout=READOUT)

    slow = parameter_shift_jacobian(c, OBS, theta, x, evaluator=ev)
    np.testing.assert_allclose(combine_shifts(c, shifted, theta.size), slow, atol=1e-12)
    np.testing.assert_allclose(jac, slow, atol=1e-12)


def test_vjp_is_the_loss_gradient(case) -> None:
    c, theta, x = case
    values, jac = noisy_jacobian(c, OBS, theta, x, readout=READOUT)

    def cot(e):
        return np.cos(e) + e**2

    v2, grad = noisy_vjp(c, OBS, theta, x, cotangent=cot, readout=READOUT)
    np.testing.assert_allclose(v2, values, atol=1e-14)
    np.testing.assert_allclose(grad, np.einsum("bk,bkp->p", cot(values), jac), atol=1e-12)


def _qutip_value(c: Circuit, theta: np.ndarray, obs: str) -> float:
    """``Tr(P Φ(|0><0|))`` with qutip superoperators: every gate and Kraus channel through qutip."""
    n = c.num_qubits
    dims = [2] * n
    rho = qutip.ket2dm(qutip.tensor([qutip.basis(2, 0)] * n))
    for op in c.ops:
        if op.is_channel:
            mats = kraus_operators(op)
        else:
            p = op.params[0] if op.params else None
            angle = theta[p.index] * p.scale if isinstance(p, Trainable) else p
            mats = [gate_matrix(op.name, angle)]
        k = len(op.qubits)
        ops = [qutip.expand_operator(qutip.Qobj(m, dims=[[2] * k, [2] * k]), dims, op.qubits) for m in mats]
        rho = qutip.kraus_to_super(ops)(rho) if len(ops) > 1 else ops[0] * rho * ops[0].dag()
    paulis = {"X": qutip.sigmax(), "Y": qutip.sigmay(), "Z": qutip.sigmaz()}
    factors = [qutip.qeye(2)] * n
    for t in obs.split():
        factors[int(t[1:])] = paulis[t[0]]
    return float(qutip.expect(qutip.tensor(factors), rho))


def test_gradient_equals_qutip_finite_differences() -> None:
    c = Circuit(3).ry(0, Trainable(0)).cx(0, 1).rx(1, Trainable(1)).rzz(1, 2, Trainable(2)).ry(2, Trainable(0, -0.5))
    noisy = NoiseModel(p1=0.03, p2=0.08).apply(c).thermal(0, 3e-6, 2e-5, 1.5e-5)
    theta = np.array([0.4, -1.1, 0.8])
    _, jac = noisy_jacobian(noisy, ["Z0 X2"], theta)
    eps = 1e-5
    for t in range(3):
        e = np.eye(3)[t] * eps
        fd = (_qutip_value(noisy, theta + e, "Z0 X2") - _qutip_value(noisy, theta - e, "Z0 X2")) / (2 * eps)
        assert jac[0, 0, t] == pytest.approx(fd, abs=1e-8)
    assert noisy_expectation(noisy, ["Z0 X2"], theta)[0, 0] == pytest.approx(
        _qutip_value(noisy, theta, "Z0 X2"), abs=1e-12
    )


def test_light_cone_drops_what_the_readout_cannot_see() -> None:
    """A 6-qubit ladder read on qubit 0 keeps a 3-qubit cone after two layers, with the full result."""
    c = Circuit(6)
    for layer in range(2):
        for q in range(6):
            c.ry(q, Trainable(6 * layer + q))
        for q in range(5):
            c.cx(q, q + 1)
    noisy = NoiseModel(p1=0.01, p2=0.03).apply(c)
    assert cone_qubits(noisy, ["Z0"]) == 3
    assert cone_qubits(noisy, ["Z5"]) == 6
    theta = np.random.default_rng(3).normal(size=12)
    np.testing.assert_allclose(
        noisy_expectation(noisy, ["Z0"], theta), dm_expectation(noisy, ["Z0"], theta), atol=1e-13
    )


def test_amplitude_inputs() -> None:
    rng = np.random.default_rng(5)
    psi = rng.normal(size=(3, 8)) + 1j * rng.normal(size=(3, 8))
    psi /= np.linalg.norm(psi, axis=1, keepdims=True)
    c = NoiseModel(p1=0.02, p2=0.05).apply(Circuit(3).ry(0, Trainable(0)).cx(0, 1).rz(1, Trainable(1)))
    theta = np.array([0.3, 1.2])
    np.testing.assert_allclose(
        noisy_expectation(c, ["X1", "Z0 Z1"], theta, None, psi),
        dm_expectation(c, ["X1", "Z0 Z1"], theta, None, psi),
        atol=1e-13,
    )


def test_pauli_transfer_building_blocks() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    vec = density_to_vector(rho[None])[:, 0]
    direct = np.einsum("sij,ji->s", pauli_basis(2), rho).real
    np.testing.assert_allclose(vec, direct, atol=1e-14)
    u = np.linalg.qr(a)[0]
    r = transfer_matrix([u])
    np.testing.assert_allclose(r @ r.T, np.eye(16), atol=1e-12)  # unitary channels are orthogonal
    np.testing.assert_allclose(r @ vec, density_to_vector((u @ rho @ u.conj().T)[None])[:, 0], atol=1e-13)
    psi = u[:, 0]
    reduced = np.einsum("aiaj->ij", np.outer(psi, psi.conj()).reshape(2, 2, 2, 2))  # qubit 1, qubit 0 traced out
    np.testing.assert_allclose(
        pure_to_vector(psi[None], [1])[:, 0], np.einsum("sij,ji->s", pauli_basis(1), reduced).real, atol=1e-14
    )


def test_trainable_before_data_is_refused() -> None:
    c = Circuit(1).ry(0, Trainable(0)).ry(0, Data(0)).depolarize([0], 0.1)
    with pytest.raises(QnetError, match="before the last data-dependent gate"):
        noisy_jacobian(c, ["Z0"], np.array([0.1]), np.array([[0.2]]))


def test_channels_fold_into_rotations_only_when_they_commute() -> None:
    """A depolarizing channel after a rotation joins its step (it commutes with the generator); a Pauli channel
    with different rates on the two strings the rotation mixes does not. Both give the density matrix's
    gradient."""
    from qnet_dqnn.quantum.noisy_adjoint import compile_noisy
    from qnet_dqnn.quantum.observables import as_pauli

    c = Circuit(2).ry(0, Data(0)).ry(1, Data(1))
    c.ry(0, Trainable(0)).depolarize([0], 0.05)  # folds
    c.ry(1, Trainable(1)).pauli_channel(1, 0.02, 0.0, 0.07)  # X and Z rates differ: RY mixes X and Z
    c.cx(0, 1).rz(1, Trainable(2)).pauli_channel(1, 0.03, 0.03, 0.01)  # RZ mixes X and Y: equal, folds
    plan = compile_noisy(c, [as_pauli("Z1"), as_pauli("X0 Y1")])
    folded = [s.scale is not None for s in plan.steps if s.kind == "rot" and s.op_index > 1]
    assert folded == [True, False, True]
    theta, x = np.array([0.3, -1.1, 0.8]), np.array([[0.4, 1.3], [2.0, -0.5]])
    _, jac = noisy_jacobian(c, ["Z1", "X0 Y1"], theta, x, readout=READOUT)
    eps = 1e-6
    fd = np.stack(
        [
            (
                dm_expectation(c, ["Z1", "X0 Y1"], theta + eps * e, x, readout=READOUT)
                - dm_expectation(c, ["Z1", "X0 Y1"], theta - eps * e, x, readout=READOUT)
            )
            / (2 * eps)
            for e in np.eye(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(jac, fd, atol=1e-8)
    assert np.abs(jac).max() > 0.1


def test_one_qubit_cone() -> None:
    """A light cone of one qubit (the product-state halves are then one empty factor and one qubit)."""
    c = Circuit(2).ry(0, Data(0)).ry(1, Data(1)).rx(0, Trainable(0)).depolarize([0], 0.1)
    theta, x = np.array([0.7]), np.array([[0.2, 1.0], [1.4, -0.3]])
    ref = dm_expectation(c, ["Z0"], theta, x, readout=READOUT)
    np.testing.assert_allclose(noisy_expectation(c, ["Z0"], theta, x, readout=READOUT), ref, atol=1e-14)
    values, grad = noisy_vjp(c, ["Z0"], theta, x, cotangent=np.ones_like, readout=READOUT)
    _, jac = noisy_jacobian(c, ["Z0"], theta, x, readout=READOUT)
    np.testing.assert_allclose(values, ref, atol=1e-14)
    np.testing.assert_allclose(grad, jac.sum(axis=(0, 1)), atol=1e-14)
    assert abs(grad[0]) > 0.1
