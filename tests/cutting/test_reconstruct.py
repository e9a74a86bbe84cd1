"""Reconstruction: exact equals uncut for every gate, distributions, gradients (trainable cuts included), Monte Carlo
and sampled estimates unbiased, and a cut estimator's variance equal to its QPD variance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.cutting import (
    CutError,
    CutPlan,
    GateCut,
    WireCut,
    evaluate_cut,
    evaluate_cut_gradient,
    list_subexperiments,
    reconstruct_distribution,
)
from qnet_dqnn.interop.qiskit import TWO_QUBIT_GATES
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.quantum import Circuit, Data, Trainable, adjoint_jacobian, expectation, probabilities
from qnet_dqnn.quantum.gates import gate_spec
from qnet_dqnn.quantum.gradients import finite_difference_jacobian

OBS = ["Z0", "Z1 Z2", "X2 Y3", "Y0 X1 Z3", "X3"]
POOL = ["cx", "cz", "rzz", "rxx", "ryy", "cp", "crx", "cry", "crz", "ch", "cy", "cs", "csx", "iswap", "ecr", "rzx"]


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
            g = str(rng.choice(POOL))
            c.append(g, [a, b], [float(rng.uniform(-np.pi, np.pi))] * gate_spec(g).num_params)
    return c


def _random_cuts(rng: np.random.Generator, c: Circuit, n_cuts: int) -> tuple:
    two = [i for i, op in enumerate(c.ops) if len(op.qubits) == 2]
    cuts: list = []
    for i in rng.choice(two, size=min(n_cuts, len(two)), replace=False):
        op = c.ops[int(i)]
        r = rng.random()
        if r < 0.55:
            cuts.append(GateCut(int(i)))
        else:
            q = op.qubits[int(rng.integers(2))]
            cuts.append(WireCut(q, int(i), r < 0.7, 0.7 <= r < 0.85))
    return tuple(cuts)


@pytest.mark.parametrize("seed", range(6))
def test_exact_reconstruction_equals_uncut(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = _random_circuit(rng)
    plan = CutPlan(c, _random_cuts(rng, c, 3))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(3, c.num_features))
    est = evaluate_cut(plan, th, x, OBS)
    np.testing.assert_allclose(est.value, expectation(c, OBS, th, x), atol=1e-10)
    assert est.variance is None and est.samples is None and est.sampled_shots == 0


@pytest.mark.parametrize("name", TWO_QUBIT_GATES)
def test_cutting_each_gate_reconstructs_the_uncut_value(name: str) -> None:
    rng = np.random.default_rng(7)
    c = Circuit(3)
    for q in range(3):
        c.ry(q, Trainable(q)).rz(q, 0.3 * q + 0.1)
    if name == "unitary":
        a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
        c.unitary(1, 2, np.linalg.qr(a)[0])
    else:
        c.append(name, [1, 2], [float(v) for v in rng.uniform(-3, 3, size=gate_spec(name).num_params)])
    c.cx(0, 1).rx(2, Trainable(3))
    plan = CutPlan(c, (GateCut(6),), qubit_limit=2)
    th = rng.normal(size=4)
    obs = ["Z0 Z2", "X1", "Y2", "Z1 X2"]
    np.testing.assert_allclose(evaluate_cut(plan, th, None, obs).value, expectation(c, obs, th), atol=1e-10)
    g = evaluate_cut_gradient(plan, th, None, obs)
    np.testing.assert_allclose(g.jacobian, adjoint_jacobian(c, obs, th)[1], atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_distribution_equals_uncut(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    c = _random_circuit(rng, n=5)
    plan = CutPlan(c, _random_cuts(rng, c, 3))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(2, c.num_features))
    np.testing.assert_allclose(reconstruct_distribution(plan, th, x), probabilities(c, th, x), atol=1e-10)


def test_distribution_rejects_wide_circuits() -> None:
    with pytest.raises(CutError, match="limited to 12 qubits"):
        reconstruct_distribution(CutPlan(Circuit(13).h(0)), max_qubits=12)


def test_fragments_touch_only_their_qubits_and_fit() -> None:
    c = hardware_efficient(6, 2)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name == "cx" and op.qubits == (2, 3))
    plan = CutPlan(c, cuts, qubit_limit=3)
    assert [f.qubits for f in plan.fragments] == [(0, 1, 2), (3, 4, 5)]
    subs = list_subexperiments(plan)
    assert {s.fragment for s in subs} == {0, 1}
    for s in subs:
        assert s.width <= 3 and s.circuit.num_qubits == 3
        touched = {q for op in s.circuit.ops for q in op.qubits}
        assert touched <= set(range(3))


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_gradient_through_cuts(method: str) -> None:
    rng = np.random.default_rng(3)
    c = _random_circuit(rng)
    c = Circuit(c.num_qubits, [op for op in c.ops if op.name not in ("crx", "cry", "crz") or op.params[0] is not None])
    plan = CutPlan(c, _random_cuts(rng, c, 2))
    th = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(2, c.num_features))
    g = evaluate_cut_gradient(plan, th, x, OBS, method=method)
    np.testing.assert_allclose(g.jacobian, adjoint_jacobian(c, OBS, th, x)[1], atol=1e-9)


@pytest.mark.parametrize("name", ["rzz", "rxx", "cp", "crx", "cry", "crz", "rzx", "xx_plus_yy"])
def test_trainable_cut_gate_gradient_equals_finite_differences_of_the_uncut_circuit(name: str) -> None:
    c = Circuit(3).ry(0, Trainable(0)).ry(1, Trainable(1)).rx(2, 0.4)
    extra = [0.35] if gate_spec(name).extra_params else []
    c.append(name, [1, 2], [Trainable(2, 0.8)] + extra).cx(0, 1).append(name, [0, 1], [Trainable(2, -1.3)] + extra)
    plan = CutPlan(c, (GateCut(3),), qubit_limit=2)
    assert plan.trainable_cuts == (0,)
    th = np.array([0.4, -0.9, 1.1])
    obs = ["Z1 Z2", "X2", "Y0 Z1"]
    est = evaluate_cut_gradient(plan, th, None, obs)
    np.testing.assert_allclose(est.value, expectation(c, obs, th), atol=1e-10)
    np.testing.assert_allclose(est.jacobian, finite_difference_jacobian(c, obs, th, eps=1e-6), atol=1e-6)
    assert np.abs(est.jacobian[..., 2]).max() > 1e-2  # the cut gate's own parameter really moves the value


def _bell_plan(theta: float) -> tuple[CutPlan, float]:
    c = Circuit(2).ry(0, 0.9).ry(1, -0.4).rzz(0, 1, theta).rx(0, 0.3).h(1)
    return CutPlan(c, (GateCut(2),)), float(expectation(c, ["Z0 Z1"])[0, 0])


def test_monte_carlo_is_unbiased() -> None:
    plan, exact = _bell_plan(1.2)
    rng = np.random.default_rng(11)
    runs = np.array([evaluate_cut(plan, observable="Z0 Z1", samples=40, rng=rng).value[0, 0] for _ in range(200)])
    assert abs(runs.mean() - exact) < 4 * runs.std(ddof=1) / np.sqrt(runs.size)


@pytest.mark.parametrize("theta", [0.3, math.pi / 2])
def test_cut_estimator_variance_equals_its_qpd_variance(theta: float) -> None:
    """One shot per sample and ±1 outcomes make every sample score ±γ, so the mean of ``N`` samples has variance
    ``(γ² − ⟨O⟩²)/N`` exactly: the γ² overhead, as on hardware. Compared over many seeded estimates."""
    plan, exact = _bell_plan(theta)
    gamma = plan.gamma
    n, repeats = 20, 600
    rng = np.random.default_rng(int(theta * 100))
    est = np.array(
        [
            evaluate_cut(plan, observable="Z0 Z1", samples=n, shots=1, scale_shots=False, rng=rng).value[0, 0]
            for _ in range(repeats)
        ]
    )
    predicted = (gamma**2 - exact**2) / n
    # sample variance of `repeats` draws: relative standard error ≈ sqrt(2 / (repeats − 1)) ≈ 6 %
    assert est.var(ddof=1) == pytest.approx(predicted, rel=4 * math.sqrt(2 / (repeats - 1)))
    assert abs(est.mean() - exact) < 4 * math.sqrt(predicted / repeats)


def test_sampled_enumeration_is_unbiased_and_charges_what_it_draws() -> None:
    c = Circuit(3).ry(0, Trainable(0)).cx(0, 1).ry(2, Trainable(1)).cz(1, 2).rx(1, 0.4)
    plan = CutPlan(c, (GateCut(1), WireCut(2, 3)))
    th = np.array([0.7, 1.1])
    obs = ["Z0 Z2", "Z1"]
    exact = evaluate_cut_gradient(plan, th, None, obs)
    rng = np.random.default_rng(5)
    draws = [evaluate_cut_gradient(plan, th, None, obs, shots=40, rng=rng) for _ in range(60)]
    for est in draws[:2]:
        assert est.sampled_shots == est.total_shots > 0
    vals = np.array([d.value for d in draws])
    jacs = np.array([d.jacobian for d in draws])
    for arr, ref in ((vals, exact.value), (jacs, exact.jacobian)):
        se = arr.std(axis=0, ddof=1) / math.sqrt(len(arr))
        assert np.all(np.abs(arr.mean(axis=0) - ref) <= 4 * se + 1e-12)
        assert np.any(se > 1e-3)


def test_sampling_errors_name_the_problem() -> None:
    plan, _ = _bell_plan(0.4)
    with pytest.raises(CutError, match="need an rng"):
        evaluate_cut(plan, samples=10)
    with pytest.raises(CutError, match="samples must be >= 1"):
        evaluate_cut(plan, samples=0, rng=np.random.default_rng(0))
    with pytest.raises(CutError, match="cannot give each of the 50 Monte Carlo samples one shot"):
        evaluate_cut(plan, samples=50, shots=1, rng=np.random.default_rng(0))
    from qnet_dqnn.cutting import JointCut

    joint = CutPlan(Circuit(2).h(0).cx(0, 1), (JointCut((1,)),))
    with pytest.raises(CutError, match="cannot run the 12 sub-experiments of fragment"):
        evaluate_cut(joint, observable="Z0 Z1", shots=1, rng=np.random.default_rng(0))


def test_exact_counts_and_feedforward_messages() -> None:
    c = Circuit(2).h(0).cx(0, 1).ry(1, 0.2)
    plan = CutPlan(c, (WireCut(0, 1, True),))
    est = evaluate_cut(plan, observable="Z0 Z1")
    assert est.value[0, 0] == pytest.approx(float(expectation(c, ["Z0 Z1"])[0, 0]), abs=1e-12)
    # each of the 6 terms is one joint run: the sender's shot feeds the receiver's, one message per shot
    assert list(est.circuits_per_fragment) == [6, 6]
    assert est.feedforward_messages == 6
