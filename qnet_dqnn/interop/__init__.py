"""Bridges to other tools, above the layers they translate into.

:mod:`qnet_dqnn.interop.qunetsim` runs QuNetSim programs (DiAdamo et al., IEEE TQE 2, 1 (2021)) on this
project's timed, noisy network. Nothing in the core imports this package.
"""
