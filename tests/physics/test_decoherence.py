"""Memory decoherence: closed forms, and qutip's Lindblad evolution of the same memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip as qt

from qnet_dqnn.physics import (
    MemoryModel,
    amplitude_phase_damping_kraus,
    bell_fidelity,
    decohere_pair,
    werner_fidelity_after_depolarizing,
    werner_state,
)


def _werner_qobj(fidelity: float) -> qt.Qobj:
    phi_plus = (qt.tensor(qt.basis(2, 0), qt.basis(2, 0)) + qt.tensor(qt.basis(2, 1), qt.basis(2, 1))).unit()
    w = (4 * fidelity - 1) / 3
    rho = w * phi_plus.proj() + (1 - w) * qt.qeye([2, 2]) / 4
    return rho, phi_plus


def _lindblad_bell_fidelity(fidelity: float, t_s: float, t1_s: float, t2_s: float) -> float:
    """Both qubits of a Werner pair under T1 decay and pure dephasing for t, integrated by qutip."""
    rho, phi_plus = _werner_qobj(fidelity)
    rate_phi = 1 / t2_s - 1 / (2 * t1_s)
    c_ops = []
    for qubit in range(2):
        ops = [qt.qeye(2), qt.qeye(2)]
        ops[qubit] = qt.destroy(2)
        c_ops.append(math.sqrt(1 / t1_s) * qt.tensor(ops))
        ops[qubit] = qt.sigmaz()
        c_ops.append(math.sqrt(rate_phi / 2) * qt.tensor(ops))
    result = qt.mesolve(qt.qzero([2, 2]), rho, [0.0, t_s], c_ops=c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    return qt.expect(phi_plus.proj(), result.states[-1])


@pytest.mark.parametrize(
    "fidelity, t_s, t1_s, t2_s", [(0.95, 0.3, 10.0, 1.0), (0.85, 0.05, 0.2, 0.1), (1.0, 1.0, 1.0, 2.0)]
)
def test_t1t2_fast_path_matches_qutip_lindblad(fidelity: float, t_s: float, t1_s: float, t2_s: float) -> None:
    factors = MemoryModel(t1_s=t1_s, t2_s=t2_s).bloch_factors(t_s)
    state = decohere_pair(werner_state(fidelity), factors, factors)
    assert bell_fidelity(state) == pytest.approx(_lindblad_bell_fidelity(fidelity, t_s, t1_s, t2_s), abs=1e-8)


def test_kraus_channel_is_trace_preserving_and_decays_coherence_as_t2() -> None:
    t, t1, t2 = 0.4, 1.0, 0.7
    kraus = amplitude_phase_damping_kraus(t, t1, t2)
    np.testing.assert_allclose(sum(k.conj().T @ k for k in kraus), np.eye(2), atol=1e-12)
    plus = np.full((2, 2), 0.5, dtype=complex)
    out = sum(k @ plus @ k.conj().T for k in kraus)
    assert abs(out[0, 1]) == pytest.approx(0.5 * math.exp(-t / t2), rel=1e-12)
    assert out[1, 1].real == pytest.approx(0.5 * math.exp(-t / t1), rel=1e-12)


def test_kraus_channel_matches_qutip_on_a_werner_pair() -> None:
    fidelity, t, t1, t2 = 0.9, 0.2, 0.5, 0.6
    kraus = amplitude_phase_damping_kraus(t, t1, t2)
    rho, phi_plus = _werner_qobj(fidelity)
    mat = rho.full()
    for qubit in range(2):
        ops = [[np.kron(k, np.eye(2)) if qubit == 0 else np.kron(np.eye(2), k)] for k in kraus]
        mat = sum(op[0] @ mat @ op[0].conj().T for op in ops)
    fidelity_kraus = (phi_plus.full().conj().T @ mat @ phi_plus.full()).real.item()
    assert fidelity_kraus == pytest.approx(_lindblad_bell_fidelity(fidelity, t, t1, t2), abs=1e-8)


@pytest.mark.parametrize("t_a, t_b", [(0.0, 0.0), (0.01, 0.01), (0.002, 0.03)])
def test_depolarizing_memory_matches_the_werner_closed_form(t_a: float, t_b: float) -> None:
    model = MemoryModel(coherence_time_s=0.01)
    state = decohere_pair(werner_state(0.85), model.bloch_factors(t_a), model.bloch_factors(t_b))
    assert bell_fidelity(state) == pytest.approx(werner_fidelity_after_depolarizing(0.85, t_a, t_b, 0.01), abs=1e-12)
    assert bell_fidelity(state) == pytest.approx(0.25 + 0.6 * math.exp(-(t_a + t_b) / 0.01), abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"t1_s": 1.0}, "go together"),
        ({"t1_s": 1.0, "t2_s": 3.0}, "t2_s must be <= 2"),
        ({"t1_s": 1.0, "t2_s": 1.0, "coherence_time_s": 1.0}, "not both"),
    ],
)
def test_memory_model_rejects_unphysical_parameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MemoryModel(**kwargs)


def test_ideal_memory_leaves_the_state_alone() -> None:
    state = werner_state(0.8)
    ideal = MemoryModel().bloch_factors(5.0)
    np.testing.assert_allclose(decohere_pair(state, ideal, ideal), state, atol=1e-15)


def test_unequal_storage_times_and_mixed_memories_match_qutip() -> None:
    """A Werner pair whose halves sit in different memories for different times, against Kraus maps in qutip."""
    fidelity, (t_a, t1, t2), (t_b, tc) = 0.9, (0.3, 2.0, 0.5), (0.004, 0.01)
    rho, phi_plus = _werner_qobj(fidelity)
    kraus_a = [qt.Qobj(k) for k in amplitude_phase_damping_kraus(t_a, t1, t2)]
    lam = math.exp(-t_b / tc)
    kraus_b = [math.sqrt((1 + 3 * lam) / 4) * qt.qeye(2)] + [
        math.sqrt((1 - lam) / 4) * op for op in (qt.sigmax(), qt.sigmay(), qt.sigmaz())
    ]
    out = sum(qt.tensor(ka, kb) * rho * qt.tensor(ka, kb).dag() for ka in kraus_a for kb in kraus_b)
    assert out.tr() == pytest.approx(1.0)
    fast = decohere_pair(
        werner_state(fidelity),
        MemoryModel(t1_s=t1, t2_s=t2).bloch_factors(t_a),
        MemoryModel(coherence_time_s=tc).bloch_factors(t_b),
    )
    bell = [phi_plus] + [
        (qt.tensor(op, qt.qeye(2)) * phi_plus) for op in (qt.sigmax(), qt.sigmaz(), qt.sigmax() * qt.sigmaz())
    ]
    np.testing.assert_allclose(fast, [qt.expect(b.proj(), out) for b in bell], atol=1e-12)
    assert fast.sum() == pytest.approx(1.0)
