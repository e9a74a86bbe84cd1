"""The command line: exit codes, files written, messages shown."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qnet_dqnn.cli import app
from qnet_dqnn.topology import load_topology
from qnet_dqnn.topology.hardware import PRESETS

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_validate_accepts_good_and_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes:\n  - {name: q1, qubits: 2}\nlinks:\n  - {between: [q1, q9], length_km: 1}\n")
    good = runner.invoke(app, ["topology", "validate", str(ROOT / "topologies" / "ring6.yaml")])
    assert good.exit_code == 0 and "ok" in good.output
    result = runner.invoke(app, ["topology", "validate", str(ROOT / "topologies" / "ring6.yaml"), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: links[0].between: unknown node 'q9'" in result.output


def test_new_writes_a_valid_generated_topology(tmp_path: Path) -> None:
    out = tmp_path / "chain5.yaml"
    result = runner.invoke(app, ["topology", "new", "chain", "--nodes", "5", "--length-km", "25", "-o", str(out)])
    assert result.exit_code == 0, result.output
    topology = load_topology(out)
    assert [n.name for n in topology.nodes] == ["qa", "r1", "r2", "r3", "qb"]
    assert all(link.length_km == 25.0 for link in topology.links)
    assert "qnet-dqnn topology new chain" in out.read_text().splitlines()[1]


def test_new_gives_every_node_a_hardware_preset_under_the_generated_gate_times(tmp_path: Path) -> None:
    out = tmp_path / "access.yaml"
    args = ["topology", "new", "access_star", "--networks", "2", "--clients", "2", "--speed-spread", "4"]
    result = runner.invoke(app, [*args, "--hardware", "trapped_ion", "-o", str(out)])
    assert result.exit_code == 0, result.output
    client = next(n for n in load_topology(out).nodes if n.name == "c0_0")
    ion = PRESETS["trapped_ion"].node["gates"]
    assert client.gates.two_qubit_error == ion["two_qubit_error"] > 0  # the preset's error ...
    assert client.gates.two_qubit_time_s > ion["two_qubit_time_s"]  # ... under the generator's slower gates
    assert out.read_text().splitlines()[1].endswith("--hardware trapped_ion")  # the header regenerates it
    bad = runner.invoke(app, [*args, "--hardware", "vacuum_tube", "-o", str(tmp_path / "x.yaml")])
    assert bad.exit_code != 0 and "vacuum_tube" in bad.output and "trapped_ion" in bad.output


def test_new_rejects_an_unknown_kind(tmp_path: Path) -> None:
    result = runner.invoke(app, ["topology", "new", "torus", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "unknown topology kind 'torus'" in result.output


def test_show_prints_link_physics_and_draws_a_png(tmp_path: Path) -> None:
    png = tmp_path / "metro.png"
    result = runner.invoke(app, ["topology", "show", str(ROOT / "topologies" / "metro.yaml"), "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "hub-dc_north" in result.output and "349.6 Hz" in result.output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_run_prints_tables_and_writes_results(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"name: cli_run\ntopology: {ROOT / 'topologies' / 'two_site.yaml'}\nseed: 4\n"
        "stop: {simulated_time_s: 0.5}\nworkload: {type: characterize}\n"
    )
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "results"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "west-east" in result.output and "results written to" in result.output
    [record] = (tmp_path / "results" / "cli_run").glob("*/result.json")
    assert json.loads(record.read_text())["seed"] == 4


def test_run_reports_a_bad_scenario_without_a_traceback(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: x\ntopology: missing.yaml\nstop: {simulated_time_s: 1}\nworkload: {type: characterize}\n"
    )
    result = runner.invoke(app, ["run", str(scenario), "--no-progress"])
    assert result.exit_code == 2
    assert "topology: file not found" in result.output and "Traceback" not in result.output


def test_show_draws_a_two_node_topology_without_positions(tmp_path: Path) -> None:
    topology = tmp_path / "pair.yaml"
    topology.write_text(
        "nodes: [{name: a, qubits: 1}, {name: b, qubits: 1}]\n"
        "links: [{between: [a, b], length_km: 3, quantum: {source_rate_hz: 1.0e6}}]\n"
    )
    png = tmp_path / "pair.png"
    result = runner.invoke(app, ["topology", "show", str(topology), "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_import_converts_a_sequence_topology_and_lists_warnings(tmp_path: Path) -> None:
    out = tmp_path / "imported.yaml"
    source = ROOT / "tests" / "interop" / "data" / "sequence" / "two_node_bsm.json"
    result = runner.invoke(app, ["topology", "import", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "dark counts" in result.output
    topology = load_topology(out)
    assert [link.quantum.heralding for link in topology.quantum_links] == ["midpoint"]
    assert out.read_text().startswith("#")


def _scenario(tmp_path: Path, name: str, workload: str, stop_s: float = 0.05, topology: str = "two_site.yaml") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ntopology: {ROOT / 'topologies' / topology}\nseed: 1\n"
        f"stop: {{simulated_time_s: {stop_s}}}\nworkload: {workload}\n"
    )
    return path


def _train(tmp_path: Path, name: str, stop_s: float = 1.0e5) -> Path:
    workload = (
        "{type: train, strategy: {type: single, node: q0}, model: {qubits: 2, layers: 1}, "
        "dataset: {name: moons, samples: 40, validation_samples: 10}, noise: false, batch_size: 4, shots: 10, "
        "estimator: exact, max_steps: 2}"
    )
    return _scenario(tmp_path, name, workload, stop_s, "star4.yaml")


def _cells(out: Path) -> list[str]:
    """Every number the compare table prints, as the table formats it (from the record it wrote)."""
    from qnet_dqnn.report.sheet import cell_text
    from qnet_dqnn.report.study import comparison_sheet, load_comparison

    [folder] = (out / "compare").iterdir()
    sheet = comparison_sheet(load_comparison(folder))
    return [cell_text(v) for row in sheet.rows for v in row[2:] if cell_text(v) != "-"]


def test_compare_through_a_pipe_and_at_80_columns_cuts_no_cell(tmp_path: Path) -> None:
    names = ["tri_coherent_long_name_one", "tri_coherent_long_name_two"]
    files = [str(_scenario(tmp_path, n, "{type: characterize, storage_time_s: 1.0e-3}")) for n in names]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(
        [sys.executable, "-m", "qnet_dqnn.cli", "compare", *files, "--seeds", "2", "--out", str(tmp_path / "p")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert piped.returncode == 0, piped.stderr
    narrow = runner.invoke(
        app, ["compare", *files, "--seeds", "2", "--out", str(tmp_path / "n")], env={"COLUMNS": "80"}
    )
    assert narrow.exit_code == 0, narrow.output
    for text, out in ((piped.stdout, tmp_path / "p"), (narrow.stdout, tmp_path / "n")):
        assert "…" not in text and all(name in text for name in names)
        cells = _cells(out)
        assert any("e+" in c for c in cells)  # exponents, the first thing the old table lost
        assert all(any(cell in line for line in text.splitlines()) for cell in cells), text
    tables = narrow.stdout.split("results written to")[0]  # (the paths after it are as long as they are)
    assert max(len(line) for line in tables.splitlines()) <= 80
    assert max(len(line) for line in piped.stdout.splitlines()) > 80  # a pipe gets the table at its own width


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_run_prints_machine_readable_tables(tmp_path: Path, fmt: str) -> None:
    scenario = _scenario(tmp_path, "fmt", "{type: characterize}")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "r"), "--no-progress", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        sheets = json.loads(result.stdout)
        assert sheets[0]["rows"][0]["link"] == "west-east" and isinstance(sheets[0]["rows"][0]["pairs"], int)
    elif fmt == "csv":
        assert result.stdout.startswith("# fmt: quantum links") and "\nlink,pairs," in result.stdout
    else:
        assert "| link | pairs |" in result.stdout
    assert "results written to" not in result.stdout  # status lines go to stderr, the stream stays parseable


def test_bad_format_and_confidence_are_refused_naming_the_option(tmp_path: Path) -> None:
    scenario = str(_scenario(tmp_path, "x", "{type: characterize}"))
    for args, message in (
        (["compare", scenario, "--confidence", "1.5"], "--confidence: must lie in (0, 1) (got 1.5)"),
        (["sweep", scenario, "--confidence", "0"], "--confidence: must lie in (0, 1) (got 0.0)"),
        (["report", str(tmp_path), "--confidence", "-1"], "--confidence: must lie in (0, 1)"),
        (["run", scenario, "--format", "xml"], "--format: unknown format 'xml'"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert not (tmp_path / "results").exists()


def test_a_run_that_makes_no_update_says_why_and_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(_train(tmp_path, "short", 1e-4)), "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 1
    assert "warning:" in result.output and "stop.simulated_time_s = 0.0001 s" in result.output
    assert "results written to" in result.output  # the record is kept for a look at what happened
    done = runner.invoke(app, ["run", str(_train(tmp_path, "enough")), "--out", str(tmp_path), "--no-progress"])
    assert done.exit_code == 0 and "warning" not in done.output


def test_run_prints_output_and_pair_fidelity_of_a_split(tmp_path: Path) -> None:
    workload = (
        "{type: train, strategy: {type: coherent, nodes: [q0, q1], fidelity_samples: 1}, "
        "model: {qubits: 4, layers: 1}, dataset: {name: moons, samples: 40, validation_samples: 10}, noise: false, "
        "batch_size: 2, shots: 5, estimator: exact, max_steps: 1}"
    )
    scenario = _scenario(tmp_path, "split", workload, 1e5, "star4_werner.yaml")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path), "--no-progress", "--format", "json"])
    assert result.exit_code == 0, result.output
    metrics = {r["metric"]: r["value"] for r in json.loads(result.stdout)[1]["rows"]}
    [record] = tmp_path.glob("split/*/result.json")
    reported = json.loads(record.read_text())["metrics"]
    # the pairs of this short run are perfect (pair fidelity 1), so the output fidelity is 1 up to rounding
    assert metrics["output fidelity"] == reported["output_fidelity"]
    assert 0.5 < reported["output_fidelity"] <= 1.0 + 1e-12
    assert metrics["pair fidelity"] == reported["pair_fidelity"]
    assert stat.S_IMODE(record.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_sweep_without_a_sweep_block_is_an_error(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "plain", "{type: characterize}")
    result = runner.invoke(app, ["sweep", str(scenario), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "sweep: no sweep: block" in result.output
    assert not (tmp_path / "plain").exists()


def test_validate_takes_a_folder_and_names_a_scenario_given_as_a_topology(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text((ROOT / "topologies" / "ring6.yaml").read_text())
    (tmp_path / "b.yml").write_text((ROOT / "topologies" / "star4.yaml").read_text())
    (tmp_path / "notes.txt").write_text("not yaml")
    result = runner.invoke(app, ["topology", "validate", str(tmp_path)])
    assert result.exit_code == 0 and result.output.count("ok") == 2, result.output
    shutil.copy(ROOT / "scenarios" / "train_single_star4.yaml", tmp_path / "c.yaml")
    result = runner.invoke(app, ["topology", "validate", str(tmp_path)])
    assert result.exit_code == 1 and "c.yaml: this is a scenario file, not a topology" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .yaml or .yml file" in runner.invoke(app, ["topology", "validate", str(empty)]).output


def test_run_names_a_topology_given_as_a_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(ROOT / "topologies" / "star4.yaml"), "--no-progress"])
    assert result.exit_code == 2 and "this is a topology file, not a scenario" in result.output


def test_sweep_prints_its_summary_as_json_with_intervals_over_seeds(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "sw", "{type: characterize}", 0.01)
    scenario.write_text(scenario.read_text() + "sweep:\n  topology.links[west-east].length_km: [20.0, 200.0]\n")
    args = ["sweep", str(scenario), "--seeds", "2", "--workers", "1", "--out", str(tmp_path), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    [sheet] = json.loads(result.stdout)
    near, far = sheet["rows"]
    assert (near["topology.links[west-east].length_km"], near["runs"]) == (20.0, 2)
    rate = "pair rate hz total"
    assert near[rate]["n"] == 2 and near[rate]["low"] <= near[rate]["mean"] <= near[rate]["high"]
    assert near[rate]["mean"] > far[rate]["mean"]  # ten times the fiber, far fewer pairs
    assert (tmp_path / "sw" / "sweep" / "summary.png").exists()
