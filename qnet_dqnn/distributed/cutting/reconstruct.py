"""Reconstruction of expectation values, probability distributions and gradients from cut circuits.

Two evaluation modes (review §6.2, Eq. 19; Mitarai & Fujii, NJP 23, 023021 (2021), Sec. 2):

- **exact enumeration** (``samples=None``): every option of every cut; fragment values are combined by one
  tensor contraction ``Σ_o Π_j c_{j,o_j} Π_f V_f(o_f)`` (``numpy.einsum``), so the cost is the number of
  *distinct* fragment circuits, not the number of joint term choices;
- **Monte Carlo** (``samples=N``): each sample draws one term per cut with ``p_k = |c_k|/γ`` and scores
  ``Π_j γ_j sign(c_{j,k_j}) · Π_f V_f``; the mean is unbiased and its variance is at most ``γ²/N`` for
  observables bounded by 1 (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)), with ``γ = Π_j γ_j``.

``shots=S`` replaces each fragment value by a finite-shot estimate: the fragment circuit (observable bases
rotated to Z) is sampled ``S`` times and the per-shot value ``O(x)·Π_m w_m(x_m)`` averaged. Fragment estimates
are independent, so their product stays unbiased. The branches of a feed-forward term are simulated as
separate runs of ``S`` shots each (on hardware they are one run whose shots split by outcome); the counts in
:class:`CutEstimate` charge one run.

All counts in :class:`CutEstimate` are per input sample ``x`` (a batch of ``B`` inputs multiplies them).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.distributed.cutting.experiments import (
    SubExperiment,
    cut_sides,
    fragment_subexperiment,
    options,
    physical_key,
)
from qnet_dqnn.distributed.cutting.plan import CutPlan
from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.gradients import adjoint_jacobian, parameter_shift_circuits, parameter_shift_jacobian
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.statevector import expectation, probabilities

__all__ = ["CutEstimate", "draw_terms", "evaluate_cut", "evaluate_cut_gradient", "reconstruct_distribution"]

_ROT = {"X": ("h",), "Y": ("sdg", "h"), "Z": ()}


@dataclass(frozen=True)
class CutEstimate:
    """The result of evaluating a cut circuit.

    Attributes:
        value: estimated ``⟨O_k⟩`` per input, shape ``(B, K)``.
        variance: estimated variance of ``value`` (Monte Carlo: sample variance / N), or ``None`` in exact
            mode.
        jacobian: ``∂⟨O_k⟩/∂θ_p``, shape ``(B, K, P)``, for gradient evaluations; else ``None``.
        subexperiments: the distinct fragment circuits simulated.
        circuits_per_fragment: distinct *physical* circuits per fragment (feed-forward branches merged).
        runs: circuit executions per input (Monte Carlo: one per fragment per sample; parameter-shift
            gradients add their shifted circuits).
        total_shots: shots per input (``runs × shots``; ``runs`` when ``shots`` is ``None``).
        feedforward_messages: classical messages sent *during* runs (one per feed-forward cut per shot).
        samples: the Monte Carlo sample count, or ``None`` for exact enumeration.
        sampling_overhead: ``Π γ_j²`` of the plan.
    """

    value: np.ndarray
    variance: np.ndarray | None
    jacobian: np.ndarray | None
    subexperiments: tuple[SubExperiment, ...]
    circuits_per_fragment: tuple[int, ...]
    runs: int
    total_shots: int
    feedforward_messages: int
    samples: int | None
    sampling_overhead: float


class _Engine:
    """Builds, caches and evaluates fragment sub-experiments for one plan / params / inputs."""

    def __init__(
        self,
        plan: CutPlan,
        params: np.ndarray | None,
        x: np.ndarray | None,
        observables: list[PauliString],
        *,
        grad: str | None = None,
    ) -> None:
        self.plan = plan
        self.params = None if params is None else np.asarray(params, dtype=float)
        self.x = None if x is None else np.atleast_2d(np.asarray(x, dtype=float))
        self.obs = observables
        self.grad = grad
        self.sides = cut_sides(plan)
        self.opts = [options(plan, j) for j in range(len(plan.cuts))]
        self.adj = {
            f.index: [
                (j, s) for j, pair in enumerate(self.sides) for s, cs in enumerate(pair) if cs.fragment == f.index
            ]
            for f in plan.fragments
        }
        self.cuts_of = {f: sorted({j for j, _ in a}) for f, a in self.adj.items()}
        self.subs: dict[tuple, SubExperiment] = {}
        self.vals: dict[tuple, tuple[np.ndarray, np.ndarray | None]] = {}
        self.shot_models: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.physical: dict[int, set] = {f.index: set() for f in plan.fragments}
        self.gradient_circuits = 0
        self.batch = 1 if self.x is None else self.x.shape[0]

    # -------------------------------------------------------------- building
    def sub(self, f: int, pick: dict[int, tuple[int, int]]) -> SubExperiment:
        choice = {}
        for j, s in self.adj[f]:
            k, b = pick[j]
            br = self.plan.qpds[j].terms[k].branches[b]
            choice[(j, s)] = br.left if s == 0 else br.right
        key = (f, tuple(sorted(choice.items())))
        if key not in self.subs:
            self.subs[key] = fragment_subexperiment(self.plan, self.plan.fragments[f], choice, self.sides)
        sub = self.subs[key]
        self.physical[f].add(physical_key(self.plan, sub, {j: pick[j][0] for j in self.cuts_of[f]}))
        return sub

    # -------------------------------------------------------------- values
    def value(self, sub: SubExperiment) -> tuple[np.ndarray, np.ndarray | None]:
        """Exact ``V_f`` per input and observable ``(B, K)`` and, for gradients, ``(B, K, P)``."""
        key = (sub.fragment, sub.key)
        if key in self.vals:
            return self.vals[key]
        terms = [sub.pauli_terms(o) for o in self.obs]
        flat = [p for t in terms for _, p in t]
        coef = np.zeros((len(flat), len(self.obs)))
        i = 0
        for k, t in enumerate(terms):
            for a, _ in t:
                coef[i, k] = a
                i += 1
        jac = None
        if not flat:
            v = np.zeros((self.batch, len(self.obs)))
            if self.grad is not None:
                jac = np.zeros((self.batch, len(self.obs), self.params.size))
        elif self.grad is None:
            v = expectation(sub.circuit, flat, self.params, self.x) @ coef
        elif self.grad == "adjoint":
            e, j = adjoint_jacobian(sub.circuit, flat, self.params, self.x)
            v, jac = e @ coef, np.einsum("bip,ik->bkp", j, coef)
        else:
            e = expectation(sub.circuit, flat, self.params, self.x)
            j = parameter_shift_jacobian(sub.circuit, flat, self.params, self.x)
            v, jac = e @ coef, np.einsum("bip,ik->bkp", j, coef)
            self.gradient_circuits += parameter_shift_circuits(sub.circuit)
        if v.shape[0] != self.batch:
            v = np.broadcast_to(v, (self.batch, v.shape[1])).copy()
            if jac is not None:
                jac = np.broadcast_to(jac, (self.batch,) + jac.shape[1:]).copy()
        self.vals[key] = (v, jac)
        return v, jac

    def shot_value(self, sub: SubExperiment, shots: int, rng: np.random.Generator) -> np.ndarray:
        """A finite-shot estimate of ``V_f`` ``(B, K)``."""
        out = np.empty((self.batch, len(self.obs)))
        for k, o in enumerate(self.obs):
            key = (sub.fragment, sub.key, k)
            if key not in self.shot_models:
                self.shot_models[key] = _shot_model(sub, o, self.params, self.x, self.batch)
            probs, vec = self.shot_models[key]
            p = np.clip(probs, 0.0, None)
            p = p / p.sum(axis=1, keepdims=True)
            counts = np.stack([rng.multinomial(shots, row) for row in p])
            out[:, k] = counts @ vec / shots
        return out

    # -------------------------------------------------------------- counts
    def circuits_per_fragment(self) -> tuple[int, ...]:
        return tuple(len(self.physical[f.index]) for f in self.plan.fragments)


def _shot_model(sub: SubExperiment, obs: PauliString, params, x, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Born probabilities of the basis-rotated fragment circuit and the per-outcome value ``O(x)·Π w_m(x_m)``."""
    loc = sub.local_observable(obs)
    circ = sub.circuit.copy()
    for q, s in loc.paulis:
        for g in _ROT[s]:
            circ.append(g, [q])
    probs = probabilities(circ, params, x)
    if probs.shape[0] != batch:
        probs = np.broadcast_to(probs, (batch, probs.shape[1]))
    n = circ.num_qubits
    idx = np.arange(2**n)
    vec = np.full(2**n, loc.coeff, dtype=float)
    for q in loc.qubits:
        vec *= 1 - 2 * ((idx >> (n - 1 - q)) & 1)
    for q, w in sub.measured:
        bit = (idx >> (n - 1 - q)) & 1
        vec *= np.where(bit == 0, w[0], w[1])
    return probs, vec


def _observables(observable: Observable | Sequence[Observable]) -> list[PauliString]:
    if isinstance(observable, (PauliString, str, int, np.integer)):
        return [as_pauli(observable)]
    return [as_pauli(o) for o in observable]


def _all_picks(engine: _Engine, f: int) -> list[tuple[tuple[int, ...], dict[int, tuple[int, int]]]]:
    cuts = engine.cuts_of[f]
    out = []
    for idx in itertools.product(*[range(len(engine.opts[j])) for j in cuts]):
        pick = {j: engine.opts[j][i][:2] for j, i in zip(cuts, idx, strict=True)}
        out.append((idx, pick))
    return out


def _exact(engine: _Engine, shots: int | None, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray | None]:
    plan = engine.plan
    m = len(plan.cuts)
    b, k = engine.batch, len(engine.obs)
    tensors, jtensors = [], []
    for f in plan.fragments:
        cuts = engine.cuts_of[f.index]
        shape = tuple(len(engine.opts[j]) for j in cuts)
        t = np.empty(shape + (b, k))
        jt = np.empty(shape + (b, k, engine.params.size)) if engine.grad else None
        shot_cache: dict[tuple, np.ndarray] = {}
        for idx, pick in _all_picks(engine, f.index):
            sub = engine.sub(f.index, pick)
            if shots is None:
                v, jv = engine.value(sub)
            else:
                if sub.key not in shot_cache:
                    shot_cache[sub.key] = engine.shot_value(sub, shots, rng)
                v, jv = shot_cache[sub.key], None
            t[idx] = v
            if jt is not None:
                jt[idx] = jv
        tensors.append((t, cuts))
        jtensors.append(jt)
    coeffs = [np.array([o[2] for o in engine.opts[j]]) for j in range(m)]
    bi, ki, pi = m, m + 1, m + 2

    def contract(replace: int | None) -> np.ndarray:
        args: list = []
        for j in range(m):
            args += [coeffs[j], [j]]
        for fi, (t, cuts) in enumerate(tensors):
            if replace == fi:
                args += [jtensors[fi], list(cuts) + [bi, ki, pi]]
            else:
                args += [t, list(cuts) + [bi, ki]]
        out = [bi, ki] if replace is None else [bi, ki, pi]
        return np.einsum(*args, out, optimize=True)

    value = contract(None)
    jac = None
    if engine.grad:
        jac = sum(contract(fi) for fi in range(len(tensors)))
    return value, jac


def draw_terms(plan: CutPlan, samples: int, rng: np.random.Generator) -> np.ndarray:
    """``samples`` joint term choices ``(samples, cuts)``: term ``k`` of cut ``j`` with ``p_k = |c_k|/γ_j``,
    independently per cut (Mitarai & Fujii, NJP 23, 023021 (2021), Sec. 2). Advances ``rng``.

    Drawn cut by cut, one ``rng.choice`` per cut: the order :func:`evaluate_cut` uses when it draws itself.
    """
    if samples < 1:
        raise QnetError(f"samples must be >= 1 (got {samples!r})")
    if not plan.cuts:
        return np.zeros((samples, 0), dtype=int)
    return np.stack([rng.choice(len(q.terms), size=samples, p=q.probabilities) for q in plan.qpds], axis=1)


def _check_terms(plan: CutPlan, terms: np.ndarray, samples: int | None) -> np.ndarray:
    """``terms`` as an int array ``(N, cuts)`` with every index in range; ``samples`` must be None or ``N``."""
    arr = np.asarray(terms)
    m = len(plan.cuts)
    if arr.ndim != 2 or arr.shape[1] != m or arr.shape[0] < 1:
        raise QnetError(f"terms must have shape (samples, {m}) (got {arr.shape})")
    if not np.issubdtype(arr.dtype, np.integer):
        raise QnetError(f"terms must be integer term indices (got dtype {arr.dtype})")
    for j, q in enumerate(plan.qpds):
        if arr[:, j].min() < 0 or arr[:, j].max() >= len(q.terms):
            raise QnetError(f"terms[:, {j}] must be in [0, {len(q.terms)}) (cut {j} has {len(q.terms)} terms)")
    if samples is not None and samples != arr.shape[0]:
        raise QnetError(f"samples ({samples}) must equal len(terms) ({arr.shape[0]}) or be None")
    return arr


def _monte_carlo(
    engine: _Engine, draws: np.ndarray, shots: int | None, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, int]:
    samples = len(draws)
    plan = engine.plan
    m = len(plan.cuts)
    b, k = engine.batch, len(engine.obs)
    gam = np.array([q.gamma for q in plan.qpds])
    scores = np.empty((samples, b, k))
    jscores = np.zeros((samples, b, k, engine.params.size)) if engine.grad else None
    runs = 0
    messages = 0
    for s in range(samples):
        terms = draws[s]
        sign = float(np.prod([np.sign(plan.qpds[j].terms[terms[j]].coefficient) for j in range(m)]))
        factor = float(np.prod(gam)) * sign if m else 1.0
        branch_lists = [range(len(plan.qpds[j].terms[terms[j]].branches)) for j in range(m)]
        total = np.zeros((b, k))
        jtotal = np.zeros((b, k, engine.params.size)) if engine.grad else None
        for bs in itertools.product(*branch_lists):
            pick = {j: (int(terms[j]), bs[j]) for j in range(m)}
            w = float(np.prod([plan.qpds[j].terms[terms[j]].branches[bs[j]].weight for j in range(m)])) if m else 1.0
            vals, jacs = [], []
            for f in plan.fragments:
                sub = engine.sub(f.index, pick)
                if shots is None:
                    v, jv = engine.value(sub)
                else:
                    v, jv = engine.shot_value(sub, shots, rng), None
                vals.append(v)
                jacs.append(jv)
            total += w * np.prod(vals, axis=0)
            if jtotal is not None:
                for fi in range(len(vals)):
                    rest = np.prod([vals[g] for g in range(len(vals)) if g != fi], axis=0) if len(vals) > 1 else 1.0
                    jtotal += w * jacs[fi] * np.asarray(rest)[..., None]
        for f in plan.fragments:
            runs += 1
            sends = sum(1 for j, side in engine.adj[f.index] if side == 0 and plan.qpds[j].feedforward)
            messages += sends * (shots or 1)
        scores[s] = factor * total
        if jscores is not None:
            jscores[s] = factor * jtotal
    value = scores.mean(axis=0)
    var = scores.var(axis=0, ddof=1) / samples if samples > 1 else np.full((b, k), np.inf)
    jac = None if jscores is None else jscores.mean(axis=0)
    return value, var, jac, runs, messages


def _run(plan: CutPlan, params, x, observable, samples, shots, rng, grad: str | None, terms=None) -> CutEstimate:
    if samples is not None and samples < 1:
        raise QnetError(f"samples must be >= 1 or None (got {samples!r})")
    if shots is not None and shots < 1:
        raise QnetError(f"shots must be >= 1 or None (got {shots!r})")
    if terms is not None:
        terms = _check_terms(plan, terms, samples)
        samples = len(terms)
    if ((samples is not None and terms is None) or shots is not None) and rng is None:
        raise QnetError("Monte Carlo sampling and finite shots need an rng (numpy Generator)")
    obs = _observables(observable)
    for o in obs:
        o.check(plan.circuit.num_qubits)
    if grad is not None and params is None:
        raise QnetError("a gradient needs params")
    engine = _Engine(plan, params, x, obs, grad=grad)
    if samples is None:
        value, jac = _exact(engine, shots, rng)
        var = None
        per_frag = engine.circuits_per_fragment()
        runs = sum(per_frag)
        messages = sum(
            sum(1 for it in pk[1] if len(it) == 4 and it[1] == 0)
            for f in plan.fragments
            for pk in engine.physical[f.index]
        ) * (shots or 1)
    else:
        draws = terms if terms is not None else draw_terms(plan, samples, rng)
        value, var, jac, runs, messages = _monte_carlo(engine, draws, shots, rng)
        per_frag = engine.circuits_per_fragment()
    runs += engine.gradient_circuits
    return CutEstimate(
        value=value,
        variance=var,
        jacobian=jac,
        subexperiments=tuple(engine.subs.values()),
        circuits_per_fragment=per_frag,
        runs=runs,
        total_shots=runs * (shots or 1),
        feedforward_messages=messages,
        samples=samples,
        sampling_overhead=plan.sampling_overhead,
    )


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
) -> CutEstimate:
    """Expectation values of Pauli observables of a cut circuit, reconstructed from its fragments.

    Args:
        plan: the cut plan (its circuit is the uncut model circuit).
        params: trainable parameters ``(P,)``.
        x: input features ``(B, F)`` (or ``None`` for a circuit without data).
        observable: one observable or a sequence (``PauliString``, ``"Z0 Z3"`` or a qubit index).
        samples: ``None`` for exact enumeration of all terms; ``N`` for Monte Carlo sampling of ``N`` joint
            term choices with ``p_k = |c_k|/γ``.
        shots: ``None`` for exact fragment values; ``S`` to estimate each fragment value from ``S`` shots.
        rng: random generator (required with ``samples`` or ``shots``, unless ``terms`` are given and
            ``shots`` is None).
        terms: Monte Carlo with the caller's joint term choices ``(N, cuts)`` (e.g. from
            :func:`draw_terms`) instead of drawing them; ``samples`` is then None or ``N``.

    Returns:
        A :class:`CutEstimate` with ``value`` of shape ``(B, K)`` and the execution counts.

    Examples:
        >>> from qnet_dqnn.quantum.circuit import Circuit
        >>> from qnet_dqnn.distributed.cutting.plan import CutPlan, GateCut
        >>> c = Circuit(2).h(0).cx(0, 1)
        >>> est = evaluate_cut(CutPlan(c, (GateCut(1),)), observable="Z0 Z1")
        >>> round(float(est.value[0, 0]), 12), est.sampling_overhead
        (1.0, 9.0)
    """
    return _run(plan, params, x, observable, samples, shots, rng, None, terms)


def evaluate_cut_gradient(
    plan: CutPlan,
    params: np.ndarray,
    x: np.ndarray | None = None,
    observable: Observable | Sequence[Observable] = 0,
    *,
    samples: int | None = None,
    method: str = "adjoint",
    rng: np.random.Generator | None = None,
    terms: np.ndarray | None = None,
) -> CutEstimate:
    """Values and the Jacobian ``∂⟨O_k⟩/∂θ`` of a cut circuit through the same decomposition.

    The coefficients ``c_k`` of the cuts do not depend on ``θ`` (cut gates have fixed angles), so
    ``∂⟨O⟩ = Σ_o Π c · Σ_f ∂V_f · Π_{g≠f} V_g`` (product rule per term); each ``∂V_f`` comes from the
    engine's adjoint method (Jones & Gacon 2020) or the parameter-shift rule (Mitarai et al. 2018, Eq. 12),
    which also counts its shifted circuits in ``runs``. With ``samples=N`` the same sampled terms give an
    unbiased Monte Carlo gradient.

    Args:
        plan: the cut plan.
        params: trainable parameters ``(P,)``.
        x: input features ``(B, F)`` or ``None``.
        observable: one observable or a sequence.
        samples: ``None`` (exact) or a Monte Carlo sample count.
        method: ``"adjoint"`` or ``"parameter-shift"``.
        rng: random generator (required with ``samples`` unless ``terms`` are given).
        terms: the caller's joint term choices ``(N, cuts)`` (see :func:`evaluate_cut`).

    Returns:
        A :class:`CutEstimate` whose ``jacobian`` has shape ``(B, K, P)``.
    """
    if method not in ("adjoint", "parameter-shift"):
        raise QnetError(f"method must be 'adjoint' or 'parameter-shift' (got {method!r})")
    return _run(plan, params, x, observable, samples, None, rng, method, terms)


def reconstruct_distribution(
    plan: CutPlan, params: np.ndarray | None = None, x: np.ndarray | None = None, *, max_qubits: int = 12
) -> np.ndarray:
    """The exact output distribution of the uncut circuit, reconstructed from fragment distributions.

    ``|x⟩⟨x| = ⊗_q (I + (−1)^{x_q} Z_q)/2`` factorises over fragments, so each fragment contributes a signed
    quasi-distribution over its output bits (its cut measurements contracted with their weights), and
    ``p(x) = Σ_o Π_j c_{j,o_j} Π_f q_f(x_f | o_f)``. Individual fragment terms are quasi-probabilities; the
    sum is the true distribution.

    Args:
        plan: the cut plan.
        params: trainable parameters ``(P,)``.
        x: input features ``(B, F)`` or ``None``.
        max_qubits: refuse circuits wider than this (the result has ``2**n`` entries per input).

    Returns:
        Probabilities of shape ``(B, 2**n)``, qubit 0 the most significant bit (as
        :func:`qnet_dqnn.quantum.statevector.probabilities`).
    """
    n = plan.circuit.num_qubits
    if n > max_qubits:
        raise QnetError(f"distribution reconstruction is limited to {max_qubits} qubits (got {n})")
    engine = _Engine(plan, params, x, [PauliString(())])
    m = len(plan.cuts)
    bi = m
    qi = {q: m + 1 + q for q in range(n)}
    args: list = []
    for j in range(m):
        args += [np.array([o[2] for o in engine.opts[j]]), [j]]
    for f in plan.fragments:
        cuts = engine.cuts_of[f.index]
        tensor = None
        outs: tuple[tuple[int, int], ...] = ()
        for idx, pick in _all_picks(engine, f.index):
            sub = engine.sub(f.index, pick)
            q = _fragment_quasi(sub, engine.params, engine.x, engine.batch)
            if tensor is None:
                outs = sub.outputs
                tensor = np.empty(tuple(len(engine.opts[j]) for j in cuts) + q.shape)
            tensor[idx] = q
        args += [tensor, list(cuts) + [bi] + [qi[g] for g, _ in outs]]
    out = np.einsum(*args, [bi] + [qi[q] for q in range(n)], optimize=True)
    return out.reshape(out.shape[0], 2**n)


def _fragment_quasi(sub: SubExperiment, params, x, batch: int) -> np.ndarray:
    """``(B, 2, …, 2)`` over the fragment's outputs (global order), cut measurements contracted."""
    probs = probabilities(sub.circuit, params, x)
    if probs.shape[0] != batch:
        probs = np.broadcast_to(probs, (batch, probs.shape[1]))
    nl = sub.circuit.num_qubits
    t = probs.reshape((batch,) + (2,) * nl)
    letters = list(range(1, nl + 1))
    args: list = [t, [0] + letters]
    for q, w in sub.measured:
        args += [np.asarray(w, dtype=float), [q + 1]]
    out = [0] + [lq + 1 for _, lq in sub.outputs]
    return np.einsum(*args, out)
