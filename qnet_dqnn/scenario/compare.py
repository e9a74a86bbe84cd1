"""Run several scenarios over several seeds: the raw material of a comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qnet_dqnn.scenario.loader import load_scenario
from qnet_dqnn.scenario.result import RunResult
from qnet_dqnn.scenario.runner import run


def run_comparison(
    paths: list[str | Path], seeds: int = 1, progress: Callable[[int, int, str], None] | None = None
) -> dict[str, list[RunResult]]:
    """Run each scenario with seeds ``seed, seed+1, ..., seed+seeds-1``; results keyed by scenario name.

    Every file is loaded and checked before anything runs. Two files with the same scenario name are told
    apart by their file names.
    """
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1 (got {seeds})")
    scenarios = [load_scenario(p) for p in paths]
    names = [s.name for s in scenarios]
    labels = [
        s.name if names.count(s.name) == 1 else f"{s.name} ({Path(p).name})"
        for s, p in zip(scenarios, paths, strict=True)
    ]
    total, done = len(scenarios) * seeds, 0
    results: dict[str, list[RunResult]] = {}
    for label, scenario in zip(labels, scenarios, strict=True):
        for i in range(seeds):
            if progress:
                progress(done, total, label)
            result = run(scenario, seed=scenario.seed + i)
            result.scenario = label
            results.setdefault(label, []).append(result)
            done += 1
    if progress:
        progress(done, total, "")
    return results
