"""GHZ distribution in QuNetSim: Alice makes (|0000> + |1111>)/sqrt(2), keeps one qubit and sends the others to
Bob, Eve and Dean (Greenberger, Horne & Zeilinger 1989); all four measure. On perfect links the four outcomes
always agree, all 0 or all 1 with probability 1/2 each.

Runs unmodified on QuNetSim and on qnet-dqnn. ROUNDS (environment) sets how many states; the last line is a
JSON summary.
"""

import json
import os

from qunetsim.components import Host, Network
from qunetsim.objects import Logger

Logger.DISABLED = True

ROUNDS = int(os.environ.get("ROUNDS", "10"))


def main():
    network = Network.get_instance()
    network.start()
    # QuNetSim's per-packet delay (wall-clock s; its default 0.1 keeps its packets in order); no effect on qnet-dqnn
    network.delay = float(os.environ.get("NETWORK_DELAY", "0.1"))
    names = ["Alice", "Bob", "Eve", "Dean"]
    hosts = {name: Host(name) for name in names}
    hosts["Alice"].add_connections(["Bob", "Eve"])
    hosts["Bob"].add_connections(["Alice", "Eve"])
    hosts["Eve"].add_connections(["Alice", "Bob", "Dean"])
    hosts["Dean"].add_connection("Eve")
    for host in hosts.values():
        host.start()
    network.add_hosts(list(hosts.values()))

    outcomes = []
    for _ in range(ROUNDS):
        q_id, ack = hosts["Alice"].send_ghz(["Bob", "Eve", "Dean"], await_ack=True)
        qubits = [hosts[name].get_ghz("Alice", q_id, wait=10) for name in names]
        outcomes.append([q.measure() for q in qubits])
        print("outcomes: %s (ACKs: %s)" % (outcomes[-1], ack))
    agree = sum(len(set(o)) == 1 for o in outcomes)
    print("rounds where all agree: %d of %d" % (agree, ROUNDS))
    print(json.dumps({"outcomes": outcomes}))
    network.stop(True)


if __name__ == "__main__":
    main()
