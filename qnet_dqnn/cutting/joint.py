"""The joint cut of ``n`` controlled-Pauli gates between the same two fragments, with classical communication.

Cut one by one, ``n`` CNOTs cost ``γ = 3ⁿ``; cut together with classical communication they cost the optimal
``γ = 2ⁿ⁺¹ − 1`` (Piveteau & Sutter, *Circuit knitting with classical communication*, IEEE TIT 70, 2734 (2024),
arXiv:2205.00016). The construction:

1. **Gate teleportation.** Each gate ``C-P(c_k, t_k)`` (control on side A, target on side B) is done by a telegate
   (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000)) that consumes a Bell pair ``(a_k, b_k)``: A
   applies ``CX(c_k, a_k)``, measures ``a_k`` and sends the bit ``m_k``; B applies ``X^{m_k}`` to ``b_k``, then
   ``C-P(b_k, t_k)``, measures ``b_k`` in the X basis and sends ``m'_k``; A applies ``Z^{m'_k}`` to ``c_k``.
   Only local operations and classical messages remain; the ``n`` pairs form one maximally entangled state
   ``Φ_d`` of dimension ``d = 2ⁿ`` between A's ancillas and B's.
2. **A virtual entangled state.** ``Φ_d`` is not available, so it is decomposed into separable states: the
   isotropic state with fidelity ``1/d`` is separable (Horodecki & Horodecki, PRA 59, 4206 (1999)), so

       Φ_d = d · (I + dΦ_d)/(d(d+1)) − (d − 1) · (I − Φ_d)/(d² − 1),       γ = d + (d − 1) = 2d − 1,

   the robustness of entanglement of ``Φ_d`` (Vidal & Tarrach, PRA 59, 141 (1999)). Both states are mixtures of
   product states over the ``d + 1`` mutually unbiased bases (:mod:`~qnet_dqnn.cutting.mub`):
   ``(I + dΦ_d) = Σ_b Σ_s |b_s⟩⟨b_s| ⊗ |b_s*⟩⟨b_s*|`` and ``d(I − Φ_d) = Σ_b Σ_{s≠s'} |b_s⟩⟨b_s| ⊗ |b_{s'}*⟩⟨b_{s'}*|``.

So term ``(b, s, s')`` has A prepare ``|b_s⟩`` on its ancillas and B prepare ``|b_{s'}*⟩`` on its own, with
coefficient ``1/(d+1)`` for ``s = s'`` and ``−1/(d(d+1))`` otherwise. The outcomes ``(m, m')`` are exchanged during
each shot: each term is *one* run, simulated as ``4ⁿ`` branches (one per outcome assignment: a branch keeps its
outcomes by filters and applies the corrections they trigger). Each side needs ``n`` ancilla qubits on hardware,
and a shot waits for ``2n`` one-way messages (the telegates' round trips).
"""

from __future__ import annotations

import itertools

from qnet_dqnn.cutting.mub import basis_circuit, mub_count
from qnet_dqnn.cutting.qpd import QPD, Branch, CutError, Instruction, QPDTerm, gate, measure

__all__ = ["JOINT_GATES", "MAX_JOINT", "joint_gamma", "joint_qpd"]

#: Controlled-Pauli gates a joint cut takes (the telegate applies the same controlled gate from B's ancilla).
JOINT_GATES = ("cx", "cy", "cz")
#: Most gates cut jointly (terms grow as 8ⁿ, branches as 4ⁿ).
MAX_JOINT = 3


def joint_gamma(n: int) -> float:
    """Optimal ``γ`` of cutting ``n`` CNOTs between the same two parties jointly: ``2^(n+1) − 1``.

    Piveteau & Sutter, IEEE TIT 70, 2734 (2024) (arXiv:2205.00016), with classical communication. Cutting them
    one by one costs ``3^n`` instead.

    Examples:
        >>> [joint_gamma(n) for n in (1, 2, 3)]
        [3.0, 7.0, 15.0]
    """
    if n < 1:
        raise CutError(f"n must be >= 1 (got {n!r})")
    return float(2 ** (n + 1) - 1)


def _prep(n: int, b: int, s: tuple[int, ...], conjugate: bool) -> tuple[Instruction, ...]:
    """``V_b X^s |0⟩`` (or its complex conjugate) on the ancillas ``n..2n-1`` of a side, at slot 0."""
    flips = tuple(gate("x", qubits=(n + q,)) for q, bit in enumerate(s) if bit)
    conj = {"s": "sdg"} if conjugate else {}
    ops = tuple(gate(conj.get(name, name), qubits=tuple(n + q for q in qs)) for name, qs in basis_circuit(n, b))
    return flips + ops


def _filter(bit: int) -> tuple[float, float]:
    return (1.0, 0.0) if bit == 0 else (0.0, 1.0)


def joint_qpd(gates: tuple[str, ...]) -> QPD:
    """The joint cut of the controlled-Pauli ``gates`` (in time order; control = side 0) — see the module docstring.

    Side-local qubits of each side: anchors ``0..n-1`` (the controls on side 0, the targets on side 1, at their
    gates' times), then ancillas ``n..2n-1``.

    Raises:
        CutError: for no gates, more than :data:`MAX_JOINT`, or a gate outside :data:`JOINT_GATES`.
    """
    n = len(gates)
    if not 1 <= n <= MAX_JOINT:
        raise CutError(f"a joint cut takes 1 to {MAX_JOINT} gates (got {n})")
    for g in gates:
        if g not in JOINT_GATES:
            raise CutError(f"a joint cut takes controlled-Pauli gates {JOINT_GATES} (got {g!r})")
    d = 2**n
    terms = []
    outcomes = list(itertools.product((0, 1), repeat=n))
    for b in range(mub_count(n)):
        for s in outcomes:
            for s2 in outcomes:
                coef = 1.0 / (d + 1) if s == s2 else -1.0 / (d * (d + 1))
                branches = []
                for m, m2 in itertools.product(outcomes, outcomes):
                    left: list[Instruction] = list(_prep(n, b, s, False))
                    right: list[Instruction] = list(_prep(n, b, s2, True))
                    for k in range(n):
                        left += [
                            gate("cx", qubits=(k, n + k), slot=k),
                            measure("Z", _filter(m[k]), qubits=(n + k,), slot=k),
                        ]
                        if m2[k]:
                            left.append(gate("z", qubits=(k,), slot=k))
                        if m[k]:
                            right.append(gate("x", qubits=(n + k,), slot=k))
                        right += [
                            gate(gates[k], qubits=(n + k, k), slot=k),
                            gate("h", qubits=(n + k,), slot=k),
                            measure("Z", _filter(m2[k]), qubits=(n + k,), slot=k),
                        ]
                    branches.append(Branch(1.0, tuple(left), tuple(right)))
                label = f"b{b},{''.join(map(str, s))}|{''.join(map(str, s2))}"
                terms.append(QPDTerm(coef, tuple(branches), feedforward=True, label=label))
    return QPD(
        f"{'+'.join(gates)} joint",
        "block",
        tuple(terms),
        "Piveteau & Sutter, IEEE TIT 70, 2734 (2024); telegate: Eisert et al., PRA 62, 052317 (2000)",
        ancillas=(n, n),
        messages=(n, n),
        delays=2 * n,
    )
