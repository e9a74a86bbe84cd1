"""The joint cut of n controlled-Pauli gates (γ = 2ⁿ⁺¹ − 1) and randomized-measurement wire cuts: the states they
are built from, exact reconstruction, and what each costs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qnet_dqnn.cutting import (
    CutError,
    CutPlan,
    GateCut,
    JointCut,
    RandomizedWireCut,
    WireCut,
    evaluate_cut,
    evaluate_cut_gradient,
    find_cuts,
    joint_qpd,
    randomized_wire_cut_qpd,
)
from qnet_dqnn.cutting.mub import mub_states
from qnet_dqnn.quantum import Circuit, Trainable, adjoint_jacobian, expectation


@pytest.mark.parametrize("n", [1, 2, 3])
def test_mutually_unbiased_bases_form_a_two_design(n: int) -> None:
    d = 2**n
    states = mub_states(n)
    phi = np.eye(d).reshape(-1) / np.sqrt(d)
    total = sum(np.kron(np.outer(v, v.conj()), np.outer(v.conj(), v)) for basis in states for v in basis)
    np.testing.assert_allclose(total, np.eye(d * d) + d * np.outer(phi, phi), atol=1e-12)
    overlaps = [
        abs(np.vdot(states[a, i], states[b, j])) ** 2
        for a, b in itertools.combinations(range(d + 1), 2)
        for i in range(d)
        for j in range(d)
    ]
    np.testing.assert_allclose(overlaps, 1 / d, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2])
def test_virtual_entangled_state_decomposition(n: int) -> None:
    """Σ_{b,s,s'} c · |b_s⟩⟨b_s| ⊗ |b_{s'}*⟩⟨b_{s'}*| is the maximally entangled state, with γ = 2d − 1."""
    d = 2**n
    states = mub_states(n)
    rho = np.zeros((d * d, d * d), dtype=complex)
    gamma = 0.0
    for basis in states:
        for s, s2 in itertools.product(range(d), range(d)):
            c = 1 / (d + 1) if s == s2 else -1 / (d * (d + 1))
            rho += c * np.kron(np.outer(basis[s], basis[s].conj()), np.outer(basis[s2].conj(), basis[s2]))
            gamma += abs(c)
    phi = np.eye(d).reshape(-1) / np.sqrt(d)
    np.testing.assert_allclose(rho, np.outer(phi, phi), atol=1e-12)
    assert gamma == pytest.approx(2 * d - 1) == pytest.approx(joint_qpd(("cx",) * n).gamma)


def _joint_circuit() -> Circuit:
    c = Circuit(4)
    for q in range(4):
        c.ry(q, Trainable(q)).rz(q, 0.2 * q)  # ops 0–7
    c.cx(0, 1).cx(2, 3)  # 8, 9: inside the halves
    c.cx(1, 2)  # 10: across
    c.ry(1, 0.4).rx(2, -0.3)
    c.cz(1, 2)  # 13: across
    c.cx(0, 1).rx(3, Trainable(4))
    return c


@pytest.mark.parametrize("ops", [(10,), (10, 13)])
def test_joint_cut_reconstructs_the_uncut_circuit(ops: tuple[int, ...]) -> None:
    c = _joint_circuit()
    rest = tuple(GateCut(i) for i in (10, 13) if i not in ops)
    plan = CutPlan(c, (JointCut(ops),) + rest, qubit_limit=2 + len(ops))
    assert plan.gamma == pytest.approx((2 ** (len(ops) + 1) - 1) * 3 ** len(rest))
    assert [f.width for f in plan.fragments] == [2 + len(ops)] * 2  # the telegates' ancillas count
    th = np.random.default_rng(1).normal(size=5)
    obs = ["Z0 Z3", "X1 Y2", "Z2"]
    est = evaluate_cut_gradient(plan, th, None, obs)
    np.testing.assert_allclose(est.value, expectation(c, obs, th), atol=1e-10)
    np.testing.assert_allclose(est.jacobian, adjoint_jacobian(c, obs, th)[1], atol=1e-10)
    # both sides receive the other's outcomes every shot and wait for 2n one-way messages
    sub = est.subexperiments[0]
    assert len(sub.feedforward_receives) == len(ops) and len(sub.feedforward_waits) == 2 * len(ops)


def test_joint_cut_sampled_is_unbiased_with_two_way_feed_forward() -> None:
    c = Circuit(2).ry(0, 0.8).ry(1, -0.5).cx(0, 1).rx(1, 0.3)
    plan = CutPlan(c, (JointCut((2,)),))
    exact = float(expectation(c, ["Z0 Z1"])[0, 0])
    rng = np.random.default_rng(2)
    vals = np.array([evaluate_cut(plan, observable="Z0 Z1", shots=30, rng=rng).value[0, 0] for _ in range(40)])
    assert abs(vals.mean() - exact) < 4 * vals.std(ddof=1) / np.sqrt(len(vals))


def test_finder_merges_cnot_cuts_into_a_joint_cut_when_it_pays() -> None:
    c = Circuit(6)
    for q in range(6):
        c.ry(q, 0.1 * q)
    for a, b, d in ((0, 1, 2), (3, 4, 5)) * 2:  # two tightly knit triples: splitting one costs four cuts
        c.cx(a, b).cx(b, d).cx(a, d)
    c.cx(2, 3).rz(3, 0.5).cx(2, 3)
    plain = find_cuts(c, 5, allow_wire_cuts=False, classical_communication=True)
    joint = find_cuts(c, 5, allow_wire_cuts=False, classical_communication=True, joint=True)
    assert plain.sampling_overhead == pytest.approx(81.0)
    assert [type(x).__name__ for x in joint.cuts] == ["JointCut"] and joint.sampling_overhead == pytest.approx(49.0)
    assert joint.max_width == 5  # three qubits and the telegates' two ancillas on each side
    tight = find_cuts(c, 3, allow_wire_cuts=False, classical_communication=True, joint=True)
    assert all(isinstance(x, GateCut) for x in tight.cuts)  # no room for the ancillas: cut one by one
    with pytest.raises(CutError, match="joint cuts need classical communication"):
        find_cuts(c, 5, joint=True)


def test_bad_joint_cuts_name_the_reason() -> None:
    c = _joint_circuit()
    with pytest.raises(CutError, match="controlled-Pauli gates"):
        CutPlan(c, (JointCut((0,)),))
    with pytest.raises(CutError, match="must lie in two different fragments"):
        CutPlan(c, (JointCut((8,)),))
    with pytest.raises(CutError, match="needs 4 qubits, more than the qubit_limit 3.*joint cut of ops"):
        CutPlan(c, (JointCut((10, 13)),), qubit_limit=3)


@pytest.mark.parametrize("wires", [((1, 4),), ((1, 4), (0, 5))])
def test_randomized_wire_cut_reconstructs_the_uncut_circuit(wires) -> None:
    c = Circuit(4)
    for q in range(4):
        c.ry(q, 0.3 + 0.4 * q)
    c.cx(0, 1).cx(1, 0)  # ops 4, 5
    c.cx(1, 2).cx(0, 3).rz(2, 0.7).cx(2, 3)
    plan = CutPlan(c, (RandomizedWireCut(tuple(wires)),))
    obs = ["Z2 Z3", "X2", "Z0 Z1 Z2 Z3"]
    np.testing.assert_allclose(evaluate_cut(plan, observable=obs).value, expectation(c, obs), atol=1e-10)
    single = CutPlan(c, (WireCut(1, 4, randomized=True),))
    np.testing.assert_allclose(evaluate_cut(single, observable=obs).value, expectation(c, obs), atol=1e-10)


def test_randomized_cut_second_moment_beats_peng_from_two_wires_on() -> None:
    """γ Σ|c_k| E[V_k²] with filtered terms (E ≤ outcome probability) against Peng's (4^k)²: d(d+2)(2d+1)."""
    for k, bound in ((1, 40), (2, 216), (3, 1360)):
        q = randomized_wire_cut_qpd(k)
        d = 2**k
        filtered = sum(abs(t.coefficient) for t in q.terms if t.coefficient > 0)  # Σ over (b, s): E[V²] ≤ p_b(s)
        second = q.gamma * (filtered / d + d)  # Σ_s p_b(s) = 1 per basis: (d + 1) from Ψ₁, d from Ψ₀
        assert second == pytest.approx(bound) == pytest.approx(d * (d + 2) * (2 * d + 1))
        assert (second < 16.0**k) == (k >= 2)
