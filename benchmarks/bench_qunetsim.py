"""Benchmark: QuNetSim programs on qnet-dqnn against QuNetSim itself, same script, wall time side by side.

Runs examples/qunetsim/chsh.py with PLAYS=1000 and examples/qunetsim/e91.py with PAIRS=1000:
  * on qnet-dqnn (``qnet-dqnn qunetsim run``, in this interpreter, ``--repeats`` times: range of wall times);
  * on QuNetSim 0.1.3 from its own virtualenv (benchmarks/.venvs/qunetsim, made by ``make bench``), once per
    per-packet delay given with ``--qunetsim-delays``: QuNetSim sleeps that long (wall clock) per packet, and
    at 0 its packet threads reorder messages (its CHSH win rate falls to ~0.6), so 0.02 s, the smallest
    delay that kept its outcomes right in tests/interop/test_qunetsim_crosscheck.py, is the default.
Each QuNetSim run is a subprocess with a timeout (QuNetSim can hang); both sides are timed as whole processes
(interpreter start and imports included) and qnet-dqnn also by its own in-run wall time.

Usage: python benchmarks/bench_qunetsim.py [--repeats 3] [--qunetsim-delays 0.02 0]
Writes benchmarks/results/bench_qunetsim.json and prints the table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from qnet_dqnn.interop.qunetsim.bridge import run_bounded

ROOT = Path(__file__).resolve().parents[1]
QUNETSIM_PYTHON = ROOT / "benchmarks" / ".venvs" / "qunetsim" / "bin" / "python"
JOBS = {"chsh": {"PLAYS": "1000"}, "e91": {"PAIRS": "1000"}}
TIMEOUT_S = 900


def last_json(text: str) -> dict[str, Any]:
    return json.loads(text.strip().splitlines()[-1])


def outcome(job: str, summary: dict[str, Any]) -> str:
    if job == "chsh":
        return f"win rate {summary['wins'] / summary['plays']:.3f}"
    return f"S = {summary['chsh']:.3f}, key errors {summary['key_errors']}/{summary['key_bits']}"


def run_ours(job: str, env: dict[str, str], out: Path) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "qnet_dqnn.cli", "qunetsim", "run", f"examples/qunetsim/{job}.py", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=TIMEOUT_S,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"qnet-dqnn failed on {job}:\n{proc.stderr[-2000:]}")
    summary = next(json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"'))
    record = json.loads(max(out.glob(f"qunetsim-{job}/*/result.json")).read_text())
    return {
        "process_wall_s": wall,
        "run_wall_s": record["wall"]["wall_time_s"],
        "simulated_s": record["simulated_time_s"],
        "outcome": outcome(job, summary),
    }


def run_qunetsim(job: str, env: dict[str, str], delay: str) -> dict[str, Any]:
    environment = {**os.environ, **env, "NETWORK_DELAY": delay}
    environment.pop("PYTHONPATH", None)
    start = time.perf_counter()
    try:
        proc = run_bounded([str(QUNETSIM_PYTHON), f"examples/qunetsim/{job}.py"], environment, TIMEOUT_S, ROOT)
    except subprocess.TimeoutExpired:
        return {"delay_s": float(delay), "process_wall_s": None, "outcome": f"hung (> {TIMEOUT_S} s)"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"delay_s": float(delay), "process_wall_s": wall, "outcome": "failed: " + proc.stderr[-300:]}
    return {"delay_s": float(delay), "process_wall_s": wall, "outcome": outcome(job, last_json(proc.stdout))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--qunetsim-delays", nargs="*", default=["0.02", "0"])
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results" / "qunetsim-runs"
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "versions": {"qnet-dqnn": version("qnet-dqnn"), "simpy": version("simpy")},
        "jobs": {},
    }
    if QUNETSIM_PYTHON.exists():
        probe = "from importlib.metadata import version; print(version('qunetsim'))"
        results["versions"]["qunetsim"] = subprocess.run(
            [str(QUNETSIM_PYTHON), "-c", probe], capture_output=True, text=True
        ).stdout.strip()
    ours = {job: [run_ours(job, env, out) for _ in range(args.repeats)] for job, env in JOBS.items()}
    for job, env in JOBS.items():
        theirs = [run_qunetsim(job, env, d) for d in args.qunetsim_delays] if QUNETSIM_PYTHON.exists() else []
        results["jobs"][job] = {"env": env, "qnet_dqnn": ours[job], "qunetsim": theirs}
        walls = sorted(r["process_wall_s"] for r in ours[job])
        in_run = sorted(r["run_wall_s"] for r in ours[job])
        print(
            f"{job} {env}: qnet-dqnn {walls[0]:.2f}-{walls[-1]:.2f} s per process (in-run {in_run[0]:.2f}-"
            f"{in_run[-1]:.2f} s), {ours[job][0]['outcome']}, simulated {ours[job][0]['simulated_s']:.4g} s",
            flush=True,
        )
        for r in theirs:
            wall = r["process_wall_s"]
            ratio = f"{wall / walls[len(walls) // 2]:.1f}x qnet-dqnn's median" if wall else "-"
            print(f"  QuNetSim, delay {r['delay_s']} s/packet: {wall and round(wall, 1)} s ({ratio}); {r['outcome']}")
    path = ROOT / "benchmarks" / "results" / "bench_qunetsim.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
