"""Sweeps: expand a scenario's ``sweep:`` grid and run every point, locally or on a Dask cluster.

Each point's result is written atomically to its own file, named by a hash of its parameters, so an
interrupted sweep resumes where it stopped: points whose file exists are skipped.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import re
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qnet_dqnn.config import read_yaml_file
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario.loader import check_scenario_file, resolve_topology_path, scenario_from_data
from qnet_dqnn.scenario.result import RunResult, write_atomically
from qnet_dqnn.scenario.runner import run
from qnet_dqnn.scenario.schema import Scenario
from qnet_dqnn.scenario.workloads import headline_metrics
from qnet_dqnn.topology import topology_from_data

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
TOPOLOGY_PREFIX = "topology."


@dataclass(frozen=True)
class SweepPoint:
    """One point of the grid: its parameter values and the plain data to run it anywhere."""

    params: dict[str, Any]
    scenario_data: dict[str, Any]
    topology_data: dict[str, Any]
    topology_source: str
    source: str

    @property
    def key(self) -> str:
        """A stable file name for the point, from its parameters."""
        digest = hashlib.sha256(json.dumps(self.params, sort_keys=True).encode()).hexdigest()
        return digest[:16]

    def scenario(self) -> Scenario:
        """The checked scenario of this point."""
        label = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        topology = topology_from_data(self.topology_data, f"{self.topology_source} (sweep: {label})")
        return scenario_from_data(
            self.scenario_data,
            f"{self.source} (sweep: {label})",
            topology=topology,
            topology_source=self.topology_source,
        )


def _path_tokens(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    for name, index in _TOKEN.findall(path):
        tokens.append(int(index) if index else name)
    return tokens


def set_field(data: Any, path: str, value: Any) -> Any:
    """A deep copy of ``data`` with the field at ``path`` (``a.b[2].c``) set to ``value``.

    The last name may be new (a field left at its default); everything before it must exist.

    Examples:
        >>> set_field({"links": [{"length_km": 5}]}, "links[0].length_km", 25)
        {'links': [{'length_km': 25}]}
    """
    tokens = _path_tokens(path)
    if not tokens or "".join(str(t) for t in tokens) != re.sub(r"[.\[\]]", "", path):
        raise KeyError(f"not a field path: {path!r}")
    root = copy.deepcopy(data)
    target = root
    for i, token in enumerate(tokens[:-1]):
        try:
            target = target[token]
        except (KeyError, IndexError, TypeError):
            where = "".join(f"[{t}]" if isinstance(t, int) else f".{t}" for t in tokens[: i + 1]).lstrip(".")
            raise KeyError(f"no field {where!r}") from None
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(target, list) or last >= len(target):
            raise KeyError(f"no item [{last}] in {path!r}")
    elif not isinstance(target, dict):
        raise KeyError(f"{path!r}: {last!r} is not inside a mapping")
    target[last] = value
    return root


def expand_sweep(path: str | Path) -> list[SweepPoint]:
    """Every point of a scenario file's sweep grid (the base point alone when it has no ``sweep:``)."""
    source = str(path)
    data = read_yaml_file(path, ScenarioError)
    spec = check_scenario_file(data, source)
    topology_path = resolve_topology_path(spec.topology, Path(path).parent, source)
    topology_data = read_yaml_file(topology_path, ScenarioError)
    base = {k: v for k, v in data.items() if k != "sweep"}
    axes = spec.sweep or {}
    points = []
    for values in itertools.product(*axes.values()):
        params = dict(zip(axes, values, strict=True))
        scenario_data, topo = base, topology_data
        for field, value in params.items():
            try:
                if field.startswith(TOPOLOGY_PREFIX):
                    topo = set_field(topo, field.removeprefix(TOPOLOGY_PREFIX), value)
                else:
                    scenario_data = set_field(scenario_data, field, value)
            except KeyError as exc:
                raise ScenarioError(source, [(f"sweep.{field}", str(exc.args[0]))]) from None
        points.append(SweepPoint(params, scenario_data, topo, str(topology_path), source))
    for point in points:
        point.scenario()  # check every point before running any
    return points


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Run one point; the record written to its file (a top-level function, so workers can run it)."""
    result = run(point.scenario(), trace=True)
    return {"params": point.params, "result": result.to_dict()}


def read_point(path: Path) -> dict[str, Any] | None:
    """A finished point's record, or None if the file is missing or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "result" in record else None


@dataclass
class SweepOutcome:
    """What a sweep did: where, how many points, how many ran now and how many were already done."""

    folder: Path
    total: int
    ran: int
    skipped: int


def sweep_folder(root: Path, scenario_name: str) -> Path:
    """Where a sweep's files live: fixed per scenario, so a rerun finds what was done."""
    return root / scenario_name / "sweep"


def run_sweep(
    path: str | Path,
    root: Path | str = "results",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Run every point of a scenario's sweep not already finished.

    Args:
        path: the scenario file.
        root: results root; points go to ``root/<scenario>/sweep/runs/<key>.json``.
        workers: local processes (default: one per CPU); 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:port``); needs the ``cluster`` extra.
        progress: called with (points done, total) as points finish.
    """
    points = expand_sweep(path)
    folder = sweep_folder(Path(root), points[0].scenario_data["name"])
    runs = folder / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    manifest = {
        "scenario": str(path),
        "axes": list(points[0].params),
        "points": [{"key": p.key, "params": p.params} for p in points],
    }
    write_atomically(folder / "sweep.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    todo = [p for p in points if read_point(runs / f"{p.key}.json") is None]
    done = len(points) - len(todo)
    if progress:
        progress(done, len(points))
    for record in _execute(todo, workers, scheduler):
        key = next(p.key for p in todo if p.params == record["params"])
        write_atomically(runs / f"{key}.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
        done += 1
        if progress:
            progress(done, len(points))
    return SweepOutcome(folder, len(points), len(todo), len(points) - len(todo))


def _execute(points: list[SweepPoint], workers: int | None, scheduler: str | None) -> Iterator[dict[str, Any]]:
    """Run points and yield their records as they finish."""
    if not points:
        return
    if scheduler is not None:
        yield from _execute_dask(points, scheduler)
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(points) == 1:
        for point in points:
            yield run_point(point)
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(points)))
    try:
        futures = [pool.submit(run_point, p) for p in points]
        for future in as_completed(futures):
            yield future.result()
    finally:  # on an interrupt, drop what has not started; finished points are already on disk
        pool.shutdown(wait=False, cancel_futures=True)


def _execute_dask(points: list[SweepPoint], scheduler: str) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_as_completed
    except ImportError:
        raise ScenarioError(
            "<sweep>", [("", "--scheduler needs the cluster extra: pip install 'qnet-dqnn[cluster]'")]
        ) from None
    with Client(scheduler) as client:
        futures = client.map(run_point, points, pure=False)
        for future in dask_as_completed(futures):
            yield future.result()


def load_sweep(folder: Path) -> tuple[list[str], list[tuple[dict[str, Any], RunResult]]]:
    """The axes and the finished points (parameters, result) of a sweep folder."""
    manifest = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    points = []
    for entry in manifest["points"]:
        record = read_point(folder / "runs" / f"{entry['key']}.json")
        if record is not None:
            points.append((record["params"], RunResult.from_dict(record["result"])))
    return manifest["axes"], points


def summarize(axes: list[str], points: list[tuple[dict[str, Any], RunResult]]) -> list[dict[str, Any]]:
    """One row per combination of the non-seed axes: headline metrics as mean and std over the rest."""
    group_axes = [a for a in axes if a != "seed"]
    groups: dict[tuple[Any, ...], list[RunResult]] = {}
    for params, result in points:
        groups.setdefault(tuple(json.dumps(params[a]) for a in group_axes), []).append(result)
    rows = []
    for key, results in groups.items():
        row: dict[str, Any] = {a: json.loads(v) for a, v in zip(group_axes, key, strict=True)}
        row["runs"] = len(results)
        for metric in headline_metrics(results[0].workload, results[0].metrics):
            values = [r.metrics[metric] for r in results if not math.isnan(r.metrics.get(metric, math.nan))]
            row[f"{metric}_mean"] = statistics.fmean(values) if values else math.nan
            row[f"{metric}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append(row)
    return rows
