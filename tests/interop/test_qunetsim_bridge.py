"""One teleportation protocol on qnet-dqnn and on QuNetSim (via the bridge), perfect links, same outcomes.

QuNetSim runs in real time with threads and can hang, so its half runs in a subprocess with a hard timeout.
Inputs are |0>, |1> and |+> measured in Z, Z and X: the outcomes are deterministic on perfect links.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from qnet_dqnn.net import Network, QubitHandle
from qnet_dqnn.net.host import make_hosts
from qnet_dqnn.topology import TopologySpec, topology_from_data

pytestmark = pytest.mark.slow
pytest.importorskip("qunetsim")

TIMEOUT_S = 120
# (name, initial ket, measure in X basis?)
CASES = [("zero", [1, 0], False), ("one", [0, 1], False), ("plus", [2**-0.5, 2**-0.5], True)]

QUNETSIM_SCRIPT = """
import json, sys
from qnet_dqnn.interop.qunetsim.bridge import build_qunetsim_network, stop_qunetsim_network
from qnet_dqnn.topology import topology_from_data
from qunetsim.objects import Qubit

spec = topology_from_data(json.loads(sys.argv[1]))
network, hosts = build_qunetsim_network(spec)
alice, bob = hosts["alice"], hosts["bob"]
outcomes = {}
try:
    for name, plus in json.loads(sys.argv[2]):
        q = Qubit(alice)
        if name == "one":
            q.X()
        if plus:
            q.H()
        alice.send_teleport("bob", q, await_ack=True)
        r = bob.get_data_qubit("alice", wait=30)
        if r is None:
            raise SystemExit("no qubit arrived at bob")
        if plus:
            r.H()
        outcomes[name] = int(r.measure())
finally:
    stop_qunetsim_network(network)
print(json.dumps(outcomes), flush=True)
"""


def topology_data() -> dict[str, Any]:
    quantum = {"source_rate_hz": 1e4, "attenuation_db_per_km": 0.0, "heralding": "midpoint"}
    nodes = [{"name": n, "qubits": 4} for n in ("alice", "bob")]
    return {
        "name": "bridge",
        "nodes": nodes,
        "links": [{"between": ["alice", "bob"], "length_km": 1.0, "quantum": quantum}],
    }


def ours(spec: TopologySpec) -> dict[str, int]:
    net = Network(spec, seed=0)
    hosts = make_hosts(net)
    outcomes: dict[str, int] = {}
    hadamard = np.array([[1, 1], [1, -1]]) / np.sqrt(2)

    def protocol() -> Generator[simpy.Event, Any, None]:
        for name, ket, plus in CASES:
            yield hosts["alice"].send_teleport("bob", QubitHandle("alice", np.array(ket, dtype=complex)))
            qubit = yield hosts["bob"].get_qubit("alice", timeout_s=1.0)
            assert qubit is not None
            rho = np.asarray(qubit.state)
            if plus:
                rho = hadamard @ rho @ hadamard
            p1 = float(np.real(rho[1, 1]))
            assert min(p1, 1 - p1) < 1e-9, "outcome is not deterministic on a perfect link"
            outcomes[name] = int(round(p1))

    net.env.run(until=net.env.process(protocol()))
    return outcomes


def test_teleportation_matches_qunetsim_on_perfect_links() -> None:
    data = topology_data()
    spec = topology_from_data(data)
    expected = {"zero": 0, "one": 1, "plus": 0}
    assert ours(spec) == expected

    args = json.dumps([[name, plus] for name, _, plus in CASES])
    try:
        out = subprocess.run(
            [sys.executable, "-c", QUNETSIM_SCRIPT, json.dumps(data), args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"QuNetSim did not finish within {TIMEOUT_S} s (it runs in real time and can hang)")
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected
