"""What Bell-test and entanglement-QKD protocols measure on a Bell-diagonal pair: CHSH value, game, QBER.

Coefficients are in the Bell index order of :mod:`qnet_dqnn.physics.bell_diagonal` (Phi+, Psi+, Phi-, Psi-).
The correlations of a Bell-diagonal state are <XX> = c0 + c1 - c2 - c3 and <ZZ> = c0 - c1 + c2 - c3 (each
Bell state is a +-1 eigenstate of XX and ZZ), the local marginals are unbiased.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def chsh_value(coefficients: NDArray[np.float64]) -> float:
    """CHSH value S of a Bell-diagonal pair measured at the Tsirelson settings in the x-z plane.

    Alice measures Z or X, Bob (Z +- X)/sqrt(2): S = sqrt(2) (<XX> + <ZZ>) = 2 sqrt(2) (c0 - c3) (Clauser et al.,
    PRL 23, 880 (1969)); for a Werner pair of fidelity F it is 2 sqrt(2) (4F - 1)/3 (Horodecki, Horodecki &
    Horodecki, PLA 200, 340 (1995)).

    Examples:
        >>> round(chsh_value(np.array([1.0, 0.0, 0.0, 0.0])), 6)
        2.828427
    """
    c = np.asarray(coefficients, dtype=float)
    return float(2.0 * math.sqrt(2.0) * (c[0] - c[3]))


def chsh_win_probability(coefficients: NDArray[np.float64]) -> float:
    """Probability of winning the CHSH game with that strategy: 1/2 + S/8 (Cleve et al., CCC 2004, Sec. 3).

    Examples:
        >>> round(chsh_win_probability(np.array([1.0, 0.0, 0.0, 0.0])), 4)  # cos^2(pi/8)
        0.8536
    """
    return 0.5 + chsh_value(coefficients) / 8.0


def qber_z(coefficients: NDArray[np.float64]) -> float:
    """Error rate of key bits from Z measurements on both halves: (1 - <ZZ>)/2 = c1 + c3 (Bennett, Brassard &
    Mermin, PRL 68, 557 (1992)).

    Examples:
        >>> qber_z(np.array([0.9, 0.05, 0.03, 0.02]))
        0.07
    """
    c = np.asarray(coefficients, dtype=float)
    return float(c[1] + c[3])


def qber_x(coefficients: NDArray[np.float64]) -> float:
    """Error rate of key bits from X measurements on both halves: (1 - <XX>)/2 = c2 + c3.

    Examples:
        >>> qber_x(np.array([0.9, 0.05, 0.03, 0.02]))
        0.05
    """
    c = np.asarray(coefficients, dtype=float)
    return float(c[2] + c[3])
