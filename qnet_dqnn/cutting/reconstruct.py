"""Reconstruction of expectation values and gradients from cut circuits: exact, sampled, Monte Carlo.

Fragments joined by feed-forward cuts run together, shot by shot, so they form one *unit*; every other fragment is a
unit of its own. A unit's value for its cuts' options is a tensor ``T_U``; the uncut value is the contraction
``Σ_o Π_j c_{j,o_j} Π_U T_U(o)`` (Peng et al., PRL 125, 150504 (2020), Eq. 3; a ``numpy.einsum``).

Three modes:

- **exact** (``shots=None, samples=None``): every option of every cut, exact fragment values — the uncut value to
  float precision, for tests and debugging;
- **sampled** (``shots=S``): every *physical run* (a distinct circuit per unit; options that differ only in outcome
  weights share it) is executed with shots drawn from its exact outcome distribution (:mod:`~.sampling`). A unit
  gets ``S·γ²`` shots per circuit in all (``γ = Π_j γ_j``), split over its runs in proportion to their sampling
  probability — the budget that keeps the estimate's variance near that of ``S`` shots of the uncut circuit,
  which is what cutting costs on hardware (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)). With
  ``scale_shots=False`` every run gets ``S`` shots and the variance grows as ``γ²/S``;
- **Monte Carlo** (``samples=N``): each sample draws one term per cut with probability ``p_k`` (``|c_k|/γ``) and
  scores ``Π_j (c_{j,k_j}/p_{j,k_j}) Π_U T_U``; with shots, each sample's runs get ``S·γ²/N`` shots.

**Gradients.** ``∂⟨O⟩/∂θ = Σ_o Π c · Σ_U ∂T_U Π_{V≠U} T_V`` (product rule) plus, for a cut gate whose angle is
trainable, ``Σ_o ∂(Π c)/∂θ · Π_U T_U``: the decomposition's coefficients depend on the angle analytically
(:attr:`QPD.derivatives`), while its instruments do not. Exact mode takes ``∂T`` from the adjoint method (Jones &
Gacon, arXiv:2009.02823 (2020)) or the parameter-shift rule (Mitarai et al., PRA 98, 032309 (2018), Eq. 12);
sampled mode from the parameter-shift rule on sampled shifted runs (each shifted circuit gets its run's shots).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from qnet_dqnn.cutting.evaluation import FragmentEvaluator, observables_of
from qnet_dqnn.cutting.experiments import SubExperiment, options
from qnet_dqnn.cutting.plan import CutPlan
from qnet_dqnn.cutting.qpd import QPD, CutError
from qnet_dqnn.cutting.sampling import Run, UnitSampler, units
from qnet_dqnn.quantum.observables import Observable

__all__ = ["CutEstimate", "draw_terms", "evaluate_cut", "evaluate_cut_gradient"]


@dataclass(frozen=True)
class CutEstimate:
    """The result of evaluating a cut circuit.

    Attributes:
        value: estimated ``⟨O_k⟩`` per input, shape ``(B, K)``.
        variance: sample variance of ``value`` (Monte Carlo), else None.
        jacobian: ``∂⟨O_k⟩/∂θ_p``, shape ``(B, K, P)``, for gradient evaluations; else None.
        sampled_shots: shots per input actually drawn (0 when exact).
        samples: the Monte Carlo sample count, or None.
        sampling_overhead: ``Π γ_j²`` at the evaluated parameters.
        runs: the physical runs and their shots (what a QPU executes; exact mode lists the runs it would charge).
    """

    value: np.ndarray
    variance: np.ndarray | None
    jacobian: np.ndarray | None
    sampled_shots: int
    samples: int | None
    sampling_overhead: float
    make_runs: Callable[[], list[Run]] = field(repr=False, compare=False)

    @cached_property
    def runs(self) -> tuple[Run, ...]:
        """The fragment runs (listed on first use: an exact evaluation does not need them)."""
        return tuple(self.make_runs())

    @property
    def num_runs(self) -> int:
        """Fragment runs (one per fragment of a unit run)."""
        return len(self.runs)

    @property
    def subexperiments(self) -> tuple[SubExperiment, ...]:
        """The hardware sub-experiments, one per fragment run."""
        return tuple(r.sub for r in self.runs)

    @property
    def circuits_per_fragment(self) -> tuple[int, ...]:
        """Distinct physical circuits per fragment."""
        frags = max((r.fragment for r in self.runs), default=-1) + 1
        return tuple(len({r.sub.key for r in self.runs if r.fragment == f}) for f in range(frags))

    @property
    def total_shots(self) -> int:
        """Shots per input the runs cost (Σ runs × circuits × shots)."""
        return sum(r.circuits_per_input * r.shots for r in self.runs)

    @property
    def feedforward_messages(self) -> int:
        """Classical messages sent during the runs, per input."""
        return sum(len(r.sub.feedforward_receives) * r.circuits_per_input * r.shots for r in self.runs)


class _Problem:
    """Everything one evaluation shares: plan, decompositions at ``params``, inputs, evaluators."""

    def __init__(self, plan: CutPlan, params, x, observable, noise=None, timing=None) -> None:
        self.plan = plan
        self.params = None if params is None else np.asarray(params, dtype=float)
        if self.params is not None and self.params.ndim != 1:
            raise CutError(f"params must have shape (P,) (got {self.params.shape})")
        self.x = None if x is None else np.atleast_2d(np.asarray(x, dtype=float))
        self.batch = 1 if self.x is None else self.x.shape[0]
        self.obs = observables_of(observable)
        for o in self.obs:
            o.check(plan.circuit.num_qubits)
        self.qpds = plan.qpds_at(self.params)
        features = max(plan.circuit.num_features, 0 if self.x is None else self.x.shape[1])
        self.evaluators = [FragmentEvaluator(plan, f.index, self.qpds, self.obs, features) for f in plan.fragments]
        self.units = units(plan, self.qpds)
        self.noise = noise
        self.timing = timing
        self.npar = 0 if self.params is None else self.params.size

    def noise_of(self, f: int):
        """Fragment ``f``'s noise model (None: noise-free)."""
        if self.noise is None:
            return None
        return self.noise.get(f) if isinstance(self.noise, dict) else self.noise

    def timing_of(self, f: int):
        """Fragment ``f``'s gate times."""
        return self.timing.get(f) if isinstance(self.timing, dict) else self.timing

    def coefficients(self, j: int, derivative: bool = False) -> np.ndarray:
        """Per option of cut ``j``: ``c_k w_b`` (or ``∂c_k/∂φ · w_b``)."""
        q = self.qpds[j]
        if not derivative:
            return np.array([c for _, _, c in options(q)])
        d = np.asarray(q.derivatives)
        return np.array([d[k] * q.terms[k].branches[b].weight for k, b, _ in options(q)])


def _contract(prob: _Problem, tensors: list, jtensors: list | None) -> tuple[np.ndarray, np.ndarray | None]:
    """``Σ_o Π c Π_U T_U`` and its gradient (product rule over units, and over trainable cuts' coefficients)."""
    m = len(prob.plan.cuts)
    bi, ki, pi = m, m + 1, m + 2
    cvec = [_unit_coeffs(prob, j) for j in range(m)]

    def run(replace_unit: int | None, replace_cut: int | None) -> np.ndarray:
        args: list = []
        for j in range(m):
            vec = _unit_coeffs(prob, j, derivative=True) if j == replace_cut else cvec[j]
            args += [vec, [j]]
        for u, (unit, t) in enumerate(zip(prob.units, tensors, strict=True)):
            if u == replace_unit:
                args += [jtensors[u], list(unit.axes) + [bi, ki, pi]]
            else:
                args += [t, list(unit.axes) + [bi, ki]]
        out = [bi, ki] if replace_unit is None else [bi, ki, pi]
        return np.einsum(*args, out, optimize=True)

    value = run(None, None)
    if jtensors is None:
        return value, None
    jac = np.zeros((prob.batch, len(prob.obs), prob.npar))
    for u in range(len(prob.units)):
        jac += run(u, None)
    for j in prob.plan.trainable_cuts:
        ref = prob.plan.trainable_ref(j)
        jac[:, :, ref.index] += ref.scale * run(None, j)
    return value, jac


def _unit_coeffs(prob: _Problem, j: int, derivative: bool = False) -> np.ndarray:
    """Coefficients over cut ``j``'s unit axis: options for a cut between units, terms for a feed-forward cut
    (whose branches are summed inside its unit)."""
    q = prob.qpds[j]
    internal = any(j in u.internal for u in prob.units)
    if not internal:
        return prob.coefficients(j, derivative)
    if derivative:
        return np.asarray(q.derivatives, dtype=float)
    return q.coefficients


def _budget(prob: _Problem, shots: int, scale_shots: bool) -> float:
    gamma2 = float(np.prod([q.gamma for q in prob.qpds])) ** 2 if prob.qpds else 1.0
    return shots * gamma2 if scale_shots else float(shots)


def _run(
    plan: CutPlan,
    params,
    x,
    observable,
    *,
    samples: int | None,
    shots: int | None,
    rng: np.random.Generator | None,
    grad: str | None,
    terms: np.ndarray | None,
    scale_shots: bool,
    noise,
    timing,
    exact: bool = False,
) -> CutEstimate:
    if samples is not None and samples < 1:
        raise CutError(f"samples must be >= 1 or None (got {samples!r})")
    if shots is not None and shots < 1:
        raise CutError(f"shots must be >= 1 or None (got {shots!r})")
    if grad is not None and params is None:
        raise CutError("a gradient needs params")
    prob = _Problem(plan, params, x, observable, noise, timing)
    if terms is not None:
        terms = _check_terms(plan, prob.qpds, terms, samples)
        samples = len(terms)
    if ((samples is not None and terms is None) or (shots is not None and not exact)) and rng is None:
        raise CutError("Monte Carlo sampling and finite shots need an rng (numpy Generator)")
    sampler = UnitSampler(prob, rng)
    budget = _budget(prob, shots, scale_shots) if shots else None
    if samples is None:
        if shots is None or exact:
            tensors, jtensors = sampler.exact_tensors(grad)

            def make_runs() -> list[Run]:
                return sampler.exact_runs(budget, scale_shots, grad is not None)
        else:
            runs = sampler.exact_runs(budget, scale_shots, grad is not None)
            tensors, jtensors = sampler.sampled_tensors(runs, grad is not None)

            def make_runs() -> list[Run]:
                return runs

        value, jac = _contract(prob, tensors, jtensors if grad else None)
        var = None
    else:
        draws = terms if terms is not None else draw_terms(plan, samples, rng, prob.qpds)
        per = None
        if shots is not None:
            per = max(1, round(budget / samples)) if scale_shots else shots
            if scale_shots and budget < samples:
                raise CutError(
                    f"a budget of {budget:.6g} shots (S·γ²) cannot give each of the {samples} Monte Carlo samples "
                    "one shot: lower samples or raise shots"
                )
        value, var, jac, mc_runs = sampler.monte_carlo(draws, None if exact else per, grad, charged=per)

        def make_runs() -> list[Run]:
            return mc_runs

    return CutEstimate(
        value=value,
        variance=var,
        jacobian=jac,
        sampled_shots=sampler.sampled_shots,
        samples=samples,
        sampling_overhead=float(np.prod([q.gamma for q in prob.qpds])) ** 2 if prob.qpds else 1.0,
        make_runs=make_runs,
    )


def draw_terms(
    plan: CutPlan, samples: int, rng: np.random.Generator, qpds: tuple[QPD, ...] | None = None
) -> np.ndarray:
    """``samples`` joint term choices ``(samples, cuts)``: term ``k`` of cut ``j`` with probability ``p_k``
    (``|c_k|/γ_j``; a trainable cut mixes in its coefficients' derivatives), independently per cut (Mitarai &
    Fujii, NJP 23, 023021 (2021), Sec. 2). Advances ``rng``, one ``rng.choice`` per cut in cut order."""
    if samples < 1:
        raise CutError(f"samples must be >= 1 (got {samples!r})")
    qpds = qpds if qpds is not None else plan.qpds
    if not plan.cuts:
        return np.zeros((samples, 0), dtype=int)
    return np.stack([rng.choice(len(q.terms), size=samples, p=q.probabilities) for q in qpds], axis=1)


def _check_terms(plan: CutPlan, qpds, terms: np.ndarray, samples: int | None) -> np.ndarray:
    """``terms`` as an int array ``(N, cuts)`` with every index in range; ``samples`` must be None or ``N``."""
    arr = np.asarray(terms)
    m = len(plan.cuts)
    if arr.ndim != 2 or arr.shape[1] != m or arr.shape[0] < 1:
        raise CutError(f"terms must have shape (samples, {m}) (got {arr.shape})")
    if not np.issubdtype(arr.dtype, np.integer):
        raise CutError(f"terms must be integer term indices (got dtype {arr.dtype})")
    for j, q in enumerate(qpds):
        if arr[:, j].min() < 0 or arr[:, j].max() >= len(q.terms):
            raise CutError(f"terms[:, {j}] must be in [0, {len(q.terms)}) (cut {j} has {len(q.terms)} terms)")
    if samples is not None and samples != arr.shape[0]:
        raise CutError(f"samples ({samples}) must equal len(terms) ({arr.shape[0]}) or be None")
    return arr


def evaluate_cut(
    plan: CutPlan,
    params: np.ndarray | None = None,
    x: np.ndarray | None = None,
    observable: Observable | Sequence[Observable] = 0,
    *,
    samples: int | None = None,
    shots: int | None = None,
    rng: np.random.Generator | None = None,
    terms: np.ndarray | None = None,
    scale_shots: bool = True,
    noise=None,
    timing=None,
    exact: bool = False,
) -> CutEstimate:
    """Expectation values of Pauli observables of a cut circuit, reconstructed from its fragments.

    Args:
        plan: the cut plan (its circuit is the uncut model circuit).
        params: trainable parameters ``(P,)``.
        x: input features ``(B, F)`` (or None for a circuit without data).
        observable: one observable or a sequence (``PauliString``, ``"Z0 Z3"`` or a qubit index).
        samples: None enumerates every term; ``N`` draws ``N`` joint term choices (Monte Carlo).
        shots: None for exact fragment values; ``S`` samples every run from its outcome distribution with ``S·γ²``
            shots per unit in all (``S`` per run with ``scale_shots=False``).
        rng: random generator (needed to sample shots or draw terms).
        terms: Monte Carlo with the caller's joint term choices ``(N, cuts)`` (from :func:`draw_terms`).
        scale_shots: multiply the shot budget by ``γ²``.
        noise: a :class:`~qnet_dqnn.quantum.noise.NoiseModel`, or one per fragment index, for noisy fragments.
        timing: the QPU gate times (:class:`~qnet_dqnn.quantum.shots.QPUTiming`) for idle noise, or one per fragment.
        exact: with ``shots``, list the runs and their shots but compute exact values (nothing is sampled).

    Returns:
        A :class:`CutEstimate` with ``value`` of shape ``(B, K)``, the runs and their shots.

    Raises:
        CutError: for bad counts, a shot budget below the number of runs of a unit, or missing randomness.

    Examples:
        >>> from qnet_dqnn.quantum.circuit import Circuit
        >>> from qnet_dqnn.cutting.plan import CutPlan, GateCut
        >>> c = Circuit(2).h(0).cx(0, 1)
        >>> est = evaluate_cut(CutPlan(c, (GateCut(1),)), observable="Z0 Z1")
        >>> round(float(est.value[0, 0]), 12), est.sampling_overhead
        (1.0, 9.0)
    """
    options = {"samples": samples, "shots": shots, "rng": rng, "terms": terms, "scale_shots": scale_shots}
    return _run(plan, params, x, observable, grad=None, noise=noise, timing=timing, exact=exact, **options)


def evaluate_cut_gradient(
    plan: CutPlan,
    params: np.ndarray,
    x: np.ndarray | None = None,
    observable: Observable | Sequence[Observable] = 0,
    *,
    samples: int | None = None,
    shots: int | None = None,
    method: str = "adjoint",
    rng: np.random.Generator | None = None,
    terms: np.ndarray | None = None,
    scale_shots: bool = True,
    noise=None,
    timing=None,
    exact: bool = False,
) -> CutEstimate:
    """Values and the Jacobian ``∂⟨O_k⟩/∂θ`` of a cut circuit through the same decomposition (module docstring).

    ``method`` (``"adjoint"`` or ``"parameter-shift"``) picks the exact fragment gradient; with ``shots`` (or
    ``noise``) the gradient is the parameter-shift rule on sampled (or noisy) shifted circuits. The other arguments
    are those of :func:`evaluate_cut`.
    """
    if method not in ("adjoint", "parameter-shift"):
        raise CutError(f"method must be 'adjoint' or 'parameter-shift' (got {method!r})")
    if noise is not None:
        method = "parameter-shift"
    options = {"samples": samples, "shots": shots, "rng": rng, "terms": terms, "scale_shots": scale_shots}
    return _run(plan, params, x, observable, grad=method, noise=noise, timing=timing, exact=exact, **options)
