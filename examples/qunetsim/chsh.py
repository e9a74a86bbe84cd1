"""The CHSH game in QuNetSim: a referee sends Alice and Bob one random bit each; they answer one bit each and
win when a XOR b = x AND y. Sharing EPR pairs and measuring at the Tsirelson angles wins with probability
cos^2(pi/8) ~ 0.854 (Clauser, Horne, Shimony & Holt, PRL 23, 880 (1969); Cleve et al., CCC 2004); no
classical strategy beats 0.75.

Runs unmodified on QuNetSim and on qnet-dqnn (`qnet-dqnn qunetsim run examples/qunetsim/chsh.py`).
PLAYS (environment) sets the number of rounds. The last line is a JSON summary.
"""

import json
import math
import os
import random

from qunetsim.components import Host, Network
from qunetsim.objects import Logger

Logger.DISABLED = True

PLAYS = int(os.environ.get("PLAYS", "200"))


def player(host, referee_id, partner_id, angles, epr_ids):
    """Measure shared EPR half i at angle angles[x] for the referee's bit x; answer the outcome."""
    for i in range(PLAYS):
        question = host.get_classical(referee_id, seq_num=i, wait=5)
        x = int(question.content)
        epr = host.get_epr(partner_id, q_id=epr_ids[i], wait=5)
        epr.ry(angles[x])
        host.send_classical(referee_id, str(epr.measure()))


def referee(host, alice_id, bob_id, tally):
    for i in range(PLAYS):
        x, y = random.randint(0, 1), random.randint(0, 1)
        host.send_classical(alice_id, str(x))
        host.send_classical(bob_id, str(y))
        a = int(host.get_classical(alice_id, seq_num=i, wait=5).content)
        b = int(host.get_classical(bob_id, seq_num=i, wait=5).content)
        tally.append(((x, y, a, b), (a ^ b) == (x & y)))


def main():
    network = Network.get_instance()
    network.start()
    # QuNetSim's per-packet delay (wall-clock s; its default 0.1 keeps its packets in order); no effect on qnet-dqnn
    network.delay = float(os.environ.get("NETWORK_DELAY", "0.1"))
    alice, bob, ref = Host("Alice"), Host("Bob"), Host("Referee")
    alice.add_c_connection("Referee")
    bob.add_c_connection("Referee")
    ref.add_c_connections(["Alice", "Bob"])
    alice.add_connection("Bob")
    bob.add_connection("Alice")
    for host in (alice, bob, ref):
        host.start()
    network.add_hosts([alice, bob, ref])

    epr_ids = [alice.send_epr("Bob", await_ack=True)[0] for _ in range(PLAYS)]
    # Alice and Bob may not talk during the game
    alice.remove_connection("Bob")
    bob.remove_connection("Alice")

    tally = []
    alice.run_protocol(player, ("Referee", "Bob", [0.0, math.pi / 2], epr_ids))
    bob.run_protocol(player, ("Referee", "Alice", [math.pi / 4, -math.pi / 4], epr_ids))
    ref.run_protocol(referee, ("Alice", "Bob", tally), blocking=True)
    wins = sum(won for _, won in tally)
    print(f"Win ratio: {wins / PLAYS:.2%}")
    by_question = {}
    for (x, y, _, _), won in tally:
        counts = by_question.setdefault("%d%d" % (x, y), [0, 0])
        counts[0] += won
        counts[1] += 1
    print(json.dumps({"plays": PLAYS, "wins": wins, "by_question": by_question}))
    network.stop(True)


if __name__ == "__main__":
    main()
