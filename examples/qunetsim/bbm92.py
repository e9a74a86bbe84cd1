"""BBM92 in QuNetSim (Bennett, Brassard & Mermin, PRL 68, 557 (1992)): Alice asks for EPR pairs with Bob; as
each pair arrives both measure their half at once, each in a random basis (Z or X); they announce the
bases and keep the bits where the bases agree. On perfect pairs the keys agree; a pair that decohered in the
memories while its herald travelled shows as errors, per basis.

Runs unmodified on QuNetSim and on qnet-dqnn. PAIRS (environment) sets how many pairs; the last line is a
JSON summary with the sifted bits of each basis.
"""

import json
import os
import random

from qunetsim.components import Host, Network
from qunetsim.objects import Logger

Logger.DISABLED = True

PAIRS = int(os.environ.get("PAIRS", "100"))


def measure(host, partner_id, bases, bits):
    for _ in range(PAIRS):
        half = host.get_epr(partner_id, wait=-1)
        basis = random.randint(0, 1)
        if basis:
            half.H()
        bases.append(basis)
        bits.append(half.measure())


def alice_protocol(host, bob_id, record):
    listener = host.run_protocol(measure, (bob_id, record["alice_bases"], record["alice_bits"]))
    for _ in range(PAIRS):
        host.send_epr(bob_id, no_ack=True)
    listener.join()
    host.send_classical(bob_id, record["alice_bases"], await_ack=True)


def bob_protocol(host, alice_id, record):
    measure(host, alice_id, record["bob_bases"], record["bob_bits"])
    host.get_next_classical(alice_id, wait=-1)


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

    record = {"alice_bases": [], "alice_bits": [], "bob_bases": [], "bob_bits": []}
    t1 = alice.run_protocol(alice_protocol, ("Bob", record))
    t2 = bob.run_protocol(bob_protocol, ("Alice", record))
    t1.join()
    t2.join()
    sifted = {"Z": [0, 0], "X": [0, 0]}
    for a, b, x, y in zip(record["alice_bits"], record["bob_bits"], record["alice_bases"], record["bob_bases"]):
        if x == y:
            counts = sifted["X" if x else "Z"]
            counts[0] += a != b
            counts[1] += 1
    print("errors/sifted bits: Z %d/%d, X %d/%d" % (sifted["Z"][0], sifted["Z"][1], sifted["X"][0], sifted["X"][1]))
    print(json.dumps({"sifted": sifted}))
    network.stop(True)


if __name__ == "__main__":
    main()
