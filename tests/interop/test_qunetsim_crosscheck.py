"""The example programs on QuNetSim itself and on qnet-dqnn: the same outcome statistics on perfect links.

Needs QuNetSim in its own virtualenv (``benchmarks/.venvs/qunetsim``, made by ``make bench``); skipped
without it. QuNetSim runs in wall-clock time with a thread per packet and can hang, so each of its runs is a
subprocess with a timeout, tried up to three times. Its per-packet delay is kept at 0.05 s: at 0 its packet
threads reorder messages (the CHSH win rate drops to ~0.62) and an ACK can arrive before ``await_ack`` waits;
on a heavily loaded machine even 0.02 s reordered them (win rate 0.59 in the benchmark), so these checks can
only be as steady as QuNetSim is on the machine that runs them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from qnet_dqnn.interop.qunetsim.bridge import run_bounded
from qnet_dqnn.interop.qunetsim.runtime import run_script
from qnet_dqnn.interop.qunetsim.runtime.api import HOST_API, NETWORK_API, OBJECTS_API, QUBIT_API

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "qunetsim"
QUNETSIM_PYTHON = ROOT / "benchmarks" / ".venvs" / "qunetsim" / "bin" / "python"
TIMEOUT_S = 240
TRIES = 3

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not QUNETSIM_PYTHON.exists(), reason="QuNetSim's virtualenv is missing (make bench)"),
]


def on_qunetsim(example: str, **env: str) -> dict[str, Any]:
    """The JSON summary of ``example`` run by QuNetSim (in its own virtualenv)."""
    environment = {**os.environ, "NETWORK_DELAY": "0.05", **env}
    environment.pop("PYTHONPATH", None)
    for _ in range(TRIES):
        try:
            out = run_bounded([str(QUNETSIM_PYTHON), str(EXAMPLES / f"{example}.py")], environment, TIMEOUT_S, ROOT)
        except subprocess.TimeoutExpired:
            continue
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])
    pytest.skip(f"QuNetSim hung {TRIES} times on {example} (it runs in real time with threads)")


def on_qnet(example: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str) -> Any:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    run = run_script(EXAMPLES / f"{example}.py", seed=11)
    assert run.exit_code == 0, run.errors
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def binomial_ok(k: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    return abs(k - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("example, env", [("teleport", {"ROUNDS": "3"}), ("superdense", {"MESSAGES": "10"})])
def test_deterministic_protocols_agree(
    example: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = on_qnet(example, monkeypatch, capsys, **env), on_qunetsim(example, **env)
    if example == "teleport":
        assert ours == theirs == {"correct": 12, "total": 12}
    else:
        assert ours["decoded"] == ours["sent"] and theirs["decoded"] == theirs["sent"]


def test_ghz_and_routing_agree(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for summary in (on_qnet("ghz", monkeypatch, capsys, ROUNDS="8"), on_qunetsim("ghz", ROUNDS="8")):
        assert all(len(set(o)) == 1 for o in summary["outcomes"])
        assert binomial_ok(sum(o[0] for o in summary["outcomes"]), 8, 0.5)
    for summary in (on_qnet("routing", monkeypatch, capsys, MESSAGES="3"), on_qunetsim("routing", MESSAGES="3")):
        assert summary["decoded"] == summary["sent"]


def test_bb84_and_e91_keys_agree_and_chsh_is_tsirelson(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for keys in (on_qnet("bb84", monkeypatch, capsys, QUBITS="60"), on_qunetsim("bb84", QUBITS="60")):
        assert keys["alice_key"] == keys["bob_key"] and binomial_ok(len(keys["alice_key"]), 60, 0.5)
    values = []
    for e91 in (on_qnet("e91", monkeypatch, capsys, PAIRS="150"), on_qunetsim("e91", PAIRS="150")):
        assert e91["key_errors"] == 0 and e91["key_bits"] > 10
        values.append(e91["chsh"])
    # four correlations from ~150/9 pairs each: sd(S) ~ sqrt(4 * 0.5 / 17) ~ 0.35
    assert all(abs(s + 2 * math.sqrt(2)) < 4 * 0.35 for s in values)


def test_chsh_game_win_rates_agree(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    plays, p = 150, math.cos(math.pi / 8) ** 2
    ours, theirs = on_qnet("chsh", monkeypatch, capsys, PLAYS=str(plays)), on_qunetsim("chsh", PLAYS=str(plays))
    assert binomial_ok(ours["wins"], plays, p) and binomial_ok(theirs["wins"], plays, p)
    pooled = (ours["wins"] + theirs["wins"]) / (2 * plays)
    assert abs(ours["wins"] - theirs["wins"]) / plays < 4 * math.sqrt(2 * pooled * (1 - pooled) / plays)


def test_the_layers_api_lists_are_qunetsims() -> None:
    probe = """
import json, os
from qunetsim.components import Host, Network
from qunetsim.objects import Qubit
import qunetsim.objects as objects
class NoBackend:  # QuNetSim's default backend starts worker processes; a host needs only add_host
    def add_host(self, host):
        pass
host = Host("A", NoBackend())
network = Network.get_instance()
public = lambda x: sorted(n for n in dir(x) if not n.startswith("_"))
print(json.dumps({"host": public(host), "network": public(network), "qubit": public(Qubit),
                  "objects": sorted(n for n in public(objects) if n[0].isupper())}), flush=True)
os._exit(0)
"""
    out = subprocess.run([str(QUNETSIM_PYTHON), "-c", probe], capture_output=True, text=True, timeout=120)
    names = json.loads(out.stdout.strip().splitlines()[-1])
    for theirs, ours in (
        (names["host"], HOST_API),
        (names["network"], NETWORK_API),
        (names["qubit"], QUBIT_API),
        (names["objects"], OBJECTS_API),
    ):
        assert set(theirs) == set(ours)
