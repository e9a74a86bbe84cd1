"""Simulating a fragment's sub-experiments: many configurations in one batched run.

A fragment's configurations differ only in the instructions at its cut sides. Most sides are a single qubit at a
single time (gate cuts, single wire cuts), and any such instruction sequence is ``U₂ · 𝓜 · U₁`` with one-qubit
unitaries ``U₁, U₂`` and at most one (possibly generalized) Z measurement ``𝓜``. So configurations that measure at
the same sides are simulated as one *template* circuit in which each such side is a gadget: ``U₁`` and ``U₂`` as
``RY·RX·RY`` (Euler angles: the Z-Y-Z decomposition of Nielsen & Chuang Thm 4.1 conjugated by the Clifford
``C = S·H``, which maps Z to Y and Y to X — one-qubit gates the engine fuses into a single layer), and for a
mid-circuit measurement a deferred-measurement ancilla (prepared by ``RX(ψ)`` for a generalized measurement,
coupled by a CNOT). The gadget angles are input features (``Data`` references), one row per configuration and
input, so the statevector engine runs the group in one batched pass, values and adjoint gradients alike. Sides
spanning several qubits or anchors (joint and multi-wire cuts) are *rigid*: configurations that differ there are
separate templates.

A fragment value is ``V = ⟨O_f · Π_m w_m(s_m)⟩``; with ``w(s) = a + d·(−1)^s`` (``a = (w₀+w₁)/2``,
``d = (w₀−w₁)/2``) it is a sum of expectation values of the Pauli strings ``O_f ⊗ Z^S`` over subsets ``S`` of the
measured qubits, which is what the template evaluates; weights are applied afterwards, so configurations that
differ only in weights are one simulation (and one run on hardware).

Noisy fragments (:func:`noisy_values`) are simulated one configuration at a time with density matrices: each real
gate followed by the node's depolarizing channel and idle T1/T2 relaxation (:meth:`NoiseModel.apply`), the deferred
measurement's copy noiseless (it stands for a mid-circuit readout), readout error on every measured bit.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from qnet_dqnn.cutting.experiments import (
    FROM_Z,
    PREP,
    TO_Z,
    Item,
    Layout,
    final_measurements,
    fragment_items,
    hardware_circuit,
    simulation_circuit,
)
from qnet_dqnn.cutting.plan import CutPlan
from qnet_dqnn.cutting.qpd import QPD, CutError, Instruction
from qnet_dqnn.quantum.circuit import Circuit, Data
from qnet_dqnn.quantum.gates import gate_matrix, zyz_batch
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation
from qnet_dqnn.quantum.observables import PauliString

__all__ = ["Template", "build_template", "noisy_values", "string_table"]

#: Widest simulated fragment (qubits, deferred-measurement ancillas included) run under noise: density matrices for
#: sampled outcomes, Pauli-transfer vectors (the same limit, ``noisy_adjoint.MAX_CONE_QUBITS``) for exact values.
DM_MAX_QUBITS = 10
_TO_Z_M = {p: np.eye(2, dtype=complex) for p in "XYZ"}
for _p, _gs in TO_Z.items():
    for _g in _gs:
        _TO_Z_M[_p] = gate_matrix(_g) @ _TO_Z_M[_p]


def gadget_side(plan: CutPlan, qpds: tuple[QPD, ...], side) -> bool:
    """A side whose core is one-qubit instructions at one anchor: simulated as a gadget."""
    if len(side.anchors) != 1:
        return False
    for t in qpds[side.cut].terms:
        for br in t.branches:
            ins = br.side(side.side)
            if any(i.qubits != (0,) or i.slot != 0 or i.trainable for i in ins):
                return False
            if sum(i.kind == "measure" for i in ins) > 1:
                return False
    return True


def canonical(instrs: tuple[Instruction, ...]) -> tuple[np.ndarray, tuple[float, bool] | None, np.ndarray]:
    """``(U₁, measurement, U₂)`` of one-qubit core instructions: ``measurement = (ψ, True)`` or None."""
    u = np.eye(2, dtype=complex)
    u1, meas = None, None
    for ins in instrs:
        if ins.kind == "gate":
            u = gate_matrix(ins.name, ins.angle) @ u
        elif ins.kind == "prepare":
            for g in PREP[ins.name]:
                u = gate_matrix(g) @ u
        else:
            w = _TO_Z_M[ins.name]
            u1, meas = w @ u, (ins.phase, True)
            u = w.conj().T
    if meas is None:
        return u, None, np.eye(2, dtype=complex)
    return u1, meas, u


@dataclass
class Template:
    """One circuit that simulates a group of a fragment's configurations.

    Attributes:
        circuit: the template (gadget angles are ``Data`` references after the model's features).
        features: the model's feature count ``F`` (gadget angle ``g`` is feature ``F + g``).
        angles: ``(configurations, G)`` gadget angles.
        measured: ``(qubit, tag)`` of every measured qubit (a gadget side's tag is ``(cut, side)``).
        configs: the configuration keys, in row order.
    """

    circuit: Circuit
    features: int
    angles: np.ndarray
    measured: list[tuple[int, tuple]]
    configs: list[tuple]
    hardware: dict = field(default_factory=dict)

    def data(self, x: np.ndarray | None) -> np.ndarray | None:
        """Feature rows ``(configurations · B, F + G)``: configuration-major."""
        c = len(self.configs)
        if x is None:
            return self.angles if self.angles.shape[1] else None
        b = x.shape[0]
        rows = np.repeat(self.angles, b, axis=0)
        return np.hstack([np.tile(x, (c, 1)), rows]) if self.angles.shape[1] else np.tile(x, (c, 1))


@dataclass(frozen=True)
class _Column:
    """A gadget angle read from feature column ``F + index`` (fixed once ``F`` is known)."""

    index: int


def _angle_source(values: list[float], cols: list[list[float]]) -> float | _Column | None:
    """A constant, or a new gadget feature column; None when always zero."""
    v = np.asarray(values)
    if np.all(np.abs(np.remainder(v + 2 * math.pi, 4 * math.pi) - 2 * math.pi) < 1e-12):
        return None
    if np.all(np.abs(v - v[0]) < 1e-12):
        return float(v[0])
    cols.append(list(values))
    return _Column(len(cols) - 1)


def build_template(
    plan: CutPlan,
    qpds: tuple[QPD, ...],
    lay: Layout,
    choices: list[dict],
    keys: list[tuple],
    features: int,
) -> Template:
    """The template simulating ``choices`` (core instructions per side; the rigid ones equal across them)."""
    gadgets = frozenset((s.cut, s.side) for s in lay.sides if gadget_side(plan, qpds, s))
    outs = {lq for _, lq in lay.outputs}
    first = fragment_items(plan, qpds, lay, choices[0], gadgets)
    finals = final_measurements(first, outs)
    last: dict[int, int] = {}
    for n, it in enumerate(first):
        for q in it.qubits:
            last[q] = n
    cols: list[list[float]] = []
    ops: list[tuple[str, tuple[int, ...], tuple]] = []
    measured: list[tuple[int, tuple]] = []
    anc = lay.width
    for n, it in enumerate(first):
        if it.kind == "gadget":
            key = it.part[:2]
            q = it.qubits[0]
            final = last[q] == n and q not in outs
            forms = [canonical(ch[key]) for ch in choices]
            meas = [f[1] is not None for f in forms]
            if any(meas) != all(meas):
                raise CutError("a template's configurations must measure at the same sides")  # pragma: no cover
            ops.extend(_euler([f[0] for f in forms], q, cols))
            if final and meas[0]:
                measured.append((q, key))
            elif meas[0]:
                psi = _angle_source([f[1][0] for f in forms], cols)
                if psi is not None:
                    ops.append(("rx", (anc,), (psi,)))
                ops.append(("cx", (q, anc), ()))
                measured.append((anc, key))
                anc += 1
            if not final:
                ops.extend(_euler([f[2] for f in forms], q, cols))
        elif it.kind == "gate":
            ops.append((it.name, it.qubits, it.params))
        else:
            q = it.qubits[0]
            ops.extend((g, (q,), ()) for g in TO_Z[it.name])
            if n in finals and it.phase == 0.0:
                measured.append((q, it.tag))
            else:
                if it.phase:
                    ops.append(("rx", (anc,), (it.phase,)))
                ops.append(("cx", (q, anc), ()))
                measured.append((anc, it.tag))
                anc += 1
                if n not in finals:
                    ops.extend((g, (q,), ()) for g in FROM_Z[it.name])
    circ = Circuit(max(anc, 1))
    for name, qs, params in ops:
        fixed = tuple(Data(features + p.index) if isinstance(p, _Column) else p for p in params)
        circ.append(name, qs, fixed)
    angles = np.array(cols, dtype=float).T if cols else np.zeros((len(choices), 0))
    return Template(circ, features, angles, measured, list(keys))


#: ``C = S·H``: ``C Z C† = Y`` and ``C Y C† = X``, so ``RY(a)·RX(b)·RY(c) = C·RZ(a)·RY(b)·RZ(c)·C†``.
_C = gate_matrix("s") @ gate_matrix("h")


def _euler(mats: list[np.ndarray], q: int, cols: list[list[float]]) -> list[tuple[str, tuple[int, ...], tuple]]:
    """``RY(a)·RX(b)·RY(c)`` gadget ops for per-configuration unitaries (constant or zero angles folded)."""
    abc = zyz_batch(np.einsum("ij,njk,kl->nil", _C.conj().T, np.asarray(mats), _C))
    out = []
    for name, idx in (("ry", 2), ("rx", 1), ("ry", 0)):
        src = _angle_source(abc[:, idx].tolist(), cols)
        if src is not None:
            out.append((name, (q,), (src,)))
    return out


def string_table(lay: Layout, measured: list[tuple[int, tuple]], observables: list[PauliString]):
    """The distinct Pauli strings ``O_f ⊗ Z^S`` a template is evaluated on, identity and coefficients left out:
    ``(strings, index, scale)`` with ``index[k][S]`` the position of observable ``k`` with subset ``S`` (a tuple of
    0/1 per measured qubit; −1 for the identity, whose value is 1) and ``scale[k]`` the observable's coefficient."""
    strings: list[PauliString] = []
    where: dict[tuple, int] = {}
    index: list[dict] = []
    scale: list[float] = []
    for o in observables:
        base = lay.local_observable(o)
        scale.append(base.coeff)
        table = {}
        for pick in itertools.product((0, 1), repeat=len(measured)):
            zs = tuple((q, "Z") for (q, _), p in zip(measured, pick, strict=True) if p)
            paulis = tuple(sorted(base.paulis + zs))
            if not paulis:
                table[pick] = -1
                continue
            if paulis not in where:
                where[paulis] = len(strings)
                strings.append(PauliString(paulis))
            table[pick] = where[paulis]
        index.append(table)
    return strings, index, scale


def weight_coefficients(measured: list[tuple[int, tuple]], weights: dict[tuple, tuple[float, float]]) -> dict:
    """``{S: Π_{m∈S} d_m Π_{m∉S} a_m}`` for the measured qubits' weights (a missing tag: ``(1, 1)``)."""
    ad = [((w[0] + w[1]) / 2, (w[0] - w[1]) / 2) for w in (weights.get(tag, (1.0, 1.0)) for _, tag in measured)]
    out = {}
    for pick in itertools.product((0, 1), repeat=len(measured)):
        c = 1.0
        for (a, d), p in zip(ad, pick, strict=True):
            c *= d if p else a
        if c != 0.0:
            out[pick] = c
    return out


def noisy_values(
    plan: CutPlan,
    qpds: tuple[QPD, ...],
    lay: Layout,
    choice: dict,
    noise,
    timing,
    observables: list[PauliString],
    params: np.ndarray | None,
    x: np.ndarray | None,
) -> tuple[np.ndarray, list[tuple[int, tuple]], list[PauliString], list[dict]]:
    """``⟨O_f ⊗ Z^S⟩`` of one configuration under ``noise`` (exact: Pauli-transfer vectors over the strings' light
    cone, :func:`~qnet_dqnn.quantum.noisy_adjoint.noisy_expectation`), and its measured qubits and strings.

    Raises:
        CutError: when the simulated fragment is wider than :data:`DM_MAX_QUBITS`.
    """
    items = fragment_items(plan, qpds, lay, choice)
    outs = {lq for _, lq in lay.outputs}
    sim, measured_items = simulation_circuit(items, lay.width, outs)
    if sim.num_qubits > DM_MAX_QUBITS:
        raise CutError(
            f"noisy fragment {lay.fragment.index} needs {sim.num_qubits} simulated qubits (with its deferred "
            f"measurements); density matrices are used up to {DM_MAX_QUBITS}: cut finer or run noise-free"
        )
    noisy = noisy_circuit(items, lay.width, outs, sim.num_qubits, noise, timing)
    measured = [(q, it.tag) for q, it in measured_items]
    strings, index, scale = string_table(lay, measured, observables)
    vals = noisy_expectation(noisy, strings, params, x, readout=noise.readout) if strings else None
    return vals, measured, strings, (index, scale)


def noisy_circuit(items: list[Item], width: int, outputs: set[int], total: int, noise, timing) -> Circuit:
    """The simulation circuit with ``noise`` on every real operation; a measurement's deferred copy noiseless."""
    hw = hardware_circuit(items, width, outputs)
    noisy = noise.apply(hw, timing)
    finals = final_measurements(items, outputs)
    # the hardware circuit marks each measurement by an identity on its qubit; per qubit, its identities (marks and
    # the circuit's own) keep their order through the noise model, so they are matched by position
    seq: dict[int, list] = {}
    for n, it in enumerate(items):
        if it.kind == "measure":
            seq.setdefault(it.qubits[0], []).append((n, it))
        elif it.name == "i":
            seq.setdefault(it.qubits[0], []).append(None)
    deferred = [n for n, it in enumerate(items) if it.kind == "measure" and not (n in finals and it.phase == 0.0)]
    anc_of = {n: width + i for i, n in enumerate(deferred)}  # the ancillas simulation_circuit assigns
    out = Circuit(total)
    for op in noisy.ops:
        mark = seq[op.qubits[0]].pop(0) if op.name == "i" and op.qubits[0] in seq else None
        if mark is None:
            out.extend([op])
            continue
        n, it = mark
        if n not in anc_of:
            continue
        if it.phase:
            out.append("rx", [anc_of[n]], [it.phase])
        out.append("cx", [it.qubits[0], anc_of[n]])
    return out
