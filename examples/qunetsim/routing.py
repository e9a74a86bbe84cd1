"""Entanglement routing in QuNetSim: A and B are joined through two relays; while the relays keep a stock of
EPR pairs with their neighbours (background protocols that sleep between rounds), A sends superdense
messages to B along the route that a custom routing function picks: the relay with more stored pairs. On
perfect links every decoded message equals the sent one.

Runs unmodified on QuNetSim and on qnet-dqnn. MESSAGES (environment) sets how many; the last line is a JSON
summary.
"""

import json
import os
import random
import time

import networkx as nx
from qunetsim.components import Host, Network
from qunetsim.objects import Logger

Logger.DISABLED = True

MESSAGES = int(os.environ.get("MESSAGES", "5"))
STOCK = 3

network = Network.get_instance()


def keep_entangled(host):
    """Keep up to STOCK pairs with each quantum neighbour, checking every 2 s while the host is idle."""
    while True:
        if host.is_idle():
            for connection in host.get_connections():
                if connection["type"] == "quantum":
                    if len(host.get_epr_pairs(connection["connection"])) < STOCK:
                        host.send_epr(connection["connection"], await_ack=True)
        time.sleep(2)


def by_stored_pairs(graph, source, target):
    """Shortest path where an edge costs 1 / (pairs stored on it), 1000 with none."""
    weighted = nx.DiGraph()
    for node in graph.nodes():
        host = network.get_host(node)
        for connection in host.get_connections():
            if connection["type"] == "quantum":
                stored = len(host.get_epr_pairs(connection["connection"]))
                weighted.add_edge(node, connection["connection"], weight=1.0 / stored if stored else 1000)
    return nx.shortest_path(weighted, source, target, weight="weight")


def main():
    network.start()
    # QuNetSim's per-packet delay (wall-clock s; its default 0.1 keeps its packets in order); no effect on qnet-dqnn
    network.delay = float(os.environ.get("NETWORK_DELAY", "0.1"))
    a, r1, r2, b = Host("A"), Host("relay_1"), Host("relay_2"), Host("B")
    a.add_connections(["relay_1", "relay_2"])
    r1.add_connections(["A", "B"])
    r2.add_connections(["A", "B"])
    b.add_connections(["relay_1", "relay_2"])
    for host in (a, r1, r2, b):
        host.start()
    network.add_hosts([a, r1, r2, b])

    r1.run_protocol(keep_entangled)
    r2.run_protocol(keep_entangled)
    for _ in range(3):
        print("building entanglement...")
        time.sleep(1)

    network.quantum_routing_algo = by_stored_pairs
    sent, decoded = [], []
    for _ in range(MESSAGES):
        message = random.choice(["00", "01", "10", "11"])
        print("route:", network.get_quantum_route("A", "B"))
        a.send_superdense("B", message, await_ack=True)
        sent.append(message)
        decoded.append(b.get_next_classical("A", wait=10).content)
        time.sleep(1)
    equal = sum(s == d for s, d in zip(sent, decoded))
    print("decoded equal to sent: %d of %d" % (equal, len(sent)))
    print(json.dumps({"sent": sent, "decoded": decoded}))
    network.stop(True)


if __name__ == "__main__":
    main()
