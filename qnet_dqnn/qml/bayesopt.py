"""Bayesian optimisation of a noisy cost with a Gaussian-process surrogate that several optimisers can share.

Self et al. ("Variational quantum algorithm with information sharing", npj Quantum Inf. 7 (2021),
doi:10.1038/s41534-021-00452-9, arXiv:2103.16161) run several Bayesian optimisers in parallel and let each
see the others' circuit evaluations; the review (Sec. 7.1) reads this as a distributed QNN whose *parameters*
are spread over nodes. The pieces, pure NumPy:

- :class:`GaussianProcess`: GP regression with a Matérn-5/2 kernel (Rasmussen & Williams, *Gaussian Processes
  for Machine Learning*, MIT Press 2006, Eq. 4.17), posterior mean and variance by Cholesky factorisation
  (their Algorithm 2.1); the length scale and the noise level are the grid point of highest log marginal
  likelihood (their Eq. 2.30) after the observations are standardised;
- :func:`lower_confidence_bound`: ``μ(θ) − κ·σ(θ)``, GP-UCB for minimisation (Srinivas, Krause, Kakade &
  Seeger, ICML 2010, arXiv:0912.3995);
- :func:`propose`: the candidate of lowest confidence bound among random candidates in a box of half-side
  ``radius`` around a centre (a fixed trust region in the sense of TuRBO: Eriksson et al., NeurIPS 2019,
  arXiv:1910.01739), so optimisers started at different points search different regions;
- :class:`SharedSurrogate`: every optimiser's observations, tagged with their source; a surrogate for one
  optimiser is fitted on all of them (``shared``) or on its own only (``independent``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from qnet_dqnn.errors import QnetError

#: Length scales tried, in units of the box half-side ``radius`` times √(dimension) (the typical distance).
LENGTH_SCALE_GRID = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
#: Noise variances tried, relative to the variance of the standardised observations.
NOISE_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 0.3)


def matern52(a: np.ndarray, b: np.ndarray, length_scale: float) -> np.ndarray:
    """Matérn-5/2 covariance ``(1 + √5 r/ℓ + 5r²/(3ℓ²)) exp(−√5 r/ℓ)`` between the rows of ``a`` and ``b``
    (Rasmussen & Williams 2006, Eq. 4.17 with ν = 5/2; unit amplitude)."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    d2 = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2.0 * a @ b.T
    s = np.sqrt(5.0 * np.maximum(d2, 0.0)) / length_scale
    return (1.0 + s + s * s / 3.0) * np.exp(-s)


@dataclass
class GaussianProcess:
    """A fitted GP: standardised targets, the chosen hyperparameters and the Cholesky factor.

    Use :meth:`fit`, then :meth:`predict`.
    """

    x: np.ndarray
    y_mean: float
    y_std: float
    length_scale: float
    noise: float
    chol: np.ndarray
    alpha: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, scale: float) -> GaussianProcess:
        """Fit on observations ``y`` at rows ``x``; length scales are tried as multiples of ``scale``.

        Raises:
            QnetError: no observation, or ``x`` and ``y`` of different lengths, or a non-finite value.
        """
        x = np.atleast_2d(np.asarray(x, dtype=float))
        y = np.asarray(y, dtype=float).ravel()
        if len(y) == 0 or len(x) != len(y) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise QnetError(f"a GP needs one finite observation per point (got {len(x)} points, {len(y)} values)")
        mean, std = float(y.mean()), float(y.std())
        std = std if std > 0 else 1.0
        z = (y - mean) / std
        best: tuple[float, float, float, np.ndarray, np.ndarray] | None = None
        for ls in LENGTH_SCALE_GRID:
            k = matern52(x, x, ls * scale)
            for noise in NOISE_GRID:
                chol = np.linalg.cholesky(k + noise * np.eye(len(x)))
                alpha = cho_solve((chol, True), z)
                # log p(z | x) = −½ zᵀα − Σ log L_ii − (n/2) log 2π   (Rasmussen & Williams, Eq. 2.30)
                evidence = -0.5 * z @ alpha - np.sum(np.log(np.diag(chol)))
                if best is None or evidence > best[0]:
                    best = (float(evidence), ls * scale, noise, chol, alpha)
        assert best is not None
        _, length, noise, chol, alpha = best
        return cls(x, mean, std, length, noise, chol, alpha)

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the (noise-free) cost at the rows of ``xs``."""
        ks = matern52(np.atleast_2d(xs), self.x, self.length_scale)
        mean = ks @ self.alpha
        v = solve_triangular(self.chol, ks.T, lower=True)
        var = np.maximum(1.0 - np.sum(v * v, axis=0), 1e-12)
        return self.y_mean + self.y_std * mean, self.y_std * np.sqrt(var)


def lower_confidence_bound(mean: np.ndarray, std: np.ndarray, kappa: float) -> np.ndarray:
    """``μ − κσ``: the acquisition minimised (GP-UCB of Srinivas et al. 2010, for minimisation)."""
    return np.asarray(mean) - kappa * np.asarray(std)


def propose(
    gp: GaussianProcess,
    centre: np.ndarray,
    radius: float,
    candidates: int,
    kappa: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """The candidate of lowest confidence bound among ``candidates`` uniform points in the box
    ``centre ± radius`` (and the centre itself)."""
    centre = np.asarray(centre, dtype=float)
    box = centre + rng.uniform(-radius, radius, size=(candidates, centre.size))
    points = np.vstack([centre[None, :], box])
    mean, std = gp.predict(points)
    return points[int(np.argmin(lower_confidence_bound(mean, std, kappa)))]


@dataclass
class SharedSurrogate:
    """The observations of several optimisers of one cost, each tagged with the optimiser that made it.

    Attributes:
        points: the parameter vectors evaluated, in arrival order.
        values: the observed costs.
        sources: which optimiser made each observation.
    """

    points: list[np.ndarray] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def observe(self, source: str, point: np.ndarray, value: float) -> None:
        """Add one evaluation of optimiser ``source``."""
        self.points.append(np.asarray(point, dtype=float).copy())
        self.values.append(float(value))
        self.sources.append(source)

    def seen_from(self, source: str) -> int:
        """Observations made by ``source``."""
        return self.sources.count(source)

    def best(self, source: str | None = None) -> tuple[np.ndarray, float]:
        """The lowest observed cost and its point (over ``source``'s observations, or all of them)."""
        rows = [i for i, s in enumerate(self.sources) if source is None or s == source]
        if not rows:
            raise QnetError(f"no observation from {source!r} yet")
        i = min(rows, key=lambda r: self.values[r])
        return self.points[i], self.values[i]

    def surrogate(
        self, source: str | None, scale: float, centre: np.ndarray | None = None, limit: int | None = None
    ) -> GaussianProcess:
        """The GP fitted on every observation (``source`` None: shared) or on ``source``'s own; with ``limit``,
        on the ``limit`` of them nearest ``centre`` (a local surrogate, as TuRBO fits one per trust region)."""
        rows = [i for i, s in enumerate(self.sources) if source is None or s == source]
        if limit is not None and centre is not None and len(rows) > limit:
            d = [float(np.sum((self.points[i] - centre) ** 2)) for i in rows]
            rows = [rows[j] for j in sorted(np.argsort(d, kind="stable")[:limit])]
        x = np.array([self.points[i] for i in rows])
        return GaussianProcess.fit(x, np.array([self.values[i] for i in rows]), scale)
