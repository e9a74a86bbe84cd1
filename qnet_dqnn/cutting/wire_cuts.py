"""Wire cuts: the identity channel of one or more wires as a quasi-probability sum of measure-and-prepare operations.

A wire cut ends the wire with the sender's instructions (a final measurement) and starts a fresh qubit with the
receiver's (a preparation).

- :func:`wire_cut_qpd`: Peng, Harrow, Ozols & Wu, *Simulating large quantum circuits on a small quantum
  computer*, PRL 125, 150504 (2020), Eq. 2: ``ρ = ½ Σ_{P∈{I,X,Y,Z}} Tr(Pρ) P`` written as eight measure-and-prepare
  terms with ``c = ±½``, ``γ = 4``.
- :func:`wire_cut_cc_qpd`: with classical communication, ``γ = 3 = 2d − 1`` for ``d = 2`` (Brenner, Piveteau &
  Sutter, arXiv:2302.03366 (2023), Thm 2 — the optimal value; Harada, Wada & Yamamoto, PRX Quantum 5, 040308
  (2024), which reaches it without ancillas). Here ``id = 2·M − M̃`` with ``M(ρ) = ⅓ Σ_P Σ_s Tr(Π^P_s ρ) Π^P_s``
  (measure a random Pauli basis, prepare the *same* eigenstate) and ``M̃`` (prepare the *opposite* one); it follows
  from ``Σ_P Σ_s Tr(Π^P_s ρ) Π^P_s = ρ + Tr(ρ)·I``. The receiver needs the sender's outcome *during* the run, so
  every term is feed-forward: one classical message per shot.
- :func:`randomized_wire_cut_qpd`: ``k`` parallel wires cut together by randomized measurements (Lowe,
  Medvidović, Hayes, O'Riordan, Bromley, Arrazola & Killoran, *Fast quantum circuit cutting with randomized
  measurements*, Quantum 7, 934 (2023)): ``id = (d+1)Ψ₁ − dΨ₀`` on ``d = 2ᵏ`` dimensions, with
  ``Ψ₁(ρ) = E_U Σ_i ⟨i|UρU†|i⟩ U†|i⟩⟨i|U = (ρ + Tr(ρ) I)/(d+1)`` for ``U`` from a unitary 2-design and
  ``Ψ₀(ρ) = Tr(ρ) I/d``. No outcome is communicated: the sender measures in a basis and keeps one outcome
  (a filter), the receiver prepares that basis state, and the product is taken in post-processing. The 2-design
  here is the ``d + 1`` mutually unbiased bases of :mod:`~qnet_dqnn.cutting.mub` (exact, so the cut can be
  enumerated). Its 1-norm ``d(d+1) + d`` counts every filtered term as a full term; the estimator's second moment
  is ``γ Σ_k |c_k| E[V_k²] ≤ d(d+2)(2d+1)`` (a filter is 1 only with the outcome's probability), against
  ``16ᵏ`` for ``k`` Peng cuts — smaller from ``k = 2`` on, which is the method's point (tested).
"""

from __future__ import annotations

import itertools

from qnet_dqnn.cutting.mub import basis_circuit, mub_count
from qnet_dqnn.cutting.qpd import QPD, TRACE, Branch, CutError, Instruction, QPDTerm, gate, measure, prepare

__all__ = ["randomized_wire_cut_qpd", "wire_cut_cc_qpd", "wire_cut_qpd"]

#: Largest number of wires :func:`randomized_wire_cut_qpd` cuts together (its terms grow as 4ᵏ).
MAX_RANDOMIZED_WIRES = 4


def wire_cut_qpd() -> QPD:
    """Wire cut by measure-and-prepare (Peng et al., PRL 125, 150504 (2020), Eq. 2), ``γ = 4``.

    ``ρ = ½[Tr(ρ)(|0⟩⟨0| + |1⟩⟨1|) + Tr(Xρ)(|+⟩⟨+| − |−⟩⟨−|) + Tr(Yρ)(|+i⟩⟨+i| − |−i⟩⟨−i|)
    + Tr(Zρ)(|0⟩⟨0| − |1⟩⟨1|)]``: eight terms with ``c = ±½``, where ``Tr(Pρ)`` is a measurement of ``P``
    signed by its outcome on the sender and the state is prepared on a fresh receiver qubit.
    """
    terms = [
        QPDTerm(0.5, (Branch(1.0, (measure("Z", TRACE),), (prepare("0"),)),), label="I,|0>"),
        QPDTerm(0.5, (Branch(1.0, (measure("Z", TRACE),), (prepare("1"),)),), label="I,|1>"),
        QPDTerm(0.5, (Branch(1.0, (measure("X"),), (prepare("+"),)),), label="X,|+>"),
        QPDTerm(-0.5, (Branch(1.0, (measure("X"),), (prepare("-"),)),), label="X,|->"),
        QPDTerm(0.5, (Branch(1.0, (measure("Y"),), (prepare("+i"),)),), label="Y,|+i>"),
        QPDTerm(-0.5, (Branch(1.0, (measure("Y"),), (prepare("-i"),)),), label="Y,|-i>"),
        QPDTerm(0.5, (Branch(1.0, (measure("Z"),), (prepare("0"),)),), label="Z,|0>"),
        QPDTerm(-0.5, (Branch(1.0, (measure("Z"),), (prepare("1"),)),), label="Z,|1>"),
    ]
    return QPD("wire", "wire", tuple(terms), "Peng, Harrow, Ozols & Wu, PRL 125, 150504 (2020), Eq. 2")


_EIGEN = {("X", 0): "+", ("X", 1): "-", ("Y", 0): "+i", ("Y", 1): "-i", ("Z", 0): "0", ("Z", 1): "1"}


def _filter(bit: int) -> tuple[float, float]:
    return (1.0, 0.0) if bit == 0 else (0.0, 1.0)


def wire_cut_cc_qpd() -> QPD:
    """Wire cut with classical communication (feed-forward), ``γ = 3`` (Brenner, Piveteau & Sutter 2023, Thm 2).

    ``id = Σ_{P∈{X,Y,Z}} [⅔·MP_P − ⅓·M̃P_P]`` where ``MP_P`` measures ``P`` on the sender, sends the outcome
    ``s`` and prepares the eigenstate ``s`` on the receiver, and ``M̃P_P`` prepares the eigenstate ``−s``.
    Each term is one sub-experiment with two branches (one per outcome) and a classical message per shot.
    """
    terms = []
    for p in ("X", "Y", "Z"):
        for coef, flip in ((2.0 / 3.0, 0), (-1.0 / 3.0, 1)):
            branches = tuple(Branch(1.0, (measure(p, _filter(s)),), (prepare(_EIGEN[(p, s ^ flip)]),)) for s in (0, 1))
            terms.append(QPDTerm(coef, branches, feedforward=True, label=f"{p},{'flip' if flip else 'same'}"))
    return QPD(
        "wire-cc",
        "wire",
        tuple(terms),
        "Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023), Thm 2; Harada, Wada & Yamamoto, "
        "PRX Quantum 5, 040308 (2024)",
        messages=(1, 0),
        delays=1,
    )


def _basis_ops(k: int, b: int, inverse: bool, slot: int) -> tuple[Instruction, ...]:
    """``V_b`` (or ``V_b†``) of :func:`~qnet_dqnn.cutting.mub.basis_circuit` on side-local qubits ``0..k-1``."""
    ops = basis_circuit(k, b)
    if inverse:
        inv = {"h": "h", "cz": "cz", "s": "sdg"}
        ops = [(inv[name], qs) for name, qs in reversed(ops)]
    return tuple(gate(name, qubits=qs, slot=slot) for name, qs in ops)


def randomized_wire_cut_qpd(k: int = 1, send_slot: int = 0, receive_slot: int = 0) -> QPD:
    """``k`` parallel wires cut by randomized measurements over mutually unbiased bases (Lowe et al., Quantum 7,
    934 (2023); see the module docstring).

    Terms ``(b, s)`` with ``c = +1``: the sender applies ``V_b†``, measures its ``k`` qubits and keeps outcome ``s``;
    the receiver prepares ``V_b|s⟩``. Terms ``j`` with ``c = −1``: the sender discards its qubits, the receiver
    prepares ``|j⟩``.

    Args:
        k: wires cut together (1 to :data:`MAX_RANDOMIZED_WIRES`).
        send_slot: the anchor at whose time the sender measures (the latest of its wires' cuts).
        receive_slot: the anchor at whose time the receiver prepares (the earliest).
    """
    if not 1 <= k <= MAX_RANDOMIZED_WIRES:
        raise CutError(f"a randomized wire cut takes 1 to {MAX_RANDOMIZED_WIRES} wires (got {k})")
    d = 2**k
    terms = []
    for b in range(mub_count(k)):
        send = _basis_ops(k, b, True, send_slot)
        prep = _basis_ops(k, b, False, receive_slot)
        for s in itertools.product((0, 1), repeat=k):
            meas = tuple(measure("Z", _filter(bit), qubits=(q,), slot=send_slot) for q, bit in enumerate(s))
            flips = tuple(gate("x", qubits=(q,), slot=receive_slot) for q, bit in enumerate(s) if bit)
            terms.append(QPDTerm(1.0, (Branch(1.0, send + meas, flips + prep),), label=f"b{b},s{''.join(map(str, s))}"))
    for j in itertools.product((0, 1), repeat=k):
        trace = tuple(measure("Z", TRACE, qubits=(q,), slot=send_slot) for q in range(k))
        flips = tuple(gate("x", qubits=(q,), slot=receive_slot) for q, bit in enumerate(j) if bit)
        terms.append(QPDTerm(-1.0, (Branch(1.0, trace, flips),), label=f"mix,{''.join(map(str, j))}"))
    assert len(terms) == d * (d + 1) + d
    return QPD(
        f"wire-randomized×{k}",
        "wire" if k == 1 else "block",
        tuple(terms),
        "Lowe et al., Quantum 7, 934 (2023); MUBs: Wootters & Fields, Ann. Phys. 191, 363 (1989)",
    )
