"""The TFIM parity-sector data of the flagship study (``qnet_dqnn.qml.datasets``): checked against qutip (an
independent exact diagonalisation and partial trace), the free-fermion closed form of the open chain, and the
cat states the sectors become deep in the ordered phase."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import qutip

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.datasets import (
    helstrom_accuracy_bound,
    marginal_fidelity,
    marginal_trace_distance,
    tfim_hamiltonian,
    tfim_parity,
    tfim_sector_state,
)


def _qutip_tfim(n: int, g: float) -> qutip.Qobj:
    """``−Σ Z_i Z_{i+1} − g Σ X_i`` built from qutip's tensor products (first factor = qubit 0)."""

    def site(op: qutip.Qobj, i: int) -> qutip.Qobj:
        return qutip.tensor([op if j == i else qutip.qeye(2) for j in range(n)])

    h = sum(-site(qutip.sigmaz(), i) * site(qutip.sigmaz(), i + 1) for i in range(n - 1))
    return h + sum(-g * site(qutip.sigmax(), i) for i in range(n))


def _parity(n: int) -> np.ndarray:
    return qutip.tensor([qutip.sigmax()] * n).full()


@pytest.mark.parametrize("n, g", [(4, 0.7), (5, 1.3)])
def test_hamiltonian_and_sectors_match_qutip(n: int, g: float) -> None:
    h = _qutip_tfim(n, g)
    assert np.allclose(tfim_hamiltonian(n, g), h.full(), atol=1e-12)
    energies, states = h.eigenstates()
    parity = _parity(n)
    # qutip's spectrum, split by the parity of each eigenvector (the levels are non-degenerate at these g)
    by_sector: dict[int, list[tuple[float, np.ndarray]]] = {1: [], -1: []}
    for e, s in zip(energies, states, strict=True):
        v = s.full().ravel()
        p = float(np.real(np.vdot(v, parity @ v)))
        by_sector[int(round(p))].append((float(e), v))
    for sector in (1, -1):
        psi, energy = tfim_sector_state(n, g, sector)
        e_ref, v_ref = min(by_sector[sector], key=lambda t: t[0])
        assert energy == pytest.approx(e_ref, abs=1e-10)
        assert abs(np.vdot(v_ref, psi)) ** 2 == pytest.approx(1.0, abs=1e-10)
        assert np.real(np.vdot(psi, parity @ psi)) == pytest.approx(sector, abs=1e-12)


@pytest.mark.parametrize("g", [0.3, 1.0, 2.5])
def test_sector_gap_is_the_free_fermion_quasiparticle(g: float) -> None:
    """Jordan–Wigner: ``H = Σ_k Λ_k (η_k†η_k − ½)`` with ``Λ_k = 2 s_k``, ``s_k`` the singular values of the
    bidiagonal ``N×N`` matrix with ``g`` on the diagonal and ``−1`` above it (Lieb, Schultz & Mattis, Ann. Phys.
    16, 407 (1961); Pfeuty 1970). The even sector's lowest state is the vacuum, ``E₀ = −Σ_k s_k``; the odd
    sector's holds one quasiparticle in the softest mode, ``E₀ + 2 s_min``."""
    n = 6
    c = np.diag(np.full(n, g)) + np.diag(np.full(n - 1, -1.0), 1)
    s = np.linalg.svd(c, compute_uv=False)
    _, even = tfim_sector_state(n, g, 1)
    _, odd = tfim_sector_state(n, g, -1)
    assert even == pytest.approx(-s.sum(), abs=1e-10)
    assert odd - even == pytest.approx(2 * s.min(), rel=1e-8, abs=1e-12)


def test_deep_in_the_ordered_phase_the_sectors_are_cat_states_no_marginal_tells_apart() -> None:
    n = 6
    plus, _ = tfim_sector_state(n, 0.0, 1)
    minus, _ = tfim_sector_state(n, 0.0, -1)
    up, down = np.zeros(2**n), np.zeros(2**n)
    up[0], down[-1] = 1.0, 1.0
    assert abs(np.vdot((up + down) / np.sqrt(2), plus)) ** 2 == pytest.approx(1.0, abs=1e-12)
    assert abs(np.vdot((up - down) / np.sqrt(2), minus)) ** 2 == pytest.approx(1.0, abs=1e-12)
    for keep in itertools.combinations(range(n), n - 1):
        assert marginal_trace_distance(plus, minus, keep) == pytest.approx(0.0, abs=1e-12)
        assert marginal_fidelity(plus, minus, keep) == pytest.approx(1.0, abs=1e-12)
    assert marginal_trace_distance(plus, minus, tuple(range(n))) == pytest.approx(1.0, abs=1e-12)
    # at a finite field the marginals start to differ, less the deeper in the phase and the fewer the qubits
    p1, _ = tfim_sector_state(n, 0.1, 1)
    m1, _ = tfim_sector_state(n, 0.1, -1)
    p3, _ = tfim_sector_state(n, 0.3, 1)
    m3, _ = tfim_sector_state(n, 0.3, -1)
    assert 0 < marginal_trace_distance(p1, m1, (0, 1, 2)) < marginal_trace_distance(p3, m3, (0, 1, 2))
    assert marginal_trace_distance(p3, m3, (0, 1, 2)) < marginal_trace_distance(p3, m3, (0, 1, 2, 3))


def test_marginal_distances_match_qutip_on_random_states() -> None:
    rng = np.random.default_rng(7)
    n = 4
    dims = [[2] * n, [1] * n]
    for keep in [(0, 2), (1, 2, 3), (3,)]:
        a = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
        b = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
        a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        ra = qutip.Qobj(a.reshape(-1, 1), dims=dims).ptrace(list(keep))
        rb = qutip.Qobj(b.reshape(-1, 1), dims=dims).ptrace(list(keep))
        # qutip orders the kept qubits ascending; ours keeps the given order, ascending here
        # qutip's tracedist agrees to ~1e-8 only (its eigensolver's tolerance)
        assert marginal_trace_distance(a, b, keep) == pytest.approx(qutip.tracedist(ra, rb), abs=1e-7)
        assert marginal_fidelity(a, b, keep) == pytest.approx(qutip.fidelity(ra, rb) ** 2, abs=1e-8)


def test_helstrom_bound_closed_forms() -> None:
    # identical states: chance, however many copies
    assert helstrom_accuracy_bound(0.0, 1.0, 1000) == 0.5
    # one copy of two pure states: ½ + ½√(1 − |⟨ψ|φ⟩|²), which is ½ + ½T for pure states (Helstrom 1976)
    overlap2 = 0.36
    t = np.sqrt(1 - overlap2)
    assert helstrom_accuracy_bound(t, overlap2, 1) == pytest.approx(0.5 + 0.5 * np.sqrt(1 - overlap2))
    # S copies of pure states: the S-copy overlap is overlap2**S, and the bound is exactly Helstrom's then
    assert helstrom_accuracy_bound(t, overlap2, 3) == pytest.approx(0.5 + 0.5 * np.sqrt(1 - overlap2**3))
    # orthogonal states: certainty
    assert helstrom_accuracy_bound(1.0, 0.0, 1) == 1.0
    with pytest.raises(QnetError, match="copies"):
        helstrom_accuracy_bound(0.1, 0.9, 0)


def test_dataset_labels_are_the_sectors_balanced_and_seeded() -> None:
    ds = tfim_parity(4, 40, seed=3)
    again = tfim_parity(4, 40, seed=3)
    assert np.array_equal(ds.x_train, again.x_train) and np.array_equal(ds.y_val, again.y_val)
    y = np.concatenate([ds.y_train, ds.y_val])
    assert y.sum() == 20  # balanced
    parity = _parity(4)
    for x, label in zip(np.concatenate([ds.x_train, ds.x_val]), y, strict=True):
        assert np.real(np.vdot(x, parity @ x)) == pytest.approx(1 - 2 * label, abs=1e-12)
    g = np.concatenate([ds.meta["g_train"], ds.meta["g_val"]])
    assert g.min() >= 0.05 and g.max() <= 0.3 and ds.meta["quantum"]
    with pytest.raises(QnetError, match="parity"):
        tfim_sector_state(4, 0.5, 0)
