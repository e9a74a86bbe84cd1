"""Determinism: the same scenario and seed give the same bytes, in this process and in fresh ones.

* A shipped scenario (``scenarios/*.yaml``) gives the same record, ``to_json(include_wall=False)``, in this
  process and in a fresh interpreter with another ``PYTHONHASHSEED`` (no result may depend on the iteration
  order of a set or on ``hash()``); the wall-clock figures sit in their own section, left out of it.
* Run again in the same process, a scenario gives the same bytes (no state leaks from one run into the next).
* Random streams are per component: adding nodes and a link at the front of a topology's lists, and running
  with the event trace off, leaves every original link's counters and every table row about the original
  network unchanged (the trace feeds only the timeline).

Each runs one scenario of each kind (workload, strategy, replica type; for the cut, its estimator options) in
the default suite, and every shipped scenario under ``-m slow``: the scenarios of a kind share the code whose
state, streams or iteration order could leak, and running all 46 four times was most of the suite's time (this
file alone set its wall time). Every shipped scenario still runs at least once here (the light-cone check reads
every split's record) and loads in ``tests/scenario/test_scenarios.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qnet_dqnn
from qnet_dqnn.config import parse_yaml
from qnet_dqnn.errors import TopologyError
from qnet_dqnn.scenario import Scenario, load_scenario
from qnet_dqnn.topology import topology_from_data

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
#: Shipped scenarios too slow to run four times here live in ``scenarios/large/`` (the 1000-client FedAvg takes
#: ~12 s a run on 2 cores, 0.7 s just to load): the suite leaves them out, and
#: ``test_large_shipped_scenarios_rerun_byte_identical`` (``-m slow``) checks them.
LARGE = sorted((ROOT / "scenarios" / "large").glob("*.yaml"))


def _kind(path: Path) -> tuple[Any, ...]:
    """What code a scenario runs: its workload, strategy and replica type (the cut: also its estimator options)."""
    workload = parse_yaml(path.read_text(encoding="utf-8"), "scenario", TopologyError).get("workload", {})
    strategy = workload.get("strategy") or {}
    options = tuple(sorted(k for k in ("exact", "samples", "classical_communication") if k in strategy))
    return (workload.get("type"), strategy.get("type"), (strategy.get("replica") or {}).get("type"), options)


def _one_of_each_kind(paths: list[Path]) -> list[Any]:
    """``paths`` as test parameters: the first of each :func:`_kind` in the default suite, the others ``slow``."""
    seen: set[tuple[Any, ...]] = set()
    params = []
    for path in paths:
        kind = _kind(path)
        params.append(pytest.param(path, id=path.stem, marks=() if kind not in seen else pytest.mark.slow))
        seen.add(kind)
    return params


KINDS = _one_of_each_kind(SHIPPED)
#: The scenarios the default suite runs for every check of this file.
QUICK = [p.values[0] for p in KINDS if not p.marks]
#: Names of the nodes the stream-independence test adds (sorted last, so no existing name changes rank).
NEW_NODES = ("zz_added_a", "zz_added_b")
#: Link counters driven by the link's own random stream (messages and bits also count other traffic).
QUANTUM_COUNTERS = ("attempts", "pairs_delivered", "pairs_consumed", "pairs_discarded", "memory_wait_ticks")

#: A fresh interpreter printing the records of the scenarios named on its command line, as JSON.
_CHILD = """
import json, sys
from collections.abc import Iterator
from pathlib import Path
import qnet_dqnn
print(json.dumps({p: qnet_dqnn.run(Path(p)).to_json(include_wall=False) for p in sys.argv[1:]}))
"""
#: The child's hash seed; this process's is random unless PYTHONHASHSEED is set, and then it differs.
CHILD_HASH_SEED = "0" if os.environ.get("PYTHONHASHSEED") not in (None, "", "0") else "4242"


def _child(paths: list[Path]) -> subprocess.Popen[str]:
    """``paths`` run in a fresh interpreter with another hash seed."""
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, *map(str, paths)],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": CHILD_HASH_SEED},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class _Records(dict):
    """The deterministic record of a shipped scenario, run once in this process when first asked for."""

    def __missing__(self, path: str) -> str:
        self[path] = qnet_dqnn.run(Path(path)).to_json(include_wall=False)
        return self[path]


@pytest.fixture(scope="module")
def child_run() -> Iterator[subprocess.Popen[str]]:
    """One scenario of each kind in a fresh interpreter (started first: it runs meanwhile)."""
    child = _child(QUICK)
    yield child
    if child.poll() is None:
        child.kill()
    child.communicate()


@pytest.fixture(scope="module")
def records(child_run: subprocess.Popen[str]) -> dict[str, str]:
    """Records of the shipped scenarios in this process, each run once, when a test first reads it."""
    return _Records()


def test_there_are_shipped_scenarios() -> None:
    assert len(SHIPPED) >= 3
    assert [p.stem for p in LARGE] == ["train_fedavg_1000_clients"]
    assert load_scenario(LARGE[0]).workload_type == "train"  # it loads (its topology is in topologies/large/)


@pytest.mark.slow
@pytest.mark.parametrize("path", LARGE, ids=[p.stem for p in LARGE])
def test_large_shipped_scenarios_rerun_byte_identical(path: Path) -> None:
    assert qnet_dqnn.run(path).to_json(include_wall=False) == qnet_dqnn.run(path).to_json(include_wall=False)


def test_each_kind_of_shipped_scenario_is_rerun_in_the_default_suite() -> None:
    assert len(QUICK) >= 15 and {_kind(p) for p in QUICK} == {_kind(p) for p in SHIPPED}


@pytest.mark.parametrize("path", KINDS)
def test_a_rerun_with_the_same_seed_is_byte_identical(path: Path, records: dict[str, str]) -> None:
    again = qnet_dqnn.run(path)
    assert again.to_json(include_wall=False) == records[str(path)]
    full = json.loads(again.to_json())
    assert "wall" in full and "wall" not in json.loads(records[str(path)])
    assert set(full["wall"]) >= {"wall_time_s"}


def test_a_fresh_interpreter_with_another_hash_seed_gives_the_same_bytes(
    child_run: subprocess.Popen[str], records: dict[str, str]
) -> None:
    out, err = child_run.communicate(timeout=900)
    assert child_run.returncode == 0, err[-2000:]
    assert json.loads(out) == {str(p): records[str(p)] for p in QUICK}


@pytest.mark.slow
def test_every_shipped_scenario_gives_the_same_bytes_in_a_fresh_interpreter(records: dict[str, str]) -> None:
    child = _child(SHIPPED)
    out, err = child.communicate(timeout=3600)
    assert child.returncode == 0, err[-2000:]
    assert json.loads(out) == {str(p): records[str(p)] for p in SHIPPED}


def _with_added_nodes(scenario: Scenario) -> Scenario:
    """The scenario on its topology plus two repeaters joined by a quantum link, hung off the first node by a
    long classical-only link (a leaf: no route between original nodes changes, no original memory is shared).

    They go at the *front* of the node and link lists, so every original entry changes index: streams derived
    from positions rather than names would change.
    """
    data = parse_yaml(Path(scenario.topology_source).read_text(encoding="utf-8"), "topology", TopologyError)
    first = data["nodes"][0]["name"]
    nodes = [{"name": n, "kind": "repeater", "qubits": 2, "communication_qubits": 2} for n in NEW_NODES]
    links = [
        {"between": list(NEW_NODES), "length_km": 3.0, "quantum": {"source_rate_hz": 1.0e6}},
        {"between": [first, NEW_NODES[0]], "length_km": 500.0, "quantum": None},
    ]
    data["nodes"] = nodes + data["nodes"]
    data["links"] = links + data.get("links", [])
    return scenario.model_copy(update={"topology": topology_from_data(data, "extended")})


def _mentions_added(value: Any) -> bool:
    text = json.dumps(value)
    return any(name in text for name in NEW_NODES)


@pytest.mark.parametrize("path", KINDS)
def test_adding_nodes_and_turning_the_trace_off_change_nothing_else(path: Path, records: dict[str, str]) -> None:
    """The extended network, run with its trace off (one run checks both: scenarios can be slow)."""
    base = json.loads(records[str(path)])
    extended = qnet_dqnn.run(_with_added_nodes(load_scenario(path)), trace=False).to_dict(include_wall=False)
    assert not any(extended.get("timeline", {}).values())
    added_link = f"{NEW_NODES[0]}-{NEW_NODES[1]}"
    assert extended["ledger"]["links"][added_link]["attempts"] >= 0  # the new link is really there
    for link, counters in base["ledger"]["links"].items():
        for key in QUANTUM_COUNTERS:
            assert extended["ledger"]["links"][link][key] == counters[key], (link, key)
    for table, rows in base["tables"].items():
        kept = [row for row in extended["tables"][table] if not _mentions_added(row)]
        assert kept == rows, table


#: Strategies that split the model over QPUs (hybrid: over groups of split replicas).
SPLIT_STRATEGIES = ("coherent", "cut", "hybrid")


def test_every_shipped_split_has_remote_operations_in_its_readouts_light_cone(records: dict[str, str]) -> None:
    """A split whose remote operations all lie outside the readout's (commutation-aware) light cone trains as
    if the network were perfect (issue 16): every shipped coherent, cut and hybrid scenario must have some
    inside it. The cone depends on the model and the split, not on training: a scenario whose record this file
    has not made runs one step."""
    splits = []
    for path in SHIPPED:
        scenario = load_scenario(path)
        if scenario.workload_type == "train" and scenario.workload.strategy["type"] in SPLIT_STRATEGIES:
            if str(path) in records:
                metrics = json.loads(records[str(path)])["metrics"]
            else:
                one_step = scenario.model_copy(
                    update={"workload": scenario.workload.model_copy(update={"max_steps": 1})}
                )
                metrics = qnet_dqnn.run(one_step).metrics
            splits.append(path.stem)
            assert metrics["remote_ops_in_cone"] > 0, path.stem
            assert metrics["remote_ops_in_cone"] <= metrics["remote_ops_in_causal_cone"] <= metrics["remote_ops"]
    assert len(splits) >= 10, splits
