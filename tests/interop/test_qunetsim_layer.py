"""The QuNetSim-compatible layer: scripts as written, in simulated time, on the project's network.

Outcome statistics are checked against closed forms (CHSH, Werner pairs), the state engine against qutip,
and the scheduling against its promises: deterministic for a seed, ``time.sleep`` costs no wall time, a
blocked run ends with a report, bad calls fail clearly.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qutip

from qnet_dqnn.errors import NoRouteError, ProtocolError
from qnet_dqnn.interop.qunetsim.runtime import EXIT_STUCK, ScriptRun, UnsupportedAPIError, run_script, simulate
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.topology import topology_from_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "qunetsim"


def summary(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The JSON summary an example prints last."""
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def run_example(name: str, monkeypatch: pytest.MonkeyPatch, seed: int = 0, **env: str) -> ScriptRun:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_script(EXAMPLES / f"{name}.py", seed=seed)


def script(tmp_path: Path, body: str, name: str = "s.py") -> Path:
    """A script: :data:`HEADER` (two connected hosts) then ``body``."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(HEADER) + textwrap.dedent(body), encoding="utf-8")
    return path


HEADER = """
from qunetsim.components import Host, Network
from qunetsim.objects import Qubit
network = Network.get_instance()
alice, bob = Host("Alice"), Host("Bob")
alice.add_connection("Bob")
bob.add_connection("Alice")
network.add_hosts([alice, bob])
"""


# -- outcomes on perfect links --------------------------------------------------------------------------


def test_teleport_superdense_ghz_and_bb84_outcomes_are_exact_on_perfect_links(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_example("teleport", monkeypatch, ROUNDS="2")
    assert run.exit_code == 0 and summary(capsys) == {"correct": 8, "total": 8}
    assert run.ledger["totals"]["teleports"] == 8 and run.ledger["totals"]["swaps"] >= 8  # Alice-Eve-Bob
    run = run_example("superdense", monkeypatch, MESSAGES="12")
    out = summary(capsys)
    assert run.exit_code == 0 and out["decoded"] == out["sent"] and len(set(out["sent"])) > 1
    run = run_example("ghz", monkeypatch, ROUNDS="8")
    outcomes = summary(capsys)["outcomes"]
    assert run.exit_code == 0 and all(len(set(o)) == 1 for o in outcomes) and {o[0] for o in outcomes} == {0, 1}
    run = run_example("bb84", monkeypatch, QUBITS="40")
    keys = summary(capsys)
    assert run.exit_code == 0 and keys["alice_key"] == keys["bob_key"] and 8 <= len(keys["alice_key"]) <= 32


def test_chsh_win_rate_is_cos2_pi_over_8_on_perfect_pairs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plays = 300
    run = run_example("chsh", monkeypatch, PLAYS=str(plays))
    wins = summary(capsys)["wins"]
    p = math.cos(math.pi / 8) ** 2
    assert run.exit_code == 0
    assert abs(wins / plays - p) < 3.5 * math.sqrt(p * (1 - p) / plays)  # and far above the classical 0.75
    assert run.ledger["totals"]["pairs_consumed"] == plays


def test_chsh_on_werner_pairs_wins_half_plus_sqrt2_w_over_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A Werner pair of fidelity F has CHSH value 2 sqrt(2) w, w = (4F - 1)/3 (Horodecki et al., PLA 200, 340
    (1995)), so the game is won with probability 1/2 + S/8."""
    fidelity, plays = 0.7, 300
    hosts = ["Alice", "Bob", "Referee"]
    quantum = {"source_rate_hz": 1e6, "source_fidelity": fidelity}
    data = {
        "name": "werner",
        "nodes": [{"name": h, "qubits": 512} for h in hosts],
        "links": [
            {"between": ["Alice", "Bob"], "length_km": 1.0, "quantum": quantum},
            {"between": ["Alice", "Referee"], "length_km": 1.0},
            {"between": ["Bob", "Referee"], "length_km": 1.0},
        ],
    }
    monkeypatch.setenv("PLAYS", str(plays))
    run = run_script(EXAMPLES / "chsh.py", seed=3, topology=topology_from_data(data))
    wins = summary(capsys)["wins"]
    w = (4 * fidelity - 1) / 3
    p = 0.5 + math.sqrt(2) * w / 4
    assert run.exit_code == 0 and run.topology == "werner"
    assert abs(wins / plays - p) < 3.5 * math.sqrt(p * (1 - p) / plays)


# -- the state engine ---------------------------------------------------------------------------------------


def test_gates_and_partial_states_match_qutip(tmp_path: Path) -> None:
    """A circuit of every QuNetSim gate on two qubits, read as reduced density matrices, against qutip."""
    got: dict[str, np.ndarray] = {}

    def main() -> None:
        from qunetsim.components import Host, Network  # the layer, through the run's import hook
        from qunetsim.objects import Qubit

        Network.get_instance()
        host = Host("A")
        q0, q1 = Qubit(host), Qubit(host)
        q0.H()
        q0.T()
        q0.rx(0.3)
        q1.ry(1.1)
        q0.cnot(q1)
        q1.rz(-0.7)
        q1.K()
        q0.cphase(q1)
        q1.Y()
        got["q0"], got["q1"] = q0.density_operator(), q1.density_operator()

    assert simulate(main).exit_code == 0
    k = qutip.Qobj(0.5 * np.array([[1 + 1j, 1 - 1j], [-1 + 1j, -1 - 1j]]), dims=[[2], [2]])
    eye = qutip.qeye(2)
    ops = [
        qutip.tensor(qutip.gates.hadamard_transform(), eye),
        qutip.tensor(qutip.gates.phasegate(math.pi / 4), eye),
        qutip.tensor((-0.5j * 0.3 * qutip.sigmax()).expm(), eye),
        qutip.tensor(eye, (-0.5j * 1.1 * qutip.sigmay()).expm()),
        qutip.gates.cnot(),
        qutip.tensor(eye, (0.5j * 0.7 * qutip.sigmaz()).expm()),
        qutip.tensor(eye, k),
        qutip.gates.cphase(math.pi),
        qutip.tensor(eye, qutip.sigmay()),
    ]
    psi = qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0))
    for op in ops:
        psi = qutip.Qobj(op.full(), dims=[[2, 2], [2, 2]]) * psi
    rho = psi.proj()
    np.testing.assert_allclose(got["q0"], rho.ptrace(0).full(), atol=1e-10)
    np.testing.assert_allclose(got["q1"], rho.ptrace(1).full(), atol=1e-10)


def test_a_teleported_qubit_cannot_be_used_at_the_sender_and_gates_need_one_host(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        q = Qubit(alice)
        alice.send_teleport("Bob", q, await_ack=True)
        print(bob.get_qubit("Alice", q.id, wait=1).measure())
        q.X()
        """,
    )
    err = io.StringIO()
    run = run_script(path, stderr=err)
    assert run.exit_code == 1 and "was teleported to 'Bob' (no cloning" in err.getvalue()
    assert ProtocolError.__name__ in err.getvalue()

    def nonlocal_gate() -> None:
        from qunetsim.components import Host, Network
        from qunetsim.objects import Qubit

        Network.get_instance()
        Qubit(Host("A")).cnot(Qubit(Host("B")))

    err = io.StringIO()
    assert simulate(nonlocal_gate, stderr=err).exit_code == 1
    assert "needs its qubits at one host" in err.getvalue()


# -- the clock -----------------------------------------------------------------------------------------------


def test_sleep_advances_simulated_time_not_wall_time() -> None:
    seen: list[float] = []

    def main() -> None:
        from qunetsim.components import Host, Network

        network = Network.get_instance()
        host = Host("A")
        network.add_host(host)

        def sleeper(h: Any) -> None:
            for _ in range(3):
                time.sleep(1000.0)
                seen.append(time.perf_counter())

        host.run_protocol(sleeper).join()

    wall = time.perf_counter()
    run = simulate(main)
    assert run.exit_code == 0 and run.simulated_time_s == pytest.approx(3000.0)
    assert time.perf_counter() - wall < 60.0 and len(seen) == 3  # no 3000 s wait; (never asserts a speed)


def test_same_seed_same_record_and_output_other_seed_other_outcomes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs, outs = [], []
    for seed in (7, 7, 8):
        runs.append(run_example("e91", monkeypatch, seed=seed, PAIRS="40").to_result().to_json(include_wall=False))
        outs.append(capsys.readouterr().out)
    assert runs[0] == runs[1] and outs[0] == outs[1]
    assert outs[0] != outs[2]


# -- bad input and stuck runs --------------------------------------------------------------------------------


def test_a_thread_blocked_for_ever_ends_the_run_with_who_waited_on_what(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        def listen(host):
            host.get_next_classical("Alice", wait=-1)
        bob.run_protocol(listen).join()
        """,
    )
    run = run_script(path)
    assert run.outcome == "deadlock" and run.exit_code == EXIT_STUCK
    what = {(w.host, w.what) for w in run.waits}
    assert ("Bob", "Bob.get_next_classical('Alice', wait=-1)") in what
    assert any("join(thread 'listen" in w.what for w in run.waits)


def test_a_run_that_never_settles_ends_at_the_stop_time(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        """
        import time
        def poll(host):
            while host.get_next_classical("Alice", wait=0) is None:
                time.sleep(1)
        bob.run_protocol(poll, blocking=True)
        """,
    )
    run = run_script(path, stop_time_s=50.0)
    assert run.outcome == "stop_time" and run.exit_code == EXIT_STUCK
    assert run.simulated_time_s == pytest.approx(50.0)
    assert any(w.host == "Bob" and w.what == "time.sleep(1)" for w in run.waits)


def test_a_full_memory_is_named_when_pair_requests_wait_for_ever(tmp_path: Path) -> None:
    data = {
        "name": "tiny",
        "nodes": [{"name": "Alice", "qubits": 2}, {"name": "Bob", "qubits": 2}],
        "links": [{"between": ["Alice", "Bob"], "length_km": 1.0, "quantum": {"source_rate_hz": 1e6}}],
    }
    path = script(tmp_path, "for _ in range(3):\n    alice.send_epr('Bob', await_ack=True)\n")
    run = run_script(path, topology=topology_from_data(data))
    assert run.outcome == "deadlock"
    assert any("await_ack(seq 2 from 'Bob')" in w.what for w in run.waits)
    assert any("memory of node 'Alice' is full (2 qubits)" in n for n in run.notes)


def test_unsupported_calls_name_the_call(tmp_path: Path) -> None:
    for line, call in (
        ("alice.send_key('Bob', 8)", "Host.send_key"),
        ("from qunetsim.objects import Packet", "qunetsim.objects.Packet"),
        ("network.packet_drop_rate = 0.1", "Network.packet_drop_rate > 0"),
        ("alice.quantum_connections['Bob'].model = object()", "QuantumConnection.model"),
        ("Qubit(alice).send_to('Bob')", "Qubit.send_to"),
    ):
        err = io.StringIO()
        run = run_script(script(tmp_path, line + "\n"), stderr=err)
        assert run.exit_code == 1, line
        assert (
            UnsupportedAPIError.__name__ in err.getvalue() and f"QuNetSim's {call} is not supported" in err.getvalue()
        )
    err = io.StringIO()
    run_script(script(tmp_path, "import qunetsim.components.protocols\n"), stderr=err)
    assert "module 'qunetsim.components.protocols' of QuNetSim is not provided" in err.getvalue()
    err = io.StringIO()
    run_script(script(tmp_path, "alice.no_such_call()\n"), stderr=err)
    assert "AttributeError: 'Host' object has no attribute 'no_such_call'" in err.getvalue()


def test_no_route_is_the_networks_error_and_a_raising_protocol_fails_the_run(tmp_path: Path) -> None:
    err = io.StringIO()
    run = run_script(script(tmp_path, "Host('Carol')\nalice.send_classical('Carol', 'hi')\n"), stderr=err)
    assert (
        run.exit_code == 1 and f"{NoRouteError.__name__}: no classical path from 'Alice' to 'Carol'" in err.getvalue()
    )
    err = io.StringIO()
    path = script(tmp_path, "def boom(host):\n    raise RuntimeError('kaput')\nalice.run_protocol(boom).join()\n")
    run = run_script(path, stderr=err)
    assert run.outcome == "raised" and run.exit_code == 1
    assert "Exception in protocol thread 'boom#1' of host 'Alice'" in err.getvalue()
    assert 'File "' + str(path) + '", line' in err.getvalue() and "RuntimeError: kaput" in err.getvalue()


def test_a_blocking_call_from_an_unscheduled_thread_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        """
        import threading
        def listen():
            try:
                bob.get_next_classical("Alice", wait=1)
            except Exception as exc:
                print(type(exc).__name__, exc)
        t = threading.Thread(target=listen)
        t.start()
        t.join()
        """,
    )
    assert run_script(path).exit_code == 0
    out = capsys.readouterr().out
    assert "NotScheduledError" in out and "not threading.Thread" in out


def test_the_import_hook_lives_only_inside_a_run(tmp_path: Path) -> None:
    run_script(script(tmp_path, ""))
    assert "qunetsim" not in sys.modules or "qnet_dqnn" not in sys.modules["qunetsim"].__name__
    with pytest.raises(Exception, match="needs a qnet-dqnn run"):
        from qnet_dqnn.interop.qunetsim import Host

        Host("outside")


def test_settings_without_effect_are_reported_and_drawings_are_files(tmp_path: Path) -> None:
    path = script(tmp_path, "network.delay = 0.1\nnetwork.draw_quantum_network()\n")
    run = run_script(path, figures_dir=tmp_path / "figs")
    assert run.exit_code == 0 and any("Network.delay = 0.1 s" in n for n in run.notes)
    assert run.figures == ["quantum_network.png"] and (tmp_path / "figs" / "quantum_network.png").stat().st_size > 0


def test_cli_runs_a_script_and_writes_result_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qnet_dqnn.cli import app

    env = {**os.environ, "ROUNDS": "1"}
    out = CliRunner().invoke(app, ["qunetsim", "run", str(EXAMPLES / "teleport.py"), "--out", str(tmp_path)], env=env)
    assert out.exit_code == 0, out.output
    assert "correct teleports: 4 of 4" in out.output and "simulated time" in out.output
    (record,) = tmp_path.glob("qunetsim-teleport/*/result.json")
    data = json.loads(record.read_text())
    assert data["workload"] == "qunetsim" and data["ledger"]["totals"]["teleports"] == 4
    bad = CliRunner().invoke(app, ["qunetsim", "run", str(EXAMPLES / "teleport.py"), "--map", "Alice"])
    assert bad.exit_code == 2 and "--map needs --topology" in bad.output
    topology = tmp_path / "chain.yaml"
    topology.write_text(
        "name: chain\nnodes: [{name: a, qubits: 8}, {name: r, qubits: 8}, {name: b, qubits: 8}]\n"
        "links:\n  - {between: [a, r], length_km: 5.0, quantum: {source_rate_hz: 1.0e6}}\n"
        "  - {between: [r, b], length_km: 5.0, quantum: {source_rate_hz: 1.0e6}}\n",
        encoding="utf-8",
    )
    args = ["qunetsim", "run", str(EXAMPLES / "teleport.py"), "--topology", str(topology), "--out", str(tmp_path)]
    mapped = CliRunner().invoke(app, [*args, "--map", "Alice=a,Eve=r", "--map", "Bob=b"], env=env)
    assert mapped.exit_code == 0, mapped.output
    assert "correct teleports: 4 of 4" in mapped.output
    (record,) = [p for p in tmp_path.glob("qunetsim-teleport/*/result.json") if p != record]
    assert json.loads(record.read_text())["topology"] == "chain"
    unknown = CliRunner().invoke(app, [*args, "--map", "Alice=zz"])
    assert unknown.exit_code == 2 and "no node 'zz' in topology 'chain'" in unknown.output


def test_a_scripts_own_quantum_routing_function_chooses_where_pairs_are_swapped(tmp_path: Path) -> None:
    path = tmp_path / "diamond.py"
    path.write_text(
        textwrap.dedent(
            """
            from qunetsim.components import Host, Network
            network = Network.get_instance()
            hosts = {n: Host(n) for n in ("A", "r1", "r2", "B")}
            for a, b in (("A", "r1"), ("A", "r2"), ("r1", "B"), ("r2", "B")):
                hosts[a].add_connection(b)
                hosts[b].add_connection(a)
            network.add_hosts(list(hosts.values()))
            network.quantum_routing_algo = lambda graph, source, target: [source, "r2", target]
            q_id, ack = hosts["A"].send_epr("B", await_ack=True)
            a, b = hosts["A"].get_epr("B", q_id), hosts["B"].get_epr("A", q_id)
            print(a.measure() == b.measure(), ack)
            """
        ),
        encoding="utf-8",
    )
    run = run_script(path)
    assert run.exit_code == 0
    assert run.ledger["nodes"]["r2"]["swaps"] == 1 and run.ledger["nodes"]["r1"]["swaps"] == 0
    assert run.ledger["paths"]["A~B"]["e2e_pairs_delivered"] == 1


def test_request_pairs_along_a_callers_path_checks_it() -> None:
    """The route a script chose reaches the entanglement service as ``path=``; a wrong one is refused."""
    from qnet_dqnn.net import Network

    data = {
        "nodes": [{"name": n, "qubits": 4} for n in ("a", "r1", "r2", "b")],
        "links": [
            {"between": [u, v], "length_km": 1.0, "quantum": {"source_rate_hz": 1e6}}
            for u, v in (("a", "r1"), ("a", "r2"), ("r1", "b"), ("r2", "b"))
        ],
    }
    net = Network(topology_from_data(data), seed=1)
    done = request_pairs(net, "a", "b", 1, path=["a", "r2", "b"])
    net.env.run(until=done)
    assert done.value.path == ["a", "r2", "b"] and net.ledger.nodes["r2"].swaps == 1
    with pytest.raises(NoRouteError, match="does not run from 'a' to 'b'"):
        request_pairs(net, "a", "b", 1, path=["r1", "b"])
    with pytest.raises(NoRouteError, match="no quantum link between 'r1' and 'r2'"):
        request_pairs(net, "a", "b", 1, path=["a", "r1", "r2", "b"])
