"""Sweeps: expand a scenario's ``sweep:`` grid and run every point, locally or on a Dask cluster.

Each point's result is written atomically to its own file, named by a hash of its parameters, so an
interrupted sweep resumes where it stopped: points whose file exists are skipped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qnet_dqnn.config import read_yaml_file
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario.fields import nearest_paths, resolve_steps, set_path
from qnet_dqnn.scenario.loader import check_scenario_file, load_scenario, resolve_topology_path, scenario_from_data
from qnet_dqnn.scenario.result import RunResult, write_atomically
from qnet_dqnn.scenario.runner import run
from qnet_dqnn.scenario.schema import Scenario
from qnet_dqnn.scenario.workloads import WORKLOADS
from qnet_dqnn.topology import TopologySpec, topology_from_data

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


def _union(items: list[Any]) -> Any:
    """The field structure of several items together (a mapping wherever any item has one)."""
    mappings = [item for item in items if isinstance(item, Mapping)]
    if not mappings:
        return items[0] if items else None
    keys = dict.fromkeys(k for m in mappings for k in m)
    return {k: _union([m[k] for m in mappings if k in m]) for k in keys}


def topology_tree(topology: TopologySpec) -> dict[str, Any]:
    """What ``topology.`` sweep paths address: every node and link with what it inherits and its defaults
    filled in, and a ``defaults`` section shaped like the nodes and links it applies to."""
    tree = topology.model_dump()
    node = _union(tree["nodes"]) or {}
    link = _union(tree["links"]) or {}
    tree["defaults"] = {
        "node": {k: v for k, v in node.items() if k != "name"},
        "link": {k: v for k, v in link.items() if k != "between"},
    }
    return tree


def scenario_tree(data: Mapping[str, Any], scenario: Scenario) -> dict[str, Any]:
    """What scenario sweep paths address: the file's fields with the workload's defaults filled in."""
    tree = {k: v for k, v in data.items() if k != "sweep"}
    tree.update(seed=scenario.seed, stop=scenario.stop.model_dump())
    tree["workload"] = WORKLOADS[scenario.workload_type].resolved(scenario.workload)
    return tree


def _missing(tree: Any, path: str, where: str, prefix: str) -> str:
    """Why ``path`` does not resolve in ``tree`` (it failed at ``where``), with the nearest paths that do."""
    reason = f"no field {prefix + where!r}"
    parent = where.rsplit(".", 1)[0] if "." in where else ""
    try:
        value = get_path(tree, parent) if parent else tree
    except KeyError:
        value = tree
    if value is None:
        reason += f" ({prefix + parent} is not set here: sweep {prefix + parent} itself, with whole values)"
    near = nearest_paths(path, tree, prefix)
    return reason + (f"; nearest: {', '.join(near)}" if near else "")


def get_path(tree: Any, path: str) -> Any:
    """The value at ``path`` in ``tree`` (KeyError if it does not resolve)."""
    value = tree
    for step in resolve_steps(tree, path):
        value = value[step]
    return value


def expand_sweep(path: str | Path, seeds: int | None = None) -> list[SweepPoint]:
    """Every point of a scenario file's sweep grid (the base point alone when it has no ``sweep:`` and no
    ``seeds``).

    Args:
        path: the scenario file.
        seeds: run every point with this many seeds (the scenario's seed and the next ones): a ``seed`` axis.
    """
    source = str(path)
    data = read_yaml_file(path, ScenarioError)
    spec = check_scenario_file(data, source)
    axes = dict(spec.sweep or {})
    if seeds is not None:
        if seeds < 1:
            raise ScenarioError(source, [("", f"--seeds must be at least 1 (got {seeds})")])
        if "seed" in axes:
            raise ScenarioError(source, [("sweep.seed", "the sweep has its own seed axis: leave out --seeds")])
        axes["seed"] = [spec.seed + i for i in range(seeds)]
    topology_path = resolve_topology_path(spec.topology, Path(path).parent, source)
    topology_data = read_yaml_file(topology_path, ScenarioError)
    base = {k: v for k, v in data.items() if k != "sweep"}
    trees: dict[str, Any] = {}
    if axes:  # what the paths may address: the base point, resolved
        base_scenario = load_scenario(path)
        trees = {"scenario": scenario_tree(base, base_scenario), "topology": topology_tree(base_scenario.topology)}
    steps: dict[str, tuple[str, list[str | int]]] = {}
    problems = []
    for field in axes:
        kind = "topology" if field.startswith(TOPOLOGY_PREFIX) else "scenario"
        prefix = TOPOLOGY_PREFIX if kind == "topology" else ""
        try:
            steps[field] = (kind, resolve_steps(trees[kind], field.removeprefix(prefix)))
        except ValueError:
            problems.append((f"sweep.{field}", f"not a field path: {field!r} (write a.b[2].c or nodes[name].c)"))
        except KeyError as exc:
            problems.append((f"sweep.{field}", _missing(trees[kind], field.removeprefix(prefix), exc.args[0], prefix)))
    if problems:
        raise ScenarioError(source, problems)
    points = []
    for values in itertools.product(*axes.values()):
        params = dict(zip(axes, values, strict=True))
        point = {"scenario": base, "topology": topology_data}
        for field, value in params.items():
            kind, where = steps[field]
            point[kind] = set_path(point[kind], where, value, trees[kind])
        points.append(SweepPoint(params, point["scenario"], point["topology"], str(topology_path), source))
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
    seeds: int | None = None,
) -> SweepOutcome:
    """Run every point of a scenario's sweep not already finished.

    Args:
        path: the scenario file.
        root: results root; points go to ``root/<scenario>/sweep/runs/<key>.json``.
        workers: local processes (default: one per CPU); 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:port``); needs the ``cluster`` extra.
        progress: called with (points done, total) as points finish.
        seeds: run every point over this many seeds (a ``seed`` axis; see :func:`expand_sweep`).

    Raises:
        ScenarioError: the scenario has no ``sweep:`` block and no ``seeds`` are given (nothing to sweep).
    """
    points = expand_sweep(path, seeds)
    if not points[0].params:
        raise ScenarioError(
            str(path),
            [
                (
                    "sweep",
                    "no sweep: block: give one (a field path -> its values), run it over seeds with --seeds N, "
                    "or run the scenario once with `qnet-dqnn run`",
                )
            ],
        )
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
