"""The Host application layer: QuNetSim-style verbs as SimPy processes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from qnet_dqnn.net import Host, Network, QubitHandle, make_hosts, path_latency_s
from qnet_dqnn.units import to_seconds
from tests.conftest import one_link
from tests.net.test_entanglement import chain


def test_a_teleport_protocol_is_two_short_generator_functions() -> None:
    net = Network(chain(2), seed=1, memory_split="per_link")
    hosts = make_hosts(net)
    ket = np.array([0.6, 0.8j])
    received: list[Any] = []

    def alice(host: Host) -> Generator[simpy.Event, Any, None]:
        yield host.send_teleport("n2", QubitHandle("n0", ket))
        yield host.send_classical("n2", "done")

    def bob(host: Host) -> Generator[simpy.Event, Any, None]:
        qubit = yield host.get_qubit("n0", timeout_s=1.0)
        message = yield host.get_classical("n0", timeout_s=1.0)
        received.extend([qubit, message.payload])

    net.env.process(alice(hosts["n0"]))
    net.env.run(until=net.env.process(bob(hosts["n2"])))
    qubit, payload = received
    assert payload == "done" and qubit.node == "n2"
    assert float(np.real(ket.conj() @ qubit.state @ ket)) == pytest.approx(1.0, abs=1e-12)


def test_get_returns_none_after_its_timeout() -> None:
    net = Network(one_link(), seed=2)
    hosts = make_hosts(net)
    waiting = hosts["b"].get_classical("a", timeout_s=1e-3)
    net.env.run(until=waiting)
    assert waiting.value is None and to_seconds(net.now) == pytest.approx(1e-3)
    late = hosts["a"].send_classical("b", 42, bits=8)
    net.env.run(until=late)
    got = hosts["b"].get_classical(timeout_s=1.0)
    net.env.run(until=got)
    assert got.value.payload == 42  # the timed-out get did not swallow it
    assert to_seconds(net.now - 1_000_000) == pytest.approx(path_latency_s(net.topology, ["a", "b"], 8), abs=2e-9)


def test_send_epr_gives_both_hosts_the_same_pair() -> None:
    net = Network(one_link(), seed=3)
    hosts = make_hosts(net)
    hosts["a"].send_epr("b", n=2)
    at_a, at_b = hosts["a"].get_epr("b", timeout_s=1.0), hosts["b"].get_epr("a", timeout_s=1.0)
    net.env.run(until=at_a & at_b)
    assert at_a.value is at_b.value and at_a.value.is_stored
    with pytest.raises(KeyError, match="no host 'zz'"):
        hosts["a"].send_classical("zz", None)
