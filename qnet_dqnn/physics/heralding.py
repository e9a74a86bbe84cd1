"""Heralded entanglement generation over one fiber link: success probability and timing per attempt.

Two models:

* ``midpoint`` (meet-in-the-middle): both nodes emit a photon entangled with a memory qubit towards a
  Bell-state measurement station halfway; a herald returns to both nodes. Each photon crosses L/2, so the
  two-photon coincidence carries eta(L/2)^2 = eta(L), times the linear-optics BSM success of 1/2
  (Barrett & Kok, PRA 71, 060310 (2005); Calsamiglia & Lutkenhaus, Appl. Phys. B 72, 67 (2001)).
* ``at_node`` (source at one node): node A emits, node B absorbs/detects the photon after L and sends
  the herald back: one photon crosses L (Munro et al., IEEE JSTQE 21, 6400112 (2015), Sec. III).

Multiplexing over m modes per attempt succeeds when at least one mode succeeds (Collins et al.,
PRL 98, 060502 (2007)); at most one pair is kept per attempt.
"""

from __future__ import annotations

from typing import Literal

from qnet_dqnn.physics.fiber import propagation_delay_s

HeraldingModel = Literal["midpoint", "at_node"]

#: Success probability of a linear-optics Bell-state measurement on two photons (dimensionless):
#: only two of the four Bell states can be told apart (Calsamiglia & Lutkenhaus 2001).
LINEAR_OPTICS_BSM_SUCCESS = 0.5


def attempt_success_probability(
    model: HeraldingModel,
    eta_fiber: float,
    source_efficiency: float,
    detector_efficiency: float,
    multiplexing: int = 1,
    bsm_success: float = LINEAR_OPTICS_BSM_SUCCESS,
) -> float:
    """Probability that one generation attempt heralds a pair.

    midpoint: p1 = p_BSM * (eta_s * eta_d)^2 * eta(L);  at_node: p1 = eta_s * eta(L) * eta_d;
    with m modes: p = 1 - (1 - p1)^m. ``eta_fiber`` is the whole link's transmissivity eta(L).

    Examples:
        >>> attempt_success_probability("at_node", 0.5, 1.0, 0.8)
        0.4
        >>> round(attempt_success_probability("midpoint", 0.5, 1.0, 1.0), 6)
        0.25
    """
    if model == "midpoint":
        p1 = bsm_success * (source_efficiency * detector_efficiency) ** 2 * eta_fiber
    elif model == "at_node":
        p1 = source_efficiency * eta_fiber * detector_efficiency
    else:
        raise ValueError(f"heralding model must be 'midpoint' or 'at_node' (got {model!r})")
    return 1.0 - (1.0 - p1) ** multiplexing


def heralding_time_s(model: HeraldingModel, length_km: float) -> float:
    """Time from emission until both nodes know the attempt's outcome (in s).

    midpoint: photons travel L/2 and the herald L/2 back, L/v in total; at_node: the photon crosses L
    and the herald returns over L, 2L/v.

    Examples:
        >>> heralding_time_s("at_node", 10.0)
        0.0001
    """
    one_way = propagation_delay_s(length_km)
    return one_way if model == "midpoint" else 2.0 * one_way


def storage_before_herald_s(model: HeraldingModel, length_km: float) -> tuple[float, float]:
    """How long each end's memory qubit has been stored when the herald arrives (in s), as (A, B).

    midpoint: both qubits are stored from emission, L/v each. at_node: A's qubit from emission (2L/v),
    B's from absorption, L/v after emission (L/v).
    """
    herald = heralding_time_s(model, length_km)
    if model == "midpoint":
        return herald, herald
    return herald, herald - propagation_delay_s(length_km)


def attempt_period_s(model: HeraldingModel, length_km: float, source_rate_hz: float) -> float:
    """Time between attempts from one memory qubit (in s): max(1/source_rate, heralding time).

    A memory qubit may emit again only once it knows the last attempt failed (Munro et al. 2015, Sec. III).

    Examples:
        >>> attempt_period_s("at_node", 10.0, 2000.0)
        0.0005
    """
    return max(1.0 / source_rate_hz, heralding_time_s(model, length_km))
