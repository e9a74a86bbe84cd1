"""Density matrix against qutip; trajectories against the density matrix; noise model insertion."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.density_matrix import density_matrix, dm_expectation
from qnet_dqnn.quantum.noise import NoiseModel, kraus_operators, pauli_probabilities, thermal_parameters
from qnet_dqnn.quantum.shots import QPUTiming
from qnet_dqnn.quantum.trajectories import trajectory_expectation


def _noisy_circuit() -> Circuit:
    c = Circuit(3).ry(0, 0.7).rx(1, 1.9).h(2).cx(0, 1).depolarize([1], 0.2)
    c.cz(1, 2).depolarize([1, 2], 0.15).pauli_channel(0, 0.05, 0.1, 0.02).ry(2, 0.4)
    c.pauli_channel2(0, 2, [0.01 * (i + 1) / 1.2 for i in range(15)])
    return c


def _qutip_reference(c: Circuit) -> qutip.Qobj:
    n = c.num_qubits
    rho = qutip.ket2dm(qutip.tensor([qutip.basis(2, 0)] * n))
    from qnet_dqnn.quantum.gates import gate_matrix

    for op in c.ops:
        mats = kraus_operators(op) if op.is_channel else [gate_matrix(op.name, op.params[0] if op.params else None)]
        new = 0 * rho
        for m in mats:
            full = qutip.Qobj(_expand(m, op.qubits, n), dims=rho.dims)
            new = new + full * rho * full.dag()
        rho = new
    return rho


def _expand(m: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    k = len(qubits)
    full = np.zeros((2**n, 2**n), dtype=complex)
    for x in range(2**n):
        bits = [(x >> (n - 1 - q)) & 1 for q in range(n)]
        col = int("".join(str(bits[q]) for q in qubits), 2)
        for row in range(2**k):
            nb = list(bits)
            for j, q in enumerate(qubits):
                nb[q] = (row >> (k - 1 - j)) & 1
            y = int("".join(map(str, nb)), 2)
            full[y, x] += m[row, col]
    return full


def test_density_matrix_equals_qutip() -> None:
    c = _noisy_circuit().thermal(1, 2e-6, 50e-6, 30e-6)
    ours = density_matrix(c)[0]
    ref = _qutip_reference(c).full()
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert np.trace(ours).real == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.eigvalsh(ours).min() > -1e-12
    np.testing.assert_allclose(ours, ours.conj().T, atol=1e-14)


def test_thermal_channel_decays_as_t1_and_t2() -> None:
    t, t1, t2 = 3e-6, 20e-6, 15e-6
    plus = Circuit(1).h(0).thermal(0, t, t1, t2)
    rho = density_matrix(plus)[0]
    assert abs(rho[0, 1]) == pytest.approx(0.5 * np.exp(-t / t2), rel=1e-12)
    one = density_matrix(Circuit(1).x(0).thermal(0, t, t1, t2))[0]
    assert one[1, 1].real == pytest.approx(np.exp(-t / t1), rel=1e-12)
    with pytest.raises(Exception, match="T2"):
        thermal_parameters(1e-6, 1e-6, 3e-6)


@pytest.mark.parametrize("with_thermal", [False, True])
def test_trajectories_converge_to_density_matrix(with_thermal: bool) -> None:
    c = _noisy_circuit()
    reference = c
    if with_thermal:  # trajectories see the Pauli twirl of the idle channel
        c = c.copy().thermal(0, 5e-6, 20e-6, 10e-6)
        _, probs = pauli_probabilities(c.ops[-1])
        reference = reference.copy().pauli_channel(0, *probs[1:])
    obs = ["Z0", "Z1 Z2", "X2", "Y0"]
    mean, err = trajectory_expectation(c, obs, trajectories=4000, rng=np.random.default_rng(5))
    exact = dm_expectation(reference, obs)
    assert np.all(np.abs(mean - exact) < 4 * err + 1e-9)
    assert np.all(err < 0.02)


def test_noise_model_inserts_channels_and_idles() -> None:
    c = Circuit(2).h(0).cx(0, 1)
    nm = NoiseModel(p1=0.01, p2=0.02, t1_s=50e-6, t2_s=40e-6)
    noisy = nm.apply(c, QPUTiming(t1q_s=50e-9, t2q_s=300e-9, tmeas_s=1e-6))
    names = [op.name for op in noisy.ops]
    assert names.count("depolarize1") == 1 and names.count("depolarize2") == 1
    # qubit 1 idles through the H layer
    assert [op.params[0] for op in noisy.ops if op.name == "thermal"] == [pytest.approx(50e-9)]


def test_strong_depolarizing_shrinks_signal() -> None:
    c = Circuit(1).x(0)
    assert dm_expectation(c, ["Z0"])[0, 0] == pytest.approx(-1)
    noisy = NoiseModel(p1=0.75).apply(c)
    assert dm_expectation(noisy, ["Z0"])[0, 0] == pytest.approx(0, abs=1e-12)
    assert dm_expectation(c, ["Z0"], readout=0.1)[0, 0] == pytest.approx(-0.8)
