"""Recurrence entanglement purification on Bell-diagonal pairs: BBPSSW, DEJMPS, and rounds to a target.

Both protocols take two pairs, apply a bilateral CNOT (kept pair = control, sacrificed pair = target),
measure the target pair in Z on both sides and keep the control pair when the two results agree. On Bell
indices (x, z) (index x + 2z, see :mod:`qnet_dqnn.physics.bell_diagonal`) the bilateral CNOT maps
(x1, z1), (x2, z2) -> (x1, z1 XOR z2), (x1 XOR x2, z2): bit errors spread forward, phase errors backward;
the results agree exactly when x1 = x2 (Bennett et al., PRA 54, 3824 (1996), Sec. III.B; Dur & Briegel,
Rep. Prog. Phys. 70, 1381 (2007), Sec. 5.1). Hence, for inputs c and d,

    N = sum_{x} (sum_z c_(x,z)) (sum_z d_(x,z)),    c'_(x,z) = sum_{z1 XOR z2 = z} c_(x,z1) d_(x,z2) / N.

* BBPSSW (Bennett, Brassard, Popescu, Schumacher, Smolin & Wootters, PRL 76, 722 (1996)) twirls both
  inputs to Werner form first and the output after; for equal inputs of fidelity F
  F' = (F^2 + ((1-F)/3)^2) / (F^2 + 2F(1-F)/3 + 5((1-F)/3)^2).
* DEJMPS (Deutsch, Ekert, Jozsa, Macchiavello, Popescu & Sanpera, PRL 77, 2818 (1996)) first applies
  Rx(pi/2) on one side and Rx(-pi/2) on the other, which swaps Phi- and Psi- and keeps Phi+, Psi+. The
  paper orders coefficients as A, B, C, D = Phi+, Psi-, Psi+, Phi-, which in this package's index order
  (Phi+, Psi+, Phi-, Psi-) sit at indices 0, 3, 1, 2. Its map A' = (A^2 + B^2)/N, B' = 2CD/N,
  C' = (C^2 + D^2)/N, D' = 2AB/N, N = (A + B)^2 + (C + D)^2 is the formula above after that swap.

Noisy local operations follow Dur, Briegel, Cirac & Zoller, PRA 59, 169 (1999), Sec. IV: after its CNOT
each node's two qubits are depolarized with probability ``gate_depolarizing`` (their p2 = 1 - that), and
each measured bit is misread with probability ``readout_error`` (their eta = 1 - that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Protocol = Literal["bbpssw", "dejmps"]
PurificationStatus = Literal["reached", "already_reached", "not_distillable", "no_progress", "max_rounds"]

_X_BIT = np.arange(4) & 1
_Z_BIT = np.arange(4) >> 1
#: DEJMPS pre-rotation as an index permutation: Phi- (2) <-> Psi- (3), Phi+ and Psi+ stay.
_DEJMPS_PERM = np.array([0, 1, 3, 2])


@dataclass(frozen=True, slots=True)
class PurificationResult:
    """Outcome of one purification round on two pairs.

    Attributes:
        success_probability: probability that the round keeps a pair (the parity results agree).
        coefficients: Bell coefficients of the kept pair, given success.
    """

    success_probability: float
    coefficients: NDArray[np.float64]

    @property
    def fidelity(self) -> float:
        """Bell fidelity (Phi+ coefficient) of the kept pair."""
        return float(self.coefficients[0])


def _round_map(readout_error: float) -> NDArray[np.float64]:
    """The 16 x 4 map from the joint Bell coefficients ``joint[k1, k2]`` (flattened) to the kept pair's
    unnormalised ones: (x1, z1), (x2, z2) -> (x1, z1 XOR z2), weighted by the chance the results are reported equal."""
    e = readout_error
    p_agree_same = (1.0 - e) ** 2 + e**2  # reported equal when the true results are equal
    p_agree_diff = 2.0 * e * (1.0 - e)  # reported equal when they differ
    out = np.zeros((16, 4))
    for k1 in range(4):
        for k2 in range(4):
            x1, z1, x2, z2 = _X_BIT[k1], _Z_BIT[k1], _X_BIT[k2], _Z_BIT[k2]
            out[4 * k1 + k2, x1 + 2 * (z1 ^ z2)] = p_agree_same if x1 == x2 else p_agree_diff
    return out


def _bilateral_cnot(
    c: NDArray[np.float64], d: NDArray[np.float64], gate_depolarizing: float, readout_error: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Success probability and normalised kept-pair coefficients of the bilateral-CNOT round, for one pair of
    inputs (shape ``(4,)``) or many (``(..., 4)``, the round applied row by row)."""
    joint = c[..., :, None] * d[..., None, :]  # joint[..., k1, k2]
    if gate_depolarizing:
        # each node's depolarizer replaces the joint state by I/16 (Bell-diagonal marginals are I/2)
        keep = (1.0 - gate_depolarizing) ** 2
        joint = keep * joint + (1.0 - keep) / 16.0
    out = joint.reshape(*joint.shape[:-2], 16) @ _round_map(readout_error)
    n = out.sum(axis=-1)
    safe = np.where(n > 0.0, n, 1.0)
    return n, out / safe[..., None]


def _werner(fidelity: float | NDArray[np.float64]) -> NDArray[np.float64]:
    f = np.asarray(fidelity, float)
    rest = (1.0 - f) / 3.0
    return np.stack([f, rest, rest, rest], axis=-1)


def bbpssw(
    coefficients_1: NDArray[np.float64],
    coefficients_2: NDArray[np.float64],
    *,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> PurificationResult:
    """One BBPSSW round (Bennett et al., PRL 76, 722 (1996)) on two pairs; the output is in Werner form.

    Inputs are twirled to Werner states of fidelities F1, F2 (only their Phi+ coefficients matter). With
    r_i = (1 - F_i)/3 and perfect operations: p = (F1 + r1)(F2 + r2) + 4 r1 r2 and F' = (F1 F2 + r1 r2)/p,
    which for F1 = F2 = F is Eq. (2)-(3) of the paper (their target Bell state is Psi-; here it is Phi+,
    which only relabels).

    Examples:
        >>> r = bbpssw(np.array([0.8, 0.2/3, 0.2/3, 0.2/3]), np.array([0.8, 0.2/3, 0.2/3, 0.2/3]))
        >>> round(r.success_probability, 4), round(r.fidelity, 4)
        (0.7689, 0.8382)
    """
    p, out = purify_many(coefficients_1, coefficients_2, "bbpssw", gate_depolarizing, readout_error)
    return PurificationResult(float(p), out)


def dejmps(
    coefficients_1: NDArray[np.float64],
    coefficients_2: NDArray[np.float64],
    *,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> PurificationResult:
    """One DEJMPS round (Deutsch et al., PRL 77, 2818 (1996)) on two Bell-diagonal pairs.

    In the paper's labels (A, B, C, D) = (Phi+, Psi-, Psi+, Phi-) and for perfect operations:
    N = (A1 + B1)(A2 + B2) + (C1 + D1)(C2 + D2), A' = (A1 A2 + B1 B2)/N, B' = (C1 D2 + D1 C2)/N,
    C' = (C1 C2 + D1 D2)/N, D' = (A1 B2 + B1 A2)/N (Eq. (4) for equal inputs; Dur & Briegel 2007,
    Sec. 5.1, Eq. (37) for general ones).

    Examples:
        >>> r = dejmps(np.array([0.8, 0.1, 0.05, 0.05]), np.array([0.8, 0.1, 0.05, 0.05]))
        >>> round(r.success_probability, 4), round(r.fidelity, 4)
        (0.745, 0.8624)
    """
    p, out = purify_many(coefficients_1, coefficients_2, "dejmps", gate_depolarizing, readout_error)
    return PurificationResult(float(p), out)


def purify(
    coefficients_1: NDArray[np.float64],
    coefficients_2: NDArray[np.float64],
    protocol: Protocol = "dejmps",
    *,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> PurificationResult:
    """Dispatch to :func:`bbpssw` or :func:`dejmps` by name."""
    if protocol == "dejmps":
        return dejmps(coefficients_1, coefficients_2, gate_depolarizing=gate_depolarizing, readout_error=readout_error)
    if protocol == "bbpssw":
        return bbpssw(coefficients_1, coefficients_2, gate_depolarizing=gate_depolarizing, readout_error=readout_error)
    raise ValueError(f"protocol must be in ('bbpssw', 'dejmps') (got {protocol!r})")


def purify_many(
    coefficients_1: NDArray[np.float64],
    coefficients_2: NDArray[np.float64],
    protocol: Protocol,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One round of ``protocol`` on many pairs of inputs at once: rows ``(..., 4)`` of Bell coefficients, the
    round applied row by row (:func:`bbpssw`, :func:`dejmps`). Value: success probabilities ``(...)`` and the
    kept pairs' coefficients given success ``(..., 4)`` (zeros where the round cannot succeed)."""
    c, d = np.asarray(coefficients_1, float), np.asarray(coefficients_2, float)
    if protocol == "bbpssw":
        p, out = _bilateral_cnot(_werner(c[..., 0]), _werner(d[..., 0]), gate_depolarizing, readout_error)
        return p, np.where((p > 0.0)[..., None], _werner(out[..., 0]), out)
    if protocol == "dejmps":
        return _bilateral_cnot(c[..., _DEJMPS_PERM], d[..., _DEJMPS_PERM], gate_depolarizing, readout_error)
    raise ValueError(f"protocol must be in ('bbpssw', 'dejmps') (got {protocol!r})")


@dataclass(frozen=True, slots=True)
class PurificationPlan:
    """Result of recurrence purification rounds on identical pairs until a target fidelity.

    Attributes:
        status: ``"reached"`` (target met after ``rounds``), ``"already_reached"`` (input meets it, 0 rounds),
            ``"not_distillable"`` (input Phi+ coefficient <= 1/2: recurrence cannot raise it; if another
            Bell coefficient exceeds 1/2, rotate it onto Phi+ first with ``swapping.apply_pauli_frame``),
            ``"no_progress"`` (fidelity stopped increasing below the target, e.g. a noisy fixed point),
            ``"max_rounds"`` (still below target after the allowed rounds).
        rounds: number of rounds in the plan (those performed before giving up when not reached).
        expected_pairs: expected number of input pairs consumed per output pair,
            prod_i 2 / p_i over the rounds (each attempt of round i uses two round-(i-1) pairs).
        coefficients: Bell coefficients of the output pair after ``rounds`` rounds.
        success_probabilities: success probability of each round.
        fidelities: fidelity before the first round and after each round.
    """

    status: PurificationStatus
    rounds: int
    expected_pairs: float
    coefficients: NDArray[np.float64]
    success_probabilities: tuple[float, ...]
    fidelities: tuple[float, ...]

    @property
    def reached(self) -> bool:
        """True when the target fidelity is met."""
        return self.status in ("reached", "already_reached")


def purify_until(
    coefficients: NDArray[np.float64],
    target_fidelity: float,
    protocol: Protocol = "dejmps",
    *,
    max_rounds: int = 20,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
    min_gain: float = 1e-9,
) -> PurificationPlan:
    """Run symmetric recurrence rounds (two identical pairs per round) until ``target_fidelity``.

    The recurrence (entanglement-pumping-free) scheme of Bennett et al. (1996) and Deutsch et al. (1996):
    round i purifies two outputs of round i - 1. Its expected cost is E_i = 2 E_(i-1) / p_i with E_0 = 1
    (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 5.2), assuming failed attempts are simply redone.

    Examples:
        >>> plan = purify_until(np.array([0.8, 0.2/3, 0.2/3, 0.2/3]), 0.95)
        >>> plan.status, plan.rounds
        ('reached', 3)
    """
    c = np.asarray(coefficients, float)
    if not 0.0 < target_fidelity <= 1.0:
        raise ValueError(f"target_fidelity must be in (0, 1] (got {target_fidelity!r})")
    if max_rounds < 0:
        raise ValueError(f"max_rounds must be >= 0 (got {max_rounds!r})")
    fidelities = [float(c[0])]
    probs: list[float] = []
    expected = 1.0

    def plan(status: PurificationStatus) -> PurificationPlan:
        return PurificationPlan(status, len(probs), expected, c, tuple(probs), tuple(fidelities))

    if c[0] >= target_fidelity:
        return plan("already_reached")
    if c[0] <= 0.5:
        return plan("not_distillable")
    for _ in range(max_rounds):
        result = purify(c, c, protocol, gate_depolarizing=gate_depolarizing, readout_error=readout_error)
        if result.success_probability <= 0.0 or result.fidelity <= fidelities[-1] + min_gain:
            return plan("no_progress")
        c = result.coefficients
        probs.append(result.success_probability)
        fidelities.append(result.fidelity)
        expected *= 2.0 / result.success_probability
        if result.fidelity >= target_fidelity:
            return plan("reached")
    return plan("max_rounds")


def bbpssw_fixed_point(gate_depolarizing: float = 0.0, readout_error: float = 0.0) -> float:
    """Largest fidelity BBPSSW converges to with noisy operations (1.0 when ideal), found by iteration.

    A reachability check for :func:`purify_until`: targets above it give ``"no_progress"`` (Dur et al.,
    PRA 59, 169 (1999), Fig. 2).
    """
    f = 0.999999
    for _ in range(10_000):
        r = bbpssw(_werner(f), _werner(f), gate_depolarizing=gate_depolarizing, readout_error=readout_error)
        if math.isclose(r.fidelity, f, abs_tol=1e-13):
            break
        f = r.fidelity
    return f
