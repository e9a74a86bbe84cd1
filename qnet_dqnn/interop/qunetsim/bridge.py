"""Optional bridge to the real QuNetSim: build a QuNetSim network (hosts and connections) from a qnet-dqnn topology.

The other direction, QuNetSim programs on qnet-dqnn's network, is :mod:`qnet_dqnn.interop.qunetsim` itself.
Needs the ``qunetsim`` extra (``pip install qnet-dqnn[qunetsim]``). QuNetSim (DiAdamo et al., IEEE TQE 2021)
runs in real time with threads, so it is a cross-check for protocols written against the same verbs as
:mod:`qnet_dqnn.net.host`, not a simulator of this project's timing or noise: the bridge copies only the
graph (one QuNetSim ``Host`` per node; every link becomes a classical connection both ways, and a link with
a quantum channel also a quantum connection both ways). Lengths, rates and fidelities are not carried over
(QuNetSim's links are perfect). QuNetSim can hang: run it in a subprocess with a timeout (see
``tests/interop/test_qunetsim_bridge.py``).

Usage::

    network, hosts = build_qunetsim_network(spec)
    try:
        ...  # hosts["alice"].send_teleport("bob", qubit, await_ack=True), ...
    finally:
        stop_qunetsim_network(network)
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from qnet_dqnn.topology import TopologySpec


def _require_qunetsim() -> Any:
    try:
        import qunetsim.components  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ImportError("the QuNetSim bridge needs the optional extra: pip install 'qnet-dqnn[qunetsim]'") from exc
    import qunetsim

    return qunetsim


def build_qunetsim_network(
    spec: TopologySpec, *, backend: Any = None, delay_s: float = 0.0, start: bool = True
) -> tuple[Any, dict[str, Any]]:
    """A started QuNetSim ``Network`` with one started ``Host`` per node of ``spec``, and the hosts by name.

    ``delay_s`` is QuNetSim's per-packet processing delay (its default, 0.1 s, only slows the run down).
    QuNetSim's ``Network`` is a process-wide singleton: one bridge per process (use a subprocess).
    """
    _require_qunetsim()
    from qunetsim.components import Host, Network

    network = Network.get_instance()
    network.delay = delay_s
    hosts = {node.name: Host(node.name) for node in spec.nodes}
    for link in spec.links:
        a, b = link.between
        for src, dst in ((a, b), (b, a)):
            if link.quantum is not None:
                hosts[src].add_connection(dst)  # classical and quantum
            else:
                hosts[src].add_c_connection(dst)
    if start:
        for host in hosts.values():
            host.start()
        network.add_hosts(list(hosts.values()))
        network.start(nodes=list(hosts), backend=backend)
    return network, hosts


def stop_qunetsim_network(network: Any) -> None:
    """Stop the hosts, the network's queue thread and its backend."""
    network.stop(stop_hosts=True)


def run_bounded(args: list[str], env: dict[str, str], timeout_s: float, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (e.g. a QuNetSim script in QuNetSim's own virtualenv) in its own process group.

    Past ``timeout_s`` the whole group is killed, QuNetSim's backend worker processes with it, and
    :class:`subprocess.TimeoutExpired` is raised.
    """
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out, err)
