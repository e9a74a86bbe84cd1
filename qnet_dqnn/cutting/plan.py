"""Cut plans: a circuit, the cuts that split it, and the fragments they leave.

Four kinds of cut:

- :class:`GateCut` replaces a two-qubit gate by its decomposition (:mod:`~qnet_dqnn.cutting.gate_cuts`);
- :class:`WireCut` splits a qubit's timeline after an operation into a *sender* segment (ending in a measurement)
  and a *receiver* segment (starting with a preparation): Peng et al.'s cut, the feed-forward cut, or the
  randomized-measurement cut (:mod:`~qnet_dqnn.cutting.wire_cuts`);
- :class:`RandomizedWireCut` cuts ``k`` wires together by randomized measurements;
- :class:`JointCut` replaces ``n`` controlled-Pauli gates between the same two fragments by telegates over a
  virtual entangled state (:mod:`~qnet_dqnn.cutting.joint`).

Each side of a cut has *anchors* — the wire segments its instructions touch, at the operations they sit at — and
possibly ancillas. The *fragments* are the connected components of the wire segments joined by the uncut two-qubit
gates (and by the anchors of one side of a multi-wire cut, which share an entangled preparation or measurement);
each fragment only touches its own qubits and can run on its own QPU. A fragment's width counts each wire segment
as its own qubit (a receiver segment is a fresh qubit; reusing a measured qubit after a reset is left to the
scheduler — qiskit-addon-cutting counts wire cuts the same way) plus the hardware ancillas of the cuts on it.

The sampling overhead of a plan is ``Π_cuts γ_i²`` (Piveteau & Sutter, IEEE TIT 70, 2734 (2024), Sec. II: the
1-norms of independent QPDs multiply). A gate whose angle is trainable has a γ that moves with the angle: the plan
reports its largest value (what the cut finder plans for) and :meth:`CutPlan.qpds_at` the value at given
parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from qnet_dqnn.cutting.gate_cuts import cut_operation
from qnet_dqnn.cutting.joint import JOINT_GATES, MAX_JOINT, joint_qpd
from qnet_dqnn.cutting.qpd import QPD, CutError
from qnet_dqnn.cutting.wire_cuts import (
    MAX_RANDOMIZED_WIRES,
    randomized_wire_cut_qpd,
    wire_cut_cc_qpd,
    wire_cut_qpd,
)
from qnet_dqnn.quantum.circuit import Circuit, Trainable

__all__ = [
    "Anchor",
    "CutPlan",
    "Fragment",
    "GateCut",
    "JointCut",
    "RandomizedWireCut",
    "Segment",
    "WireCut",
]

Segment = tuple[int, int]
"""A wire segment ``(qubit, k)``: the part of ``qubit``'s timeline after its ``k``-th wire cut."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where one side of a cut touches a wire.

    Attributes:
        qubit: the qubit.
        op_index: the operation the instructions sit at.
        after: True when they come right after that operation (a wire cut), False when they replace it (a gate).
        segment_after: True when the anchor's segment is the one *starting* at a wire cut there (a receiver).
    """

    qubit: int
    op_index: int
    after: bool
    segment_after: bool = False


@dataclass(frozen=True, slots=True)
class GateCut:
    """Cut the two-qubit gate ``circuit.ops[op_index]`` by its QPD
    (:func:`~qnet_dqnn.cutting.gate_cuts.cut_operation`)."""

    op_index: int


@dataclass(frozen=True, slots=True)
class WireCut:
    """Cut ``qubit``'s wire right after ``circuit.ops[after_op]``.

    Attributes:
        qubit: the qubit whose wire is cut.
        after_op: index of an operation acting on ``qubit``; the cut sits just after it.
        classical_communication: use the feed-forward wire cut (γ = 3) instead of Peng et al.'s (γ = 4).
        randomized: use the randomized-measurement cut of Lowe et al. (no communication).
    """

    qubit: int
    after_op: int
    classical_communication: bool = False
    randomized: bool = False


@dataclass(frozen=True, slots=True)
class RandomizedWireCut:
    """Cut several wires together by randomized measurements (Lowe et al., Quantum 7, 934 (2023)).

    Attributes:
        wires: ``((qubit, after_op), …)``, each as in :class:`WireCut`; the senders must end up in one fragment and
            the receivers in one.
    """

    wires: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class JointCut:
    """Cut the controlled-Pauli gates ``circuit.ops[i]`` for ``i`` in ``op_indices`` (in time order) together, with
    classical communication (γ = 2ⁿ⁺¹ − 1; :mod:`~qnet_dqnn.cutting.joint`). Their controls (first qubits) must lie
    in one fragment and their targets in another; a CZ is symmetric, so write it with its first qubit on the
    controls' side."""

    op_indices: tuple[int, ...]


Cut = GateCut | WireCut | RandomizedWireCut | JointCut


@dataclass(frozen=True, slots=True)
class Fragment:
    """A connected piece of a cut circuit.

    Attributes:
        index: position in :attr:`CutPlan.fragments`.
        segments: the wire segments ``(qubit, k)`` it holds, sorted; local qubit ``i`` is ``segments[i]``.
        ancillas: hardware ancilla qubits the cuts on it need.
    """

    index: int
    segments: tuple[Segment, ...]
    ancillas: int = 0

    @property
    def width(self) -> int:
        """Qubits the fragment needs on a QPU: one per segment, plus the cuts' hardware ancillas."""
        return len(self.segments) + self.ancillas

    @property
    def qubits(self) -> tuple[int, ...]:
        """The original qubits it touches, sorted."""
        return tuple(sorted({q for q, _ in self.segments}))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Segment, Segment] = {}

    def find(self, a: Segment) -> Segment:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: Segment, b: Segment) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _splits(cuts: tuple[Cut, ...]) -> dict[int, list[int]]:
    """qubit → sorted ``after_op`` of its wire splits."""
    out: dict[int, list[int]] = {}
    for c in cuts:
        if isinstance(c, WireCut):
            out.setdefault(c.qubit, []).append(c.after_op)
        elif isinstance(c, RandomizedWireCut):
            for q, a in c.wires:
                out.setdefault(q, []).append(a)
    for v in out.values():
        v.sort()
    return out


def segment_of(splits: dict[int, list[int]], qubit: int, op_index: int, after: bool = False) -> Segment:
    """The segment of ``qubit`` at ``op_index`` (``after``: counting a split right after that operation)."""
    return (qubit, sum(1 for a in splits.get(qubit, []) if a < op_index or (after and a == op_index)))


def anchors(circuit: Circuit, cut: Cut) -> tuple[tuple[Anchor, ...], tuple[Anchor, ...]]:
    """The anchors of each side of ``cut`` (side 0: a gate's first qubit, a wire's sender, the controls)."""
    if isinstance(cut, GateCut):
        a, b = circuit.ops[cut.op_index].qubits
        return (Anchor(a, cut.op_index, False),), (Anchor(b, cut.op_index, False),)
    if isinstance(cut, WireCut):
        return (Anchor(cut.qubit, cut.after_op, True),), (Anchor(cut.qubit, cut.after_op, True, True),)
    if isinstance(cut, RandomizedWireCut):
        left = tuple(Anchor(q, a, True) for q, a in cut.wires)
        return left, tuple(Anchor(q, a, True, True) for q, a in cut.wires)
    left, right = [], []
    for i in cut.op_indices:
        c, t = circuit.ops[i].qubits
        left.append(Anchor(c, i, False))
        right.append(Anchor(t, i, False))
    return tuple(left), tuple(right)


def _replaced(cuts: tuple[Cut, ...]) -> set[int]:
    out: set[int] = set()
    for c in cuts:
        if isinstance(c, GateCut):
            out.add(c.op_index)
        elif isinstance(c, JointCut):
            out.update(c.op_indices)
    return out


def fragments_of(
    circuit: Circuit, cuts: tuple[Cut, ...], ancillas: list[tuple[int, int]] | None = None
) -> tuple[Fragment, ...]:
    """The connected pieces after cutting (``ancillas``: per cut, the hardware ancillas of each side)."""
    splits = _splits(cuts)
    replaced = _replaced(cuts)
    uf = _UnionFind()
    for q in range(circuit.num_qubits):
        for k in range(len(splits.get(q, [])) + 1):
            uf.find((q, k))
    for i, op in enumerate(circuit.ops):
        if len(op.qubits) == 2 and i not in replaced:
            a, b = op.qubits
            uf.union(segment_of(splits, a, i), segment_of(splits, b, i))
    for c in cuts:
        if isinstance(c, (RandomizedWireCut, JointCut)):
            for side in anchors(circuit, c):
                segs = [segment_of(splits, a.qubit, a.op_index, a.segment_after) for a in side]
                for s in segs[1:]:
                    uf.union(segs[0], s)
    groups: dict[Segment, list[Segment]] = {}
    for s in list(uf.parent):
        groups.setdefault(uf.find(s), []).append(s)
    ordered = sorted((tuple(sorted(g)) for g in groups.values()), key=lambda g: g[0])
    where = {s: i for i, g in enumerate(ordered) for s in g}
    extra = [0] * len(ordered)
    for c, anc in zip(cuts, ancillas or [(0, 0)] * len(cuts), strict=True):
        for side, n in zip(anchors(circuit, c), anc, strict=True):
            if n:
                a = side[0]
                extra[where[segment_of(splits, a.qubit, a.op_index, a.segment_after)]] += n
    return tuple(Fragment(i, g, extra[i]) for i, g in enumerate(ordered))


def _cut_time(c: Cut) -> tuple[int, int]:
    if isinstance(c, GateCut):
        return (c.op_index, 0)
    if isinstance(c, WireCut):
        return (c.after_op, 1)
    if isinstance(c, RandomizedWireCut):
        return (min(a for _, a in c.wires), 1)
    return (min(c.op_indices), 0)


def _describe_cut(circuit: Circuit, c: Cut) -> str:
    if isinstance(c, GateCut):
        op = circuit.ops[c.op_index]
        return f"gate {op.name}{op.qubits} at op {c.op_index}"
    if isinstance(c, WireCut):
        kind = "randomized " if c.randomized else ("feed-forward " if c.classical_communication else "")
        return f"{kind}wire cut of qubit {c.qubit} after op {c.after_op}"
    if isinstance(c, RandomizedWireCut):
        return f"randomized cut of wires {list(c.wires)}"
    return f"joint cut of ops {list(c.op_indices)}"


def _check_cut(circuit: Circuit, c: Cut, n_ops: int) -> None:
    """Reject a cut at a position that does not exist or cannot be cut (the reason names the cut)."""
    if isinstance(c, GateCut):
        if not 0 <= c.op_index < n_ops:
            raise CutError(f"GateCut.op_index must be in [0, {n_ops}) (got {c.op_index!r})")
        op = circuit.ops[c.op_index]
        if len(op.qubits) != 2 or op.is_channel:
            raise CutError(
                f"GateCut.op_index {c.op_index} must name a two-qubit gate (got {op.name!r} on "
                f"{len(op.qubits)} qubit(s))"
            )
    elif isinstance(c, (WireCut, RandomizedWireCut)):
        wires = [(c.qubit, c.after_op)] if isinstance(c, WireCut) else list(c.wires)
        if isinstance(c, RandomizedWireCut) and not 1 <= len(wires) <= MAX_RANDOMIZED_WIRES:
            raise CutError(f"a randomized wire cut takes 1 to {MAX_RANDOMIZED_WIRES} wires (got {len(wires)})")
        if isinstance(c, WireCut) and c.randomized and c.classical_communication:
            raise CutError(f"{_describe_cut(circuit, c)}: randomized and classical_communication exclude each other")
        for q, a in wires:
            if not 0 <= a < n_ops:
                raise CutError(f"a wire cut's after_op must be in [0, {n_ops}) (got {a!r})")
            if q not in circuit.ops[a].qubits:
                raise CutError(
                    f"a wire cut after op {a} must act on qubit {q} "
                    f"(got {circuit.ops[a].name!r} on {circuit.ops[a].qubits})"
                )
        if len({q for q, _ in wires}) != len(wires):
            raise CutError(f"{_describe_cut(circuit, c)}: each wire once")
    elif isinstance(c, JointCut):
        if not 1 <= len(c.op_indices) <= MAX_JOINT or len(set(c.op_indices)) != len(c.op_indices):
            raise CutError(f"a joint cut takes 1 to {MAX_JOINT} distinct gates (got {c.op_indices!r})")
        for i in c.op_indices:
            if not 0 <= i < n_ops:
                raise CutError(f"JointCut op index must be in [0, {n_ops}) (got {i!r})")
            if circuit.ops[i].name not in JOINT_GATES:
                raise CutError(
                    f"a joint cut takes controlled-Pauli gates {JOINT_GATES} (op {i} is {circuit.ops[i].name!r})"
                )
        if list(c.op_indices) != sorted(c.op_indices):
            raise CutError(f"JointCut.op_indices must be in time order (got {c.op_indices!r})")
    else:
        raise CutError(f"a cut is a GateCut, WireCut, RandomizedWireCut or JointCut (got {c!r})")


def _cut_key(c: Cut) -> tuple:
    if isinstance(c, GateCut):
        return ("gate", c.op_index)
    if isinstance(c, JointCut):
        return ("gate", c.op_indices)
    if isinstance(c, WireCut):
        return ("wire", ((c.qubit, c.after_op),))
    return ("wire", tuple(sorted(c.wires)))


#: Angles at which a trainable cut's γ is sampled to find its largest value.
_ANGLE_GRID = np.linspace(-np.pi, np.pi, 721)


@dataclass(frozen=True)
class CutPlan:
    """A circuit and the cuts that split it into fragments; validates itself.

    Attributes:
        circuit: the uncut circuit (noiseless).
        cuts: the cuts, in any order (stored sorted by time).
        qubit_limit: if given, every fragment must fit in this many qubits.

    Raises:
        CutError: on an out-of-range or uncuttable gate, a wire cut after an operation that does not act on its
            qubit, a duplicate cut, a joint cut whose gates do not join the same two fragments, or a fragment wider
            than ``qubit_limit`` (naming the fragment, its width and the cuts that touch it).
    """

    circuit: Circuit
    cuts: tuple[Cut, ...] = ()
    qubit_limit: int | None = None
    _qpds: tuple[QPD, ...] = field(init=False, repr=False, compare=False)
    #: Derived structures other modules cache per plan (fragment layouts, templates).
    memo: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        cuts = tuple(self.cuts)
        n_ops = len(self.circuit.ops)
        for c in cuts:
            _check_cut(self.circuit, c, n_ops)
        flat: list[tuple] = []
        for c in cuts:
            k = _cut_key(c)
            flat += [(k[0], i) for i in (k[1] if isinstance(k[1], tuple) else (k[1],))]
        if len(set(flat)) != len(flat):
            raise CutError(f"duplicate cuts in {cuts!r}")
        cuts = tuple(sorted(cuts, key=_cut_time))
        object.__setattr__(self, "cuts", cuts)
        qpds = []
        for c in cuts:
            try:
                qpds.append(self._layout_qpd(c))
            except CutError as exc:
                raise CutError(f"{_describe_cut(self.circuit, c)}: {exc}") from None
        object.__setattr__(self, "_qpds", tuple(qpds))
        self._check_joint()
        if self.qubit_limit is not None:
            if self.qubit_limit < 1:
                raise CutError(f"qubit_limit must be >= 1 (got {self.qubit_limit!r})")
            for f in self.fragments:
                if f.width > self.qubit_limit:
                    touching = [
                        _describe_cut(self.circuit, c) for j, c in enumerate(cuts) if f.index in self.sides_fragments(j)
                    ]
                    extra = f" and {f.ancillas} ancilla(s) of its cuts" if f.ancillas else ""
                    raise CutError(
                        f"fragment {f.index} (qubits {list(f.qubits)}: {len(f.segments)} wire segment(s){extra}) needs "
                        f"{f.width} qubits, more than the qubit_limit {self.qubit_limit}"
                        + (f"; cuts on it: {'; '.join(touching)}" if touching else "")
                    )

    # ------------------------------------------------------------------ decompositions
    def _layout_qpd(self, c: Cut, params: np.ndarray | None = None) -> QPD:
        """The QPD of a cut (a trainable gate at ``params``, or at a reference value that fixes its layout)."""
        if isinstance(c, GateCut):
            op = self.circuit.ops[c.op_index]
            if params is None and op.params and isinstance(op.params[0], Trainable):
                ref = np.zeros(op.params[0].index + 1)
                ref[op.params[0].index] = 0.7371 / op.params[0].scale
                return cut_operation(op, ref, f"op {c.op_index}")
            return cut_operation(op, params, f"op {c.op_index}")
        if isinstance(c, WireCut):
            if c.randomized:
                return randomized_wire_cut_qpd(1)
            return wire_cut_cc_qpd() if c.classical_communication else wire_cut_qpd()
        if isinstance(c, RandomizedWireCut):
            order = [a for _, a in c.wires]
            return randomized_wire_cut_qpd(len(c.wires), int(np.argmax(order)), int(np.argmin(order)))
        return joint_qpd(tuple(self.circuit.ops[i].name for i in c.op_indices))

    def _check_joint(self) -> None:
        sides = self.cut_sides
        for j, c in enumerate(self.cuts):
            if isinstance(c, JointCut):
                left, right = sides[j]
                if left == right:
                    raise CutError(
                        f"{_describe_cut(self.circuit, c)}: its controls and targets must lie in two different "
                        f"fragments (both are in fragment {left})"
                    )

    @property
    def trainable_cuts(self) -> tuple[int, ...]:
        """Indices (into :attr:`cuts`) of gate cuts whose angle is a trainable parameter."""
        return tuple(j for j, q in enumerate(self._qpds) if q.derivatives is not None)

    def trainable_ref(self, j: int) -> Trainable:
        """The trainable angle of cut ``j``."""
        c = self.cuts[j]
        assert isinstance(c, GateCut)
        ref = self.circuit.ops[c.op_index].params[0]
        assert isinstance(ref, Trainable)
        return ref

    @property
    def qpds(self) -> tuple[QPD, ...]:
        """The decomposition of each cut, aligned with :attr:`cuts` (trainable cuts at a reference angle: their
        layout; use :meth:`qpds_at` for their coefficients)."""
        return self._qpds

    def qpds_at(self, params: np.ndarray | None) -> tuple[QPD, ...]:
        """The decompositions with trainable cuts' coefficients (and derivatives) at ``params``."""
        if not self.trainable_cuts:
            return self._qpds
        if params is None:
            raise CutError("the plan cuts gates with trainable angles: their coefficients need the parameters")
        out = list(self._qpds)
        for j in self.trainable_cuts:
            out[j] = self._layout_qpd(self.cuts[j], np.asarray(params, dtype=float))
        return tuple(out)

    # ------------------------------------------------------------------ fragments
    @cached_property
    def fragments(self) -> tuple[Fragment, ...]:
        """The connected pieces after cutting."""
        return fragments_of(self.circuit, self.cuts, [q.ancillas for q in self._qpds])

    @cached_property
    def splits(self) -> dict[int, list[int]]:
        """qubit → sorted positions of its wire cuts."""
        return _splits(self.cuts)

    @cached_property
    def anchors(self) -> tuple[tuple[tuple[Anchor, ...], tuple[Anchor, ...]], ...]:
        """Per cut, the anchors of each side."""
        return tuple(anchors(self.circuit, c) for c in self.cuts)

    def anchor_segment(self, a: Anchor) -> Segment:
        """The segment an anchor touches."""
        return segment_of(self.splits, a.qubit, a.op_index, a.segment_after)

    def anchor_segment_at(self, qubit: int, op_index: int) -> Segment:
        """The segment ``qubit`` is on at operation ``op_index``."""
        return segment_of(self.splits, qubit, op_index)

    @cached_property
    def cut_sides(self) -> tuple[tuple[int, int], ...]:
        """Per cut, the fragment of side 0 and of side 1."""
        where = self._segment_fragment
        return tuple(
            (where[self.anchor_segment(left[0])], where[self.anchor_segment(right[0])]) for left, right in self.anchors
        )

    @cached_property
    def _segment_fragment(self) -> dict[Segment, int]:
        return {s: f.index for f in self.fragments for s in f.segments}

    def fragment_at(self, op_index: int, qubit: int) -> int:
        """The fragment holding ``qubit`` at ``circuit.ops[op_index]`` (the fragment of its wire segment there)."""
        return self._segment_fragment[self.anchor_segment_at(qubit, op_index)]

    def sides_fragments(self, j: int) -> tuple[int, int]:
        """The fragments of cut ``j``'s two sides."""
        return self.cut_sides[j]

    @property
    def replaced(self) -> set[int]:
        """Operations the cuts replace (gate and joint cuts)."""
        return _replaced(self.cuts)

    # ------------------------------------------------------------------ numbers
    @cached_property
    def gammas(self) -> tuple[float, ...]:
        """``γ`` of each cut (a trainable cut: its largest value over the angle)."""
        out = []
        for j, q in enumerate(self._qpds):
            if q.derivatives is None:
                out.append(q.gamma)
            else:
                ref = self.trainable_ref(j)
                p = np.zeros(ref.index + 1)
                gs = []
                for a in _ANGLE_GRID:
                    p[ref.index] = a / ref.scale
                    gs.append(self._layout_qpd(self.cuts[j], p).gamma)
                out.append(max(gs))
        return tuple(out)

    @property
    def gamma(self) -> float:
        """``Π γ_i``."""
        return float(np.prod(self.gammas)) if self._qpds else 1.0

    @property
    def sampling_overhead(self) -> float:
        """``Π γ_i²``: the factor by which shots grow to keep the same statistical error (trainable cuts: at their
        largest γ)."""
        return self.gamma**2

    def sampling_overhead_at(self, params: np.ndarray | None) -> float:
        """``Π γ_i²`` with trainable cuts at ``params``."""
        return float(np.prod([q.gamma for q in self.qpds_at(params)])) ** 2 if self._qpds else 1.0

    @property
    def max_width(self) -> int:
        """The widest fragment's qubit count (ancillas included)."""
        return max(f.width for f in self.fragments)

    @property
    def num_terms(self) -> int:
        """Number of joint term choices ``Π_i K_i`` an exact reconstruction enumerates."""
        return int(np.prod([len(q.terms) for q in self._qpds])) if self._qpds else 1

    @property
    def feedforward_cuts(self) -> int:
        """Number of cuts whose terms exchange outcomes during each shot."""
        return sum(1 for q in self._qpds if q.feedforward)

    def describe(self) -> str:
        """A one-paragraph summary: cuts, their γ, the fragments and the overhead."""
        parts = [f"{_describe_cut(self.circuit, c)} γ={g:.4g}" for c, g in zip(self.cuts, self.gammas, strict=True)]
        widths = ", ".join(str(f.width) for f in self.fragments)
        return (
            f"{len(self.cuts)} cut(s): {'; '.join(parts) or 'none'} | fragments widths [{widths}] | "
            f"sampling overhead γ² = {self.sampling_overhead:.6g}"
        )
