"""Sub-experiments: the fragment circuits a cut plan asks the QPUs to run.

For every cut ``j`` the plan's decomposition offers *options* ``o = (term k, branch b)`` with weight ``c_k · w_b``.
A fragment's sub-experiment is fixed by the options of the cuts that touch it (the instructions on its side of
each cut); fragments never share qubits, so each sub-experiment runs on its own QPU, and the uncut expectation
value is

    ⟨O⟩ = Σ_{o_1…o_m} Π_j c_{j,o_j} · Π_f V_f(o restricted to f),

where ``V_f`` is the fragment's expectation value of ``O`` restricted to its output qubits times the weights of
its cut measurements (Peng et al., PRL 125, 150504 (2020), Eq. 3; Mitarai & Fujii, NJP 23, 023021 (2021), Eq. 8).

This module turns a choice of instructions into the fragment's operations (:func:`fragment_items`), and those into
the circuit that runs on hardware (:func:`hardware_circuit`: mid-circuit measurements in place) or into a circuit
the statevector engine can simulate (:func:`simulation_circuit`): a mid-circuit measurement is simulated by the
principle of deferred measurement (Nielsen & Chuang 2010, §4.4) — rotate to the Z basis, copy onto a fresh
ancilla with a CNOT, rotate back, read the ancilla at the end — exact for expectation values and outcome
distributions. Measurement *weights* are post-processing: two sub-experiments that differ only in them are the
same run (:func:`physical_key`), and so are the branches of a feed-forward term.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from qnet_dqnn.cutting.plan import CutPlan, Fragment
from qnet_dqnn.cutting.qpd import QPD, TRACE, CutError, Instruction
from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.quantum.observables import PauliString

__all__ = [
    "Item",
    "Layout",
    "SideOnFragment",
    "SubExperiment",
    "fragment_items",
    "hardware_circuit",
    "layout",
    "list_subexperiments",
    "options",
    "physical_key",
    "simulation_circuit",
]

#: Gates that rotate a Pauli's eigenbasis onto Z's, and back.
TO_Z = {"X": ("h",), "Y": ("sdg", "h"), "Z": ()}
FROM_Z = {"X": ("h",), "Y": ("h", "s"), "Z": ()}
#: Gates preparing each state label from |0⟩.
PREP = {"0": (), "1": ("x",), "+": ("h",), "-": ("x", "h"), "+i": ("h", "s"), "-i": ("x", "h", "s")}


def options(qpd: QPD) -> tuple[tuple[int, int, float], ...]:
    """``((term k, branch b, c_k · w_b), …)`` of a decomposition (a feed-forward term: one option per branch)."""
    return qpd.options


@dataclass(frozen=True)
class SideOnFragment:
    """One side of one cut, on a fragment.

    Attributes:
        cut: index into :attr:`CutPlan.cuts`.
        side: 0 or 1.
        anchors: per anchor of the side, ``(op index, after, local qubit)``.
        ancillas: local qubits of the side's hardware ancillas.
    """

    cut: int
    side: int
    anchors: tuple[tuple[int, bool, int], ...]
    ancillas: tuple[int, ...]

    def local(self, q: int) -> int:
        """The fragment-local qubit of side-local qubit ``q``."""
        n = len(self.anchors)
        return self.anchors[q][2] if q < n else self.ancillas[q - n]


@dataclass(frozen=True)
class Layout:
    """How a fragment's qubits are numbered and which cut sides it holds.

    Attributes:
        fragment: the fragment.
        local: segment → local qubit (``0 … segments − 1``).
        width: qubits on hardware (segments and hardware ancillas).
        sides: the cut sides on it, by cut then side.
        outputs: ``(global qubit, local qubit)`` for every original qubit whose final segment is here.
    """

    fragment: Fragment
    local: dict
    width: int
    sides: tuple[SideOnFragment, ...]
    outputs: tuple[tuple[int, int], ...]

    @property
    def cuts(self) -> tuple[int, ...]:
        """The cuts touching the fragment, sorted."""
        return tuple(sorted({s.cut for s in self.sides}))

    def local_observable(self, observable: PauliString) -> PauliString:
        """The factor of a global Pauli string on this fragment's outputs, in local indices."""
        loc = dict(self.outputs)
        return PauliString(tuple((loc[q], p) for q, p in observable.paulis if q in loc), observable.coeff)


def layout(plan: CutPlan, f: int) -> Layout:
    """The :class:`Layout` of fragment ``f`` (cached on the plan)."""
    if "layouts" not in plan.memo:
        plan.memo["layouts"] = _layouts(plan)
    return plan.memo["layouts"][f]


def _layouts(plan: CutPlan) -> tuple[Layout, ...]:
    out = []
    for frag in plan.fragments:
        local = {s: i for i, s in enumerate(frag.segments)}
        nxt = len(frag.segments)
        sides = []
        for j, (pair, qpd) in enumerate(zip(plan.anchors, plan.qpds, strict=True)):
            for s, side in enumerate(pair):
                if plan.cut_sides[j][s] != frag.index:
                    continue
                anc = tuple(range(nxt, nxt + qpd.ancillas[s]))
                nxt += qpd.ancillas[s]
                sides.append(
                    SideOnFragment(j, s, tuple((a.op_index, a.after, local[plan.anchor_segment(a)]) for a in side), anc)
                )
        last = {q: len(plan.splits.get(q, [])) for q in range(plan.circuit.num_qubits)}
        outputs = tuple((q, local[(q, k)]) for q, k in frag.segments if k == last[q])
        out.append(Layout(frag, local, nxt, tuple(sides), outputs))
    return tuple(out)


@dataclass(frozen=True)
class Item:
    """One operation of a fragment sub-experiment.

    Attributes:
        kind: ``"gate"``, ``"measure"`` or ``"gadget"`` (a template's placeholder for a side's core).
        name: gate name or measured Pauli.
        qubits: local qubits.
        params: gate parameters.
        weight: measurement outcome weights.
        phase: generalized-measurement phase.
        part: ``None`` for a circuit operation, else ``(cut, side, "pre"|"core"|"post")``.
        tag: for a measurement, ``(cut, side, position in the core)`` (how options find their weights).
    """

    kind: str
    name: str
    qubits: tuple[int, ...]
    params: tuple = ()
    weight: tuple[float, float] = TRACE
    phase: float = 0.0
    part: tuple | None = None
    tag: tuple | None = None


def _emit(side: SideOnFragment, instrs: tuple[Instruction, ...], slot: int, part: tuple) -> list[Item]:
    out = []
    for pos, ins in enumerate(instrs):
        if ins.slot != slot:
            continue
        qs = tuple(side.local(q) for q in ins.qubits)
        if ins.kind == "gate":
            out.append(Item("gate", ins.name, qs, () if ins.angle is None else (ins.angle,), part=part))
        elif ins.kind == "measure":
            out.append(Item("measure", ins.name, qs, (), ins.weight, ins.phase, part, (part[0], part[1], pos)))
        else:
            out.extend(Item("gate", g, qs, (), part=part) for g in PREP[ins.name])
    return out


def fragment_items(
    plan: CutPlan,
    qpds: tuple[QPD, ...],
    lay: Layout,
    choice: dict[tuple[int, int], tuple[Instruction, ...]],
    gadgets: frozenset = frozenset(),
) -> list[Item]:
    """The fragment's operations for the given core instructions ``{(cut, side): instructions}``; the sides in
    ``gadgets`` get one ``"gadget"`` item in place of their core (the template fills it in)."""
    at: dict[tuple[int, bool], list[tuple[SideOnFragment, int]]] = {}
    for side in lay.sides:
        for k, (op, after, _) in enumerate(side.anchors):
            at.setdefault((op, after), []).append((side, k))
    items: list[Item] = []

    def sides_at(i: int, after: bool) -> None:
        for side, k in at.get((i, after), []):
            q = qpds[side.cut]
            key = (side.cut, side.side)
            items.extend(_emit(side, q.pre[side.side], k, key + ("pre",)))
            if key in gadgets:
                items.append(Item("gadget", "", (side.local(0),), part=key + ("core",)))
            else:
                items.extend(_emit(side, choice[key], k, key + ("core",)))
            items.extend(_emit(side, q.post[side.side], k, key + ("post",)))

    replaced = plan.replaced
    for i, op in enumerate(plan.circuit.ops):
        if i in replaced:
            sides_at(i, False)
        else:
            segs = [plan.anchor_segment_at(q, i) for q in op.qubits]
            inside = [s in lay.local for s in segs]
            if all(inside):
                items.append(Item("gate", op.name, tuple(lay.local[s] for s in segs), op.params))
            elif any(inside):  # pragma: no cover - fragments are closed under uncut gates
                raise CutError(f"operation {i} straddles fragment {lay.fragment.index}")
        sides_at(i, True)
    return items


def final_measurements(items: list[Item], outputs: set[int]) -> set[int]:
    """Indices of measurements after which nothing touches their qubit and whose qubit is not read out."""
    last: dict[int, int] = {}
    for n, it in enumerate(items):
        for q in it.qubits:
            last[q] = n
    return {
        n
        for n, it in enumerate(items)
        if it.kind == "measure" and last[it.qubits[0]] == n and it.qubits[0] not in outputs
    }


def hardware_circuit(items: list[Item], width: int, outputs: set[int]) -> Circuit:
    """What runs on the QPU: a measurement is its basis change, an identity marking the readout, the change back
    (a generalized measurement couples the side's hardware ancilla: ``RX(ψ)``, a CNOT, the readout there)."""
    circ = Circuit(max(width, 1))
    finals = final_measurements(items, outputs)
    for n, it in enumerate(items):
        if it.kind == "gate":
            circ.append(it.name, it.qubits, it.params)
            continue
        (q,) = it.qubits[:1]
        for g in TO_Z[it.name]:
            circ.append(g, [q])
        circ.append("i", [q])
        if n not in finals:
            for g in FROM_Z[it.name]:
                circ.append(g, [q])
    return circ


def simulation_circuit(items: list[Item], width: int, outputs: set[int]) -> tuple[Circuit, list[tuple[int, Item]]]:
    """A circuit the statevector engine simulates, and the measured ``(qubit, item)``: deferred measurements for
    mid-circuit ones (one fresh ancilla each, after ``width``), the qubit itself for final ones; a generalized
    measurement copies onto an ancilla prepared by ``RX(ψ)`` (``K_s = (I ± e^{iψ}Z)/2``)."""
    finals = final_measurements(items, outputs)
    n_def = sum(1 for n, it in enumerate(items) if it.kind == "measure" and n not in finals)
    circ = Circuit(width + n_def)
    measured: list[tuple[int, Item]] = []
    anc = width
    for n, it in enumerate(items):
        if it.kind == "gate":
            circ.append(it.name, it.qubits, it.params)
            continue
        q = it.qubits[0]
        for g in TO_Z[it.name]:
            circ.append(g, [q])
        if n in finals and it.phase == 0.0:
            measured.append((q, it))
            continue
        if it.phase != 0.0:
            circ.append("rx", [anc], [it.phase])
        circ.append("cx", [q, anc])
        measured.append((anc, it))
        anc += 1
        if n not in finals:
            for g in FROM_Z[it.name]:
                circ.append(g, [q])
    return circ, measured


def _phys(ins: tuple[Instruction, ...]) -> tuple[Instruction, ...]:
    return tuple(i.physical() for i in ins)


def physical_key(qpds: tuple[QPD, ...], lay: Layout, pick: dict[int, tuple[int, int]]) -> tuple:
    """Key under which runs are *physically* the same: weights stripped, and the branches of a feed-forward term
    are one run."""
    items = []
    for side in lay.sides:
        k, b = pick[side.cut]
        q = qpds[side.cut]
        if q.terms[k].feedforward:
            items.append((side.cut, side.side, "ff", k))
        else:
            items.append((side.cut, side.side, _phys(q.terms[k].branches[b].side(side.side))))
    return (lay.fragment.index, tuple(items))


def choice_of(qpds: tuple[QPD, ...], lay: Layout, pick: dict[int, tuple[int, int]]) -> dict:
    """``{(cut, side): core instructions}`` of fragment ``lay`` for options ``pick[cut] = (term, branch)``."""
    return {
        (side.cut, side.side): qpds[side.cut].terms[pick[side.cut][0]].branches[pick[side.cut][1]].side(side.side)
        for side in lay.sides
    }


@dataclass(frozen=True, eq=False)
class SubExperiment:
    """One fragment circuit to run on one QPU (a distinct physical run).

    Attributes:
        fragment: index of the fragment.
        width: qubits it needs on hardware.
        key: the physical key (equal keys ⇒ the same run).
        feedforward_sends: cuts on which this run sends outcomes to another fragment during each shot.
        feedforward_receives: cuts on which it receives them, one entry per bit per shot.
        feedforward_waits: one-way classical delays on each shot's critical path, one entry (the cut) per delay.
        occurrences: trainable gate occurrences (each adds two shifted circuits to a parameter-shift gradient).
        parameters: distinct trainable parameters it reads.
        circuit: the circuit as it runs on hardware (mid-circuit measurements in place; built on first use).
    """

    fragment: int
    width: int
    key: tuple
    feedforward_sends: tuple[int, ...] = ()
    feedforward_receives: tuple[int, ...] = ()
    feedforward_waits: tuple[int, ...] = ()
    occurrences: int = 0
    parameters: int = 0
    build: Callable[[], Circuit] | None = field(default=None, repr=False)

    @cached_property
    def circuit(self) -> Circuit:
        """The hardware circuit."""
        if self.build is None:  # pragma: no cover - every sub-experiment is made with its builder
            raise CutError("this sub-experiment has no circuit")
        return self.build()


def _trainables(plan: CutPlan, qpds: tuple[QPD, ...], f: int, choice: dict) -> tuple[int, int]:
    """``(occurrences, parameters)`` of fragment ``f``: the same for all its configurations (cut cores are never
    trainable), so computed once per plan."""
    memo = plan.memo.setdefault("trainables", {})
    if f not in memo:
        items = fragment_items(plan, qpds, layout(plan, f), choice)
        refs = [it.params[0] for it in items if it.kind == "gate" and it.params and isinstance(it.params[0], Trainable)]
        memo[f] = (len(refs), len({r.index for r in refs}))
    return memo[f]


def subexperiment(plan: CutPlan, qpds: tuple[QPD, ...], f: int, pick: dict[int, tuple[int, int]]) -> SubExperiment:
    """The :class:`SubExperiment` of fragment ``f`` for options ``pick`` (a feed-forward term: its first branch)."""
    lay = layout(plan, f)
    p0 = {j: (k, 0) if qpds[j].terms[k].feedforward else (k, b) for j, (k, b) in pick.items()}
    choice = choice_of(qpds, lay, p0)
    sends, recvs, waits = [], [], []
    for side in lay.sides:
        q = qpds[side.cut]
        if q.terms[pick[side.cut][0]].feedforward:
            if q.messages[side.side]:
                sends.append(side.cut)
            recvs += [side.cut] * q.messages[1 - side.side]
            waits += [side.cut] * q.delays
    occ, npar = _trainables(plan, qpds, f, choice)

    def build() -> Circuit:
        items = fragment_items(plan, qpds, lay, choice)
        return hardware_circuit(items, lay.width, {lq for _, lq in lay.outputs})

    return SubExperiment(
        f,
        lay.width,
        physical_key(qpds, lay, pick),
        tuple(sorted(set(sends))),
        tuple(recvs),
        tuple(waits),
        occ,
        npar,
        build,
    )


def list_subexperiments(plan: CutPlan, params=None) -> list[SubExperiment]:
    """All distinct physical runs an exact reconstruction needs, fragment by fragment."""
    qpds = plan.qpds_at(params) if params is not None else plan.qpds
    out: list[SubExperiment] = []
    for frag in plan.fragments:
        lay = layout(plan, frag.index)
        cuts = lay.cuts
        seen = set()
        for opts in itertools.product(*[options(qpds[j]) for j in cuts]):
            pick = {j: (k, b) for j, (k, b, _) in zip(cuts, opts, strict=True)}
            key = physical_key(qpds, lay, pick)
            if key not in seen:
                seen.add(key)
                out.append(subexperiment(plan, qpds, frag.index, pick))
    return out
