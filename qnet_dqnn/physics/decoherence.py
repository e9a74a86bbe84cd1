"""Decoherence of stored qubits for a time t: T1/T2 damping and depolarizing memories."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics.channels import evolve, is_pauli_generator, lindblad_generator, t1_t2_generator


def bell_coefficients_to_correlations(coefficients: NDArray[np.float64]) -> NDArray[np.float64]:
    """Correlation diagonal (T_xx, T_yy, T_zz) of a Bell-diagonal state, T_ij = Tr(rho sigma_i x sigma_j).

    A Bell-diagonal state is rho = (1 + sum_i T_ii sigma_i x sigma_i)/4 (Horodecki & Horodecki,
    PRA 54, 1838 (1996)); Phi+ has T = (1, -1, 1). Index order of ``coefficients``: Phi+, Psi+, Phi-, Psi-.
    """
    phi_p, psi_p, phi_m, psi_m = coefficients
    return np.array(
        [
            phi_p + psi_p - phi_m - psi_m,
            -phi_p + psi_p + phi_m - psi_m,
            phi_p - psi_p + phi_m - psi_m,
        ]
    )


def correlations_to_bell_coefficients(t: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse of :func:`bell_coefficients_to_correlations` (Bell-basis diagonal of a two-qubit state)."""
    txx, tyy, tzz = t
    return np.array(
        [
            (1 + txx - tyy + tzz) / 4,  # Phi+
            (1 + txx + tyy - tzz) / 4,  # Psi+
            (1 - txx + tyy + tzz) / 4,  # Phi-
            (1 - txx - tyy - tzz) / 4,  # Psi-
        ]
    )


def decohere_pair(
    coefficients: NDArray[np.float64],
    factors_a: tuple[float, float, float],
    factors_b: tuple[float, float, float],
) -> NDArray[np.float64]:
    """Bell-basis diagonal of a Bell-diagonal pair after each half went through its memory channel.

    Each half's channel acts on its Bloch vector as r -> (l_xy r_x, l_xy r_y, l_z r_z + s): ``factors``
    are (l_xy, l_z, s) from :meth:`MemoryModel.bloch_factors`. On the correlation matrix of a
    Bell-diagonal state this gives T'_xx = l_xy^A l_xy^B T_xx, T'_yy likewise and
    T'_zz = l_z^A l_z^B T_zz + s^A s^B (the Pauli-basis action of local channels, Horodecki & Horodecki,
    PRA 54, 1838 (1996)). The result is exact for the fidelity with every Bell state, including the
    s^A s^B term that a Pauli twirl of the damping channel would miss; the local Bloch vectors
    amplitude damping creates are not kept (they would matter only under later non-Pauli channels).

    Examples:
        >>> decohere_pair(np.array([1.0, 0, 0, 0]), (1.0, 1.0, 0.0), (1.0, 1.0, 0.0)).tolist()
        [1.0, 0.0, 0.0, 0.0]
    """
    t = bell_coefficients_to_correlations(coefficients)
    (lxy_a, lz_a, s_a), (lxy_b, lz_b, s_b) = factors_a, factors_b
    t = np.array([lxy_a * lxy_b * t[0], lxy_a * lxy_b * t[1], lz_a * lz_b * t[2] + s_a * s_b])
    return correlations_to_bell_coefficients(t)


def werner_fidelity_after_depolarizing(fidelity: float, t_a_s: float, t_b_s: float, coherence_time_s: float) -> float:
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
    dephase = [
        math.sqrt(1.0 - p_flip) * np.eye(2, dtype=complex),
        math.sqrt(p_flip) * np.diag([1.0, -1.0]).astype(complex),
    ]
    return [d @ a for d in dephase for a in damp]


@dataclass(frozen=True, slots=True)
class MemoryModel:
    """How a stored qubit decoheres: T1/T2 damping, a depolarizing coherence time, a user channel, or ideal.

    Attributes:
        t1_s: energy relaxation time (in s), or None.
        t2_s: coherence time (in s), or None; needs t1_s with it and t2_s <= 2 t1_s.
        coherence_time_s: depolarizing time constant (in s), or None; excludes t1_s/t2_s.
        channel: a user channel's Lindblad generator (4x4 superoperator, see :mod:`qnet_dqnn.physics.channels`)
            as a tuple of 16 complex entries (row-major), acting on top of T1/T2 or the depolarizing memory.
    """

    t1_s: float | None = None
    t2_s: float | None = None
    coherence_time_s: float | None = None
    channel: tuple[complex, ...] | None = None

    def __post_init__(self) -> None:
        if self.coherence_time_s is not None and (self.t1_s is not None or self.t2_s is not None):
            raise ValueError("give either coherence_time_s or t1_s/t2_s, not both")
        if (self.t1_s is None) != (self.t2_s is None):
            raise ValueError("t1_s and t2_s go together")
        if self.t1_s is not None and self.t2_s is not None and self.t2_s > 2.0 * self.t1_s:
            raise ValueError(f"t2_s must be <= 2 * t1_s (got t2_s={self.t2_s}, t1_s={self.t1_s})")
        if self.channel is not None and len(self.channel) != 16:
            raise ValueError(f"channel must hold the 16 entries of a 4x4 generator (got {len(self.channel)})")

    @property
    def is_ideal(self) -> bool:
        """True when stored qubits never decohere."""
        return self.coherence_time_s is None and self.t1_s is None and self.channel is None

    def generator(self) -> NDArray[np.complex128]:
        """The whole memory's Lindblad generator (T1/T2 or depolarizing, plus the user channel)."""
        gen = np.zeros((4, 4), dtype=complex)
        if self.t1_s is not None and self.t2_s is not None:
            gen += t1_t2_generator(self.t1_s, self.t2_s)
        if self.coherence_time_s is not None:
            # depolarizing: collapse operators σ_i/(2√T) shrink every Bloch component as e^(-t/T)
            paulis = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
            gen += lindblad_generator([p / (2.0 * np.sqrt(self.coherence_time_s)) for p in paulis])
        if self.channel is not None:
            gen += np.asarray(self.channel, dtype=complex).reshape(4, 4)
        return gen

    @property
    def is_pauli(self) -> bool:
        """True when storage is a Pauli channel at every time (so Bell-diagonal pairs stay exact)."""
        if self.t1_s is not None:
            return False
        if self.channel is None:
            return True
        return is_pauli_generator(self.generator())

    def pauli_factors(self, t_s: float) -> tuple[float, float, float]:
        """``(λ_x, λ_y, λ_z)``: how ``t_s`` seconds of a Pauli memory scale each Bloch component."""
        if self.channel is None:
            lxy, lz, _ = self.bloch_factors(t_s)
            return lxy, lxy, lz
        sup = evolve(self.generator(), t_s)
        paulis = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
        return tuple(  # type: ignore[return-value]
            float(np.trace(p @ (sup @ p.reshape(-1, order="F")).reshape(2, 2, order="F")).real / 2) for p in paulis
        )

    def bloch_factors(self, t_s: float) -> tuple[float, float, float]:
        """How ``t_s`` seconds of storage act on a qubit's Bloch vector: (l_xy, l_z, shift_z).

        T1/T2: l_xy = e^(-t/T2), l_z = e^(-t/T1), shift = 1 - e^(-t/T1) towards |0> (amplitude damping,
        Nielsen & Chuang Sec. 8.3.5). Depolarizing: l_xy = l_z = e^(-t/T), no shift (Sec. 8.3.4). An array of
        times gives arrays of factors. A user channel has no such form: :meth:`pauli_factors` or the generator
        serve it.
        """
        if self.channel is not None:
            raise ValueError("a memory with a user channel has no (l_xy, l_z, shift) form: use its generator")
        exp = np.exp if isinstance(t_s, np.ndarray) else math.exp
        if self.coherence_time_s is not None:
            lam = exp(-t_s / self.coherence_time_s)
            return lam, lam, 0.0 * lam
        if self.t1_s is not None and self.t2_s is not None:
            lam_z = exp(-t_s / self.t1_s)
            return exp(-t_s / self.t2_s), lam_z, 1.0 - lam_z
        return 1.0, 1.0, 0.0
