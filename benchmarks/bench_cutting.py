"""Benchmark: exact reconstruction of a two-cut, 8-qubit circuit, ours vs qiskit-addon-cutting (issue 7);
and one training step of the wide digits model through its cuts.

Run: ``.venv/bin/python benchmarks/bench_cutting.py`` (qiskit-addon-cutting optional; skipped if missing).
Both pipelines enumerate all terms exactly (``num_samples=inf`` / ``samples=None``) on the same circuit and
cuts and must agree to 1e-9; the wall time of each is the best of ``repeats`` runs.

The wide-model part (:func:`wide_step`) times the cut finder and one exact loss-and-gradient evaluation
(:func:`~qnet_dqnn.distributed.cut.cut_loss_and_grad`, the controller's work per step) for a batch of 16
digits on the 32- and 64-qubit ``blocks`` models of ``docs/experiments/cut_wide.py`` (8-qubit fragments);
``python benchmarks/bench_cutting.py wide`` runs only that part. The machine's load is printed with it.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from qnet_dqnn.cutting import CutPlan, GateCut, evaluate_cut, evaluate_cut_gradient
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.quantum import expectation


def _circuit():
    c = hardware_efficient(8, 2)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=c.num_trainable)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name == "cx" and op.qubits == (3, 4))
    return c, theta, CutPlan(c, cuts, qubit_limit=4)


def _best(fn, repeats: int = 5) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


#: Batch of one benchmarked training step (the experiment's batch size).
WIDE_BATCH = 16


def wide_step(qubits: int, repeats: int = 3) -> dict[str, float]:
    """Wall times of planning and of one exact loss-and-gradient step of the ``qubits``-wide blocks model."""
    from qnet_dqnn.cutting import find_cuts, list_subexperiments
    from qnet_dqnn.distributed.cut import cut_loss_and_grad
    from qnet_dqnn.distributed.spec import DatasetSpec, ModelSpec, build_dataset, build_model

    model = build_model(ModelSpec(qubits=qubits, layers=2, ansatz="blocks", block_qubits=8))
    data = build_dataset(DatasetSpec(name="digits"), qubits, seed=1)
    x, y = data.x_train[:WIDE_BATCH], data.y_train[:WIDE_BATCH]
    params = model.init_params(np.random.default_rng(0))
    t_plan = _best(lambda: find_cuts(model.circuit, 8), repeats)
    plan = find_cuts(model.circuit, 8)
    t_step = _best(lambda: cut_loss_and_grad(plan, model, params, x, y), repeats)
    return {
        "qubits": qubits,
        "params": model.num_params,
        "cuts": len(plan.cuts),
        "overhead": plan.sampling_overhead,
        "subexperiments": len(list_subexperiments(plan)),
        "plan_s": t_plan,
        "step_s": t_step,
    }


def wide_main() -> None:
    """Print the wide-model step times with the machine's load."""
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for qubits in (32, 64):
        r = wide_step(qubits)
        print(
            f"blocks model {qubits} qubits ({r['params']} params): {r['cuts']} CZ cuts, γ² = {r['overhead']:.6g}, "
            f"{r['subexperiments']} sub-experiments; find_cuts {r['plan_s'] * 1e3:.1f} ms, "
            f"one step (loss + gradient, batch {WIDE_BATCH}) {r['step_s']:.3f} s"
        )


def main() -> None:
    c, theta, plan = _circuit()
    labels = ["Z0", "Z3 Z4", "Z7"]
    ref = expectation(c, labels, theta)[0]
    ours = evaluate_cut(plan, theta, None, labels).value[0]
    assert np.allclose(ours, ref, atol=1e-9)
    t_ours = _best(lambda: evaluate_cut(plan, theta, None, labels))
    t_grad = _best(lambda: evaluate_cut_gradient(plan, theta, None, labels))
    print(f"cuts: {len(plan.cuts)}, sampling overhead γ² = {plan.sampling_overhead:g}")
    print(f"qnet-dqnn exact reconstruction: {t_ours * 1e3:8.2f} ms")
    print(f"qnet-dqnn exact gradient ({c.num_trainable} params, adjoint): {t_grad * 1e3:8.2f} ms")
    try:
        import qiskit_addon_cutting as qac
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_addon_cutting.utils.simulation import ExactSampler
    except ImportError:
        print("qiskit-addon-cutting not installed; skipping the reference")
        return
    bound = QuantumCircuit(8)
    for op in c.ops:
        angle = [theta[op.params[0].index]] if op.params else []
        getattr(bound, op.name)(*angle, *op.qubits)
    obs = SparsePauliOp(["IIIIIIIZ", "IIIZZIII", "ZIIIIIII"])

    def theirs():
        pp = qac.partition_problem(bound, "AAAABBBB", observables=obs.paulis)
        subexps, coeffs = qac.generate_cutting_experiments(pp.subcircuits, pp.subobservables, num_samples=np.inf)
        sampler = ExactSampler()
        res = {k: sampler.run(subexps[k]).result() for k in subexps}
        return np.array(qac.reconstruct_expectation_values(res, coeffs, pp.subobservables))

    assert np.allclose(theirs(), ref, atol=1e-9)
    t_theirs = _best(theirs, repeats=3)
    print(f"qiskit-addon-cutting (ExactSampler) pipeline: {t_theirs * 1e3:8.2f} ms")
    print(f"speed-up: {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    if sys.argv[1:] != ["wide"]:
        main()
    wide_main()
