"""Decoherence of stored qubits for a time t: T1/T2 damping and depolarizing memories."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_IDLE = np.array([1.0, 0.0, 0.0, 0.0])


def t1t2_pauli_probabilities(t_s: float, t1_s: float, t2_s: float) -> NDArray[np.float64]:
    """Pauli-twirled amplitude and phase damping over a time t, as (p_I, p_X, p_Z, p_Y).

    The damping channel shrinks the Bloch vector's x and y parts by e^(-t/T2) and its z part by
    e^(-t/T1). Its Pauli twirl keeps these factors (lambda_x = lambda_y = e^(-t/T2), lambda_z = e^(-t/T1))
    and drops the shift towards |0>, giving
    p_X = p_Y = (1 - lambda_z)/4 and p_Z = (1 - 2 lambda_x + lambda_z)/4
    (Ghosh, Fowler & Geller, PRA 86, 062318 (2012), Eq. (9)). On a Bell-diagonal pair the twirl leaves
    the fidelity with every Bell state unchanged, so it is exact for the Bell coefficients.
    Physical memories need T2 <= 2 T1.

    Examples:
        >>> t1t2_pauli_probabilities(0.0, 1.0, 1.0).tolist()
        [1.0, 0.0, 0.0, 0.0]
    """
    lam_xy = math.exp(-t_s / t2_s)
    lam_z = math.exp(-t_s / t1_s)
    p_x = (1.0 - lam_z) / 4.0
    p_z = (1.0 - 2.0 * lam_xy + lam_z) / 4.0
    return np.array([1.0 - 2.0 * p_x - p_z, p_x, p_z, p_x])


def depolarizing_pauli_probabilities(t_s: float, coherence_time_s: float) -> NDArray[np.float64]:
    """Depolarizing memory: the Bloch vector shrinks by lambda = e^(-t/T) in every direction.

    As a Pauli channel p_X = p_Y = p_Z = (1 - lambda)/4 (Nielsen & Chuang, Sec. 8.3.4, with
    p = 1 - lambda the probability of full depolarization).

    Examples:
        >>> depolarizing_pauli_probabilities(0.0, 1.0).tolist()
        [1.0, 0.0, 0.0, 0.0]
    """
    lam = math.exp(-t_s / coherence_time_s)
    p = (1.0 - lam) / 4.0
    return np.array([1.0 - 3.0 * p, p, p, p])


def werner_fidelity_after_depolarizing(
    fidelity: float, t_a_s: float, t_b_s: float, coherence_time_s: float
) -> float:
    """Bell fidelity of a Werner pair whose qubits sat t_a and t_b in depolarizing memories.

    Each qubit's depolarization multiplies the Werner parameter by its lambda, so
    w(t) = w0 e^(-(t_a + t_b)/T) and F(t) = 1/4 + (F0 - 1/4) e^(-(t_a + t_b)/T)
    (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 3.2, Werner states under local depolarization).

    Examples:
        >>> werner_fidelity_after_depolarizing(1.0, 0.0, 0.0, 1.0)
        1.0
    """
    return 0.25 + (fidelity - 0.25) * math.exp(-(t_a_s + t_b_s) / coherence_time_s)


def amplitude_phase_damping_kraus(t_s: float, t1_s: float, t2_s: float) -> list[NDArray[np.complex128]]:
    """Kraus operators of amplitude damping (T1) followed by pure dephasing, together giving T2.

    Amplitude damping with gamma = 1 - e^(-t/T1) (Nielsen & Chuang, Eq. 8.108) shrinks coherences by
    e^(-t/2T1); pure dephasing with 1/T_phi = 1/T2 - 1/(2 T1) supplies the rest, so coherences decay as
    e^(-t/T2). This is the exact (untwirled) channel; the fast path uses its Pauli twirl.
    """
    gamma = 1.0 - math.exp(-t_s / t1_s)
    damp = [
        np.array([[1.0, 0.0], [0.0, math.sqrt(1.0 - gamma)]], dtype=complex),
        np.array([[0.0, math.sqrt(gamma)], [0.0, 0.0]], dtype=complex),
    ]
    rate_phi = 1.0 / t2_s - 1.0 / (2.0 * t1_s)
    keep = math.exp(-t_s * rate_phi)
    p_flip = (1.0 - keep) / 2.0
    dephase = [math.sqrt(1.0 - p_flip) * np.eye(2, dtype=complex), math.sqrt(p_flip) * np.diag([1.0, -1.0]).astype(complex)]
    return [d @ a for d in dephase for a in damp]


@dataclass(frozen=True, slots=True)
class MemoryModel:
    """How a stored qubit decoheres: T1/T2 damping, a depolarizing coherence time, or ideal.

    Attributes:
        t1_s: energy relaxation time (in s), or None.
        t2_s: coherence time (in s), or None; needs t1_s with it and t2_s <= 2 t1_s.
        coherence_time_s: depolarizing time constant (in s), or None; excludes t1_s/t2_s.
    """

    t1_s: float | None = None
    t2_s: float | None = None
    coherence_time_s: float | None = None

    def __post_init__(self) -> None:
        if self.coherence_time_s is not None and (self.t1_s is not None or self.t2_s is not None):
            raise ValueError("give either coherence_time_s or t1_s/t2_s, not both")
        if (self.t1_s is None) != (self.t2_s is None):
            raise ValueError("t1_s and t2_s go together")
        if self.t1_s is not None and self.t2_s is not None and self.t2_s > 2.0 * self.t1_s:
            raise ValueError(f"t2_s must be <= 2 * t1_s (got t2_s={self.t2_s}, t1_s={self.t1_s})")

    @property
    def is_ideal(self) -> bool:
        """True when stored qubits never decohere."""
        return self.coherence_time_s is None and self.t1_s is None

    def pauli_probabilities(self, t_s: float) -> NDArray[np.float64]:
        """The Pauli channel (p_I, p_X, p_Z, p_Y) a qubit undergoes when stored for ``t_s`` seconds."""
        if self.coherence_time_s is not None:
            return depolarizing_pauli_probabilities(t_s, self.coherence_time_s)
        if self.t1_s is not None and self.t2_s is not None:
            return t1t2_pauli_probabilities(t_s, self.t1_s, self.t2_s)
        return _IDLE
