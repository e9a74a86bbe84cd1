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
from qnet_dqnn.scenario.sweep import expand_sweep, load_sweep, run_sweep, set_field, summarize

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


def test_set_field_rejects_paths_that_do_not_exist() -> None:
    with pytest.raises(KeyError, match="no field 'links\\[3\\]'"):
        set_field({"links": [{}]}, "links[3].length_km", 1)
    assert set_field({"workload": {"type": "x"}}, "workload.new_field", 2) == {
        "workload": {"type": "x", "new_field": 2}
    }


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
    with pytest.raises(ScenarioError, match=r"sweep\.topology\.links\[4\]\.length_km: no field .links\[4\]."):
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
    rows = summarize(axes, points)
    assert [r["topology.links[0].length_km"] for r in rows] == [20.0, 60.0]
    assert all(r["runs"] == 4 for r in rows)
    assert rows[0]["pair_rate_hz_total_mean"] > rows[1]["pair_rate_hz_total_mean"]  # longer link, fewer pairs


def test_dask_local_cluster_gives_the_local_results(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    path = _sweep_file(tmp_path, "  seed: [0, 1, 2]\n")
    local = run_sweep(path, tmp_path / "local", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_sweep(path, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert remote.ran == 3
    assert _without_wall(_records(local.folder)) == _without_wall(_records(remote.folder))


def test_an_interrupted_sweep_resumes_without_recomputing_or_corrupting(tmp_path: Path) -> None:
    path = _sweep_file(
        tmp_path, "  seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n", simulated_time_s=16.0, topology="metro.yaml"
    )
    out = tmp_path / "out"
    runs = out / "sw" / "sweep" / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qnet_dqnn.cli", "sweep", str(path), "--out", str(out), "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs.glob("*.json"))) < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    finished = _records(runs.parent)
    assert 2 <= len(finished) < 12, "the interrupt came too late to test anything"
    assert not [p for p in runs.iterdir() if not p.name.endswith(".json")], "a temporary file was left behind"
    mtimes = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json")}
    resumed = run_sweep(path, out, workers=1)
    assert (resumed.skipped, resumed.ran) == (len(finished), 12 - len(finished))
    assert {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json") if p.name in mtimes} == mtimes
    assert len(_records(runs.parent)) == 12
