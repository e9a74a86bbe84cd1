"""One exact loss-and-gradient step of the wide ``blocks`` model, timed, with whatever ``qnet_dqnn`` is importable.

Used by ``benchmarks/bench_cutting.py --baseline DIR`` to time an older tree of this project side by side with the
current one (``PYTHONPATH=DIR`` picks the tree; both run with the same interpreter). Works with the code from before
issue 19 (``qnet_dqnn.distributed.cutting``, tuple results) and after it (``qnet_dqnn.cutting``, ``StepResult``).

Usage: ``python wide_step.py QUBITS ROUNDS``; prints one JSON line: the loss and ``[wall, cpu]`` seconds per round.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

warnings.simplefilter("ignore", DeprecationWarning)

from qnet_dqnn.distributed.cut import cut_loss_and_grad  # noqa: E402
from qnet_dqnn.distributed.spec import DatasetSpec, ModelSpec, build_dataset, build_model  # noqa: E402

try:
    from qnet_dqnn.cutting import find_cuts
except ImportError:  # the tree from before issue 19
    from qnet_dqnn.distributed.cutting.plan import find_cuts  # type: ignore[no-redef]


def main() -> None:
    qubits, rounds = int(sys.argv[1]), int(sys.argv[2])
    model = build_model(ModelSpec(qubits=qubits, layers=2, ansatz="blocks", block_qubits=8))
    data = build_dataset(DatasetSpec(name="digits"), qubits, seed=1)
    x, y = data.x_train[:16], data.y_train[:16]
    params = model.init_params(np.random.default_rng(0))
    plan = find_cuts(model.circuit, 8)
    first = cut_loss_and_grad(plan, model, params, x, y)  # builds the fragments' templates
    loss = first[0] if isinstance(first, tuple) else first.loss
    times = []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        cut_loss_and_grad(plan, model, params, x, y)
        times.append([time.perf_counter() - wall, time.process_time() - cpu])
    print(json.dumps({"loss": float(loss), "times": times}))


if __name__ == "__main__":
    main()
