"""Benchmark: circuit cutting — exact reconstruction against qiskit-addon-cutting, and one wide-model training step.

**Exact reconstruction** (issues 7, 19). The same circuits, cuts and observables through both pipelines, every term
enumerated (``samples=None`` / ``num_samples=inf``), results equal to 1e-9:

- ``he8``: an 8-qubit, 2-layer hardware-efficient circuit, the two CNOTs joining qubits 3 and 4 cut (γ² = 81);
- ``mixed8``: 8 qubits, cuts of a CP, an RZZ and a CSX gate across the halves (γ² ≈ 92).

qiskit-addon-cutting runs in its own virtualenv (``benchmarks/.venvs/qiskit-addon-cutting``, created by ``make
bench-cutting``) through ``benchmarks/peers/qac_reconstruct.py``, which times ``partition_problem →
generate_cutting_experiments → ExactSampler → reconstruct_expectation_values``; without that venv the same script
runs with this interpreter if the package is importable (the ``dev`` extras). Ours is timed *cold* (a new
``CutPlan`` each time: the same work as the peer's partitioning) and *warm* (the plan kept, as the training loop
does). Each round times both sides (best of 3 each) and prints the ratio; the rounds give a range.

**Wide training step.** One loss-and-gradient step (batch 16) of the 32- and 64-qubit ``blocks`` models of
``docs/experiments/cut_wide.py`` on 8-qubit fragments: exact (adjoint fragment gradients, as before issue 19) and
sampled (the default: ``S·γ²`` shots drawn per fragment circuit, ``S = 100``, parameter-shift gradients).

**Against an older tree** (``--baseline DIR``): the exact 64-qubit step of the code in ``DIR`` (e.g. ``git worktree
add /tmp/base main``) and of this tree, alternating in subprocesses with the same interpreter
(``benchmarks/peers/wide_step.py``), losses equal to 1e-9: on a shared machine only such side-by-side ratios mean
anything.

Run: ``.venv/bin/python benchmarks/bench_cutting.py [wide] [--baseline DIR] [rounds]`` (``wide``: only the wide step).
Writes ``results/bench_cutting.json``; prints the machine's load with every part (the machine is shared).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from qnet_dqnn.cutting import CutPlan, GateCut, evaluate_cut, find_cuts
from qnet_dqnn.distributed.cut import cut_loss_and_grad
from qnet_dqnn.distributed.spec import DatasetSpec, ModelSpec, build_dataset, build_model
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.quantum import Circuit, expectation

ROOT = Path(__file__).resolve().parents[1]
PEER_PYTHON = ROOT / "benchmarks" / ".venvs" / "qiskit-addon-cutting" / "bin" / "python"
PEER_SCRIPT = ROOT / "benchmarks" / "peers" / "qac_reconstruct.py"
LABELS = ["Z0", "Z3 Z4", "Z7"]
#: Batch of one benchmarked training step (the experiment's batch size).
WIDE_BATCH = 16


def _load() -> str:
    a, b, c = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {a:.2f} {b:.2f} {c:.2f}"


def _he8() -> tuple[Circuit, np.ndarray, tuple]:
    c = hardware_efficient(8, 2)
    theta = np.random.default_rng(0).normal(size=c.num_trainable)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name == "cx" and op.qubits == (3, 4))
    return c, theta, cuts


def _mixed8() -> tuple[Circuit, np.ndarray, tuple]:
    rng = np.random.default_rng(1)
    c = Circuit(8)
    for q in range(8):
        c.ry(q, float(rng.uniform(-2, 2))).rz(q, float(rng.uniform(-2, 2)))
    for q in (0, 1, 2, 4, 5, 6):
        c.cx(q, q + 1)
    c.cp(3, 4, 0.9).ry(3, 0.4).rzz(2, 5, 0.6).rx(4, -0.3).csx(1, 6)
    for q in (0, 1, 2, 4, 5, 6):
        c.cx(q, q + 1)
    cuts = tuple(GateCut(i) for i, op in enumerate(c.ops) if op.name in ("cp", "rzz", "csx"))
    return c, np.zeros(0), cuts


CASES = {"he8": _he8, "mixed8": _mixed8}


def _qiskit_label(label: str, n: int) -> str:
    chars = ["I"] * n
    for tok in label.split():
        chars[n - 1 - int(tok[1:])] = tok[0]
    return "".join(chars)


def _peer_python() -> tuple[str | None, str]:
    if PEER_PYTHON.exists():
        return str(PEER_PYTHON), "own venv"
    if importlib.util.find_spec("qiskit_addon_cutting") is not None:
        return sys.executable, "this venv (dev extras; run `make bench-cutting` for its own venv)"
    return None, "not installed"


def _peer(python: str, c: Circuit, theta: np.ndarray, repeats: int) -> dict:
    ops = []
    for op in c.ops:
        angles = [float(theta[p.index] * p.scale) if hasattr(p, "index") else float(p) for p in op.params]
        ops.append([op.name, list(op.qubits), angles])
    job = {
        "qubits": c.num_qubits,
        "ops": ops,
        "partition": "AAAABBBB",
        "observables": [_qiskit_label(s, c.num_qubits) for s in LABELS],
        "repeats": repeats,
    }
    out = subprocess.run([python, str(PEER_SCRIPT)], input=json.dumps(job), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(fn, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _timed(fn) -> tuple[float, float]:
    """Wall and CPU time of one call (on a loaded shared machine the CPU time is the steadier of the two)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def reconstruction(rounds: int) -> dict:
    """Exact reconstruction, ours (cold and warm) against the peer, ``rounds`` times per case."""
    python, where = _peer_python()
    print(f"machine: {_load()}; qiskit-addon-cutting: {where}")
    out: dict = {"peer": where, "cases": {}}
    for name, make in CASES.items():
        c, theta, cuts = make()
        params = theta if theta.size else None
        ref = expectation(c, LABELS, params)[0]
        plan = CutPlan(c, cuts, qubit_limit=4)
        ours = evaluate_cut(plan, params, None, LABELS).value[0]
        assert np.allclose(ours, ref, atol=1e-9)

        def cold(c=c, cuts=cuts, params=params) -> None:
            evaluate_cut(CutPlan(c, cuts, qubit_limit=4), params, None, LABELS)

        def warm(plan=plan, params=params) -> None:
            evaluate_cut(plan, params, None, LABELS)

        rows = []
        for _ in range(rounds):
            cold_t, warm_t = [_timed(cold) for _ in range(3)], [_timed(warm) for _ in range(3)]
            row = {
                "ours_cold_s": min(w for w, _ in cold_t),
                "ours_warm_s": min(w for w, _ in warm_t),
                "ours_cold_cpu_s": min(c for _, c in cold_t),
                "ours_warm_cpu_s": min(c for _, c in warm_t),
            }
            if python is not None:
                peer = _peer(python, c, theta, 3)
                assert np.allclose(peer["values"], ref, atol=1e-9)
                row.update({"peer_s": min(peer["times_s"]), "peer_version": peer["version"]})
                row.update(
                    {"ratio_cold": row["peer_s"] / row["ours_cold_s"], "ratio_warm": row["peer_s"] / row["ours_warm_s"]}
                )
                if "cpu_s" in peer:
                    row["peer_cpu_s"] = min(peer["cpu_s"])
                    row["ratio_cold_cpu"] = row["peer_cpu_s"] / row["ours_cold_cpu_s"]
                    row["ratio_warm_cpu"] = row["peer_cpu_s"] / row["ours_warm_cpu_s"]
            rows.append(row)
        out["cases"][name] = {"cuts": len(cuts), "overhead": plan.sampling_overhead, "rounds": rows}
        line = (
            f"{name}: {len(cuts)} cuts, γ² = {plan.sampling_overhead:.4g}; ours cold "
            f"{min(r['ours_cold_s'] for r in rows) * 1e3:.1f}–{max(r['ours_cold_s'] for r in rows) * 1e3:.1f} ms, "
            f"warm {min(r['ours_warm_s'] for r in rows) * 1e3:.1f}–{max(r['ours_warm_s'] for r in rows) * 1e3:.1f} ms"
        )
        if python is not None:
            line += (
                f"; qiskit-addon-cutting {min(r['peer_s'] for r in rows) * 1e3:.0f}–"
                f"{max(r['peer_s'] for r in rows) * 1e3:.0f} ms; speed-up cold "
                f"{min(r['ratio_cold'] for r in rows):.1f}–{max(r['ratio_cold'] for r in rows):.1f}x, warm "
                f"{min(r['ratio_warm'] for r in rows):.1f}–{max(r['ratio_warm'] for r in rows):.1f}x"
            )
            if all("ratio_cold_cpu" in r for r in rows):
                line += (
                    f"; by CPU time cold {min(r['ratio_cold_cpu'] for r in rows):.1f}–"
                    f"{max(r['ratio_cold_cpu'] for r in rows):.1f}x, warm {min(r['ratio_warm_cpu'] for r in rows):.1f}–"
                    f"{max(r['ratio_warm_cpu'] for r in rows):.1f}x"
                )
        print(line, flush=True)
    return out


def wide_step(qubits: int, rounds: int) -> dict:
    """Wall times of planning and of one exact and one sampled loss-and-gradient step of the blocks model."""
    model = build_model(ModelSpec(qubits=qubits, layers=2, ansatz="blocks", block_qubits=8))
    data = build_dataset(DatasetSpec(name="digits"), qubits, seed=1)
    x, y = data.x_train[:WIDE_BATCH], data.y_train[:WIDE_BATCH]
    params = model.init_params(np.random.default_rng(0))
    t_plan = _best(lambda: find_cuts(model.circuit, 8), 3)
    plan = find_cuts(model.circuit, 8)
    cut_loss_and_grad(plan, model, params, x, y)  # first call builds the fragments' templates (cached per plan)
    exact = [_timed(lambda: cut_loss_and_grad(plan, model, params, x, y)) for _ in range(rounds)]
    rng = np.random.default_rng(0)
    sampled = [_timed(lambda: cut_loss_and_grad(plan, model, params, x, y, shots=100, rng=rng)) for _ in range(rounds)]
    return {
        "qubits": qubits,
        "params": model.num_params,
        "cuts": len(plan.cuts),
        "overhead": plan.sampling_overhead,
        "plan_s": t_plan,
        "exact_s": [w for w, _ in exact],
        "exact_cpu_s": [c for _, c in exact],
        "sampled_s": [w for w, _ in sampled],
        "sampled_cpu_s": [c for _, c in sampled],
    }


def wide_main(rounds: int) -> list[dict]:
    """Print the wide-model step times (ranges over ``rounds``) with the machine's load."""
    print(f"machine: {_load()}")
    out = []
    for qubits in (32, 64):
        r = wide_step(qubits, rounds)
        out.append(r)
        print(
            f"blocks model {qubits} qubits ({r['params']} params): {r['cuts']} CZ cuts, γ² = {r['overhead']:.6g}; "
            f"find_cuts {r['plan_s'] * 1e3:.1f} ms; one step (batch {WIDE_BATCH}) exact "
            f"{min(r['exact_s']):.2f}–{max(r['exact_s']):.2f} s wall ({min(r['exact_cpu_s']):.2f}–"
            f"{max(r['exact_cpu_s']):.2f} s CPU), sampled {min(r['sampled_s']):.2f}–{max(r['sampled_s']):.2f} s wall "
            f"({min(r['sampled_cpu_s']):.2f}–{max(r['sampled_cpu_s']):.2f} s CPU)",
            flush=True,
        )
    print(f"machine after: {_load()}")
    return out


def baseline(tree: str, rounds: int) -> dict:
    """The exact 64-qubit step of an older tree of this project and of this one, alternating, ``rounds`` times."""
    script = str(ROOT / "benchmarks" / "peers" / "wide_step.py")
    times: dict[str, list] = {"baseline": [], "current": []}
    losses = {}
    for _ in range(rounds):
        for name, path in (("baseline", tree), ("current", str(ROOT))):
            env = {**os.environ, "PYTHONPATH": path}
            cmd = [sys.executable, script, "64", "2"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            times[name] += res["times"]
            losses[name] = res["loss"]
    assert abs(losses["baseline"] - losses["current"]) < 1e-9, losses
    wall = {k: [w for w, _ in v] for k, v in times.items()}
    cpu = {k: [c for _, c in v] for k, v in times.items()}
    print(
        f"exact 64-qubit step, {tree} against this tree: wall {min(wall['baseline']):.2f}–"
        f"{max(wall['baseline']):.2f} s "
        f"against {min(wall['current']):.2f}–{max(wall['current']):.2f} s, CPU {min(cpu['baseline']):.2f}–"
        f"{max(cpu['baseline']):.2f} s against {min(cpu['current']):.2f}–{max(cpu['current']):.2f} s; "
        f"speed-up (medians) wall {np.median(wall['baseline']) / np.median(wall['current']):.1f}x, "
        f"CPU {np.median(cpu['baseline']) / np.median(cpu['current']):.1f}x; {_load()}",
        flush=True,
    )
    return {"tree": tree, "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    args = sys.argv[1:]
    base = None
    if "--baseline" in args:
        i = args.index("--baseline")
        base, args = args[i + 1], args[:i] + args[i + 2 :]
    only_wide = args[:1] == ["wide"]
    rounds = int(args[-1]) if args and args[-1].isdigit() else 5
    result: dict = {"versions": {"qnet-dqnn": version("qnet-dqnn"), "numpy": np.__version__}}
    if base is not None:
        result["baseline"] = baseline(base, max(2, rounds // 2))
    if not only_wide:
        result["reconstruction"] = reconstruction(rounds)
    result["wide"] = wide_main(max(2, rounds // 2))
    out = ROOT / "results" / "bench_cutting.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
