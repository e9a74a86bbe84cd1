"""Sweeps: grid expansion, resuming, local processes and a real Dask cluster give the same numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.report.study import summarize
from qnet_dqnn.scenario.fields import parse_path, resolve_steps, set_path
from qnet_dqnn.scenario.sweep import expand_sweep, load_sweep, run_point, run_sweep

ROOT = Path(__file__).resolve().parents[2]


def _sweep_file(tmp_path: Path, sweep: str, simulated_time_s: float = 0.2, topology: str = "two_site.yaml") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: sw\ntopology: {ROOT / 'topologies' / topology}\nseed: 0\n"
        f"stop: {{simulated_time_s: {simulated_time_s}}}\nworkload: {{type: characterize}}\nsweep:\n{sweep}"
    )
    return path


def _records(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))}


def _without_wall(records: dict[str, dict]) -> dict[str, dict]:
    return {k: {**v, "result": {**v["result"], "wall": None}} for k, v in records.items()}


def test_paths_resolve_by_index_or_name_and_setting_creates_only_the_missing_mappings() -> None:
    tree = {"nodes": [{"name": "a", "memory": {"t1_s": None}}], "links": [{"between": ["a", "b"], "quantum": {}}]}
    assert resolve_steps(tree, "nodes[a].memory.t1_s") == ["nodes", 0, "memory", "t1_s"]
    assert resolve_steps(tree, "links[b-a].quantum") == ["links", 0, "quantum"]  # a link by name, either way
    with pytest.raises(KeyError) as info:
        resolve_steps(tree, "links[3].length_km")
    assert info.value.args[0] == "links[3]"
    with pytest.raises(ValueError, match="not a field path"):
        parse_path("links[[0]")
    raw = {"nodes": [{"name": "a"}]}  # memory inherited: the node writes only the swept field
    assert set_path(raw, ["nodes", 0, "memory", "t1_s"], 2.0) == {"nodes": [{"name": "a", "memory": {"t1_s": 2.0}}]}
    assert raw == {"nodes": [{"name": "a"}]}  # the input is left alone


def test_grid_is_the_product_of_axes_and_patches_topology_and_scenario(tmp_path: Path) -> None:
    path = _sweep_file(
        tmp_path, "  topology.links[0].length_km: [10.0, 20.0, 30.0]\n  workload.storage_time_s: [0.0, 1.0e-3]\n"
    )
    points = expand_sweep(path)
    assert len(points) == 6 and len({p.key for p in points}) == 6
    scenario = points[5].scenario()
    assert scenario.topology.links[0].length_km == 30.0
    assert scenario.workload.storage_time_s == 1e-3  # type: ignore[attr-defined]


def test_a_bad_sweep_path_or_value_names_the_axis(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"sweep\.topology\.links\[4\]\.length_km: no field .topology\.links\[4\]."):
        expand_sweep(_sweep_file(tmp_path, "  topology.links[4].length_km: [1.0]\n"))
    with pytest.raises(Exception, match=r"links\[0\]\.length_km: Input should be greater than 0"):
        expand_sweep(_sweep_file(tmp_path, "  topology.links[0].length_km: [-1.0]\n"))


def test_sweep_resumes_and_local_processes_equal_serial(tmp_path: Path) -> None:
    path = _sweep_file(tmp_path, "  seed: [0, 1, 2, 3]\n  topology.links[0].length_km: [20.0, 60.0]\n")
    serial = run_sweep(path, tmp_path / "serial", workers=1)
    assert (serial.total, serial.ran, serial.skipped) == (8, 8, 0)
    again = run_sweep(path, tmp_path / "serial", workers=1)
    assert (again.ran, again.skipped) == (0, 8)
    parallel = run_sweep(path, tmp_path / "parallel", workers=2)
    assert _without_wall(_records(serial.folder)) == _without_wall(_records(parallel.folder))
    axes, points = load_sweep(serial.folder)
    summary = summarize(axes, points)
    assert [v["topology.links[0].length_km"] for v in summary.values] == [20.0, 60.0]
    assert [len(g) for g in summary.groups] == [4, 4]
    [rate] = [q for q in summary.shown if q.metric == "pair_rate_hz_total"]
    assert summary.measured(0, rate).interval.mean > summary.measured(1, rate).interval.high  # longer, fewer pairs


def test_dask_local_cluster_gives_the_local_results(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    path = _sweep_file(tmp_path, "  seed: [0, 1, 2]\n")
    local = run_sweep(path, tmp_path / "local", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_sweep(path, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert remote.ran == 3
    assert _without_wall(_records(local.folder)) == _without_wall(_records(remote.folder))


def test_an_interrupted_sweep_resumes_without_recomputing_or_corrupting(tmp_path: Path) -> None:
    path = _sweep_file(tmp_path, "  seed: [0, 1, 2, 3, 4, 5]\n", simulated_time_s=16.0, topology="metro.yaml")
    out = tmp_path / "out"
    runs = out / "sw" / "sweep" / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qnet_dqnn.cli", "sweep", str(path), "--out", str(out), "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    # generous safety limits, not timings: on a loaded shared machine a run can take a minute
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and len(list(runs.glob("*.json"))) < 2 and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=900)
    finished = _records(runs.parent)
    assert 2 <= len(finished) < 6, "the interrupt came too late to test anything"
    assert not [p for p in runs.iterdir() if not p.name.endswith(".json")], "a temporary file was left behind"
    mtimes = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json")}
    resumed = run_sweep(path, out, workers=1)
    assert (resumed.skipped, resumed.ran) == (len(finished), 6 - len(finished))
    assert {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json") if p.name in mtimes} == mtimes
    assert len(_records(runs.parent)) == 6


STAR = "star4.yaml"  # its links take `quantum:` from `defaults.link`


def test_a_sweep_reaches_a_field_one_link_inherits_and_changes_only_that_link(tmp_path: Path) -> None:
    path = _sweep_file(
        tmp_path,
        "  topology.links[0].quantum.source_fidelity: [0.8]\n  topology.nodes[q1].memory.cutoff_s: [0.5]\n",
        simulated_time_s=0.01,
        topology=STAR,
    )
    [point] = expand_sweep(path)
    topology = point.scenario().topology
    assert [link.quantum.source_fidelity for link in topology.links] == [0.8, 1.0, 1.0, 1.0]
    assert topology.links[0].quantum.source_rate_hz == topology.links[1].quantum.source_rate_hz  # still inherited
    assert topology.node("q1").memory.cutoff_s == 0.5 and topology.node("q0").memory.cutoff_s is None
    links = {r["link"]: r for r in run_point(point)["result"]["tables"]["links"]}
    assert links["hub-q0"]["pairs_delivered"] > 0 and links["hub-q0"]["fidelity_delivered"] == pytest.approx(0.8)
    assert links["hub-q1"]["fidelity_delivered"] == pytest.approx(1.0)


def test_a_path_that_does_not_resolve_lists_the_nearest_ones(tmp_path: Path) -> None:
    path = _sweep_file(
        tmp_path,
        "  topology.links[0].quantum.source_fidelty: [0.8]\n  topology.nodes[q9].qubits: [2]\n"
        "  workload.storage_time: [1.0]\n",
        topology=STAR,
    )
    with pytest.raises(ScenarioError) as info:
        expand_sweep(path)
    problems = dict(info.value.problems)  # every bad axis, in one pass
    assert (
        "nearest: topology.links[0].quantum.source_fidelity"
        in problems["sweep.topology.links[0].quantum.source_fidelty"]
    )
    assert "nearest: topology.nodes[q3].qubits" in problems["sweep.topology.nodes[q9].qubits"]
    assert "nearest: workload.storage_time_s" in problems["sweep.workload.storage_time"]


def test_a_scenario_without_a_sweep_block_is_refused_unless_seeds_are_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(
        f"name: plain\ntopology: {ROOT / 'topologies' / 'two_site.yaml'}\nseed: 7\n"
        "stop: {simulated_time_s: 0.01}\nworkload: {type: characterize}\n"
    )
    with pytest.raises(ScenarioError, match=r"sweep: no sweep: block"):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.params for p in expand_sweep(path)] == [{}]  # the base point, for checks that want it
    assert [p.params for p in expand_sweep(path, seeds=3)] == [{"seed": 7}, {"seed": 8}, {"seed": 9}]
