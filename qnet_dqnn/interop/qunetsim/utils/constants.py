"""QuNetSim's protocol constants, for scripts that import them."""

from __future__ import annotations


class Constants:
    """The subset of QuNetSim's ``Constants`` a script reads: wait times, qubit kinds and the ACK marker."""

    WAIT_TIME = 10
    EPR = 0
    DATA = 1
    GHZ = 2
    SIGNAL = "signal"
    CLASSICAL = "classical"
    QUANTUM = "quantum"
    ACK = "qunetsim_ACK__"
    NACK = "qunetsim_NACK__"
