"""Reconstruction: exact equals uncut, distributions, gradients, Monte Carlo unbiasedness and γ² variance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.distributed.cutting import (
    CutPlan,
    GateCut,
    WireCut,
    evaluate_cut,
    evaluate_cut_gradient,
    list_subexperiments,
    reconstruct_distribution,
)
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.quantum import Circuit, Data, Trainable, adjoint_jacobian, expectation, probabilities

OBS = ["Z0", "Z1 Z2", "X2 Y3", "Y0 X1 Z3", "X3"]


def _random_circuit(rng: np.random.Generator, n: int = 4, depth: int = 14) -> Circuit:
    c = Circuit(n)
    k = 0
    for q in range(n):
        c.ry(q, Data(q)).rz(q, Trainable(k))
        k += 1
    for _ in range(depth):
        if rng.random() < 0.5:
            q = int(rng.integers(n))
            c.append(str(rng.choice(["rx", "ry", "rz"])), [q], [Trainable(k)])
            k += 1
        else:
            a, b = (int(v) for v in rng.choice(n, 2, replace=False))
            g = str(rng.choice(["cx", "cz", "rzz", "rxx", "ryy"]))
            c.append(g, [a, b], [float(rng.uniform(-np.pi, np.pi))] if g.startswith("r") else [])
    return c


def _random_cuts(rng: np.random.Generator, c: Circuit, n_cuts: int) -> tuple:
    two = [i for i, op in enumerate(c.ops) if len(op.qubits) == 2]
    cuts: list = []
    for i in rng.choice(two, size=min(n_cuts, len(two)), replace=False):
        op = c.ops[int(i)]
        if rng.random() < 0.6:
            cuts.append(GateCut(int(i)))
        else:
            cuts.append(WireCut(op.qubits[int(rng.integers(2))], int(i), bool(rng.random() < 0.5)))
    return tuple(cuts)


@pytest.mark.parametrize("seed", range(6))
def test_exact_reconstruction_equals_uncut(seed):
    rng = np.random.default_rng(seed)
    c = _random_circuit(rng)
    plan = CutPlan(c, _random_cuts(rng, c, 3))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(3, c.num_features))
    est = evaluate_cut(plan, th, x, OBS)
    np.testing.assert_allclose(est.value, expectation(c, OBS, th, x), atol=1e-9)
    assert est.variance is None and est.samples is None


@pytest.mark.parametrize("seed", range(4))
def test_distribution_equals_uncut(seed):
    rng = np.random.default_rng(100 + seed)
    c = _random_circuit(rng, n=5)
    plan = CutPlan(c, _random_cuts(rng, c, 3))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(2, c.num_features))
    np.testing.assert_allclose(reconstruct_distribution(plan, th, x), probabilities(c, th, x), atol=1e-9)


def test_distribution_rejects_wide_circuits():
    c = Circuit(13).h(0)
    with pytest.raises(QnetError, match="limited to 12 qubits"):
        reconstruct_distribution(CutPlan(c), max_qubits=12)


def test_fragments_touch_only_their_qubits_and_fit():
    c = hardware_efficient(6, 2)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name == "cx" and op.qubits == (2, 3))
    plan = CutPlan(c, cuts, qubit_limit=3)
    assert [f.qubits for f in plan.fragments] == [(0, 1, 2), (3, 4, 5)]
    subs = list_subexperiments(plan)
    assert {s.fragment for s in subs} == {0, 1}
    for s in subs:
        assert s.width <= 3
        assert {q for q, _ in s.outputs} == set(plan.fragments[s.fragment].qubits)


def test_wide_hardware_efficient_qnn_exact_and_gradient():
    c = hardware_efficient(6, 2)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name == "cx" and op.qubits == (2, 3))
    plan = CutPlan(c, cuts, qubit_limit=3)
    rng = np.random.default_rng(7)
    th = rng.normal(size=c.num_trainable)
    obs = ["Z0", "Z5", "Z2 Z3"]
    v, j = adjoint_jacobian(c, obs, th)
    g = evaluate_cut_gradient(plan, th, None, obs)
    np.testing.assert_allclose(g.value, v, atol=1e-9)
    np.testing.assert_allclose(g.jacobian, j, atol=1e-9)


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_gradient_through_cuts(method):
    rng = np.random.default_rng(3)
    c = _random_circuit(rng)
    plan = CutPlan(c, _random_cuts(rng, c, 2))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(2, c.num_features))
    g = evaluate_cut_gradient(plan, th, x, OBS, method=method)
    _, j = adjoint_jacobian(c, OBS, th, x)
    np.testing.assert_allclose(g.jacobian, j, atol=1e-9)
    if method == "parameter-shift":
        assert g.runs > sum(g.circuits_per_fragment)  # shifted circuits are counted


def _bell_plan(theta: float) -> tuple[CutPlan, float]:
    c = Circuit(2).ry(0, 0.9).ry(1, -0.4).rzz(0, 1, theta).rx(0, 0.3).h(1)
    return CutPlan(c, (GateCut(2),)), float(expectation(c, ["Z0 Z1"])[0, 0])


def test_monte_carlo_is_unbiased():
    plan, exact = _bell_plan(1.2)
    rng = np.random.default_rng(11)
    runs = np.array([evaluate_cut(plan, observable="Z0 Z1", samples=40, rng=rng).value[0, 0] for _ in range(300)])
    se = runs.std(ddof=1) / np.sqrt(runs.size)
    assert abs(runs.mean() - exact) < 4 * se


def test_monte_carlo_with_shots_is_unbiased():
    c = Circuit(3).ry(0, 0.7).cx(0, 1).ry(2, 1.1).cz(1, 2).rx(1, 0.4)
    plan = CutPlan(c, (GateCut(1), WireCut(2, 3, True)))
    exact = float(expectation(c, ["Z0 Z2"])[0, 0])
    rng = np.random.default_rng(5)
    est = evaluate_cut(plan, observable="Z0 Z2", samples=3000, shots=20, rng=rng)
    z = (est.value[0, 0] - exact) / math.sqrt(est.variance[0, 0])
    assert abs(z) < 4
    assert est.feedforward_messages == 3000 * 20  # one feed-forward cut, one message per shot
    assert est.total_shots == est.runs * 20


def _single_sample_variance(theta: float) -> tuple[float, float, float]:
    """(empirical per-sample variance, predicted γΣ|c_k|v_k² − E², γ) for one RZZ cut."""
    plan, exact = _bell_plan(theta)
    q = plan.qpds[0]
    # term values v_k from exact enumeration of each single term
    vals = np.array([_term_value(plan, k) for k in range(len(q.terms))])
    predicted = q.gamma * float(np.sum(np.abs(q.coefficients) * vals**2)) - exact**2
    rng = np.random.default_rng(int(theta * 1000) % 2**32)
    est = evaluate_cut(plan, observable="Z0 Z1", samples=20000, rng=rng)
    return float(est.variance[0, 0] * 20000), predicted, q.gamma


def _term_value(plan: CutPlan, k: int) -> float:
    from qnet_dqnn.distributed.cutting.reconstruct import _Engine
    from qnet_dqnn.quantum.observables import as_pauli

    eng = _Engine(plan, None, None, [as_pauli("Z0 Z1")])
    out = 1.0
    for f in plan.fragments:
        out *= float(eng.value(eng.sub(f.index, {0: (k, 0)}))[0][0, 0])
    return out


def test_monte_carlo_variance_scales_with_gamma_squared():
    results = [_single_sample_variance(t) for t in (0.15, 0.6, math.pi / 2)]
    for emp, pred, gamma in results:
        assert emp == pytest.approx(pred, rel=0.08)
        assert pred <= gamma**2 + 1e-12
    # larger γ, larger variance
    emps = [r[0] for r in results]
    assert emps[0] < emps[1] < emps[2]


def test_sampling_needs_rng_and_valid_counts():
    plan, _ = _bell_plan(0.4)
    with pytest.raises(QnetError, match="need an rng"):
        evaluate_cut(plan, samples=10)
    with pytest.raises(QnetError, match="samples must be >= 1"):
        evaluate_cut(plan, samples=0, rng=np.random.default_rng(0))


def test_exact_counts_and_feedforward_messages():
    c = Circuit(2).h(0).cx(0, 1).ry(1, 0.2)
    plan = CutPlan(c, (WireCut(0, 1, True),))
    est = evaluate_cut(plan, observable="Z0 Z1", shots=None)
    # the cut sits after the cx, so q0's receiver segment is a fragment of its own
    assert est.value[0, 0] == pytest.approx(float(expectation(c, ["Z0 Z1"])[0, 0]), abs=1e-12)
    # every one of the 6 terms is one joint run: the sender's shot feeds the receiver's shot, so each side
    # runs 6 circuits (the two outcome branches of a term are the same run) and 6 messages go per shot
    assert list(est.circuits_per_fragment) == [6, 6]
    assert est.feedforward_messages == 6
    assert len(est.subexperiments) == 6 + 6  # simulated: sender 3 bases × 2 outcome filters; receiver 6 states
