"""Fragment values for chosen options: the bridge between decompositions and the statevector engine.

:class:`FragmentEvaluator` takes a fragment and a list of *picks* (an option ``(term, branch)`` per cut touching it)
and returns, per pick, the fragment value ``V_f = ⟨O_f · Π_m w_m⟩`` for every observable (exact), its Jacobian,
or the per-shot outcome statistics a sampled estimate draws from. Picks that need the same circuit (they differ
only in measurement weights) are simulated once; circuits that differ only at one-qubit cut sides are simulated
together as one batched :class:`~qnet_dqnn.cutting.fragments.Template`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qnet_dqnn.cutting.experiments import (
    Item,
    Layout,
    choice_of,
    fragment_items,
    layout,
    options,
    simulation_circuit,
)
from qnet_dqnn.cutting.fragments import (
    Template,
    build_template,
    gadget_side,
    noisy_circuit,
    noisy_values,
    string_table,
    weight_coefficients,
)
from qnet_dqnn.cutting.plan import CutPlan
from qnet_dqnn.cutting.qpd import QPD, CutError, Instruction
from qnet_dqnn.quantum.circuit import Trainable
from qnet_dqnn.quantum.gradients import (
    adjoint_jacobian,
    expand_occurrences,
    parameter_shift_circuits,
    parameter_shift_jacobian,
)
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation, noisy_jacobian, noisy_shift_values
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.statevector import expectation, probabilities

__all__ = ["FragmentEvaluator", "Pick", "all_picks", "observables_of"]


def observables_of(observable: Observable | Sequence[Observable]) -> list[PauliString]:
    if isinstance(observable, (PauliString, str, int, np.integer)):
        return [as_pauli(observable)]
    return [as_pauli(o) for o in observable]


Pick = tuple[tuple[int, int], ...]
"""An option ``(term, branch)`` per cut touching a fragment, in the order of :attr:`Layout.cuts`."""

_ROT = {"X": ("h",), "Y": ("sdg", "h"), "Z": ()}


def _physical(ins: tuple[Instruction, ...]) -> tuple[Instruction, ...]:
    return tuple(i.physical() for i in ins)


@dataclass
class _Group:
    template: Template
    rows: dict  # simulation key -> row block index


class FragmentEvaluator:
    """Evaluates one fragment's configurations (see the module docstring).

    Args:
        plan: the cut plan.
        f: the fragment index.
        qpds: the plan's decompositions (trainable cuts at the current parameters).
        observables: the global observables.
        features: the model's input feature count ``F``.
    """

    def __init__(self, plan: CutPlan, f: int, qpds: tuple[QPD, ...], observables: list[PauliString], features: int):
        self.plan = plan
        self.f = f
        self.qpds = qpds
        self.lay: Layout = layout(plan, f)
        self.cuts = self.lay.cuts
        self.obs = observables
        self.features = features
        self.gadgets = frozenset((s.cut, s.side) for s in self.lay.sides if gadget_side(plan, qpds, s))

    # ------------------------------------------------------------------ structure
    def choice(self, pick: Pick) -> dict:
        """Core instructions per side for ``pick``."""
        return choice_of(self.qpds, self.lay, dict(zip(self.cuts, pick, strict=True)))

    def sim_key(self, pick: Pick) -> tuple:
        """Picks with equal keys need the same circuit (weights stripped)."""
        ch = self.choice(pick)
        return tuple((k, _physical(v)) for k, v in sorted(ch.items()))

    def _rigid_key(self, sim_key: tuple) -> tuple:
        """What one template cannot vary: the rigid sides' instructions and which gadget sides measure."""
        return tuple((k, v) if k not in self.gadgets else (k, any(i.kind == "measure" for i in v)) for k, v in sim_key)

    def tag(self, tag: tuple) -> tuple:
        """A measurement's tag as :meth:`weights` keys it (a gadget side's one measurement: ``(cut, side)``)."""
        return tag[:2] if tag[:2] in self.gadgets else tag

    def weights(self, pick: Pick) -> dict:
        """Measurement weights of ``pick`` by tag (gadget sides ``(cut, side)``, others ``(cut, side, position)``)."""
        out = {}
        for key, ins in self.choice(pick).items():
            for pos, i in enumerate(ins):
                if i.kind == "measure":
                    out[key if key in self.gadgets else key + (pos,)] = i.weight
        return out

    def groups(self, picks: list[Pick]) -> tuple[list[_Group], dict]:
        """Templates covering ``picks`` and where each pick's circuit is: ``pick → (group, row block)``."""
        memo = self.plan.memo.setdefault("templates", {})
        sims: dict[tuple, Pick] = {}
        for p in picks:
            sims.setdefault(self.sim_key(p), p)
        by_rigid: dict[tuple, list[tuple]] = {}
        for k in sims:
            by_rigid.setdefault(self._rigid_key(k), []).append(k)
        groups, where = [], {}
        for rigid, keys in by_rigid.items():
            mkey = (self.f, rigid, tuple(keys), self.features)
            if mkey not in memo:
                memo[mkey] = build_template(
                    self.plan, self.qpds, self.lay, [self.choice(sims[k]) for k in keys], keys, self.features
                )
            g = _Group(memo[mkey], {k: i for i, k in enumerate(keys)})
            groups.append(g)
            for k in keys:
                where[k] = (len(groups) - 1, g.rows[k])
        return groups, {p: where[self.sim_key(p)] for p in picks}

    # ------------------------------------------------------------------ exact values
    def values(
        self,
        picks: list[Pick],
        params: np.ndarray | None,
        x: np.ndarray | None,
        batch: int,
        grad: str | None = None,
        noise=None,
        timing=None,
    ) -> tuple[np.ndarray, np.ndarray | None, int]:
        """``V`` ``(picks, B, K)``, its Jacobian ``(picks, B, K, P)`` (with ``grad``), and the shifted circuits a
        parameter-shift gradient ran (per input)."""
        if noise is not None:
            return self._noisy(picks, params, x, batch, grad, noise, timing)
        groups, where = self.groups(picks)
        nk = len(self.obs)
        npar = 0 if params is None else np.asarray(params).size
        v = np.zeros((len(picks), batch, nk))
        jac = np.zeros((len(picks), batch, nk, npar)) if grad else None
        shifted = 0
        results = []
        for g in groups:
            t = g.template
            strings, index, scale = string_table(self.lay, t.measured, self.obs)
            data = t.data(x)
            rows = len(t.configs) * (batch if x is not None else 1)
            e = np.zeros((rows, 0))
            j = np.zeros((rows, 0, npar)) if grad else None
            if strings and grad == "adjoint":
                e, j = adjoint_jacobian(t.circuit, strings, params, data)
            elif strings and grad == "parameter-shift":
                e = expectation(t.circuit, strings, params, data)
                j = parameter_shift_jacobian(t.circuit, strings, params, data)
                shifted = max(shifted, parameter_shift_circuits(t.circuit))
            elif strings:
                e = expectation(t.circuit, strings, params, data)
            results.append((e, j, index, scale, t))
        for n, p in enumerate(picks):
            gi, row = where[p]
            e, j, index, scale, t = results[gi]
            e = _rows(e, row, batch)
            jr = _rows(j, row, batch) if jac is not None else None
            coef = weight_coefficients(t.measured, self.weights(p))
            _combine(v[n], None, e, None, coef, index, scale)
            if jac is not None:
                _combine(v[n], jac[n], e, jr, coef, index, scale, values=False)
        return v, jac, shifted

    def _noisy(self, picks, params, x, batch, grad, noise, timing):
        nk = len(self.obs)
        npar = 0 if params is None else np.asarray(params).size
        v = np.zeros((len(picks), batch, nk))
        jac = np.zeros((len(picks), batch, nk, npar)) if grad else None
        cache: dict[tuple, tuple] = {}
        shifted = 0
        for n, p in enumerate(picks):
            key = self.sim_key(p)
            if key not in cache:
                vals, measured, strings, index = noisy_values(
                    self.plan, self.qpds, self.lay, self.choice(p), noise, timing, self.obs, params, x
                )
                measured = [(q, self.tag(t)) for q, t in measured]
                jv = None
                if grad:
                    jv, shifted = self._noisy_jacobian(p, params, x, noise, timing, strings)
                cache[key] = (vals, jv, measured, index)
            vals, jv, measured, (index, scale) = cache[key]
            coef = weight_coefficients(measured, self.weights(p))
            vals = np.zeros((batch, 0)) if vals is None else np.broadcast_to(vals, (batch, vals.shape[1]))
            _combine(v[n], None, vals, None, coef, index, scale)
            if jac is not None:
                jb = np.broadcast_to(jv, (batch,) + jv.shape[1:])
                _combine(v[n], jac[n], vals, jb, coef, index, scale, values=False)
        return v, jac, shifted

    def _noisy_jacobian(self, pick, params, x, noise, timing, strings):
        """Exact Jacobian of the noisy strings: the adjoint method on Pauli-transfer vectors
        (:func:`~qnet_dqnn.quantum.noisy_adjoint.noisy_jacobian`), equal to the parameter-shift rule on the
        noisy circuit; the shifted circuits a QPU would run are still counted."""
        items = fragment_items(self.plan, self.qpds, self.lay, self.choice(pick))
        outs = {lq for _, lq in self.lay.outputs}
        sim, _ = simulation_circuit(items, self.lay.width, outs)
        # every trainable occurrence gets its own parameter (as expand_occurrences numbers them), noise added after
        _, origin, _ = expand_occurrences(sim)
        noisy = noisy_circuit(_with_params(items), self.lay.width, outs, sim.num_qubits, noise, timing)
        theta = np.asarray(params, dtype=float)
        jac = np.zeros((1 if x is None else x.shape[0], len(strings), theta.size))
        if origin.size == 0 or not strings:
            return jac, 0
        _, per_occurrence = noisy_jacobian(noisy, strings, theta[origin], x, readout=noise.readout)
        np.add.at(jac.T, origin, per_occurrence.T)  # jac[..., origin[o]] += per_occurrence[..., o]
        return jac, parameter_shift_circuits(sim)

    # ------------------------------------------------------------------ outcome statistics
    def settings(self) -> list[tuple[tuple[int, str], ...]]:
        """Measurement settings: the distinct non-Z bases the observables need on this fragment's outputs."""
        out: list[tuple] = []
        for o in self.obs:
            key = tuple((q, p) for q, p in self.lay.local_observable(o).paulis if p != "Z")
            if key not in out:
                out.append(key)
        return out

    def distributions(
        self,
        picks: list[Pick],
        params: np.ndarray | None,
        x: np.ndarray | None,
        batch: int,
        shift: tuple[int, float] | None = None,
        noise=None,
        timing=None,
    ) -> dict:
        """Outcome probabilities per simulation key and setting: ``{(sim key, setting): (probs (B, 2ⁿ), template)}``.

        ``shift = (occurrence, Δ)`` shifts one trainable occurrence by ``Δ`` (parameter shift). With ``noise`` the
        configurations are simulated one by one with density matrices and every read bit flips with the readout
        error.
        """
        return self.shifted_distributions(picks, params, x, batch, [shift], noise, timing)[0]

    def shifted_distributions(
        self,
        picks: list[Pick],
        params: np.ndarray | None,
        x: np.ndarray | None,
        batch: int,
        shifts: list,
        noise=None,
        timing=None,
    ) -> list[dict]:
        """:meth:`distributions` for several parameter shifts at once (None: unshifted): one batched run of each
        template with a parameter row per shift (each occurrence of the template gets its own parameter)."""
        if noise is not None:
            return self._noisy_distributions(picks, params, x, batch, shifts, noise, timing)
        groups, _ = self.groups(picks)
        out: list[dict] = [{} for _ in shifts]
        for g in groups:
            t = g.template
            circ, origin, scales = expand_occurrences(t.circuit)
            base = np.zeros(0) if params is None else np.asarray(params, dtype=float)[origin]
            rows = np.repeat(base[None, :], len(shifts), axis=0)
            for i, sh in enumerate(shifts):
                if sh is not None:
                    rows[i, sh[0]] += sh[1] / scales[sh[0]]
            data = t.data(x)
            n_rows = len(t.configs) * (batch if x is not None else 1)
            tiled_params = np.repeat(rows, n_rows, axis=0)
            tiled_data = None if data is None else np.tile(data, (len(shifts), 1))
            for setting in self.settings():
                c = circ.copy()
                for q, pauli in setting:
                    for gname in _ROT[pauli]:
                        c.append(gname, [q])
                probs = probabilities(c, tiled_params if base.size else None, tiled_data)
                if probs.shape[0] == 1 and len(shifts) * n_rows > 1:
                    probs = np.broadcast_to(probs, (len(shifts) * n_rows, probs.shape[1]))
                for i in range(len(shifts)):
                    block = probs[i * n_rows : (i + 1) * n_rows]
                    for key, row in g.rows.items():
                        out[i][(key, setting)] = (_rows(block, row, batch), t)
        return out

    def _noisy_distributions(self, picks, params, x, batch, shifts, noise, timing) -> list[dict]:
        """Noisy outcome distributions of the read qubits, unshifted or shifted by ±π/2 per occurrence, from one
        adjoint sweep per configuration and setting (:func:`~qnet_dqnn.quantum.noisy_adjoint.noisy_shift_values`):
        the exact ``⟨Z^S⟩`` of every subset ``S`` of the read qubits, readout error folded in as ``(1 − 2p)^|S|``
        (a symmetric flip of each read bit), turned into probabilities by the inverse Walsh–Hadamard transform
        ``p(b) = 2^−m Σ_S (−1)^{b·S} ⟨Z^S⟩``."""
        for sh in shifts:
            if sh is not None and not np.isclose(abs(sh[1]), np.pi / 2):
                raise CutError(f"noisy fragments are shifted by ±π/2 only (got {sh[1]!r})")  # pragma: no cover
        out: list[dict] = [{} for _ in shifts]
        outs = {lq for _, lq in self.lay.outputs}
        done: set = set()
        for p in picks:
            key = self.sim_key(p)
            if key in done:
                continue
            done.add(key)
            items = fragment_items(self.plan, self.qpds, self.lay, self.choice(p))
            sim, measured_items = simulation_circuit(items, self.lay.width, outs)
            _, origin, _ = expand_occurrences(sim)
            noisy = noisy_circuit(_with_params(items), self.lay.width, outs, sim.num_qubits, noise, timing)
            theta = np.zeros(0) if params is None else np.asarray(params, dtype=float)[origin]
            measured = [(q, self.tag(it.tag)) for q, it in measured_items]
            tmpl = Template(noisy, self.features, np.zeros((1, 0)), measured, [key])
            read = sorted({q for q, _ in measured} | outs)
            for setting in self.settings():
                c = noisy.copy()
                for q, pauli in setting:
                    for gname in _ROT[pauli]:
                        c.append(gname, [q])
                for i, probs in enumerate(_noisy_read_distributions(c, read, theta, x, shifts, noise.readout)):
                    out[i][(key, setting)] = (np.broadcast_to(probs, (batch, probs.shape[1])), tmpl)
        return out

    def occurrences(self, picks: list[Pick], noise=None) -> list[tuple[int, float]]:
        """``[(parameter, scale)]`` of every trainable occurrence in this fragment's circuits (the same in all)."""
        if noise is not None:
            items = fragment_items(self.plan, self.qpds, self.lay, self.choice(picks[0]))
            sim, _ = simulation_circuit(items, self.lay.width, {lq for _, lq in self.lay.outputs})
            _, origin, scales = expand_occurrences(sim)
            return list(zip(origin.tolist(), scales.tolist(), strict=True))
        groups, _ = self.groups(picks)
        _, origin, scales = expand_occurrences(groups[0].template.circuit)
        return list(zip(origin.tolist(), scales.tolist(), strict=True))

    def value_table(self, pick: Pick, template: Template, setting: tuple) -> np.ndarray:
        """Per-shot value of every observable (using this setting) for every outcome: ``(2ⁿ, K)``, NaN where an
        observable is measured in another setting."""
        n = template.circuit.num_qubits
        idx = np.arange(2**n)
        coef = self.weights(pick)
        meas_factor = np.ones(2**n)
        for q, tag in template.measured:
            w = coef.get(tag, (1.0, 1.0))
            bit = (idx >> (n - 1 - q)) & 1
            meas_factor *= np.where(bit == 0, w[0], w[1])
        out = np.full((2**n, len(self.obs)), np.nan)
        for k, o in enumerate(self.obs):
            loc = self.lay.local_observable(o)
            if tuple((q, p) for q, p in loc.paulis if p != "Z") != setting:
                continue
            vec = np.full(2**n, loc.coeff)
            for q in loc.qubits:
                vec *= 1 - 2 * ((idx >> (n - 1 - q)) & 1)
            out[:, k] = vec * meas_factor
        return out


#: Pauli-transfer reals carried backwards in one sweep (observables × 4^qubits; 2²² float64 = 32 MiB): a wide
#: fragment's 2^m − 1 read strings are swept in chunks.
_SWEEP_REALS = 2**22


def _noisy_read_distributions(c, read: list[int], theta, x, shifts: list, readout: float) -> list[np.ndarray]:
    """Per shift (``None`` or ``(occurrence, ±π/2)``), the ``(B, 2ⁿ)`` outcome distribution of ``c``'s read qubits
    (unread qubits reported as 0; qubit 0 the most significant bit), exact under the circuit's noise."""
    n, m = c.num_qubits, len(read)
    strings = [" ".join(f"Z{read[j]}" for j in range(m) if s >> j & 1) for s in range(1, 2**m)]  # bit j: read[j] in S
    order = [op.params[0].index for op in c.ops if op.params and isinstance(op.params[0], Trainable)]
    step = max(1, _SWEEP_REALS // 4**n)  # strings per sweep, so the carried observables stay within memory
    chunks = [strings[i : i + step] for i in range(0, len(strings), step)]
    if order and any(sh is not None for sh in shifts):
        parts = [noisy_shift_values(c, part, theta, x, readout=readout) for part in chunks]
        values = np.concatenate([v for v, _, _ in parts], axis=-1)
        shifted = np.concatenate([sv for _, _, sv in parts], axis=-1)
        by_occurrence = np.empty_like(shifted)
        by_occurrence[:, order] = shifted  # shifted is in circuit order, the shifts name occurrence indices
    else:
        parts = [noisy_expectation(c, part, theta if order else None, x, readout=readout) for part in chunks]
        values, by_occurrence = np.concatenate(parts, axis=-1), None
    # ±1 table of (−1)^{b·S}: rows b over the read bits, columns S (the empty set first, ⟨Z^∅⟩ = 1)
    bits = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1
    signs = 1.0 - 2.0 * ((bits @ ((np.arange(2**m)[None, :] >> np.arange(m)[:, None]) & 1)) % 2)
    full = bits @ (1 << (n - 1 - np.asarray(read)))  # index of each read-bit pattern among all n qubits
    out = []
    for sh in shifts:
        e = values if sh is None else by_occurrence[0 if sh[1] > 0 else 1, sh[0]]
        z = np.concatenate([np.ones((e.shape[0], 1)), e], axis=1)
        probs = np.clip(z @ signs.T / 2**m, 0.0, None)
        probs /= probs.sum(axis=1, keepdims=True)
        dist = np.zeros((probs.shape[0], 2**n))
        dist[:, full] = probs
        out.append(dist)
    return out


def _combine(v, jac, e, j, coef: dict, index: list[dict], scale: list[float], values: bool = True) -> None:
    """Add ``Σ_S coef[S] · scale_k · ⟨string(k, S)⟩`` (and its Jacobian) into ``v`` ``(B, K)`` and ``jac``; the
    identity string has value 1 and no gradient."""
    for k, table in enumerate(index):
        for sub, c in coef.items():
            pos = table[sub]
            if values:
                v[:, k] += c * scale[k] * (1.0 if pos < 0 else e[:, pos])
            if jac is not None and pos >= 0:
                jac[:, k] += c * scale[k] * j[:, pos]


def _rows(arr: np.ndarray, block: int, batch: int) -> np.ndarray:
    """Rows ``block·B … (block+1)·B − 1`` (an array with one row broadcasts)."""
    if arr.shape[0] == 1 and batch >= 1 and block == 0:
        return np.broadcast_to(arr, (batch,) + arr.shape[1:])
    lo = block * batch
    part = arr[lo : lo + batch]
    if part.shape[0] != batch:
        raise CutError("template rows do not match the batch")  # pragma: no cover
    return part


def _with_params(items: list[Item]) -> list[Item]:
    """``items`` with every trainable occurrence given its own parameter index, in order (as
    :func:`~qnet_dqnn.quantum.gradients.expand_occurrences` numbers the simulation circuit's)."""
    out, n = [], 0
    for it in items:
        if it.kind == "gate" and it.params and isinstance(it.params[0], Trainable):
            it = replace(it, params=(Trainable(n, it.params[0].scale),) + it.params[1:])
            n += 1
        out.append(it)
    return out


def all_picks(qpds: tuple[QPD, ...], cuts: tuple[int, ...]) -> list[Pick]:
    """Every option tuple over ``cuts``."""
    return [tuple((k, b) for k, b, _ in opts) for opts in itertools.product(*[options(qpds[j]) for j in cuts])]
