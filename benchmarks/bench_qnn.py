"""Benchmark of the QNN engine against PennyLane and qiskit-aer, measured in the same run.

Circuit (issue 4): RY(x_q) on every qubit, then 4 × (RY(θ) and RZ(φ) on every qubit, CNOT ladder),
observable Z on qubit 0. For n = 4, 8, 12, 16, 20: (a) ``<Z0>`` for a batch of 64 inputs, (b) the full
gradient (adjoint) for one input. Best of several repeats (``time.perf_counter``). Peers run in their own
virtualenv (``/work/peer-venvs/qnn``, see ``benchmarks/peers/qnn_peers.py``) when it exists.

Usage: ``python benchmarks/bench_qnn.py [--qubits 4 8 12 16 20] [--no-peers]``; writes
``results/benchmarks/bench_qnn.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gradients import adjoint_jacobian
from qnet_dqnn.quantum.statevector import expectation

HERE = Path(__file__).resolve().parent
PEER_PYTHON = Path("/work/peer-venvs/qnn/bin/python")


def hea_circuit(n: int, layers: int = 4) -> Circuit:
    """The benchmark circuit."""
    c = Circuit(n)
    for q in range(n):
        c.ry(q, Data(q))
    k = 0
    for _ in range(layers):
        for q in range(n):
            c.ry(q, Trainable(k))
            k += 1
        for q in range(n):
            c.rz(q, Trainable(k))
            k += 1
        for q in range(n - 1):
            c.cx(q, q + 1)
    return c


def best_of(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one warm-up."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ours(n: int, layers: int, batch: int, repeats: int) -> dict:
    """Our forward and adjoint-gradient timings."""
    c = hea_circuit(n, layers)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, np.pi, size=(batch, n))
    theta = rng.normal(size=c.num_trainable)
    return {"forward_s": best_of(lambda: expectation(c, ["Z0"], theta, x), repeats),
            "gradient_s": best_of(lambda: adjoint_jacobian(c, ["Z0"], theta, x[:1]), repeats)}


def main() -> None:
    """Run, print a table, write JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qubits", type=int, nargs="+", default=[4, 8, 12, 16, 20])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    results: dict = {"ours": {}}
    for n in args.qubits:
        results["ours"][str(n)] = ours(n, args.layers, args.batch, args.repeats if n < 20 else 1)
        print(f"qnet-dqnn n={n}: {results['ours'][str(n)]}", file=sys.stderr, flush=True)
    peer_info: dict = {}
    if args.no_peers:
        peer_info = {"note": "peers skipped (--no-peers)"}
    elif not PEER_PYTHON.exists():
        peer_info = {"note": f"peers skipped: {PEER_PYTHON} not found"}
    else:
        cmd = [str(PEER_PYTHON), str(HERE / "peers" / "qnn_peers.py"), "--qubits", *map(str, args.qubits),
               "--layers", str(args.layers), "--batch", str(args.batch), "--repeats", str(args.repeats)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            peer_info = {"note": f"peer script failed: {proc.stderr[-2000:]}"}
        else:
            peer_info = json.loads(proc.stdout)
            results.update(peer_info.pop("results"))
    import scipy

    meta = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "machine": platform.machine(), "processor": platform.processor() or platform.platform(),
            "batch": args.batch, "layers": args.layers, "peers": peer_info}
    names = list(results)
    header = f"{'n':>3} | " + " | ".join(f"{s:>16} fwd  grad" for s in names)
    print(header)
    for n in args.qubits:
        row = []
        for s in names:
            r = results[s].get(str(n), {})
            f, g = r.get("forward_s"), r.get("gradient_s")
            row.append(f"{(f'{f:.4f}' if f else '-'):>21} {(f'{g:.4f}' if g else '-'):>6}")
        print(f"{n:>3} | " + " | ".join(row))
    out = HERE.parent / "results" / "benchmarks"  # outside the source tree, as benchmarks/common.py says
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_qnn.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
