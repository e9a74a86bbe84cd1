"""Entanglement swapping of Bell-diagonal pairs, Pauli-frame bookkeeping and repeater-chain closed forms.

A repeater node holding B1 of a pair (A, B1) and B2 of a pair (B2, C) measures B1 B2 in the Bell basis.
With outcome m (a Bell index, two classical bits) the pair (A, C) is left in the input state convolved
with P_m, and applying P_m to C (or A) references it to |Phi+> again (Zukowski et al., PRL 71, 4287
(1993); Briegel et al., PRL 81, 5932 (1998)). On Bell-diagonal coefficients the corrected output is the
XOR-convolution of the inputs, and for Werner pairs the Werner parameters multiply, w = w1 w2
(Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1).

Imperfect Bell measurement (Briegel et al. 1998; Dur, Briegel, Cirac & Zoller, PRA 59, 169 (1999), Eqs. (5)
and (9)): the two measured qubits are depolarized with probability ``depolarizing`` (their p2 = 1 -
depolarizing) and each outcome bit is misread with probability ``readout_error`` (their eta = 1 -
readout_error); the BSM itself succeeds with probability ``success_probability`` (1/2 for linear optics).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics.bell_diagonal import pauli_channel_on_pair

_UNIFORM = np.full(4, 0.25)


@dataclass(frozen=True, slots=True)
class BellMeasurement:
    """Imperfections of a Bell-state measurement used for swapping.

    Attributes:
        success_probability: probability that the BSM returns an outcome at all (dimensionless); on failure
            both pairs are lost.
        depolarizing: probability that the two measured qubits are replaced by the maximally mixed state
            before an ideal measurement (1 - p2 of Briegel et al. 1998).
        readout_error: probability that each of the two outcome bits is flipped (1 - eta of Briegel et al.).
    """

    success_probability: float = 1.0
    depolarizing: float = 0.0
    readout_error: float = 0.0

    def __post_init__(self) -> None:
        for name in ("success_probability", "depolarizing", "readout_error"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1] (got {value!r})")

    @classmethod
    def from_fidelity(cls, bsm_fidelity: float, success_probability: float = 1.0) -> BellMeasurement:
        """A BSM that reports the right Bell state with probability ``bsm_fidelity`` (readout ideal).

        Full depolarization of the measured qubits gives a uniformly random outcome, so the probability of
        the right outcome is 1 - 3d/4 and d = 4 (1 - F_bsm)/3.

        Examples:
            >>> BellMeasurement.from_fidelity(1.0).depolarizing
            0.0
        """
        if not 0.25 <= bsm_fidelity <= 1.0:
            raise ValueError(f"bsm_fidelity must be in [0.25, 1] (got {bsm_fidelity!r})")
        return cls(success_probability=success_probability, depolarizing=4.0 * (1.0 - bsm_fidelity) / 3.0)

    @property
    def pauli_probabilities(self) -> NDArray[np.float64]:
        """The Pauli channel (p_I, p_X, p_Z, p_Y) that the imperfections leave on the output pair.

        Depolarizing the measured qubits with probability d makes the outcome uniformly random, i.e. a
        Pauli error drawn uniformly: (1 - d) delta_I + d/4. An x bit misread gives a wrong X correction, a z
        bit a wrong Z correction: (1-e)^2, e(1-e), e(1-e), e^2. The two compose by XOR-convolution.
        """
        dep = (1.0 - self.depolarizing) * np.array([1.0, 0.0, 0.0, 0.0]) + self.depolarizing * _UNIFORM
        e = self.readout_error
        flips = np.array([(1 - e) ** 2, e * (1 - e), e * (1 - e), e * e])
        return pauli_channel_on_pair(dep, flips)

    @property
    def werner_factor(self) -> float:
        """Factor the BSM multiplies Werner parameters by: (4 p_I - 1)/3 = p2 (4 eta^2 - 1)/3.

        This is Dur et al., PRA 59, 169 (1999), Eq. (9) with p2 = 1 - depolarizing, eta = 1 - readout_error.

        Examples:
            >>> BellMeasurement().werner_factor
            1.0
        """
        return (4.0 * float(self.pauli_probabilities[0]) - 1.0) / 3.0


#: An ideal, deterministic Bell-state measurement.
PERFECT_BSM = BellMeasurement()


def swap_bell_diagonal(
    coefficients_1: NDArray[np.float64],
    coefficients_2: NDArray[np.float64],
    bsm: BellMeasurement = PERFECT_BSM,
) -> NDArray[np.float64]:
    """Bell coefficients of the corrected output of swapping two Bell-diagonal pairs, given BSM success.

    Perfect BSM: c_k = sum_j c1_j c2_(k XOR j) (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1:
    the Pauli errors of the two pairs compose). The imperfect BSM adds the Pauli channel
    :attr:`BellMeasurement.pauli_probabilities`.

    Examples:
        >>> swap_bell_diagonal(np.array([1.0, 0, 0, 0]), np.array([0.9, 0.1, 0, 0])).round(3).tolist()
        [0.9, 0.1, 0.0, 0.0]
    """
    out = pauli_channel_on_pair(np.asarray(coefficients_1, float), np.asarray(coefficients_2, float))
    if bsm.depolarizing or bsm.readout_error:
        out = pauli_channel_on_pair(out, bsm.pauli_probabilities)
    return out


def swap_outcome_probabilities(
    coefficients_1: NDArray[np.float64], coefficients_2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Probability of each BSM outcome m when swapping two Bell-diagonal pairs: 1/4 each.

    The measured qubits of Bell-diagonal pairs are each maximally mixed and uncorrelated, so every Bell
    projector has probability Tr(Pi_m I/4) = 1/4 (Dur & Briegel 2007, Sec. 4.1). Arguments are accepted so
    the call reads like its exact-path counterpart :func:`qnet_dqnn.physics.density.swap_pairs`.
    """
    del coefficients_1, coefficients_2
    return _UNIFORM.copy()


def uncorrected_swap_output(
    coefficients_1: NDArray[np.float64], coefficients_2: NDArray[np.float64], outcome: int
) -> NDArray[np.float64]:
    """Bell coefficients of (A, C) right after a perfect BSM with outcome m, before any correction.

    The output is the corrected one with the Pauli P_m applied: c'_k = c_(k XOR m) with c the
    :func:`swap_bell_diagonal` output. Applying :func:`correction_for_outcome` undoes it.

    Examples:
        >>> uncorrected_swap_output(np.array([1.0, 0, 0, 0]), np.array([1.0, 0, 0, 0]), 3).tolist()
        [0.0, 0.0, 0.0, 1.0]
    """
    return apply_pauli_frame(swap_bell_diagonal(coefficients_1, coefficients_2), outcome)


def outcome_bits(outcome: int) -> tuple[int, int]:
    """The two classical bits (x, z) a BSM outcome (Bell index x + 2z) is sent as.

    Examples:
        >>> outcome_bits(3)
        (1, 1)
    """
    _check_index(outcome)
    return outcome & 1, outcome >> 1


def correction_for_outcome(outcome: int) -> int:
    """Pauli index (I, X, Z, XZ as 0..3) to apply on one end after BSM outcome m: P_m itself.

    Outcome Bell_m of the middle qubits leaves P_m on the outer pair (up to a global phase), and Paulis are
    self-inverse up to phase (Zukowski et al., PRL 71, 4287 (1993)).

    Examples:
        >>> [correction_for_outcome(m) for m in range(4)]
        [0, 1, 2, 3]
    """
    _check_index(outcome)
    return outcome


def combine_frames(frame: int, outcome: int) -> int:
    """Accumulate a swap outcome into a pending Pauli frame: P_a P_b = P_(a XOR b) up to phase.

    An end node of a chain can defer all corrections and apply one Pauli, the XOR of all outcomes
    (Dur & Briegel 2007, Sec. 4.1; Munro et al., IEEE JSTQE 21, 6400112 (2015), Sec. IV).

    Examples:
        >>> combine_frames(combine_frames(0, 1), 3)
        2
    """
    _check_index(frame)
    _check_index(outcome)
    return frame ^ outcome


def apply_pauli_frame(coefficients: NDArray[np.float64], pauli: int) -> NDArray[np.float64]:
    """Bell coefficients after the Pauli P_pauli on one qubit: c'_k = c_(k XOR pauli).

    Examples:
        >>> apply_pauli_frame(np.array([0.7, 0.1, 0.2, 0.0]), 1).round(3).tolist()
        [0.1, 0.7, 0.0, 0.2]
    """
    _check_index(pauli)
    return np.asarray(coefficients, float)[np.arange(4) ^ pauli]


def swap_werner(w1: float, w2: float, bsm: BellMeasurement = PERFECT_BSM) -> float:
    """Werner parameter after swapping two Werner pairs: w = w1 w2 p2 (4 eta^2 - 1)/3.

    Briegel et al., PRL 81, 5932 (1998); Dur et al., PRA 59, 169 (1999), Eq. (9); with a perfect BSM
    w = w1 w2 (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1). With readout errors the output
    is Bell-diagonal but not Werner (X and Z errors are likelier than Y); this is the parameter (4F - 1)/3 of
    its Werner twirl, exact for the fidelity F.

    Examples:
        >>> round(swap_werner(0.9, 0.8), 12)
        0.72
    """
    return w1 * w2 * bsm.werner_factor


def chain_bell_coefficients(fidelity: float, n_links: int, bsm: BellMeasurement = PERFECT_BSM) -> NDArray[np.float64]:
    """Closed form of the end-to-end Bell coefficients of a chain of ``n_links`` identical Werner links.

    The n - 1 swaps XOR-convolve the n link states and n - 1 copies of the BSM channel
    q = (1 - d) b + d u (u uniform, b the readout flips). A Werner link is w delta + (1 - w) u and u absorbs
    any convolution, so the end state is w^n Q + (1 - w^n) u with
    Q = (1 - d)^(n-1) b^(n-1) + (1 - (1 - d)^(n-1)) u, where b^(k) flips each outcome bit with probability
    e_k = (1 - (1 - 2e)^k)/2 (k independent flips compose to an odd number with that probability).
    With perfect readout this is the Werner state of parameter w^n p2^(n-1) (Briegel et al., PRL 81, 5932
    (1998); Dur et al., PRA 59, 169 (1999), Eq. (10) without purification; Munro et al., IEEE JSTQE 21,
    6400112 (2015), Sec. IV). Decoherence while waiting is not included: apply it to the links first.

    Examples:
        >>> chain_bell_coefficients(0.85, 2).round(4).tolist()
        [0.73, 0.09, 0.09, 0.09]
    """
    if n_links < 1:
        raise ValueError(f"n_links must be >= 1 (got {n_links!r})")
    if not 0.0 <= fidelity <= 1.0:
        raise ValueError(f"fidelity must be in [0, 1] (got {fidelity!r})")
    w = (4.0 * fidelity - 1.0) / 3.0
    k = n_links - 1
    e_k = (1.0 - (1.0 - 2.0 * bsm.readout_error) ** k) / 2.0
    flips = np.array([(1 - e_k) ** 2, e_k * (1 - e_k), e_k * (1 - e_k), e_k * e_k])
    keep = (1.0 - bsm.depolarizing) ** k
    q = keep * flips + (1.0 - keep) * _UNIFORM
    return w**n_links * q + (1.0 - w**n_links) * _UNIFORM


def chain_fidelity(fidelity: float, n_links: int, bsm: BellMeasurement = PERFECT_BSM) -> float:
    """End-to-end Bell fidelity of a chain of identical Werner links of fidelity F (see
    :func:`chain_bell_coefficients`): 1/4 + w^n (1 - d)^(n-1) (((1 + (1 - 2e)^(n-1))/2)^2 - 1/4).

    Examples:
        >>> round(chain_fidelity(1.0, 5), 6)
        1.0
    """
    return float(chain_bell_coefficients(fidelity, n_links, bsm)[0])


def chain_werner_parameter(w: float, n_links: int, bsm: BellMeasurement = PERFECT_BSM) -> float:
    """Werner parameter (4F - 1)/3 of the end-to-end pair of a chain of ``n_links`` identical Werner links.

    With perfect readout w_end = w^n p2^(n-1) (Briegel et al. 1998; Dur et al. 1999, Eq. (10)), and
    w_end = w^n for perfect swaps. With readout errors the end pair is Bell-diagonal but not Werner; this is
    the parameter of its Werner twirl, w^n p2^(n-1) ((1 + (1 - 2e)^(n-1))^2 - 1)/3, which equals Dur et al.'s
    w^n (p2 (4 eta^2 - 1)/3)^(n-1) for n <= 2 only (they twirl after every swap; see :func:`swap_werner`).

    Examples:
        >>> round(chain_werner_parameter(0.9, 3), 6)
        0.729
    """
    f = chain_fidelity((3.0 * w + 1.0) / 4.0, n_links, bsm)
    return (4.0 * f - 1.0) / 3.0


def chain_success_probability(n_links: int, bsm: BellMeasurement = PERFECT_BSM) -> float:
    """Probability that all n - 1 swaps of a chain succeed, given all links are ready: p_bsm^(n-1).

    Munro et al., IEEE JSTQE 21, 6400112 (2015), Sec. IV (probabilistic swapping in a chain).

    Examples:
        >>> chain_success_probability(3, BellMeasurement(success_probability=0.5))
        0.25
    """
    if n_links < 1:
        raise ValueError(f"n_links must be >= 1 (got {n_links!r})")
    return bsm.success_probability ** (n_links - 1)


def _check_index(index: int) -> None:
    if index not in (0, 1, 2, 3):
        raise ValueError(f"Bell/Pauli index must be in 0..3 (got {index!r})")
