"""Peer timings of noisy QNN gradients for benchmarks/bench_qnn.py: PennyLane default.mixed and qiskit-aer.

Run with the peers' own interpreter (``benchmarks/.venvs/qnn/bin/python``), never the project's. Prints one
JSON object: versions, and per simulator and qubit count the best-of-``repeats`` wall time of the loss gradient
``∂/∂w Σ_b ⟨Z0⟩_b`` for a batch of inputs, with the values (to check the peers compute what we compute).

Circuit and noise as in bench_qnn.py: RY(x_q) on every qubit, ``layers`` × (RY, RZ on every qubit, CNOT
ladder), a depolarizing channel after every gate — one-qubit ``ρ → (1-p)ρ + p/3 Σ σρσ``, two-qubit
``ρ → (1-p)ρ + p/15 Σ_{P≠II} PρP`` — and a symmetric readout flip ``r`` on the measured qubit
(``⟨Z⟩ → (1-2r)⟨Z⟩``).
"""

from __future__ import annotations

import argparse
import itertools
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


def inputs(n: int, layers: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """The same inputs and weights as bench_qnn.py (seed 0: x uniform in [0, π), w standard normal)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, np.pi, size=(batch, n))
    w = rng.normal(size=layers * 2 * n)
    return x, w


def pennylane_mixed(n: int, layers: int, batch: int, repeats: int, p1: float, p2: float, r: float) -> dict:
    """default.mixed, backpropagation through the batched density matrix (autograd)."""
    import pennylane as qml
    from pennylane import numpy as pnp

    paulis = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    kraus2 = [np.sqrt(1 - p2) * np.eye(4)] + [
        np.sqrt(p2 / 15) * np.kron(a, b) for a, b in itertools.product(paulis, repeat=2)
    ][1:]
    dev = qml.device("default.mixed", wires=n)

    def circuit(x, w):
        for q in range(n):
            qml.RY(x[:, q], wires=q)
            qml.DepolarizingChannel(p1, wires=q)
        k = 0
        for _ in range(layers):
            for rot in (qml.RY, qml.RZ):
                for q in range(n):
                    rot(w[k], wires=q)
                    qml.DepolarizingChannel(p1, wires=q)
                    k += 1
            for q in range(n - 1):
                qml.CNOT(wires=[q, q + 1])
                qml.QubitChannel(kraus2, wires=[q, q + 1])
        qml.BitFlip(r, wires=0)
        return qml.expval(qml.PauliZ(0))

    x, w0 = inputs(n, layers, batch)
    node = qml.QNode(circuit, dev, diff_method="backprop")
    w = pnp.array(w0, requires_grad=True)
    xb = pnp.array(x, requires_grad=False)

    def loss(weights):
        return pnp.sum(node(xb, weights))

    grad = qml.grad(loss)
    values = np.asarray(node(xb, w))
    return {"gradient_s": best_of(lambda: grad(w), repeats), "method": "backprop", "values": values[:4].tolist()}


def aer_density_matrix(n: int, layers: int, batch: int, repeats: int, p1: float, p2: float, r: float) -> dict:
    """qiskit-aer density-matrix EstimatorV2 with a depolarizing noise model; gradient by parameter shift
    (the B·(1 + 2P) circuits in one run: Aer has no adjoint method for density matrices)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer.noise import NoiseModel, depolarizing_error
    from qiskit_aer.primitives import EstimatorV2

    noise = NoiseModel()
    # qiskit's depolarizing_error(λ, k) is (1-λ)ρ + λ I/2^k: λ = p·4^k/(4^k - 1)
    noise.add_all_qubit_quantum_error(depolarizing_error(4 * p1 / 3, 1), ["ry", "rz"])
    noise.add_all_qubit_quantum_error(depolarizing_error(16 * p2 / 15, 2), ["cx"])
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
    obs = SparsePauliOp("I" * (n - 1) + "Z")  # little-endian: qubit 0 is the rightmost letter
    est = EstimatorV2(
        options={"backend_options": {"method": "density_matrix", "noise_model": noise}, "run_options": {"seed": 0}}
    )
    x, w0 = inputs(n, layers, batch)
    p = w0.size
    shifts = np.vstack([w0[None, :], w0 + np.eye(p) * np.pi / 2, w0 - np.eye(p) * np.pi / 2])  # (1 + 2P, P)
    # qiskit binds parameters in sorted order: the vector "w" before the vector "x"
    rows = np.hstack([np.tile(shifts, (batch, 1)), np.repeat(x, len(shifts), axis=0)])
    factor = 1 - 2 * r

    def gradient():
        ev = est.run([(qc, obs, rows)]).result()[0].data.evs.reshape(batch, 1 + 2 * p) * factor
        return ev[:, 0], ((ev[:, 1 : 1 + p] - ev[:, 1 + p :]) / 2).sum(axis=0)

    values, _ = gradient()
    return {
        "gradient_s": best_of(gradient, repeats),
        "method": "parameter shift on density matrices",
        "values": values[:4].tolist(),
    }


def versions() -> dict:
    """Installed versions of the peers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    for pkg in ("pennylane", "qiskit", "qiskit-aer"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def main() -> None:
    """Parse arguments, time every peer, print JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qubits", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--p1", type=float, default=1e-3)
    ap.add_argument("--p2", type=float, default=1e-2)
    ap.add_argument("--readout", type=float, default=1e-2)
    args = ap.parse_args()
    res: dict = {"versions": versions(), "results": {}}
    peers = {"default.mixed": pennylane_mixed, "qiskit-aer-dm": aer_density_matrix}
    for name, fn in peers.items():
        res["results"][name] = {}
        for n in args.qubits:
            try:
                r = fn(n, args.layers, args.batch, args.repeats, args.p1, args.p2, args.readout)
            except Exception as exc:  # a peer failing must not lose the others' numbers
                r = {"error": f"{type(exc).__name__}: {exc}"}
            res["results"][name][str(n)] = r
            print(f"{name} n={n}: {r}", file=sys.stderr, flush=True)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
