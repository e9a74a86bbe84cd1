"""The wide blocks model (Marshall et al., Quantum 7, 1078 (2023)) through its cuts: exact reconstruction equals
the uncut circuit where that is simulable, the cut finder finds the block boundaries fast at 32–64 qubits, and
the caller's Monte Carlo term choices give the same estimate as the internal draw."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.cutting import (
    CutPlan,
    GateCut,
    cut_count_lower_bound,
    draw_terms,
    evaluate_cut,
    evaluate_cut_gradient,
    find_cuts,
    list_subexperiments,
)
from qnet_dqnn.distributed.cut import cut_loss_and_grad
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import AngleEncoding, QNNModel, block_readout, blocks
from qnet_dqnn.quantum import expectation


def _wide(num_blocks: int, width: int, layers: int, couplings: int, parity: bool = False) -> QNNModel:
    return QNNModel(
        encoding=AngleEncoding(num_blocks * width),
        ansatz=blocks(num_blocks, width, layers, couplings=couplings),
        readout=block_readout(num_blocks, width),
        parity=parity,
        mean=not parity,
    )


def _block_cuts(model: QNNModel, width: int) -> CutPlan:
    """The plan that gate-cuts every inter-block CZ (what the finder returns for ``couplings=1``)."""
    cuts = tuple(GateCut(i) for i, op in enumerate(model.circuit.ops) if op.name == "cz")
    return CutPlan(model.circuit, cuts, qubit_limit=width)


@pytest.mark.parametrize(
    "num_blocks, width, couplings, parity", [(3, 4, 1, False), (4, 3, 1, False), (2, 6, 2, False), (3, 4, 1, True)]
)
def test_exact_cut_of_the_blocks_model_equals_the_uncut_circuit(
    num_blocks: int, width: int, couplings: int, parity: bool
) -> None:
    model = _wide(num_blocks, width, 2, couplings, parity)
    plan = _block_cuts(model, width)
    assert len(plan.cuts) == (num_blocks - 1) * couplings and plan.max_width == width
    rng = np.random.default_rng(4)
    params = model.init_params(rng)
    x, y = rng.uniform(0, np.pi, size=(5, num_blocks * width)), np.array([0, 1, 1, 0, 1])
    data = model.encoding.transform(x)
    extra = ["Z0", f"X{width - 1} Z{width}", f"Y1 Z{num_blocks * width - 1}"]
    ref = expectation(model.circuit, model.observables + extra, params, data)
    np.testing.assert_allclose(evaluate_cut(plan, params, data, model.observables + extra).value, ref, atol=1e-9)
    step = cut_loss_and_grad(plan, model, params, x, y)
    loss, grad = step.loss, step.grad
    ref_loss, ref_grad = model.loss_and_grad(params, x, y)
    assert loss == pytest.approx(ref_loss, abs=1e-9)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-9)
    assert np.abs(ref_grad).max() > 1e-3  # a gradient worth comparing


def test_one_block_is_the_hardware_efficient_ansatz() -> None:
    from qnet_dqnn.qml import hardware_efficient

    a, b = blocks(1, 5, 3), hardware_efficient(5, 3)
    assert [(o.name, o.qubits, o.params) for o in a.ops] == [(o.name, o.qubits, o.params) for o in b.ops]


def test_blocks_structure_and_parity_readout() -> None:
    c = blocks(4, 8, 2, couplings=1)
    assert c.num_qubits == 32 and c.num_trainable == 2 * 2 * 32
    # one CZ between neighbouring boundary qubits, after layer 1 only
    assert [o.qubits for o in c.ops if o.name == "cz"] == [(7, 8), (15, 16), (23, 24)]
    assert sum(o.name == "cx" for o in c.ops) == 2 * 4 * 7
    mean = build_model(ModelSpec(qubits=32, layers=2, ansatz="blocks", block_qubits=8))
    assert [o.paulis for o in mean.observables] == [((q, "Z"),) for q in (4, 12, 20, 28)]
    parity = build_model(ModelSpec(qubits=32, layers=2, ansatz="blocks", readout="parity"))
    assert [o.paulis for o in parity.observables] == [tuple((q, "Z") for q in (4, 12, 20, 28))]
    # the mean readout's class probability is the mean of the readout qubits' probabilities of reading 1
    e = np.array([[0.2, -0.4, 1.0, 0.6]])
    assert mean.outputs(e)[0, 1] == pytest.approx(np.mean((1 - e) / 2))
    with pytest.raises(QnetError, match="couplings must be in"):
        blocks(2, 4, 2, couplings=3)
    with pytest.raises(QnetError, match="parity needs the binary task"):
        QNNModel(encoding=AngleEncoding(2), ansatz=blocks(1, 2, 1), readout=(0, 1), task="multiclass", parity=True)


def test_finder_returns_the_block_cuts_on_a_simulable_model() -> None:
    model = _wide(3, 4, 2, 1)
    assert find_cuts(model.circuit, 4).cuts == _block_cuts(model, 4).cuts


@pytest.mark.parametrize("qubits", [32, 64])
def test_finder_cuts_the_block_boundaries_and_nothing_else(qubits: int) -> None:
    model = build_model(ModelSpec(qubits=qubits, layers=2, ansatz="blocks", block_qubits=8))
    plan = find_cuts(model.circuit, 8)
    count = qubits // 8
    assert plan.max_width <= 8 and len(plan.fragments) == count
    # the minimum: a connected circuit needs ≥ ⌈n/8⌉ − 1 cuts to fall into ⌈n/8⌉ pieces; the CZs are γ = 3 each
    assert len(plan.cuts) == cut_count_lower_bound(qubits, 8, 1) == count - 1
    assert all(isinstance(c, GateCut) and model.circuit.ops[c.op_index].name == "cz" for c in plan.cuts)
    assert plan.sampling_overhead == pytest.approx(9.0 ** (count - 1))
    # the exact reconstruction runs each distinct fragment circuit once: end fragments see one cut, inner two
    subs = list_subexperiments(plan)
    per_side = round(len([s for s in subs if s.fragment == 0]))
    assert len(subs) == 2 * per_side + (count - 2) * per_side**2


def test_cut_count_lower_bound() -> None:
    assert cut_count_lower_bound(32, 8, 1) == 3
    assert cut_count_lower_bound(33, 8, 1) == 4
    assert cut_count_lower_bound(8, 8, 1) == 0
    assert cut_count_lower_bound(32, 8, 4) == 0  # four separate blocks need no cut


@pytest.mark.parametrize("gradient", [False, True])
def test_passing_terms_equals_the_internal_draw(gradient: bool) -> None:
    model = _wide(3, 3, 2, 1)
    plan = find_cuts(model.circuit, 3)
    rng = np.random.default_rng(2)
    params, data = model.init_params(rng), model.encoding.transform(rng.uniform(0, np.pi, size=(2, 9)))
    evaluate = evaluate_cut_gradient if gradient else evaluate_cut
    inside = evaluate(plan, params, data, model.observables, samples=12, rng=np.random.default_rng(9))
    terms = draw_terms(plan, 12, np.random.default_rng(9))
    assert terms.shape == (12, len(plan.cuts))
    outside = evaluate(plan, params, data, model.observables, terms=terms)
    np.testing.assert_array_equal(outside.value, inside.value)
    if gradient:
        np.testing.assert_array_equal(outside.jacobian, inside.jacobian)
    assert outside.num_runs == inside.num_runs and outside.samples == 12
    other = evaluate(plan, params, data, model.observables, terms=np.zeros_like(terms))
    assert not np.array_equal(other.value, inside.value)  # the terms really are used


def test_bad_terms_are_refused() -> None:
    model = _wide(2, 2, 1, 1)
    plan = find_cuts(model.circuit, 2)
    params = model.init_params(np.random.default_rng(0))
    with pytest.raises(QnetError, match=r"terms must have shape \(samples, 1\)"):
        evaluate_cut(plan, params, None, 0, terms=np.zeros((3, 2), dtype=int))
    with pytest.raises(QnetError, match=r"terms\[:, 0\] must be in \[0, 6\)"):
        evaluate_cut(plan, params, None, 0, terms=np.full((3, 1), 6))
    with pytest.raises(QnetError, match="must equal len"):
        evaluate_cut(plan, params, None, 0, samples=4, terms=np.zeros((3, 1), dtype=int))
