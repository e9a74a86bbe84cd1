"""Sub-experiments: the fragment circuits a cut plan asks the QPUs to run.

For every cut ``j`` the plan's decomposition offers *options* ``o = (term k, branch b)`` with weight
``c_k · w_b``. A fragment's sub-experiment is fixed by the options of the cuts that touch it (the
instructions on its side of each cut); fragments never share qubits, so each sub-experiment runs on its own
QPU, and the uncut expectation value is

    ⟨O⟩ = Σ_{o_1…o_m} Π_j c_{j,o_j} · Π_f V_f(o restricted to f),

where ``V_f`` is the fragment's expectation value of ``O`` restricted to its output qubits times the
weights of its cut measurements (Peng et al., PRL 125, 150504 (2020), Eq. 3; Mitarai & Fujii, NJP 23,
023021 (2021), Eq. 8).

Simulation detail: a mid-circuit measurement of a gate cut is simulated by the principle of deferred
measurement (Nielsen & Chuang, *Quantum Computation and Quantum Information*, 2010, §4.4): the measured
qubit is rotated to the Z basis, copied by a CNOT onto a fresh ancilla, rotated back, and the ancilla is
read out at the end. This is exact for expectation values and distributions, and keeps every
sub-experiment an ordinary :class:`~qnet_dqnn.quantum.circuit.Circuit` that the statevector engine and its
adjoint/parameter-shift gradients run unchanged. The ancillas are a simulation device: on hardware the
measurement is mid-circuit, so :attr:`SubExperiment.width` excludes them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from qnet_dqnn.distributed.cutting.decompositions import Instruction
from qnet_dqnn.distributed.cutting.plan import CutPlan, Fragment, GateCut, Segment, WireCut
from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.observables import PauliString

__all__ = [
    "CutSide",
    "SubExperiment",
    "cut_sides",
    "fragment_subexperiment",
    "list_subexperiments",
    "options",
    "physical_key",
]

_TO_Z = {"X": (("h",),), "Y": (("sdg",), ("h",)), "Z": ()}
_FROM_Z = {"X": (("h",),), "Y": (("h",), ("s",)), "Z": ()}
_PREP = {"0": (), "1": ("x",), "+": ("h",), "-": ("x", "h"), "+i": ("h", "s"), "-i": ("x", "h", "s")}


@dataclass(frozen=True, slots=True)
class CutSide:
    """One side of one cut: which fragment and segment it lands on.

    Attributes:
        cut: index into :attr:`CutPlan.cuts`.
        side: 0 = left (first gate qubit / wire sender), 1 = right (second gate qubit / wire receiver).
        segment: the wire segment ``(qubit, k)`` the instructions act on.
        fragment: index of the fragment holding that segment.
    """

    cut: int
    side: int
    segment: Segment
    fragment: int


def options(plan: CutPlan, j: int) -> list[tuple[int, int, float]]:
    """``[(term k, branch b, c_k · w_b)]`` of cut ``j`` (feed-forward terms contribute one option per branch)."""
    return [
        (k, b, t.coefficient * br.weight) for k, t in enumerate(plan.qpds[j].terms) for b, br in enumerate(t.branches)
    ]


def _segment_of(plan: CutPlan, q: int, op_index: int, after: bool = False) -> Segment:
    k = sum(
        1
        for c in plan.cuts
        if isinstance(c, WireCut) and c.qubit == q and (c.after_op < op_index or (after and c.after_op == op_index))
    )
    return (q, k)


def cut_sides(plan: CutPlan) -> list[tuple[CutSide, CutSide]]:
    """The ``(left, right)`` sides of every cut, aligned with :attr:`CutPlan.cuts`."""
    where = {s: f.index for f in plan.fragments for s in f.segments}
    out = []
    for j, c in enumerate(plan.cuts):
        if isinstance(c, GateCut):
            a, b = plan.circuit.ops[c.op_index].qubits
            sa, sb = _segment_of(plan, a, c.op_index), _segment_of(plan, b, c.op_index)
        else:
            sa = _segment_of(plan, c.qubit, c.after_op)
            sb = _segment_of(plan, c.qubit, c.after_op, after=True)
        out.append((CutSide(j, 0, sa, where[sa]), CutSide(j, 1, sb, where[sb])))
    return out


@dataclass(frozen=True)
class SubExperiment:
    """One fragment circuit to run on one QPU.

    Attributes:
        fragment: index of the fragment.
        circuit: the local circuit (local qubit ``i`` = ``Fragment.segments[i]``; ancillas after them).
        width: qubits needed on hardware (segments only; deferred-measurement ancillas excluded).
        outputs: ``(global qubit, local qubit)`` for every original qubit whose final segment is here.
        measured: ``(local qubit, (w₊, w₋))`` for every cut measurement, read in the Z basis at the end.
        key: the cut instructions that define it (equal keys ⇒ identical circuits).
        feedforward_sends: cuts on which this run sends an outcome to another fragment on every shot.
        feedforward_receives: cuts on which this run waits for an outcome from another fragment.
    """

    fragment: int
    circuit: Circuit
    width: int
    outputs: tuple[tuple[int, int], ...]
    measured: tuple[tuple[int, tuple[float, float]], ...]
    key: tuple
    feedforward_sends: tuple[int, ...] = ()
    feedforward_receives: tuple[int, ...] = ()

    def local_observable(self, observable: PauliString) -> PauliString:
        """The factor of a global Pauli string on this fragment's output qubits, in local indices."""
        loc = dict(self.outputs)
        return PauliString(tuple((loc[q], s) for q, s in observable.paulis if q in loc), observable.coeff)

    def pauli_terms(self, observable: PauliString) -> list[tuple[float, PauliString]]:
        """``V = Σ a_i ⟨P_i⟩``: the fragment value as a sum of Pauli strings on the local circuit.

        A measurement weight ``(w₊, w₋)`` is ``((w₊+w₋)/2)·I + ((w₊−w₋)/2)·Z`` on its qubit.
        """
        base = self.local_observable(observable)
        out: list[tuple[float, PauliString]] = []
        factors = [((w[0] + w[1]) / 2, (w[0] - w[1]) / 2, q) for q, w in self.measured]
        for pick in itertools.product((0, 1), repeat=len(factors)):
            coef = base.coeff
            zs = []
            for (a, b, q), p in zip(factors, pick, strict=True):
                coef *= b if p else a
                if p:
                    zs.append((q, "Z"))
            if coef != 0.0:
                out.append((coef, PauliString(base.paulis + tuple(zs), 1.0)))
        return out


def _instr_ops(ins: Instruction, lq: int) -> list[tuple[str, tuple[int, ...], tuple]]:
    if ins.kind == "gate":
        return [(ins.name, (lq,), () if ins.angle is None else (ins.angle,))]
    if ins.kind == "prepare":
        return [(g, (lq,), ()) for g in _PREP[ins.name]]
    raise QnetError("measurements are placed by the caller")  # pragma: no cover


def fragment_subexperiment(
    plan: CutPlan,
    fragment: Fragment,
    choice: dict[tuple[int, int], tuple[Instruction, ...]],
    sides: list[tuple[CutSide, CutSide]] | None = None,
) -> SubExperiment:
    """Build the sub-experiment of ``fragment`` for the given cut instructions.

    Args:
        plan: the cut plan.
        fragment: one of ``plan.fragments``.
        choice: ``{(cut j, side): instructions}`` for every cut side landing on this fragment.
        sides: :func:`cut_sides` of the plan (computed when omitted).
    """
    sides = cut_sides(plan) if sides is None else sides
    local = {s: i for i, s in enumerate(fragment.segments)}
    ops: list[tuple[str, tuple[int, ...], tuple]] = []
    measured: list[tuple[int, tuple[float, float]]] = []
    n_anc = 0
    gate_cut_at = {c.op_index: j for j, c in enumerate(plan.cuts) if isinstance(c, GateCut)}
    wires_after: dict[int, list[int]] = {}
    for j, c in enumerate(plan.cuts):
        if isinstance(c, WireCut):
            wires_after.setdefault(c.after_op, []).append(j)

    def emit_measure(ins: Instruction, lq: int, final: bool) -> None:
        nonlocal n_anc
        ops.extend((g, (lq,), ()) for (g,) in _TO_Z[ins.name])
        if final:
            measured.append((lq, ins.weight))
            return
        anc = n_anc
        n_anc += 1
        ops.append(("cx", (lq, -1 - anc), ()))
        measured.append((-1 - anc, ins.weight))
        ops.extend((g, (lq,), ()) for (g,) in _FROM_Z[ins.name])

    def emit_side(j: int, side: int, final: bool) -> None:
        cs = sides[j][side]
        if cs.fragment != fragment.index:
            return
        lq = local[cs.segment]
        for ins in choice[(j, side)]:
            if ins.kind == "measure":
                emit_measure(ins, lq, final)
            else:
                ops.extend(_instr_ops(ins, lq))

    for i, op in enumerate(plan.circuit.ops):
        if i in gate_cut_at:
            j = gate_cut_at[i]
            emit_side(j, 0, final=False)
            emit_side(j, 1, final=False)
        else:
            segs = [_segment_of(plan, q, i) for q in op.qubits]
            inside = [s in local for s in segs]
            if all(inside):
                ops.append((op.name, tuple(local[s] for s in segs), op.params))
            elif any(inside):  # pragma: no cover - fragments are closed under uncut gates
                raise QnetError(f"operation {i} straddles fragment {fragment.index}")
        for j in wires_after.get(i, []):
            emit_side(j, 0, final=True)
            emit_side(j, 1, final=False)
    w = fragment.width
    n_total = w + n_anc

    def fix(q: int) -> int:
        return w + (-1 - q) if q < 0 else q

    circ = Circuit(n_total)
    for name, qs, params in ops:
        circ.append(name, [fix(q) for q in qs], params)
    finals: dict[int, int] = {}
    for s in fragment.segments:
        finals[s[0]] = max(finals.get(s[0], -1), s[1])
    n_seg = {
        q: 1 + sum(1 for c in plan.cuts if isinstance(c, WireCut) and c.qubit == q)
        for q in range(plan.circuit.num_qubits)
    }
    outputs = tuple((q, local[(q, k)]) for q, k in sorted(finals.items()) if k == n_seg[q] - 1)
    key = tuple(sorted(choice.items()))
    sends = tuple(
        sorted(
            j
            for (j, side), ins in choice.items()
            if side == 0 and plan.qpds[j].feedforward and sides[j][0].fragment == fragment.index
        )
    )
    recvs = tuple(
        sorted(
            j
            for (j, side), ins in choice.items()
            if side == 1 and plan.qpds[j].feedforward and sides[j][1].fragment == fragment.index
        )
    )
    return SubExperiment(fragment.index, circ, w, outputs, tuple((fix(q), wt) for q, wt in measured), key, sends, recvs)


def physical_key(plan: CutPlan, sub: SubExperiment, term_of: dict[int, int]) -> tuple:
    """Key under which runs are *physically* the same: the branches of a feed-forward term are one run."""
    items = []
    for (j, side), ins in sub.key:
        if plan.qpds[j].feedforward:
            items.append((j, side, "ff-term", term_of[j]))
        else:
            items.append((j, side, ins))
    return (sub.fragment, tuple(items))


def list_subexperiments(plan: CutPlan) -> list[SubExperiment]:
    """All distinct sub-experiments an exact reconstruction runs, fragment by fragment.

    Feed-forward terms are listed once per outcome branch (the simulator evaluates each branch separately);
    on hardware the branches of one term are the same run.
    """
    sides = cut_sides(plan)
    out: list[SubExperiment] = []
    for f in plan.fragments:
        adj = [(j, s) for j, pair in enumerate(sides) for s, cs in enumerate(pair) if cs.fragment == f.index]
        cuts_here = sorted({j for j, _ in adj})
        seen = set()
        for opts in itertools.product(*[options(plan, j) for j in cuts_here]):
            pick = dict(zip(cuts_here, opts, strict=True))
            choice = {}
            for j, s in adj:
                k, b, _ = pick[j]
                br = plan.qpds[j].terms[k].branches[b]
                choice[(j, s)] = br.left if s == 0 else br.right
            key = tuple(sorted(choice.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append(fragment_subexperiment(plan, f, choice, sides))
    return out
