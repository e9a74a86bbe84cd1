"""Units, physical runs and sampled estimates.

A **unit** is a set of fragments joined by feed-forward cuts (they exchange outcomes during every shot, so they run
together); every other fragment is a unit of its own. A unit's *assignment* is a term for every cut touching it;
assignments that need the same circuits (they differ only in outcome weights) share one **run**. The runs and their
shots (:func:`plan_runs`) are the single source of what a QPU executes: the sampled estimator draws exactly those
shots, and the network strategy charges exactly those (tested).

**Sampling a run** (:meth:`UnitSampler.sample_run`). One shot of a unit yields an outcome ``x_f`` for each fragment and,
through the outcomes it exchanges, a branch ``β`` of each feed-forward term; their joint probability is
``Π_f p_f(x_f | β) · Φ_f(β, x_f)``, where ``p_f(·|β)`` is the fragment's Born distribution with the corrections of
branch ``β`` applied and ``Φ_f ∈ {0, 1}`` checks that the outcomes it sent are those of ``β``. The per-shot value
of an assignment is the product over fragments of ``O_f(x_f) · Π_m w_m(x_m)``. Outcomes are grouped into classes of
equal per-shot values (exact: the estimate only reads the values), the classes' joint probabilities computed per
input, and the shots drawn from them by one multinomial draw per input (the estimate's distribution is exactly that
of ``n`` independent shots).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from qnet_dqnn.cutting.evaluation import FragmentEvaluator, Pick, observables_of
from qnet_dqnn.cutting.experiments import SubExperiment, layout, options, physical_key, subexperiment
from qnet_dqnn.cutting.plan import CutPlan
from qnet_dqnn.cutting.qpd import QPD, CutError

__all__ = ["Run", "Unit", "UnitSampler", "plan_runs", "units"]


@dataclass(frozen=True)
class Unit:
    """Fragments that run together.

    Attributes:
        fragments: their indices.
        internal: feed-forward cuts inside the unit (their branches are summed here).
        external: the other cuts touching it.
    """

    fragments: tuple[int, ...]
    internal: tuple[int, ...]
    external: tuple[int, ...]

    @property
    def axes(self) -> tuple[int, ...]:
        """The cut indices its tensor is indexed by, in order."""
        return self.external + self.internal

    def shape(self, qpds: tuple[QPD, ...]) -> tuple[int, ...]:
        """Options per external cut, terms per internal cut."""
        return tuple(len(options(qpds[j])) for j in self.external) + tuple(len(qpds[j].terms) for j in self.internal)

    def assignments(self, qpds: tuple[QPD, ...]) -> list[tuple[int, ...]]:
        """Every index tuple over :attr:`axes` (option index for an external cut, term for an internal one)."""
        return list(itertools.product(*[range(n) for n in self.shape(qpds)]))

    def branches(self, qpds: tuple[QPD, ...], a: tuple[int, ...]) -> list[tuple[tuple[int, int], ...]]:
        """Branch choices ``((cut, branch), …)`` of the internal cuts' terms in assignment ``a``."""
        ne = len(self.external)
        lists = [[(j, b) for b in range(len(qpds[j].terms[a[ne + i]].branches))] for i, j in enumerate(self.internal)]
        return list(itertools.product(*lists))

    def pick(self, qpds: tuple[QPD, ...], plan: CutPlan, f: int, a: tuple[int, ...], beta) -> Pick:
        """Fragment ``f``'s option ``(term, branch)`` per cut under assignment ``a`` and branches ``beta``."""
        ne = len(self.external)
        chosen: dict[int, tuple[int, int]] = {}
        for i, j in enumerate(self.external):
            k, b, _ = options(qpds[j])[a[i]]
            chosen[j] = (k, b)
        br = dict(beta)
        for i, j in enumerate(self.internal):
            chosen[j] = (a[ne + i], br[j])
        return tuple(chosen[j] for j in layout(plan, f).cuts)

    def weight(self, qpds: tuple[QPD, ...], a: tuple[int, ...], beta) -> float:
        """Product of the branch weights of ``beta``."""
        ne = len(self.external)
        w = 1.0
        for i, (j, b) in enumerate(beta):
            w *= qpds[j].terms[a[ne + i]].branches[b].weight
        return w

    def probability(self, qpds: tuple[QPD, ...], a: tuple[int, ...]) -> float:
        """Sampling probability of the terms in ``a`` (a product over the cuts touching the unit)."""
        p = 1.0
        for i, j in enumerate(self.external):
            k, _, _ = options(qpds[j])[a[i]]
            p *= qpds[j].probabilities[k]
        for i, j in enumerate(self.internal):
            p *= qpds[j].probabilities[a[len(self.external) + i]]
        return p


def units(plan: CutPlan, qpds: tuple[QPD, ...]) -> list[Unit]:
    """The plan's units: fragments joined by feed-forward cuts, each other fragment alone."""
    parent = list(range(len(plan.fragments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for j, q in enumerate(qpds):
        if q.feedforward:
            a, b = plan.cut_sides[j]
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for f in range(len(plan.fragments)):
        groups.setdefault(find(f), []).append(f)
    out = []
    for frs in sorted(groups.values()):
        touching = sorted({j for f in frs for j in layout(plan, f).cuts})
        internal = tuple(j for j in touching if qpds[j].feedforward)
        external = tuple(j for j in touching if not qpds[j].feedforward)
        out.append(Unit(tuple(frs), internal, external))
    return out


@dataclass(frozen=True)
class Run:
    """One fragment's part of one physical run of its unit.

    Attributes:
        fragment: the fragment.
        sub: its hardware circuit (duration, feed-forward traffic).
        circuits_per_input: circuits per input — measurement settings × (1 + 2 × the unit's trainable occurrences:
            the forward run and every shifted one, each of which runs the whole unit).
        shots: shots per circuit.
        outputs: numbers returned per input (values and derivatives of the observables).
        unit: index of the unit.
        key: the unit run's key (fragments of one unit run share it).
        assignments: the assignments the run serves.
    """

    fragment: int
    sub: SubExperiment
    circuits_per_input: int
    shots: int
    outputs: int
    unit: int = 0
    key: tuple = ()
    assignments: tuple = field(default=(), compare=False)


def _settings(evs: list[FragmentEvaluator], unit: Unit, nk: int) -> list[tuple]:
    """Joint measurement settings of a unit: per observable, each fragment's non-Z bases."""
    out: list[tuple] = []
    for k in range(nk):
        key = tuple(_setting_of(evs[f], k) for f in unit.fragments)
        if key not in out:
            out.append(key)
    return out


def _setting_of(ev: FragmentEvaluator, k: int) -> tuple:
    return tuple((q, p) for q, p in ev.lay.local_observable(ev.obs[k]).paulis if p != "Z")


def _picked(plan: CutPlan, qpds, unit: Unit, f: int, a, beta) -> dict[int, tuple[int, int]]:
    """``{cut: (term, branch)}`` of fragment ``f`` under assignment ``a`` and branches ``beta``."""
    return dict(zip(layout(plan, f).cuts, unit.pick(qpds, plan, f, a, beta), strict=True))


def plan_runs(
    plan: CutPlan,
    observables,
    shots: int,
    *,
    params: np.ndarray | None = None,
    scale_shots: bool = True,
    grad: bool = True,
) -> list[Run]:
    """The physical runs an exact enumeration executes, with their shots (``S·γ²`` per unit, split in proportion to
    the runs' sampling probability; ``S`` each without scaling) — what the sampled estimator draws and the network
    strategy charges.

    Args:
        plan: the cut plan.
        observables: the observables read out (their measurement settings multiply the circuits).
        shots: ``S``, the shots of one uncut circuit.
        params: trainable parameters (a trainable cut's γ and probabilities depend on them).
        scale_shots: multiply the budget by ``γ²``.
        grad: count the shifted circuits of a parameter-shift gradient too.
    """
    obs = observables_of(observables)
    qpds = plan.qpds_at(params)
    evs = [FragmentEvaluator(plan, f.index, qpds, obs, plan.circuit.num_features) for f in plan.fragments]
    gamma2 = float(np.prod([q.gamma for q in qpds])) ** 2 if qpds else 1.0
    budget = shots * gamma2 if scale_shots else float(shots)
    return _runs(plan, qpds, evs, budget, scale_shots, len(obs), grad)


def _runs(
    plan: CutPlan,
    qpds: tuple[QPD, ...],
    evaluators: list[FragmentEvaluator],
    budget: float | None,
    scale_shots: bool,
    nk: int,
    grad: bool = True,
) -> list[Run]:
    """Every unit's physical runs with their shots: ``max(1, round(budget · P(run)))`` (scaled), else ``budget``;
    with ``grad`` each also runs its shifted circuits.

    Raises:
        CutError: when a scaled budget is below a unit's number of runs (each needs at least one shot).
    """
    out: list[Run] = []
    for u, unit in enumerate(units(plan, qpds)):
        groups: dict[tuple, list] = {}
        prob: dict[tuple, float] = {}
        for a in unit.assignments(qpds):
            beta0 = tuple((j, 0) for j in unit.internal)
            key = tuple(
                physical_key(qpds, layout(plan, f), _picked(plan, qpds, unit, f, a, beta0)) for f in unit.fragments
            )
            groups.setdefault(key, []).append(a)
            prob[key] = prob.get(key, 0.0) + unit.probability(qpds, a)
        if budget is not None and scale_shots and budget < len(groups):
            frs = ", ".join(map(str, unit.fragments))
            raise CutError(
                f"a budget of {budget:.6g} shots (S·γ²) cannot run the {len(groups)} sub-experiments of fragment(s) "
                f"{frs} at least once each: raise the shots"
            )
        settings = len(_settings(evaluators, unit, nk))
        for key, assigned in groups.items():
            a0 = assigned[0]
            beta0 = tuple((j, 0) for j in unit.internal)
            subs = [subexperiment(plan, qpds, f, _picked(plan, qpds, unit, f, a0, beta0)) for f in unit.fragments]
            occ = sum(2 * s.occurrences for s in subs) if grad else 0
            shots = 1 if budget is None else (max(1, round(budget * prob[key])) if scale_shots else int(budget))
            for f, sub in zip(unit.fragments, subs, strict=True):
                out.append(Run(f, sub, settings * (1 + occ), shots, nk * (1 + sub.parameters), u, key, tuple(assigned)))
    return out


class UnitSampler:
    """Exact unit tensors, sampled ones, and Monte Carlo over terms, for one evaluation (``prob``)."""

    def __init__(self, prob, rng: np.random.Generator | None) -> None:
        self.prob = prob
        self.rng = rng
        self.sampled_shots = 0
        self._structures: dict = {}

    # ------------------------------------------------------------------ runs
    def exact_runs(self, budget: float | None, scale_shots: bool, grad: bool) -> list[Run]:
        """The runs of an exact enumeration (shots from ``budget``; 1 each when None)."""
        p = self.prob
        return _runs(p.plan, p.qpds, p.evaluators, budget, scale_shots, len(p.obs), grad)

    # ------------------------------------------------------------------ exact values of assignments
    def exact_unit_values(self, unit: Unit, assignments: list, grad: str | None):
        """``{a: (T (B, K), ∂T (B, K, P) | None)}`` from exact fragment values."""
        p = self.prob
        need: dict[int, set] = {f: set() for f in unit.fragments}
        plan_b = {}
        for a in assignments:
            betas = unit.branches(p.qpds, a)
            plan_b[a] = betas
            for beta in betas:
                for f in unit.fragments:
                    need[f].add(unit.pick(p.qpds, p.plan, f, a, beta))
        vals, jacs = {}, {}
        for f in unit.fragments:
            picks = sorted(need[f])
            v, j, _ = p.evaluators[f].values(picks, p.params, p.x, p.batch, grad, p.noise_of(f), p.timing_of(f))
            vals[f] = dict(zip(picks, v, strict=True))
            jacs[f] = dict(zip(picks, j, strict=True)) if j is not None else None
        out = {}
        for a in assignments:
            t = np.zeros((p.batch, len(p.obs)))
            jt = np.zeros((p.batch, len(p.obs), p.npar)) if grad else None
            for beta in plan_b[a]:
                w = unit.weight(p.qpds, a, beta)
                parts = [vals[f][unit.pick(p.qpds, p.plan, f, a, beta)] for f in unit.fragments]
                t += w * np.prod(parts, axis=0)
                if jt is not None:
                    for i, f in enumerate(unit.fragments):
                        others = [parts[g] for g in range(len(parts)) if g != i]
                        rest = np.prod(others, axis=0) if others else 1.0
                        jt += w * jacs[f][unit.pick(p.qpds, p.plan, f, a, beta)] * np.asarray(rest)[..., None]
            out[a] = (t, jt)
        return out

    def exact_tensors(self, grad: str | None):
        """Dense ``T_U`` (and ``∂T_U``) for every unit."""
        p = self.prob
        dense = [
            self._dense(unit, self.exact_unit_values(unit, unit.assignments(p.qpds), grad), bool(grad))
            for unit in p.units
        ]
        return [t for t, _ in dense], [j for _, j in dense]

    def _dense(self, unit: Unit, entries: dict, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """A unit's ``{assignment: (T, ∂T)}`` as dense arrays over its axes."""
        p = self.prob
        shape = unit.shape(p.qpds)
        t = np.zeros(shape + (p.batch, len(p.obs)))
        jt = np.zeros(shape + (p.batch, len(p.obs), p.npar)) if grad else None
        for a, (v, j) in entries.items():
            t[a] = v
            if jt is not None:
                jt[a] = j
        return t, jt

    # ------------------------------------------------------------------ sampling
    def sampled_tensors(self, runs: list[Run], grad: bool):
        """``T̂_U`` (and ``∂T̂_U`` by parameter shift) from the shots of ``runs``."""
        p = self.prob
        tensors, jtensors = [], []
        for u, unit in enumerate(p.units):
            mine = {}
            for r in runs:
                if r.unit == u:
                    mine.setdefault(r.key, r)
            entries = {a: vj for est in self._sample_unit(unit, list(mine.values()), grad) for a, vj in est.items()}
            t, jt = self._dense(unit, entries, grad)
            tensors.append(t)
            jtensors.append(jt)
        return tensors, jtensors

    def _sample_unit(self, unit: Unit, runs: list[Run], grad: bool) -> list[dict]:
        """Per run, the sampled ``{assignment: (T̂, ∂T̂)}`` (each run drawn separately, even if repeated)."""
        p = self.prob
        picks: dict[int, set] = {f: set() for f in unit.fragments}
        for r in runs:
            for a in r.assignments:
                for beta in unit.branches(p.qpds, a):
                    for f in unit.fragments:
                        picks[f].add(unit.pick(p.qpds, p.plan, f, a, beta))
        sorted_picks = {f: sorted(v) for f, v in picks.items()}
        dists = {
            f: p.evaluators[f].distributions(
                sorted_picks[f], p.params, p.x, p.batch, noise=p.noise_of(f), timing=p.timing_of(f)
            )
            for f in unit.fragments
        }
        out = [{a: [v, None] for a, v in est.items()} for est in self.sample_runs(unit, runs, dists)]
        if grad:
            for est in out:
                for a in est:
                    est[a][1] = np.zeros((p.batch, len(p.obs), p.npar))
            for f in unit.fragments:
                ev = p.evaluators[f]
                occ = ev.occurrences(sorted_picks[f], p.noise_of(f))
                if not occ:
                    continue
                shifts = [(e, sign * np.pi / 2) for e in range(len(occ)) for sign in (1.0, -1.0)]
                shifted = ev.shifted_distributions(
                    sorted_picks[f], p.params, p.x, p.batch, shifts, p.noise_of(f), p.timing_of(f)
                )
                for e, (param, scale) in enumerate(occ):
                    draws = []
                    for d_f in shifted[2 * e : 2 * e + 2]:
                        d = dict(dists)
                        d[f] = d_f
                        draws.append(self.sample_runs(unit, runs, d))
                    for est, plus, minus in zip(out, draws[0], draws[1], strict=True):
                        for a in est:
                            est[a][1][:, :, param] += scale * (plus[a] - minus[a]) / 2
        return [{a: (v, j) for a, (v, j) in est.items()} for est in out]

    def _structure(self, unit: Unit, run: Run, dists: dict) -> list:
        """Per measurement setting: the observables it reads, per branch and fragment the outcome classes
        ``(simulation key, support, class membership (classes × support))``, and every cell's values (a cell is
        one class per fragment in one branch). Cached per run: the classes do not depend on the parameters."""
        p = self.prob
        mkey = (run.unit, run.key, run.assignments)
        if mkey in self._structures:
            return self._structures[mkey]
        nk = len(p.obs)
        out = []
        a0 = run.assignments[0]
        for setting in _settings(p.evaluators, unit, nk):
            ks = [k for k in range(nk) if tuple(_setting_of(p.evaluators[f], k) for f in unit.fragments) == setting]
            branches, values = [], []
            for beta in unit.branches(p.qpds, a0):
                per_frag, rows_all = [], []
                for i, f in enumerate(unit.fragments):
                    ev = p.evaluators[f]
                    key = ev.sim_key(unit.pick(p.qpds, p.plan, f, a0, beta))
                    _, tmpl = dists[f][(key, setting[i])]
                    table = np.concatenate(
                        [
                            ev.value_table(unit.pick(p.qpds, p.plan, f, a, beta), tmpl, setting[i])[:, ks]
                            for a in run.assignments
                        ],
                        axis=1,
                    )
                    support = np.flatnonzero(_filter_mask(ev, unit, p.qpds, p.plan, f, a0, beta, tmpl))
                    rows, inverse = np.unique(table[support], axis=0, return_inverse=True)
                    member = np.zeros((len(rows), len(support)))
                    member[inverse.reshape(-1), np.arange(len(support))] = 1.0
                    per_frag.append(((key, setting[i]), support, member))
                    rows_all.append(rows)
                vals = rows_all[0]
                for rows in rows_all[1:]:  # cells in C order over the fragments' classes
                    vals = (vals[:, None, :] * rows[None, :, :]).reshape(-1, rows.shape[1])
                values.append(unit.weight(p.qpds, a0, beta) * vals)
                branches.append(per_frag)
            out.append((ks, branches, np.concatenate(values)))
        self._structures[mkey] = out
        return out

    def sample_runs(self, unit: Unit, runs: list[Run], dists: dict) -> list[dict]:
        """:meth:`sample_run` for every run; the runs of a one-fragment unit without feed-forward are drawn together,
        grouped by outcome-space size (one batched class sum, one multinomial draw, one estimate product — the same
        distribution)."""
        structs = [self._structure(unit, r, dists) for r in runs]
        if len(unit.fragments) > 1 or unit.internal or not runs or any(len(st) != 1 for st in structs):
            return [self.sample_run(unit, r, dists) for r in runs]
        f = unit.fragments[0]
        size = [dists[f][st[0][1][0][0][0]][0].shape[1] for st in structs]
        out: list[dict | None] = [None] * len(runs)
        for width in sorted(set(size)):
            idx = [i for i, w in enumerate(size) if w == width]
            for i, res in zip(
                idx, self._draw_together(f, [runs[i] for i in idx], [structs[i] for i in idx], dists), strict=True
            ):
                out[i] = res
        return out  # type: ignore[return-value]

    def _draw_together(self, f: int, runs: list[Run], structs: list, dists: dict) -> list[dict]:
        p = self.prob
        n_out = max(st[0][2].shape[0] for st in structs)
        n_col = max(st[0][2].shape[1] for st in structs)
        probs = np.stack([dists[f][st[0][1][0][0][0]][0] for st in structs])  # (R, B, 2ⁿ)
        member = np.zeros((len(runs), probs.shape[2], n_out))
        values = np.zeros((len(runs), n_out, n_col))
        for i, st in enumerate(structs):
            ((_, support, m),) = st[0][1][0]
            member[i, support, : m.shape[0]] = m.T
            values[i, : st[0][2].shape[0], : st[0][2].shape[1]] = st[0][2]
        pmat = np.clip(np.matmul(probs, member), 0.0, None)
        pmat /= pmat.sum(axis=2, keepdims=True)
        shots = np.array([r.shots for r in runs])
        counts = self.rng.multinomial(np.repeat(shots[:, None], p.batch, axis=1), pmat)
        self.sampled_shots += int(shots.sum())
        est = np.matmul(counts, values) / shots[:, None, None]
        out = []
        for i, (r, st) in enumerate(zip(runs, structs, strict=True)):
            ks = st[0][0]
            res = {a: np.zeros((p.batch, len(p.obs))) for a in r.assignments}
            for j, a in enumerate(r.assignments):
                res[a][:, ks] = est[i, :, j * len(ks) : (j + 1) * len(ks)]
            out.append(res)
        return out

    def sample_run(self, unit: Unit, run: Run, dists: dict) -> dict:
        """``{assignment: T̂ (B, K)}`` from ``run.shots`` shots per measurement setting (module docstring)."""
        p = self.prob
        out = {a: np.zeros((p.batch, len(p.obs))) for a in run.assignments}
        for ks, branches, values in self._structure(unit, run, dists):
            cells = []
            for per_frag in branches:
                joint = None
                for f, (key, support, member) in zip(unit.fragments, per_frag, strict=True):
                    probs, _ = dists[f][key]
                    q = probs[:, support] @ member.T  # (B, classes)
                    joint = q if joint is None else (joint[:, :, None] * q[:, None, :]).reshape(p.batch, -1)
                cells.append(joint)
            pmat = np.clip(np.concatenate(cells, axis=1), 0.0, None)
            pmat /= pmat.sum(axis=1, keepdims=True)
            counts = self.rng.multinomial(run.shots, pmat)
            self.sampled_shots += run.shots
            est = counts @ values / run.shots  # (B, assignments × observables read)
            for i, a in enumerate(run.assignments):
                out[a][:, ks] = est[:, i * len(ks) : (i + 1) * len(ks)]
        return out

    # ------------------------------------------------------------------ Monte Carlo over terms
    def monte_carlo(self, draws: np.ndarray, shots: int | None, grad: str | None, charged: int | None = None):
        """Mean over ``draws`` of ``Π_j (c/p) · Π_U T_U``, its sample variance, Jacobian and the runs (each sample's
        runs with ``shots`` sampled, or exact values and ``charged`` shots listed)."""
        p = self.prob
        m = len(p.plan.cuts)
        samples = len(draws)
        per_unit = []
        for unit in p.units:
            assigned = []
            for row in draws:
                a = []
                for j in unit.external:
                    a.append(next(i for i, (k, b, _) in enumerate(options(p.qpds[j])) if k == row[j] and b == 0))
                a += [int(row[j]) for j in unit.internal]
                assigned.append(tuple(a))
            per_unit.append(assigned)
        all_runs = _runs(p.plan, p.qpds, p.evaluators, None, False, len(p.obs), grad is not None)
        by_unit_key = {}
        for r in all_runs:
            for a in r.assignments:
                by_unit_key.setdefault((r.unit, a), []).append(r)
        runs: list[Run] = []
        tvals = []
        for u, unit in enumerate(p.units):
            if shots is None:
                vals = self.exact_unit_values(unit, sorted(set(per_unit[u])), grad)
                tvals.append([vals[a] for a in per_unit[u]])
            else:
                first = [by_unit_key[(u, a)][0] for a in per_unit[u]]
                sample_runs = [
                    Run(r.fragment, r.sub, r.circuits_per_input, shots, r.outputs, u, r.key, (a,))
                    for r, a in zip(first, per_unit[u], strict=True)
                ]
                ests = self._sample_unit(unit, sample_runs, grad is not None)
                tvals.append([est[a] for est, a in zip(ests, per_unit[u], strict=True)])
            for a in per_unit[u]:
                for r in by_unit_key[(u, a)]:
                    n = shots or charged or 1
                    runs.append(Run(r.fragment, r.sub, r.circuits_per_input, n, r.outputs, u, r.key, (a,)))
        scores = np.empty((samples, p.batch, len(p.obs)))
        jscores = np.zeros((samples, p.batch, len(p.obs), p.npar)) if grad else None
        for s, row in enumerate(draws):
            factors = [p.qpds[j].coefficients[row[j]] / p.qpds[j].probabilities[row[j]] for j in range(m)]
            f_all = float(np.prod(factors)) if m else 1.0
            parts = [tvals[u][s][0] for u in range(len(p.units))]
            prod = np.prod(parts, axis=0)
            scores[s] = f_all * prod
            if jscores is not None:
                for u in range(len(p.units)):
                    rest = np.prod([parts[v] for v in range(len(parts)) if v != u], axis=0) if len(parts) > 1 else 1.0
                    jscores[s] += f_all * tvals[u][s][1] * np.asarray(rest)[..., None]
                for j in p.plan.trainable_cuts:
                    ref = p.plan.trainable_ref(j)
                    dq = p.qpds[j].derivatives[row[j]] / p.qpds[j].probabilities[row[j]]
                    others = float(np.prod([factors[i] for i in range(m) if i != j]))
                    jscores[s, :, :, ref.index] += ref.scale * dq * others * prod
        value = scores.mean(axis=0)
        var = scores.var(axis=0, ddof=1) / samples if samples > 1 else np.full(value.shape, np.inf)
        jac = None if jscores is None else jscores.mean(axis=0)
        return value, var, jac, runs


def _filter_mask(ev: FragmentEvaluator, unit: Unit, qpds, plan, f: int, a, beta, tmpl) -> np.ndarray:
    """``Φ_f(β, x)``: 1 where the outcomes fragment ``f`` sends are those of branch ``beta``."""
    n = tmpl.circuit.num_qubits
    idx = np.arange(2**n)
    mask = np.ones(2**n, dtype=bool)
    weights = ev.weights(unit.pick(qpds, plan, f, a, beta))
    internal = set(unit.internal)
    for q, tag in tmpl.measured:
        if tag[0] not in internal:
            continue
        w = weights.get(tag, (1.0, 1.0))
        if w not in ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0)):
            raise CutError(f"sampling a feed-forward cut needs outcome filters as weights (got {w!r})")
        bit = (idx >> (n - 1 - q)) & 1
        mask &= np.where(bit == 0, w[0], w[1]) > 0
    return mask
