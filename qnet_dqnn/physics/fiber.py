"""Optical fiber: loss and delay, and the classical message delay over one hop."""

from __future__ import annotations

from qnet_dqnn.units import FIBER_LIGHT_SPEED_KM_PER_S


def transmissivity(length_km: float, attenuation_db_per_km: float) -> float:
    """Probability that a photon survives ``length_km`` of fiber: eta = 10^(-alpha*L/10).

    Source: the standard fiber-loss law, e.g. Munro, Azuma, Tamaki & Nemoto, "Inside quantum repeaters",
    IEEE JSTQE 21, 6400112 (2015), Sec. II; alpha ~ 0.2 dB/km at 1550 nm.

    Examples:
        >>> round(transmissivity(50.0, 0.2), 6)
        0.1
    """
    return 10.0 ** (-attenuation_db_per_km * length_km / 10.0)


def propagation_delay_s(length_km: float) -> float:
    """Time light needs to cross ``length_km`` of fiber, L / v with v = 2e5 km/s (in s).

    Examples:
        >>> propagation_delay_s(200.0)
        0.001
    """
    return length_km / FIBER_LIGHT_SPEED_KM_PER_S


def classical_hop_delay_s(
    length_km: float,
    bits: int,
    bandwidth_bps: float,
    processing_s: float = 0.0,
    extra_latency_s: float = 0.0,
) -> float:
    """One-hop delay of a classical message on an idle link (in s).

    delay = processing + extra latency + L/v + bits/bandwidth: processing at the sending node, a fixed
    per-link latency (switches, electronics), propagation, and serialisation. This is the textbook
    store-and-forward hop delay (Kurose & Ross, *Computer Networking*, Sec. 1.4, nodal delay =
    processing + queuing + transmission + propagation); queuing is simulated, not part of this formula.

    Examples:
        >>> round(classical_hop_delay_s(20.0, 1_000_000, 1e9), 9)
        0.0011
    """
    return processing_s + extra_latency_s + propagation_delay_s(length_km) + bits / bandwidth_bps
