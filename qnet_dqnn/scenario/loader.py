"""Load and check scenario files; the topology they name is loaded (and checked) with them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qnet_dqnn.config import read_yaml_file, validate_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario.schema import Scenario, ScenarioFile
from qnet_dqnn.scenario.workloads import WORKLOADS
from qnet_dqnn.topology import load_topology


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario YAML file and the topology it names, or raise a :class:`ScenarioError`.

    The topology path is taken relative to the scenario file's folder, then to the working directory.
    """
    data = read_yaml_file(path, ScenarioError)
    return scenario_from_data(data, str(path), base_dir=Path(path).parent)


def scenario_from_data(data: Any, source: str = "<data>", base_dir: Path | None = None) -> Scenario:
    """Build a checked scenario from plain data (the parsed YAML)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [("", f"a scenario must be a mapping (got {type(data).__name__})")])
    spec = validate_model(ScenarioFile, data, source, ScenarioError)
    kind = spec.workload.get("type")
    if kind not in WORKLOADS:
        known = ", ".join(repr(k) for k in sorted(WORKLOADS))
        raise ScenarioError(source, [("workload.type", f"unknown workload {kind!r} (known: {known})")])
    workload = validate_model(WORKLOADS[kind].spec, spec.workload, source, ScenarioError, prefix="workload")
    topology_path = _resolve(spec.topology, base_dir)
    if topology_path is None:
        raise ScenarioError(source, [("topology", f"file not found: {spec.topology!r}")])
    return Scenario(
        name=spec.name,
        description=spec.description,
        source=source,
        topology=load_topology(topology_path),
        topology_source=str(topology_path),
        seed=spec.seed,
        stop=spec.stop,
        workload=workload,
    )


def _resolve(name: str, base_dir: Path | None) -> Path | None:
    for candidate in ([base_dir / name] if base_dir is not None else []) + [Path(name)]:
        if candidate.is_file():
            return candidate
    return None
