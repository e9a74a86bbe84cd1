"""qiskit-addon-cutting as an independent reference: same γ for the same cuts, same reconstructed values."""

from __future__ import annotations

import numpy as np
import pytest

qac = pytest.importorskip("qiskit_addon_cutting")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit.library import CXGate, CZGate, RXXGate, RYYGate, RZZGate  # noqa: E402
from qiskit.quantum_info import SparsePauliOp  # noqa: E402
from qiskit_addon_cutting.instructions import Move  # noqa: E402
from qiskit_addon_cutting.qpd import QPDBasis  # noqa: E402
from qiskit_addon_cutting.utils.simulation import ExactSampler  # noqa: E402

from qnet_dqnn.distributed.cutting import (  # noqa: E402
    CutPlan,
    GateCut,
    cx_qpd,
    cz_qpd,
    evaluate_cut,
    rxx_qpd,
    ryy_qpd,
    rzz_qpd,
    wire_cut_qpd,
)
from qnet_dqnn.quantum import Circuit  # noqa: E402


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (cx_qpd(), CXGate()),
        (cz_qpd(), CZGate()),
        (rzz_qpd(0.4), RZZGate(0.4)),
        (rzz_qpd(-2.0), RZZGate(-2.0)),
        (rxx_qpd(1.3), RXXGate(1.3)),
        (ryy_qpd(0.2), RYYGate(0.2)),
        (wire_cut_qpd(), Move()),
    ],
)
def test_same_gamma_as_qiskit_addon_cutting(ours, theirs):
    basis = QPDBasis.from_instruction(theirs)
    assert ours.gamma == pytest.approx(basis.kappa, abs=1e-12)
    assert ours.overhead == pytest.approx(basis.overhead, abs=1e-9)


def _to_qiskit(c: Circuit) -> QuantumCircuit:
    qc = QuantumCircuit(c.num_qubits)
    for op in c.ops:
        getattr(qc, op.name)(*op.params, *op.qubits)
    return qc


def test_same_reconstruction_and_overhead_as_qiskit_addon_cutting():
    c = Circuit(4)
    for q in range(4):
        c.ry(q, 0.3 + q).rz(q, 0.1 * q)
    c.cx(0, 1).cx(2, 3).cz(1, 2).rzz(0, 3, 0.7).ry(1, 0.5).cx(1, 2).rx(3, -0.2)
    cut_ops = [
        i for i, op in enumerate(c.ops) if len(op.qubits) == 2 and {op.qubits[0] // 2, op.qubits[1] // 2} == {0, 1}
    ]
    plan = CutPlan(c, tuple(GateCut(i) for i in cut_ops), qubit_limit=2)
    labels = ["Z0 Z3", "Z1 Z2", "X0 Y2"]
    ours = evaluate_cut(plan, observable=labels).value[0]

    qc = _to_qiskit(c)

    def qiskit_label(label: str) -> str:
        chars = ["I"] * 4
        for tok in label.split():
            chars[3 - int(tok[1:])] = tok[0]
        return "".join(chars)

    obs = SparsePauliOp([qiskit_label(s) for s in labels])
    pp = qac.partition_problem(qc, "AABB", observables=obs.paulis)
    subexps, coeffs = qac.generate_cutting_experiments(pp.subcircuits, pp.subobservables, num_samples=np.inf)
    sampler = ExactSampler()
    results = {label: sampler.run(subexps[label]).result() for label in subexps}
    theirs = np.array(qac.reconstruct_expectation_values(results, coeffs, pp.subobservables))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    assert plan.sampling_overhead == pytest.approx(float(np.prod([b.overhead for b in pp.bases])))
