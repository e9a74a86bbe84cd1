"""The cut circuit's output distribution: direct reconstruction, and maximum-likelihood fragment tomography.

**Direct** (:func:`reconstruct_distribution`). ``|x⟩⟨x| = ⊗_q (I + (−1)^{x_q} Z_q)/2`` factorises over fragments, so
each fragment contributes a signed quasi-distribution over its output bits (its cut measurements contracted with
their weights), and ``p(x) = Σ_o Π_j c_{j,o_j} Π_f q_f(x_f | o_f)``. Exact fragment distributions give the exact
``p``; sampled ones (``shots``) give an unbiased estimate that can be negative and need not sum to one.

**Maximum-likelihood fragment tomography** (:func:`mlft_distribution`; Perlin, Saleem, Suchara & Osborn, *Quantum
circuit cutting with maximum-likelihood tomography*, npj Quantum Inf. 7, 64 (2021)). For a plan of measure-and-
prepare wire cuts, every fragment is a quantum instrument from its cut inputs to its cut outputs and its output
bits ``y``; its Choi operators ``χ(y)`` (``P(o, y | ρ, b) = Tr[χ(y) (ρᵀ ⊗ Π_{b,o})]``) are estimated from the same
sub-experiment counts by linear inversion (the inputs are prepared in ``|0⟩, |1⟩, |±⟩, |±i⟩``, the outputs measured
in X, Y, Z: tomographically complete), then replaced by the closest positive semidefinite operators in the 2-norm
with the same total trace (Smolin, Gambetta & Smith, PRL 108, 070502 (2012): clip the eigenvalues to the
simplex). Recombining positive fragment models over the cut wires (the link product; Chiribella, D'Ariano &
Perinotti, PRA 80, 022339 (2009)) gives a distribution that is never negative.
"""

from __future__ import annotations

import numpy as np

from qnet_dqnn.cutting.evaluation import FragmentEvaluator, all_picks
from qnet_dqnn.cutting.experiments import layout, options
from qnet_dqnn.cutting.plan import CutPlan, WireCut
from qnet_dqnn.cutting.qpd import KETS, CutError
from qnet_dqnn.cutting.sampling import units
from qnet_dqnn.quantum.gates import PAULIS
from qnet_dqnn.quantum.observables import PauliString

__all__ = ["mlft_distribution", "reconstruct_distribution", "simplex_projection", "total_variation"]


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``½ Σ_x |p(x) − q(x)|`` along the last axis."""
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum(axis=-1)


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per input, the outer product of two fragments' quasi-distributions (batch axis first)."""
    return a.reshape(a.shape + (1,) * (b.ndim - 1)) * b.reshape((b.shape[0],) + (1,) * (a.ndim - 1) + b.shape[1:])


def _fragment_quasi(ev: FragmentEvaluator, probs: np.ndarray, pick, tmpl, batch: int) -> np.ndarray:
    """``(B, 2, …, 2)`` over the fragment's outputs (in the order of ``lay.outputs``), measurements contracted."""
    n = tmpl.circuit.num_qubits
    t = probs.reshape((batch,) + (2,) * n)
    weights = ev.weights(pick)
    args: list = [t, [0] + list(range(1, n + 1))]
    for q, tag in tmpl.measured:
        args += [np.asarray(weights.get(tag, (1.0, 1.0)), dtype=float), [q + 1]]
    return np.einsum(*args, [0] + [lq + 1 for _, lq in ev.lay.outputs])


def reconstruct_distribution(
    plan: CutPlan,
    params: np.ndarray | None = None,
    x: np.ndarray | None = None,
    *,
    shots: int | None = None,
    rng: np.random.Generator | None = None,
    max_qubits: int = 12,
    counts: dict | None = None,
) -> np.ndarray:
    """The output distribution of the uncut circuit, reconstructed from fragment distributions.

    Args:
        plan: the cut plan (no feed-forward cuts when sampled).
        params: trainable parameters ``(P,)``.
        x: input features ``(B, F)`` or None.
        shots: None for exact fragment distributions; ``S`` to sample every physical run ``S`` times.
        rng: random generator (with ``shots``).
        max_qubits: refuse circuits wider than this (the result has ``2**n`` entries per input).
        counts: with ``shots``, filled with the sampled counts ``{(fragment, simulation key): (B, 2ⁿ)}`` (what
            :func:`mlft_distribution` reuses).

    Returns:
        Probabilities (or, sampled, quasi-probabilities) of shape ``(B, 2**n)``, qubit 0 the most significant bit.
    """
    n = plan.circuit.num_qubits
    if n > max_qubits:
        raise CutError(f"distribution reconstruction is limited to {max_qubits} qubits (got {n})")
    if shots is not None and rng is None:
        raise CutError("a sampled distribution needs an rng")
    th = None if params is None else np.asarray(params, dtype=float)
    xx = None if x is None else np.atleast_2d(np.asarray(x, dtype=float))
    batch = 1 if xx is None else xx.shape[0]
    qpds = plan.qpds_at(th)
    if shots is not None and any(q.feedforward for q in qpds):
        raise CutError("a sampled distribution needs cuts without feed-forward (sample fragments one by one)")
    features = plan.circuit.num_features if xx is None else xx.shape[1]
    ident = [PauliString(())]
    m = len(plan.cuts)
    bi = m
    qi = {q: m + 1 + q for q in range(n)}
    all_units = units(plan, qpds)
    internal = {j for u in all_units for j in u.internal}
    args: list = []
    for j in range(m):
        coef = qpds[j].coefficients if j in internal else np.array([c for _, _, c in options(qpds[j])])
        args += [coef, [j]]
    evs = {f.index: FragmentEvaluator(plan, f.index, qpds, ident, features) for f in plan.fragments}
    for unit in all_units:
        needed = {f: set() for f in unit.fragments}
        for a in unit.assignments(qpds):
            for beta in unit.branches(qpds, a):
                for f in unit.fragments:
                    needed[f].add(unit.pick(qpds, plan, f, a, beta))
        dists = {f: evs[f].distributions(sorted(needed[f]), th, xx, batch) for f in unit.fragments}
        sampled: dict = {}

        def quasi(f: int, pick, dists=dists, sampled=sampled) -> np.ndarray:
            ev = evs[f]
            key = ev.sim_key(pick)
            probs, tmpl = dists[f][(key, ())]
            if shots is not None:
                if key not in sampled:
                    clip = np.clip(probs, 0, None)
                    c = rng.multinomial(shots, clip / clip.sum(1, keepdims=True))
                    sampled[key] = c / shots
                    if counts is not None:
                        counts[(f, key)] = c
                probs = sampled[key]
            return _fragment_quasi(ev, probs, pick, tmpl, batch)

        outs = [g for f in unit.fragments for g, _ in evs[f].lay.outputs]
        tensor = np.zeros(unit.shape(qpds) + (batch,) + (2,) * len(outs))
        for a in unit.assignments(qpds):
            for beta in unit.branches(qpds, a):
                parts = [quasi(f, unit.pick(qpds, plan, f, a, beta)) for f in unit.fragments]
                joint = parts[0]
                for q in parts[1:]:
                    joint = _outer(joint, q)
                tensor[a] += unit.weight(qpds, a, beta) * joint
        args += [tensor, list(unit.axes) + [bi] + [qi[g] for g in outs]]
    out = np.einsum(*args, [bi] + [qi[q] for q in range(n)], optimize=True)
    return out.reshape(batch, 2**n)


def simplex_projection(values: np.ndarray, total: float = 1.0) -> np.ndarray:
    """The closest (2-norm) vector of non-negative entries summing to ``total`` (Smolin, Gambetta & Smith, PRL 108,
    070502 (2012), Fig. 1: zero the most negative entries and spread their mass evenly over the rest).

    Examples:
        >>> simplex_projection(np.array([0.6, 0.5, -0.1])).round(6).tolist()
        [0.55, 0.45, 0.0]
    """
    v = np.asarray(values, dtype=float) * (total / values.sum() if values.sum() else 1.0)
    order = np.argsort(v)[::-1]
    lam = v[order].copy()
    acc = 0.0
    i = len(lam)
    while i > 0 and lam[i - 1] + acc / i < 0:
        acc += lam[i - 1]
        lam[i - 1] = 0.0
        i -= 1
    lam[:i] += acc / i
    out = np.empty_like(lam)
    out[order] = lam
    return out


_PAULI_LIST = [PAULIS[p] for p in "IXYZ"]


def _wire_roles(plan: CutPlan, f: int) -> tuple[list[int], list[int]]:
    """The cuts whose receiver (inputs) and whose sender (outputs) are on fragment ``f``."""
    ins = [j for j, (a, b) in enumerate(plan.cut_sides) if b == f]
    outs = [j for j, (a, b) in enumerate(plan.cut_sides) if a == f]
    return ins, outs


def _pauli_expectations(state_label: str) -> np.ndarray:
    """``Tr(P ρᵀ)`` for the four Paulis of a prepared state ``ρ``."""
    ket = np.asarray(KETS[state_label], dtype=complex)
    ket = ket / np.linalg.norm(ket)
    rho = np.outer(ket, ket.conj())
    return np.array([np.trace(p @ rho.T).real for p in _PAULI_LIST])


def _effect_expectations(basis: str, outcome: int) -> np.ndarray:
    """``Tr(P Π_{basis, outcome})`` for the four Paulis."""
    sign = 1 - 2 * outcome
    out = np.zeros(4)
    out[0] = 1.0
    out["IXYZ".index(basis)] = sign
    return out


def mlft_distribution(
    plan: CutPlan,
    params: np.ndarray | None,
    x: np.ndarray | None,
    shots: int,
    rng: np.random.Generator,
    *,
    direct: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood fragment tomography (module docstring) for a plan of Peng wire cuts.

    Every physical run (one per input preparation and output basis of each fragment) is sampled ``shots`` times.

    Args:
        plan: a plan whose cuts are all :class:`WireCut` without feed-forward or randomization.
        params: trainable parameters.
        x: input features ``(1, F)`` or None (one input).
        shots: shots per run.
        rng: random generator.
        direct: also return the direct reconstruction from the same counts.

    Returns:
        ``p`` of shape ``(2**n,)`` (non-negative, summing to 1), or ``(p, direct)``.
    """
    for c in plan.cuts:
        if not isinstance(c, WireCut) or c.classical_communication or c.randomized:
            raise CutError("maximum-likelihood fragment tomography handles plans of Peng wire cuts only")
    counts: dict = {}
    direct_p = reconstruct_distribution(plan, params, x, shots=shots, rng=rng, counts=counts)
    qpds = plan.qpds
    n = plan.circuit.num_qubits
    ident = [PauliString(())]
    features = plan.circuit.num_features if x is None else np.atleast_2d(x).shape[1]
    pauli_coeffs = []
    out_axes = []
    for frag in plan.fragments:
        f = frag.index
        ev = FragmentEvaluator(plan, f, qpds, ident, features)
        lay = layout(plan, f)
        ins, outs = _wire_roles(plan, f)
        n_in, n_out, n_y = len(ins), len(outs), len(lay.outputs)
        rows, rhs = [], []
        seen = set()
        for pick in all_picks(qpds, ev.cuts):
            key = ev.sim_key(pick)
            if key in seen:
                continue
            seen.add(key)
            choice = ev.choice(pick)
            preps = [next(i.name for i in choice[(j, 1)] if i.kind == "prepare") for j in ins]
            bases = [next(i.name for i in choice[(j, 0)] if i.kind == "measure") for j in outs]
            c = counts[(f, key)][0]
            dists = ev.distributions([pick], params, None if x is None else np.atleast_2d(x), 1)
            _, tmpl = dists[(key, ())]
            nq = tmpl.circuit.num_qubits
            meas_q = {tag[0]: q for q, tag in tmpl.measured}
            freq = c / c.sum()
            for idx in range(2**nq):
                bits = [(idx >> (nq - 1 - q)) & 1 for q in range(nq)]
                o = [bits[meas_q[j]] for j in outs]
                y = tuple(bits[lq] for _, lq in lay.outputs)
                a_in = [_pauli_expectations(s) for s in preps]
                a_out = [_effect_expectations(b, oi) for b, oi in zip(bases, o, strict=True)]
                vec = np.ones(1)
                for v in a_in + a_out:
                    vec = np.kron(vec, v)
                row = np.zeros((2**n_y, vec.size))
                row[int("".join(map(str, y)) or "0", 2)] = vec / 2 ** (n_in + n_out)
                rows.append(row.reshape(-1))
                rhs.append(freq[idx])
        coeff, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
        coeff = coeff.reshape(2**n_y, 4 ** (n_in + n_out))
        pauli_coeffs.append(_project(coeff, n_in, n_out))
        out_axes.append((ins, outs, [g for g, _ in lay.outputs]))
    # recombine over every wire: Tr[χ₂ χ₁ᵀ] = Σ_P c₁[P] c₂[P] s_P / 2 with s_Y = −1 (Yᵀ = −Y), s = 1 otherwise
    m = len(plan.cuts)
    args: list = []
    for j in range(m):
        args += [np.array([1.0, 1.0, -1.0, 1.0]), [j]]
    y_axis = {q: m + q for q in range(n)}
    for coeff, (ins, outs, ys) in zip(pauli_coeffs, out_axes, strict=True):
        t = coeff.reshape((2,) * len(ys) + (4,) * (len(ins) + len(outs)))
        args += [t, [y_axis[g] for g in ys] + list(ins) + list(outs)]
    p = np.einsum(*args, [y_axis[q] for q in range(n)], optimize=True).reshape(-1) / 2.0**m
    p = np.clip(p, 0.0, None)
    p = p / p.sum()
    return (p, direct_p[0]) if direct else p


def _project(coeff: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    """The Pauli coefficients of the closest PSD fragment model (SGS on the joint eigenvalues of all ``χ(y)``)."""
    d = 2 ** (n_in + n_out)
    basis = [np.ones((1, 1), dtype=complex)]
    for _ in range(n_in + n_out):
        basis = [np.kron(b, p) for b in basis for p in _PAULI_LIST]
    chis, vals, vecs = [], [], []
    for y in range(coeff.shape[0]):
        chi = sum(c * b for c, b in zip(coeff[y], basis, strict=True)) / d
        chi = (chi + chi.conj().T) / 2
        w, v = np.linalg.eigh(chi)
        chis.append(chi)
        vals.append(w)
        vecs.append(v)
    flat = np.concatenate(vals)
    total = flat.sum()
    proj = simplex_projection(flat, total) if total > 0 else np.clip(flat, 0, None)
    out = np.zeros_like(coeff)
    pos = 0
    for y, (w, v) in enumerate(zip(vals, vecs, strict=True)):
        lam = proj[pos : pos + len(w)]
        pos += len(w)
        chi = (v * lam) @ v.conj().T
        out[y] = [np.trace(b.conj().T @ chi).real for b in basis]
    return out
