"""Load and check scenario files; the topology they name is loaded (and checked) with them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from qnet_dqnn.config import read_yaml_file, validate_model, validation_problems
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario.schema import Scenario, ScenarioFile
from qnet_dqnn.scenario.workloads import WORKLOADS
from qnet_dqnn.topology import TopologySpec, load_topology


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario YAML file and the topology it names, or raise a :class:`ScenarioError`.

    The topology path is taken relative to the scenario file's folder, then to the working directory.
    A ``sweep:`` block is checked but not expanded: the scenario is its base point.
    """
    data = read_yaml_file(path, ScenarioError)
    return scenario_from_data(data, str(path), base_dir=Path(path).parent)


#: Top-level fields of a topology file: a scenario that has them and no workload is a topology by mistake.
_TOPOLOGY_FIELDS = {"nodes", "links", "defaults"}


def _topology_given(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A topology file given where a scenario is expected, named as such."""
    found = sorted(str(k) for k in data if k in _TOPOLOGY_FIELDS)
    if "workload" in data or not found:
        return []
    return [
        (
            "",
            f"this is a topology file, not a scenario: it has {', '.join(found)} and no workload; check it with "
            "`qnet-dqnn topology validate`, or write a scenario (name, topology: <this file>, stop, workload) to run",
        )
    ]


def _check_mapping(data: Any, source: str) -> Mapping[str, Any]:
    """``data`` if it is a mapping that is not a topology; else the error that says what it is."""
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [("", f"a scenario must be a mapping (got {type(data).__name__})")])
    if topology := _topology_given(data):
        raise ScenarioError(source, topology)
    return data


def check_scenario_file(data: Any, source: str) -> ScenarioFile:
    """Check a scenario's shape (not its workload or topology)."""
    return validate_model(ScenarioFile, _check_mapping(data, source), source, ScenarioError)


def _workload_problems(data: Mapping[str, Any]) -> tuple[BaseModel | None, list[tuple[str, str]]]:
    """The validated workload and the problems of the ``workload`` section (none if it is not a mapping:
    the file's shape check reports that)."""
    section = data.get("workload")
    if not isinstance(section, Mapping):
        return None, []
    kind = section.get("type")
    if not isinstance(kind, str) or kind not in WORKLOADS:
        known = ", ".join(repr(k) for k in sorted(WORKLOADS))
        return None, [("workload.type", f"unknown workload {kind!r} (known: {known})")]
    try:
        return WORKLOADS[kind].spec.model_validate(section), []
    except ValidationError as exc:
        return None, validation_problems(exc, prefix="workload")


def resolve_topology_path(name: str, base_dir: Path | None, source: str) -> Path:
    """The topology file a scenario names: relative to ``base_dir`` first, then to the working directory."""
    for candidate in ([base_dir / name] if base_dir is not None else []) + [Path(name)]:
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # e.g. a name too long for the file system
            continue
    raise ScenarioError(source, [("topology", f"file not found: {name!r}")])


def scenario_from_data(
    data: Any,
    source: str = "<data>",
    base_dir: Path | None = None,
    topology: TopologySpec | None = None,
    topology_source: str | None = None,
) -> Scenario:
    """Build a checked scenario from plain data (the parsed YAML).

    Args:
        data: the scenario's fields.
        source: where it came from, for error messages.
        base_dir: folder the topology path is relative to.
        topology: an already loaded topology to use instead of reading the file ``data`` names.
        topology_source: the name to record for ``topology``.
    """
    data = _check_mapping(data, source)
    problems: list[tuple[str, str]] = []
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc)
    workload, found = _workload_problems(data)
    problems += found
    if problems or workload is None:  # every problem of the file at once, before the topology is read
        raise ScenarioError(source, list(dict.fromkeys(problems)))
    if topology is None:
        path = resolve_topology_path(spec.topology, base_dir, source)
        topology, topology_source = load_topology(path), str(path)
    check = WORKLOADS[str(workload.type)].check
    problems = check(workload, topology) if check is not None else []
    if problems:
        raise ScenarioError(source, [(f"workload.{path}".rstrip("."), reason) for path, reason in problems])
    return Scenario(
        name=spec.name,
        description=spec.description,
        source=source,
        topology=topology,
        topology_source=topology_source or spec.topology,
        seed=spec.seed,
        stop=spec.stop,
        workload=workload,
    )
