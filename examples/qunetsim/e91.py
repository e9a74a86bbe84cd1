"""E91 in QuNetSim (Ekert, PRL 67, 661 (1991)): Alice makes singlets and sends one half of each to Bob; each
measures in one of three bases in the x-z plane (Alice 0, pi/4, pi/2; Bob pi/4, pi/2, 3pi/4); they announce
the bases. Equal angles give anticorrelated key bits, and four other pairs of bases give the CHSH value
S = E(a1,b1) - E(a1,b3) + E(a3,b1) + E(a3,b3), which is -2 sqrt(2) for a perfect singlet (E = -cos(a - b)).

Runs unmodified on QuNetSim and on qnet-dqnn. PAIRS (environment) sets how many singlets; the last line is
a JSON summary.
"""

import json
import math
import os
import random

from qunetsim.components import Host, Network
from qunetsim.objects import Logger, Qubit

Logger.DISABLED = True

PAIRS = int(os.environ.get("PAIRS", "100"))
ALICE_ANGLES = [0.0, math.pi / 4, math.pi / 2]
BOB_ANGLES = [math.pi / 4, math.pi / 2, 3 * math.pi / 4]


def measure_at(qubit, angle):
    """Measure the spin along the x-z direction at ``angle`` from z: rotate it onto z, then measure."""
    qubit.ry(-angle)
    return qubit.measure()


def alice_protocol(host, bob_id, record):
    for _ in range(PAIRS):
        a, b = Qubit(host), Qubit(host)
        a.X()
        b.X()
        a.H()
        a.cnot(b)  # (|01> - |10>)/sqrt(2)
        host.send_qubit(bob_id, b, await_ack=True)
        basis = random.randint(0, 2)
        record["alice"].append((basis, measure_at(a, ALICE_ANGLES[basis])))
    host.send_classical(bob_id, [basis for basis, _ in record["alice"]], await_ack=True)


def bob_protocol(host, alice_id, record):
    for _ in range(PAIRS):
        q = host.get_qubit(alice_id, wait=10)
        basis = random.randint(0, 2)
        record["bob"].append((basis, measure_at(q, BOB_ANGLES[basis])))
    host.get_next_classical(alice_id, wait=10)


def correlation(record, i, j):
    products = [
        (1 - 2 * ra) * (1 - 2 * rb) for (x, ra), (y, rb) in zip(record["alice"], record["bob"]) if (x, y) == (i, j)
    ]
    return sum(products) / len(products) if products else float("nan")


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

    record = {"alice": [], "bob": []}
    t1 = alice.run_protocol(alice_protocol, ("Bob", record))
    t2 = bob.run_protocol(bob_protocol, ("Alice", record))
    t1.join()
    t2.join()
    key_pairs = [(ra, 1 - rb) for (x, ra), (y, rb) in zip(record["alice"], record["bob"]) if (x, y) in ((1, 0), (2, 1))]
    errors = sum(a != b for a, b in key_pairs)
    s = correlation(record, 0, 0) - correlation(record, 0, 2) + correlation(record, 2, 0) + correlation(record, 2, 2)
    print("sifted key: %d bits, %d errors; CHSH S = %.3f" % (len(key_pairs), errors, s))
    print(json.dumps({"key_bits": len(key_pairs), "key_errors": errors, "chsh": s, "record": record}))
    network.stop(True)


if __name__ == "__main__":
    main()
