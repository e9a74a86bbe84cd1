"""Superdense coding in QuNetSim: Alice sends random two-bit messages to Bob over shared EPR pairs
(Bennett & Wiesner, PRL 69, 2881 (1992)); on perfect links every decoded message equals the sent one.

Runs unmodified on QuNetSim and on qnet-dqnn. MESSAGES (environment) sets how many; the last line is a JSON
summary.
"""

import json
import os
import random

from qunetsim.components import Host, Network
from qunetsim.objects import Logger

Logger.DISABLED = True

MESSAGES = int(os.environ.get("MESSAGES", "20"))


def sender(host, receiver_id, sent):
    for _ in range(MESSAGES):
        message = random.choice(["00", "01", "10", "11"])
        sent.append(message)
        host.send_superdense(receiver_id, message, await_ack=True)


def receiver(host, sender_id, decoded):
    for _ in range(MESSAGES):
        decoded.append(host.get_next_classical(sender_id, wait=10).content)


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

    sent, decoded = [], []
    t1 = alice.run_protocol(sender, ("Bob", sent))
    t2 = bob.run_protocol(receiver, ("Alice", decoded))
    t1.join()
    t2.join()
    equal = sum(s == d for s, d in zip(sent, decoded))
    print("decoded equal to sent: %d of %d" % (equal, len(sent)))
    print(json.dumps({"sent": sent, "decoded": decoded}))
    network.stop(True)


if __name__ == "__main__":
    main()
