"""Classical messages: closed-form delays per hop and along paths, FIFO serialisation, ledger entries."""

from __future__ import annotations

import pytest

from qnet_dqnn.net import Network, path_latency_s
from qnet_dqnn.physics import classical_hop_delay_s
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


def _deliver(net: Network, src: str, dst: str, bits: int) -> float:
    start = net.now
    done = net.send(src, dst, bits)
    net.env.run(until=done)
    return to_seconds(net.now - start)


def test_one_hop_delay_equals_the_closed_form(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    expected = classical_hop_delay_s(30.0, 1000, 1e8, processing_s=2e-6, extra_latency_s=1e-5)
    assert _deliver(net, "a", "r", 1000) == pytest.approx(expected, abs=2e-9)


def test_multi_hop_delay_is_the_sum_of_hops_with_each_senders_processing(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    expected = classical_hop_delay_s(30.0, 5000, 1e8, 2e-6, 1e-5) + classical_hop_delay_s(12.0, 5000, 1e9, 5e-6, 0.0)
    assert net.route("a", "b") == ["a", "r", "b"]
    assert _deliver(net, "a", "b", 5000) == pytest.approx(expected, abs=4e-9)
    assert path_latency_s(chain3, ["a", "r", "b"], 5000) == pytest.approx(expected, rel=1e-12)
    back = classical_hop_delay_s(12.0, 5000, 1e9, 1e-6, 0.0) + classical_hop_delay_s(30.0, 5000, 1e8, 5e-6, 1e-5)
    assert _deliver(net, "b", "a", 5000) == pytest.approx(back, abs=4e-9)


def test_serialisation_term_shows_for_large_messages(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    small, large = _deliver(net, "a", "r", 8), _deliver(net, "a", "r", 8_000_000)
    assert large - small == pytest.approx((8_000_000 - 8) / 1e8, rel=1e-6)  # 80 ms at 100 Mb/s


def test_messages_queue_fifo_behind_each_other(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    first, second = net.send("a", "r", 1_000_000), net.send("a", "r", 1_000_000)
    net.env.run(until=second)
    assert first.triggered
    # the second waits for the first to leave the transmitter: one serialisation time later
    serialise = 1_000_000 / 1e8
    assert to_seconds(net.now) == pytest.approx(
        classical_hop_delay_s(30.0, 1_000_000, 1e8, 2e-6, 1e-5) + serialise, abs=4e-9
    )


def test_ledger_counts_messages_and_bits_per_link(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    _deliver(net, "a", "b", 100)
    _deliver(net, "r", "b", 50)
    assert net.ledger.links["a-r"].messages == 1 and net.ledger.links["a-r"].bits == 100
    assert net.ledger.links["r-b"].messages == 2 and net.ledger.links["r-b"].bits == 150
    assert net.ledger.totals()["bits"] == 250
    assert net.ledger.nodes["b"].messages_received == 2
    assert [e.kind for e in net.trace.events] == ["send", "receive", "send", "receive"]


def test_time_never_runs_backwards_in_the_trace(chain3: TopologySpec) -> None:
    net = Network.from_topology(chain3, seed=0)
    for bits in (10, 10_000, 1):
        net.send("a", "b", bits)
        net.send("b", "a", bits)
    net.run()
    ticks = [e.tick for e in net.trace.events]
    assert ticks == sorted(ticks) and len(ticks) == 12
