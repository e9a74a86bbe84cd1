"""Teleportation in QuNetSim: Alice teleports |0>, |1>, |+> and |-> to Bob (through Eve, so the pair is swapped),
who measures each in the basis it was prepared in: on perfect links every outcome is the prepared bit
(Bennett et al., PRL 70, 1895 (1993)).

Runs unmodified on QuNetSim and on qnet-dqnn. ROUNDS (environment) sets how many of each state; the last line
is a JSON summary.
"""

import json
import os

from qunetsim.components import Host, Network
from qunetsim.objects import Logger, Qubit

Logger.DISABLED = True

ROUNDS = int(os.environ.get("ROUNDS", "5"))
STATES = [("0", False, False), ("1", True, False), ("+", False, True), ("-", True, True)]


def main():
    network = Network.get_instance()
    network.start()
    # QuNetSim's per-packet delay (wall-clock s; its default 0.1 keeps its packets in order); no effect on qnet-dqnn
    network.delay = float(os.environ.get("NETWORK_DELAY", "0.1"))
    alice, eve, bob = Host("Alice"), Host("Eve"), Host("Bob")
    alice.add_connection("Eve")
    eve.add_connections(["Alice", "Bob"])
    bob.add_connection("Eve")
    for host in (alice, eve, bob):
        host.start()
    network.add_hosts([alice, eve, bob])

    correct, total = 0, 0
    for _ in range(ROUNDS):
        for name, flip, plus_basis in STATES:
            q = Qubit(alice)
            if flip:
                q.X()
            if plus_basis:
                q.H()
            alice.send_teleport("Bob", q, await_ack=True)
            received = bob.get_qubit("Alice", q.id, wait=5)
            if plus_basis:
                received.H()
            correct += received.measure() == int(flip)
            total += 1
    print("correct teleports: %d of %d" % (correct, total))
    print(json.dumps({"correct": correct, "total": total}))
    network.stop(True)


if __name__ == "__main__":
    main()
