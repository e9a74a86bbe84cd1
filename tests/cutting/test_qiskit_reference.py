"""qiskit-addon-cutting as an independent reference: the same γ for every standard two-qubit gate, a smaller one
for generic unitary blocks, the same reconstructed values, and its cut finder as a backend of ours."""

from __future__ import annotations

import numpy as np
import pytest

qac = pytest.importorskip("qiskit_addon_cutting")

from qiskit.quantum_info import SparsePauliOp, random_unitary  # noqa: E402
from qiskit_addon_cutting.instructions import Move  # noqa: E402
from qiskit_addon_cutting.qpd import QPDBasis  # noqa: E402
from qiskit_addon_cutting.utils.simulation import ExactSampler  # noqa: E402

from qnet_dqnn.cutting import CutPlan, GateCut, cut_operation, evaluate_cut, find_cuts, wire_cut_qpd  # noqa: E402
from qnet_dqnn.interop.qiskit import TWO_QUBIT_GATES, to_qiskit  # noqa: E402
from qnet_dqnn.quantum import Circuit, UnitaryMatrix  # noqa: E402
from qnet_dqnn.quantum.circuit import Operation  # noqa: E402
from qnet_dqnn.quantum.gates import gate_spec  # noqa: E402

STANDARD = [g for g in TWO_QUBIT_GATES if g != "unitary"]


@pytest.mark.parametrize("name", STANDARD)
@pytest.mark.parametrize("seed", [0, 1])
def test_same_gamma_as_qiskit_addon_cutting(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    params = tuple(float(v) for v in rng.uniform(-3, 3, size=gate_spec(name).num_params))
    op = Operation(name, (0, 1), params)
    theirs = QPDBasis.from_instruction(to_qiskit(Circuit(2, [op])).data[0].operation)
    assert cut_operation(op).gamma == pytest.approx(theirs.kappa, abs=1e-9)


def test_wire_cut_gamma_equals_qiskits_move() -> None:
    assert wire_cut_qpd().gamma == pytest.approx(QPDBasis.from_instruction(Move()).kappa, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_unitary_blocks_cost_less_than_in_qiskit_addon_cutting(seed: int) -> None:
    """qiskit-addon-cutting splits each pair term into its real and imaginary parts; the generalized measurement
    reaches the optimum, which is below unless the KAK phases are multiples of π/2."""
    op = Operation("unitary", (0, 1), (UnitaryMatrix.of(random_unitary(4, seed=seed).data),))
    theirs = QPDBasis.from_instruction(to_qiskit(Circuit(2, [op])).data[0].operation).kappa
    assert cut_operation(op).gamma < theirs - 1e-3


def _qiskit_label(label: str, n: int) -> str:
    chars = ["I"] * n
    for tok in label.split():
        chars[n - 1 - int(tok[1:])] = tok[0]
    return "".join(chars)


def test_same_reconstruction_and_overhead_as_qiskit_addon_cutting() -> None:
    c = Circuit(4)
    for q in range(4):
        c.ry(q, 0.3 + q).rz(q, 0.1 * q)
    c.cx(0, 1).cx(2, 3).cp(1, 2, 0.9).rzz(0, 3, 0.7).ry(1, 0.5).csx(2, 1).ecr(0, 1)
    cut_ops = [
        i for i, op in enumerate(c.ops) if len(op.qubits) == 2 and {op.qubits[0] // 2, op.qubits[1] // 2} == {0, 1}
    ]
    plan = CutPlan(c, tuple(GateCut(i) for i in cut_ops), qubit_limit=2)
    labels = ["Z0 Z3", "Z1 Z2", "X0 Y2"]
    ours = evaluate_cut(plan, observable=labels).value[0]
    obs = SparsePauliOp([_qiskit_label(s, 4) for s in labels])
    pp = qac.partition_problem(to_qiskit(c), "AABB", observables=obs.paulis)
    subexps, coeffs = qac.generate_cutting_experiments(pp.subcircuits, pp.subobservables, num_samples=np.inf)
    sampler = ExactSampler()
    results = {label: sampler.run(subexps[label]).result() for label in subexps}
    theirs = np.array(qac.reconstruct_expectation_values(results, coeffs, pp.subobservables))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    assert plan.sampling_overhead == pytest.approx(float(np.prod([b.overhead for b in pp.bases])), rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_qiskit_finder_as_a_backend_agrees_with_ours(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = Circuit(5)
    for _ in range(7):
        a, b = (int(v) for v in rng.choice(5, 2, replace=False))
        c.append(str(rng.choice(["cx", "cz"])), [a, b])
    ours = find_cuts(c, 3, allow_wire_cuts=False)
    theirs = find_cuts(c, 3, allow_wire_cuts=False, backend="qiskit", seed=seed)
    assert theirs.max_width <= 3 and ours.max_width <= 3
    # both search for the least overhead; ours is exact on circuits this small
    assert ours.sampling_overhead <= theirs.sampling_overhead + 1e-9
    assert theirs.sampling_overhead == pytest.approx(ours.sampling_overhead)
    values = ["Z0 Z4", "X2"]
    np.testing.assert_allclose(
        evaluate_cut(theirs, observable=values).value, evaluate_cut(ours, observable=values).value, atol=1e-10
    )
