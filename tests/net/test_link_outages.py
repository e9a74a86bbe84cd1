"""Classical link outages: messages go around a down link, wait for it, or are lost; nothing hangs."""

from __future__ import annotations

import pytest

from qnet_dqnn.errors import NoRouteError
from qnet_dqnn.net import Network
from qnet_dqnn.physics import classical_hop_delay_s
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.units import to_seconds, to_ticks


@pytest.fixture
def triangle() -> TopologySpec:
    return topology_from_data(
        {
            "nodes": [{"name": n, "qubits": 1} for n in "abc"],
            "links": [
                {"between": ["a", "b"], "length_km": 10.0},
                {"between": ["a", "c"], "length_km": 20.0},
                {"between": ["c", "b"], "length_km": 30.0},
            ],
        }
    )


def _deliver(net: Network, src: str, dst: str, bits: int = 1000) -> tuple[object, float]:
    start = net.now
    done = net.send(src, dst, bits)
    net.env.run(until=done)
    return done.value, to_seconds(net.now - start)


def test_a_down_link_is_routed_around(triangle: TopologySpec) -> None:
    net = Network(triangle, seed=0)
    net.fail_link("a-b", 0, to_ticks(1.0))
    message, latency = _deliver(net, "a", "b")
    detour = classical_hop_delay_s(20.0, 1000, 1e9) + classical_hop_delay_s(30.0, 1000, 1e9)
    assert message is not None and latency == pytest.approx(detour, abs=3e-9)
    assert net.ledger.links["a-b"].messages == 0
    assert net.ledger.links["a-c"].messages == net.ledger.links["c-b"].messages == 1


def test_after_the_outage_the_direct_link_is_used_again(triangle: TopologySpec) -> None:
    net = Network(triangle, seed=0)
    net.fail_link("a-b", 0, to_ticks(1e-3))
    net.env.run(until=to_ticks(2e-3))
    _, latency = _deliver(net, "a", "b")
    assert latency == pytest.approx(classical_hop_delay_s(10.0, 1000, 1e9), abs=2e-9)


def test_with_no_way_around_a_message_waits_for_the_link(chain3: TopologySpec) -> None:
    net = Network(chain3, seed=0)
    net.fail_link("r-b", 0, to_ticks(0.5))
    message, latency = _deliver(net, "a", "b", bits=5000)
    hops = classical_hop_delay_s(30.0, 5000, 1e8, 2e-6, 1e-5) + classical_hop_delay_s(12.0, 5000, 1e9, 5e-6)
    assert message is not None
    assert latency == pytest.approx(0.5 + hops, abs=3e-9)  # held at the sender until a path exists again


def test_a_message_behind_a_link_that_never_returns_is_lost_not_hung(chain3: TopologySpec) -> None:
    net = Network(chain3, seed=0)
    net.fail_link("a-r", 0)
    done = net.send("a", "b", 10)
    net.run()  # returns: nothing waits forever
    assert done.triggered and done.value is None
    assert net.ledger.nodes["a"].messages_lost == 1 and net.ledger.nodes["b"].messages_received == 0
    assert net.trace.of_kind("message_lost")


def test_bad_outages_are_refused(chain3: TopologySpec) -> None:
    net = Network(chain3, seed=0)
    with pytest.raises(NoRouteError, match="unknown link 'a-b'"):
        net.fail_link("a-b", 0, 10)
    with pytest.raises(ValueError, match="must end after it starts"):
        net.fail_link("a-r", 10, 10)
    assert net.link_is_up("a-r")
