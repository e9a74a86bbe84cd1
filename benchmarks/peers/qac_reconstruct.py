"""Peer job for benchmarks/bench_cutting.py: exact reconstruction with qiskit-addon-cutting.

Reads one JSON job on stdin — ``{"qubits": n, "ops": [[name, [qubits], [angles]], …], "partition": "AAAABBBB",
"observables": ["IIIZ…", …], "repeats": r}`` (qiskit labels, qubit 0 rightmost) — builds the circuit, and times
``partition_problem → generate_cutting_experiments(num_samples=inf) → ExactSampler → reconstruct_expectation_values``,
the library's own exact pipeline. Prints one JSON line: ``peer``, ``version``, ``values``, ``times_s`` and ``cpu_s``
(wall and process CPU time, one per repeat), ``subexperiments``.

Run it with the peer's own interpreter (``benchmarks/.venvs/qiskit-addon-cutting/bin/python``); it imports nothing
from qnet-dqnn.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version

import numpy as np
import qiskit_addon_cutting as qac
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_addon_cutting.utils.simulation import ExactSampler


def main() -> None:
    job = json.loads(sys.stdin.read())
    qc = QuantumCircuit(job["qubits"])
    for name, qubits, angles in job["ops"]:
        getattr(qc, name)(*angles, *qubits)
    obs = SparsePauliOp(job["observables"])

    def pipeline() -> tuple[np.ndarray, int]:
        pp = qac.partition_problem(qc, job["partition"], observables=obs.paulis)
        subexps, coeffs = qac.generate_cutting_experiments(pp.subcircuits, pp.subobservables, num_samples=np.inf)
        sampler = ExactSampler()
        results = {k: sampler.run(subexps[k]).result() for k in subexps}
        count = sum(len(v) for v in subexps.values())
        return np.array(qac.reconstruct_expectation_values(results, coeffs, pp.subobservables)), count

    times, cpu, values, count = [], [], None, 0
    for _ in range(job["repeats"]):
        start, start_cpu = time.perf_counter(), time.process_time()
        values, count = pipeline()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        json.dumps(
            {
                "peer": "qiskit-addon-cutting",
                "version": version("qiskit-addon-cutting"),
                "values": [float(v) for v in values],
                "times_s": times,
                "cpu_s": cpu,
                "subexperiments": count,
            }
        )
    )


if __name__ == "__main__":
    main()
