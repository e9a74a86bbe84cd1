"""BB84 in QuNetSim (Bennett & Brassard 1984): Alice sends random bits in random bases (Z or X) as qubits, Bob
measures each in a random basis, they announce the bases and keep the bits where the bases agree. On perfect
links the two sifted keys agree (QBER 0); noise shows as a QBER.

Runs unmodified on QuNetSim and on qnet-dqnn. QUBITS (environment) sets how many qubits; the last line is a
JSON summary.
"""

import json
import os
import random

from qunetsim.components import Host, Network
from qunetsim.objects import Logger, Qubit

Logger.DISABLED = True

QUBITS = int(os.environ.get("QUBITS", "100"))


def alice_protocol(host, bob_id, keys):
    bits = [random.randint(0, 1) for _ in range(QUBITS)]
    bases = [random.randint(0, 1) for _ in range(QUBITS)]
    for bit, basis in zip(bits, bases):
        q = Qubit(host)
        if bit:
            q.X()
        if basis:
            q.H()
        host.send_qubit(bob_id, q, await_ack=True)
    host.send_classical(bob_id, "".join(map(str, bases)), await_ack=True)
    bob_bases = host.get_next_classical(bob_id, wait=10).content
    keys["alice"] = [b for b, x, y in zip(bits, bases, bob_bases) if str(x) == y]


def bob_protocol(host, alice_id, keys):
    bases = [random.randint(0, 1) for _ in range(QUBITS)]
    bits = []
    for basis in bases:
        q = host.get_qubit(alice_id, wait=10)
        if basis:
            q.H()
        bits.append(q.measure())
    alice_bases = host.get_next_classical(alice_id, wait=10).content
    host.send_classical(alice_id, "".join(map(str, bases)), await_ack=True)
    keys["bob"] = [b for b, x, y in zip(bits, bases, alice_bases) if str(x) == y]


def main():
    network = Network.get_instance()
    network.start()
    # QuNetSim's per-packet delay (wall-clock s; its default 0.1 keeps its packets in order); no effect on qnet-dqnn
    network.delay = float(os.environ.get("NETWORK_DELAY", "0.1"))
    alice, bob = Host("Alice"), Host("Bob")
    alice.add_connection("Bob")
    bob.add_connection("Alice")
    alice.start()
    bob.start()
    network.add_hosts([alice, bob])

    keys = {}
    t1 = alice.run_protocol(alice_protocol, ("Bob", keys))
    t2 = bob.run_protocol(bob_protocol, ("Alice", keys))
    t1.join()
    t2.join()
    errors = sum(a != b for a, b in zip(keys["alice"], keys["bob"]))
    print("sifted key: %d bits, %d errors" % (len(keys["alice"]), errors))
    print(json.dumps({"alice_key": keys["alice"], "bob_key": keys["bob"]}))
    network.stop(True)


if __name__ == "__main__":
    main()
