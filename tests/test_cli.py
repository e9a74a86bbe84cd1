"""The command line: exit codes, files written, messages shown."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from qnet_dqnn.cli import app
from qnet_dqnn.topology import load_topology

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
    source = ROOT / "tests" / "topology" / "data" / "sequence" / "two_node_bsm.json"
    result = runner.invoke(app, ["topology", "import", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "dark counts" in result.output
    topology = load_topology(out)
    assert [link.quantum.heralding for link in topology.quantum_links] == ["midpoint"]
    assert out.read_text().startswith("#")
