"""What every benchmark shares: where peers live, where results go, the machine line, timing with repeats.

Peers run in the virtualenvs ``make bench`` creates under ``benchmarks/.venvs/<peer>``, found relative to this
repository (never a fixed path of one machine). Results are written outside the source tree, to
``results/benchmarks/`` at the repository root (ignored by git); set ``QNET_BENCH_RESULTS`` to write elsewhere.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def peer_python(peer: str) -> Path:
    """The interpreter of a peer's virtualenv (``make bench`` creates it); it may not exist yet."""
    return ROOT / "benchmarks" / ".venvs" / peer / "bin" / "python"


def results_dir() -> Path:
    """Where benchmark results go (created): ``results/benchmarks/`` or ``$QNET_BENCH_RESULTS``."""
    folder = Path(os.environ.get("QNET_BENCH_RESULTS", ROOT / "results" / "benchmarks"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_result(name: str, record: dict[str, Any]) -> Path:
    """Write ``record`` (with the machine line added) as ``<results>/<name>.json``; return the path."""
    out = results_dir() / f"{name}.json"
    out.write_text(json.dumps({"machine": machine(), **record}, indent=2, default=str) + "\n")
    return out


def machine() -> dict[str, Any]:
    """Python, platform, CPUs, load average and package versions: what the numbers depend on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        "versions": {name: version(name) for name in ("qnet-dqnn", "simpy", "numpy", "networkx")},
    }


def best_and_median(
    fn: Callable[[], Any], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, float, Any]:
    """Run ``fn`` ``repeats`` times; (best, median) seconds by ``clock`` and the last value."""
    times, value = [], None
    for _ in range(repeats):
        start = clock()
        value = fn()
        times.append(clock() - start)
    return min(times), statistics.median(times), value
