"""Peer timings for benchmarks/bench_qnn.py: PennyLane (default.qubit, lightning.qubit) and qiskit-aer.

Run with the peers' own interpreter (``benchmarks/.venvs/qnn/bin/python``, made by ``make bench``), never the
project's. Prints one JSON object on stdout: versions and, per simulator and qubit count, the best-of-``repeats``
wall time of (a) ``<Z0>`` for a batch of inputs and (b) the full gradient for one input.

The circuit is the one bench_qnn.py times: RY(x_q) on every qubit, then ``layers`` times (RY(θ) and RZ(φ)
on every qubit, then a CNOT ladder 0→1→…→n-1); observable Z on qubit 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def best_of(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def pennylane_timings(device: str, n: int, layers: int, batch: int, repeats: int, grad: bool) -> dict:
    """Forward (broadcast over a batch) and adjoint/backprop gradient timings for one PennyLane device."""
    import pennylane as qml
    from pennylane import numpy as pnp

    dev = qml.device(device, wires=n)
    diff = "adjoint" if device == "lightning.qubit" else "backprop"

    def circuit(x, w):
        for q in range(n):
            qml.RY(x[..., q], wires=q)
        for layer in range(layers):
            for q in range(n):
                qml.RY(w[layer, 0, q], wires=q)
            for q in range(n):
                qml.RZ(w[layer, 1, q], wires=q)
            for q in range(n - 1):
                qml.CNOT(wires=[q, q + 1])
        return qml.expval(qml.PauliZ(0))

    rng = np.random.default_rng(0)
    xb = rng.uniform(0, np.pi, size=(batch, n))
    w0 = rng.normal(size=(layers, 2, n))
    fwd = qml.QNode(circuit, dev, diff_method=None)
    out = {"forward_s": best_of(lambda: fwd(xb, w0), repeats)}
    if grad:
        node = qml.QNode(circuit, dev, diff_method=diff)
        w = pnp.array(w0, requires_grad=True)
        x1 = pnp.array(xb[0], requires_grad=False)
        g = qml.grad(node, argnums=1)
        out["gradient_s"] = best_of(lambda: g(x1, w), repeats)
        out["gradient_method"] = diff
    return out


def aer_timings(n: int, layers: int, batch: int, repeats: int, grad: bool) -> dict:
    """qiskit-aer EstimatorV2 (statevector, exact): forward over a batch; gradient by parameter shift."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer.primitives import EstimatorV2

    xs = ParameterVector("x", n)
    ws = ParameterVector("w", layers * 2 * n)
    qc = QuantumCircuit(n)
    for q in range(n):
        qc.ry(xs[q], q)
    k = 0
    for _ in range(layers):
        for q in range(n):
            qc.ry(ws[k], q)
            k += 1
        for q in range(n):
            qc.rz(ws[k], q)
            k += 1
        for q in range(n - 1):
            qc.cx(q, q + 1)
    # qiskit orders qubits little-endian: Z on qubit 0 is the rightmost label character.
    obs = SparsePauliOp("I" * (n - 1) + "Z")
    est = EstimatorV2(options={"backend_options": {"method": "statevector"}})
    rng = np.random.default_rng(0)
    xb = rng.uniform(0, np.pi, size=(batch, n))
    w0 = rng.normal(size=layers * 2 * n)
    vals = np.hstack([np.tile(w0, (batch, 1)), xb])  # qiskit binds sorted parameters: vector "w" before "x"
    out = {"forward_s": best_of(lambda: est.run([(qc, obs, vals)]).result(), repeats)}
    if grad:
        p = w0.size
        shifts = np.vstack([np.eye(p) * np.pi / 2, -np.eye(p) * np.pi / 2]) + w0
        gvals = np.hstack([shifts, np.tile(xb[0], (2 * p, 1))])

        def gradient():
            ev = est.run([(qc, obs, gvals)]).result()[0].data.evs
            return (ev[:p] - ev[p:]) / 2

        out["gradient_s"] = best_of(gradient, repeats)
        out["gradient_method"] = "parameter-shift (2P circuits, one run)"
    return out


def versions() -> dict:
    """Installed versions of the peers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    for pkg in ("pennylane", "pennylane-lightning", "qiskit", "qiskit-aer"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def main() -> None:
    """Parse arguments, time every peer, print JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qubits", type=int, nargs="+", default=[4, 8, 12, 16, 20])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--max-default-qubit",
        type=int,
        default=20,
        help="largest n for default.qubit (its batched forward is slow at n=20)",
    )
    ap.add_argument("--peers", nargs="+", default=["default.qubit", "lightning.qubit", "qiskit-aer"])
    args = ap.parse_args()
    res: dict = {"versions": versions(), "results": {}}
    for name in args.peers:
        res["results"][name] = {}
        for n in args.qubits:
            reps = args.repeats if n < 20 else 1
            try:
                if name == "qiskit-aer":
                    r = aer_timings(n, args.layers, args.batch, reps, True)
                elif name == "default.qubit" and n > args.max_default_qubit:
                    r = {"skipped": f"n > {args.max_default_qubit}"}
                else:
                    r = pennylane_timings(name, n, args.layers, args.batch, reps, True)
            except Exception as exc:  # a peer failing must not lose the others' numbers
                r = {"error": f"{type(exc).__name__}: {exc}"}
            res["results"][name][str(n)] = r
            print(f"{name} n={n}: {r}", file=sys.stderr, flush=True)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
