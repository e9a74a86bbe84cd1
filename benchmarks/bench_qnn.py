"""Benchmark of the QNN engine against PennyLane and qiskit-aer, measured in the same run.

Circuit (issue 4): RY(x_q) on every qubit, then 4 × (RY(θ) and RZ(φ) on every qubit, CNOT ladder),
observable Z on qubit 0.

**Noise-free** (issue 4, 17 item 5): for n = 4, 8, 12, 16, 20, (a) ``<Z0>`` for a batch of 64 inputs, (b) the
full gradient (adjoint) for one input, against default.qubit, lightning.qubit (adjoint) and qiskit-aer.

**Noisy** (issue 17): the same circuit with a depolarizing channel after every gate (p1 = 1e-3 after one-qubit
gates, p2 = 1e-2 after CNOTs) and readout error 1e-2, batch 16. Ours: the exact noisy Jacobian and the loss
gradient (one vector-Jacobian product), as ratios to the noise-free adjoint Jacobian of the same batch, at
n = 4, 8, 12 — on the circuit above (readout ``Z0``: a light cone of 5 qubits from n = 5 on) and on the same
circuit read on its last qubit (``Z_{n-1}``: the whole register is in the light cone, the worst case). Peers at
n = 4 and 8: PennyLane default.mixed (backprop) and qiskit-aer's density-matrix estimator (parameter shift),
loss gradient of the batch.

Best of several repeats (``time.perf_counter``). Peers run in their own virtualenv ``benchmarks/.venvs/qnn``
(``make bench`` creates it). Usage: ``python benchmarks/bench_qnn.py [--qubits …] [--noisy-qubits …]
[--no-peers] [--peers …] [--only noisy|clean]``; writes ``results/bench_qnn.json``.
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
import scipy

from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gradients import adjoint_jacobian
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.noisy_adjoint import MAX_CONE_QUBITS, cone_qubits, noisy_jacobian, noisy_vjp
from qnet_dqnn.quantum.statevector import expectation

HERE = Path(__file__).resolve().parent
PEER_PYTHON = HERE / ".venvs" / "qnn" / "bin" / "python"
OUT = HERE.parent / "results"

#: The noisy benchmark's noise (issue 17): depolarizing after every gate, symmetric readout flips.
P1, P2, READOUT = 1e-3, 1e-2, 1e-2


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
    return {
        "forward_s": best_of(lambda: expectation(c, ["Z0"], theta, x), repeats),
        "gradient_s": best_of(lambda: adjoint_jacobian(c, ["Z0"], theta, x[:1]), repeats),
    }


def ours_noisy(n: int, layers: int, batch: int, repeats: int, readout_qubit: int) -> dict:
    """Noise-free adjoint Jacobian vs the exact noisy Jacobian and loss gradient, same batch and inputs."""
    c = hea_circuit(n, layers)
    noisy = NoiseModel(p1=P1, p2=P2, readout=READOUT).apply(c)
    obs = [f"Z{readout_qubit}"]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, np.pi, size=(batch, n))
    theta = rng.normal(size=c.num_trainable)
    clean = best_of(lambda: adjoint_jacobian(c, obs, theta, x), repeats)
    jac = best_of(lambda: noisy_jacobian(noisy, obs, theta, x, readout=READOUT), repeats)
    vjp = best_of(lambda: noisy_vjp(noisy, obs, theta, x, readout=READOUT, cotangent=np.ones_like), repeats)
    values = noisy_jacobian(noisy, obs, theta, x, readout=READOUT)[0][:4, 0]
    return {
        "cone_qubits": cone_qubits(noisy, obs),
        "clean_adjoint_s": clean,
        "noisy_jacobian_s": jac,
        "noisy_loss_gradient_s": vjp,
        "jacobian_ratio": jac / clean,
        "loss_gradient_ratio": vjp / clean,
        "values": values.tolist(),
    }


def run_peers(script: str, args: list[str]) -> dict:
    """Run a peer script in the peers' virtualenv; its JSON, or a note why not."""
    if not PEER_PYTHON.exists():
        return {"note": f"peers skipped: {PEER_PYTHON.relative_to(HERE.parent)} not found (run `make bench`)"}
    proc = subprocess.run(
        [str(PEER_PYTHON), str(HERE / "peers" / script), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return {"note": f"peer script failed: {proc.stderr[-2000:]}"}
    return json.loads(proc.stdout)


def clean_section(args, results: dict) -> dict:
    """Noise-free forward and gradient, ours and peers."""
    res: dict = {"ours": {}}
    for n in args.qubits:
        res["ours"][str(n)] = ours(n, args.layers, args.batch, args.repeats if n < 20 else 1)
        print(f"qnet-dqnn n={n}: {res['ours'][str(n)]}", file=sys.stderr, flush=True)
    info = (
        {"note": "peers skipped (--no-peers)"}
        if args.no_peers
        else run_peers(
            "qnn_peers.py",
            [
                "--qubits",
                *map(str, args.qubits),
                "--layers",
                str(args.layers),
                "--batch",
                str(args.batch),
                "--repeats",
                str(args.repeats),
                "--peers",
                *args.peers,
            ],
        )
    )
    res.update(info.pop("results", {}))
    names = list(res)
    print(f"\nnoise-free: forward (batch {args.batch}) and gradient (one input), seconds")
    print(f"{'n':>3} | " + " | ".join(f"{s:>16} fwd  grad" for s in names))
    for n in args.qubits:
        row = []
        for s in names:
            r = res[s].get(str(n), {})
            f, g = r.get("forward_s"), r.get("gradient_s")
            row.append(f"{(f'{f:.4f}' if f else '-'):>21} {(f'{g:.4f}' if g else '-'):>6}")
        print(f"{n:>3} | " + " | ".join(row))
    lightning = res.get("lightning.qubit", {})
    for n in args.qubits:
        lq, us = lightning.get(str(n), {}), res["ours"][str(n)]
        if lq.get("forward_s") and lq.get("gradient_s"):
            print(
                f"n={n:>2}: ours / lightning.qubit: forward {us['forward_s'] / lq['forward_s']:.2f}x, "
                f"gradient {us['gradient_s'] / lq['gradient_s']:.2f}x"
            )
    return {"results": res, "peers": info}


def noisy_section(args) -> dict:
    """Noisy gradients: ours against our noise-free adjoint, and against the density-matrix peers."""
    res: dict = {"ours": {}, "ours_full_cone": {}}
    for n in args.noisy_qubits:
        res["ours"][str(n)] = ours_noisy(n, args.layers, 16, args.repeats, 0)
        if n <= MAX_CONE_QUBITS:
            res["ours_full_cone"][str(n)] = ours_noisy(n, args.layers, 16, max(1, args.repeats // 2), n - 1)
        print(f"noisy n={n}: {res['ours'][str(n)]} | full cone {res['ours_full_cone'].get(str(n))}", file=sys.stderr)
    peer_n = [n for n in args.noisy_qubits if n <= 8]
    info = (
        {"note": "peers skipped (--no-peers)"}
        if args.no_peers or not peer_n
        else run_peers(
            "qnn_noisy_peers.py",
            [
                "--qubits",
                *map(str, peer_n),
                "--layers",
                str(args.layers),
                "--batch",
                "16",
                "--repeats",
                "1",
                "--p1",
                str(P1),
                "--p2",
                str(P2),
                "--readout",
                str(READOUT),
            ],
        )
    )
    peers = info.pop("results", {})
    print(f"\nnoisy (p1={P1}, p2={P2}, readout={READOUT}), batch 16: seconds and ratio to the noise-free adjoint")
    head = f"{'n':>3} | {'readout':>8} | {'cone':>4} | {'noise-free adj':>14} | {'noisy jacobian':>20} | "
    print(head + f"{'noisy loss grad':>20}")
    for n in args.noisy_qubits:
        for label, key in (("Z0", "ours"), (f"Z{n - 1}", "ours_full_cone")):
            r = res[key].get(str(n))
            if r is None:
                print(f"{n:>3} | {label:>8} | {n:>4} | beyond the exact path's {MAX_CONE_QUBITS}-qubit light cone")
                continue
            print(
                f"{n:>3} | {label:>8} | {r['cone_qubits']:>4} | {r['clean_adjoint_s']:>14.4f} | "
                f"{r['noisy_jacobian_s']:>10.4f} ({r['jacobian_ratio']:>5.2f}x) | "
                f"{r['noisy_loss_gradient_s']:>10.4f} ({r['loss_gradient_ratio']:>5.2f}x)"
            )
    for name, per_n in peers.items():
        for n, r in per_n.items():
            if "gradient_s" not in r:
                print(f"{name} n={n}: {r}")
                continue
            us = res["ours"][n]
            agree = np.allclose(r["values"], us["values"], atol=1e-9)
            print(
                f"{name} n={n} ({r['method']}): {r['gradient_s']:.3f} s, "
                f"{r['gradient_s'] / us['noisy_loss_gradient_s']:.0f}x our loss gradient, "
                f"{r['gradient_s'] / us['noisy_jacobian_s']:.0f}x our Jacobian; values agree: {agree}"
            )
    res.update(peers)
    return {"results": res, "peers": info}


def main() -> None:
    """Run, print tables and ratios, write JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qubits", type=int, nargs="+", default=[4, 8, 12, 16, 20])
    ap.add_argument("--noisy-qubits", type=int, nargs="+", default=[4, 8, 12])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument(
        "--peers",
        nargs="+",
        default=["default.qubit", "lightning.qubit", "qiskit-aer"],
        help="noise-free peers to run (e.g. only lightning.qubit, the target's reference)",
    )
    ap.add_argument("--only", choices=["clean", "noisy"], default=None)
    args = ap.parse_args()
    out: dict = {
        "meta": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "machine": platform.machine(),
            "processor": platform.processor() or platform.platform(),
            "batch": args.batch,
            "layers": args.layers,
        }
    }
    if args.only != "noisy":
        out["clean"] = clean_section(args, out)
    if args.only != "clean":
        out["noisy"] = noisy_section(args)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_qnn.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
