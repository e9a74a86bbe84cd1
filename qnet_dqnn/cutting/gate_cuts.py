"""Gate cuts: a quasi-probability decomposition for every two-qubit gate, at its optimal overhead.

**The construction.** Write the gate in KAK form (:mod:`~qnet_dqnn.cutting.kak`),
``U = (A₁⊗B₁) · Σ_k u_k σ_k⊗σ_k · (A₂⊗B₂)``. The local parts ``A, B`` run on their own side (the QPD's ``pre`` and
``post``); the core's channel expands as (Mitarai & Fujii, Quantum 5, 388 (2021), Sec. 2.3)

    Σ_{k,l} u_k ū_l (σ_kσ_k) ρ (σ_lσ_l) = Σ_k |u_k|² (σ_kσ_k)ρ(σ_kσ_k) + Σ_{k<l} [z ρ' B + z̄ B ρ']

with ``z = u_k ū_l``, ``ρ' = (σ_kσ_k)ρ(σ_kσ_k)`` and ``B = (σ_kσ_k)(σ_lσ_l) = ±σ_m⊗σ_m`` (the Pauli products commute).
The diagonal terms are local unitaries. For a pair term, with ``w = ±z = r e^{iφ}`` and ``a₁a₂ = e^{−iφ}``,

    w ρ (σ⊗σ) + w̄ (σ⊗σ) ρ = 2r [𝓜_{a₁} ⊗ 𝓜_{a₂} − 𝓜_{−ia₁} ⊗ 𝓜_{−ia₂}](ρ),

where ``𝓜_c(ρ) = K₊ρK₊† − K₋ρK₋†`` with ``K_± = (I ± cσ)/2`` is a two-outcome instrument whose outcome signs the
result (``K₊†K₊ + K₋†K₋ = I`` for ``|c| = 1``; expand both sides on ``ρ₁ ⊗ ρ₂`` to check). So every pair costs
``4|u_k u_l|`` and the decomposition has

    γ = Σ_k |u_k|² + 4 Σ_{k<l} |u_k||u_l| = 2(Σ_k |u_k|)² − 1,

the optimal overhead of a two-qubit unitary, which Schmitt, Piveteau & Sutter give in closed form
(arXiv:2312.11638 (2023); for CNOT γ = 3 and for RZZ(θ) γ = 1 + 2|sin θ| as in Mitarai & Fujii, NJP 23, 023021
(2021), Eq. 5; for SWAP and iSWAP γ = 7). With ``a₁ = 1`` the first side always measures ``σ`` projectively
(``c = ±1``) or rotates by ``∓π/2`` about it at random (``c = ±i``: ``K_± ∝ e^{±iπσ/4}``); the second side's
``c = e^{−iφ}`` is projective or a rotation when ``φ`` is a multiple of ``π/2`` — which it is for every gate of
qiskit's standard library, so those decompositions need no ancilla and their γ equals qiskit-addon-cutting's —
and otherwise a *generalized* measurement, realized on hardware by one ancilla (prepared by ``RX(ψ)``, coupled by a
CNOT, read out). qiskit-addon-cutting writes the same pair terms through real and imaginary parts separately
(``4(|Re z| + |Im z|)`` per pair), so for a generic unitary block its γ is larger (tested).

**Which KAK.** The parameterised gates (RXX, RYY, RZZ, RZX, CP, CRX, CRY, CRZ, XX±YY) use their analytic forms
(:data:`FAMILIES`): core coordinates linear in the gate angle ``φ`` and fixed local gates, so a trainable angle only
changes the coefficients — :attr:`QPD.derivatives` holds ``∂c_k/∂φ`` for the gradient — and the instruments stay the
same (their phase is fixed modulo π; the coefficient's sign absorbs the rest). Fixed gates and ``unitary`` blocks use
the numerical KAK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qnet_dqnn.cutting.kak import core_coefficients, core_derivatives, kak
from qnet_dqnn.cutting.qpd import QPD, SIGN, Branch, CutError, Instruction, QPDTerm, gate, measure
from qnet_dqnn.quantum.circuit import Data, Operation, Trainable, UnitaryMatrix
from qnet_dqnn.quantum.gates import gate_matrix, gate_spec, zyz_angles

__all__ = [
    "FAMILIES",
    "cut_operation",
    "cx_qpd",
    "cz_qpd",
    "gate_qpd",
    "nonlocal_qpd",
    "optimal_gamma",
    "pauli_rotation_qpd",
    "rxx_qpd",
    "ryy_qpd",
    "rzz_qpd",
]

_SIGMA = ("I", "X", "Y", "Z")
_ROT = {"X": "rx", "Y": "ry", "Z": "rz"}
#: Angles within this of a multiple of π/2 count as that multiple (float noise of the KAK).
_SNAP = 1e-9
#: Coefficients below this are dropped from fixed-angle decompositions.
_ZERO = 1e-13
#: Generic angles at which a trainable family's layout is fixed: its instrument phases are read at the first, and a
#: term that vanishes (with its derivative) at both is left out for every angle.
_REFERENCE_ANGLES = (0.7371, -1.9093)


def optimal_gamma(u: np.ndarray) -> float:
    """``2(Σ|u_k|)² − 1 = 1 + 2Σ_{k≠l}|u_k||u_l|`` for core coefficients ``u`` (see the module docstring).

    Examples:
        >>> round(optimal_gamma(np.array([0.5, 0.5j, 0.5j, 0.5])), 12)  # iSWAP
        7.0
    """
    return float(2.0 * np.abs(u).sum() ** 2 - 1.0)


def _instrument(pauli: str, psi: float) -> list[tuple[float, tuple[Instruction, ...]]]:
    """``𝓜_c`` for ``c = e^{iψ}`` about ``pauli`` as ``[(factor, instructions)]`` in canonical form."""
    q = (psi / (math.pi / 2)) % 4
    k = round(q)
    if abs(q - k) < _SNAP or abs(q - k) > 4 - _SNAP:
        k %= 4
        if k == 0:
            return [(1.0, (measure(pauli, SIGN),))]
        if k == 2:
            return [(-1.0, (measure(pauli, SIGN),))]
        # c = ±i: K_± = (I ± cσ)/2 = e^{±iπσ/4}/√2 (c = i) — a random ∓π/2 rotation, signed
        r = _ROT[pauli]
        first = -math.pi / 2 if k == 1 else math.pi / 2
        return [(0.5, (gate(r, first),)), (-0.5, (gate(r, -first),))]
    return [(1.0, (measure(pauli, SIGN, phase=psi),))]


def _pauli_gate(k: int) -> tuple[Instruction, ...]:
    return (gate(_SIGMA[k].lower()),) if k else ()


def _pair_phase(u: np.ndarray, k: int, m2: int) -> tuple[complex, int]:
    """``(w, m)``: the pair's ``w = ±u_k ū_l`` and the Pauli ``σ_m`` its instruments measure."""
    z = u[k] * np.conj(u[m2])
    if k == 0:
        return z, m2
    return -z, 6 - k - m2  # (σ_kσ_k)(σ_lσ_l) = −σ_mσ_m for distinct k, l, m in {1, 2, 3}


def _terms(
    u: np.ndarray, du: np.ndarray | None, phases: dict[tuple[int, int], float] | None
) -> list[tuple[float, float, tuple[Instruction, ...], tuple[Instruction, ...], str]]:
    """``[(c, ∂c/∂φ, left, right, label)]`` of the core (see the module docstring)."""
    out = []
    for k in range(4):
        c = float(abs(u[k]) ** 2)
        d = 0.0 if du is None else float(2.0 * np.real(np.conj(u[k]) * du[k]))
        out.append((c, d, _pauli_gate(k), _pauli_gate(k), _SIGMA[k] * 2))
    for k in range(4):
        for k2 in range(k + 1, 4):
            w, m = _pair_phase(u, k, k2)
            phi = float(np.angle(w)) if phases is None else phases[(k, k2)]
            rot = np.exp(-1j * phi)
            s = float(np.real(w * rot))
            if phases is not None and abs(np.imag(w * rot)) > 1e-9 * max(1.0, abs(w)):
                raise CutError("a trainable cut gate's instruments must not change with its angle")
            ds = 0.0
            if du is not None:
                dz = du[k] * np.conj(u[k2]) + u[k] * np.conj(du[k2])
                dz = dz if k == 0 else -dz
                ds = float(np.real(dz * rot))
            pre = _pauli_gate(k)
            sigma = _SIGMA[m]
            for sign, psi_l, psi_r in ((1.0, 0.0, -phi), (-1.0, -math.pi / 2, -math.pi / 2 - phi)):
                for fl, left in _instrument(sigma, psi_l):
                    for fr, right in _instrument(sigma, psi_r):
                        f = 2.0 * sign * fl * fr
                        label = f"{_SIGMA[k]}{_SIGMA[k2]}:{sign:+.0f}"
                        out.append((f * s, f * ds, pre + left, pre + right, label))
    return out


def nonlocal_qpd(
    u: np.ndarray,
    name: str,
    *,
    du: np.ndarray | None = None,
    phases: dict[tuple[int, int], float] | None = None,
    pre: tuple[tuple[Instruction, ...], tuple[Instruction, ...]] = ((), ()),
    post: tuple[tuple[Instruction, ...], tuple[Instruction, ...]] = ((), ()),
    keep: list[bool] | None = None,
    citation: str = "",
) -> QPD:
    """The optimal QPD of ``pre · (Σ u_k σ_k⊗σ_k) · post`` (module docstring).

    Args:
        u: core coefficients (:func:`~qnet_dqnn.cutting.kak.core_coefficients`).
        name: what is cut.
        du: ``∂u/∂φ`` for a trainable angle ``φ`` (the QPD then carries ``∂c_k/∂φ``).
        phases: fixed instrument phases per pair (a trainable family's, read at a reference angle).
        pre: per side, local instructions before the core.
        post: per side, local instructions after the core.
        keep: which of the terms (in :func:`_terms` order) to keep whatever their value — a trainable family keeps
            one layout for every angle; None drops the vanishing ones.
        citation: the source.
    """
    rows = _terms(np.asarray(u, dtype=complex), du, phases)
    terms, derivs = [], []
    for i, (c, d, left, right, label) in enumerate(rows):
        if (not keep[i]) if keep is not None else (abs(c) < _ZERO and abs(d) < _ZERO):
            continue
        terms.append(QPDTerm(c, (Branch(1.0, left, right),), label=label))
        derivs.append(d)
    generalized = any(i.phase != 0.0 for t in terms for i in t.branches[0].right)
    return QPD(
        name,
        "gate",
        tuple(terms),
        citation
        or "Mitarai & Fujii, Quantum 5, 388 (2021), Sec. 2.3; optimal γ: Schmitt, Piveteau & Sutter, "
        "arXiv:2312.11638 (2023)",
        pre=pre,
        post=post,
        derivatives=tuple(derivs) if du is not None else None,
        ancillas=(0, 1 if generalized else 0),
    )


@dataclass(frozen=True)
class Family:
    """A parameterised two-qubit gate in analytic KAK form: ``post · exp(i Σ_k m_k φ σ_kσ_k) · pre``.

    Local gates are ``(name, a)``: angle ``a·φ`` (``a`` None: no angle; ``a`` the string ``"beta"`` / ``"-beta"``:
    the gate's second, numeric parameter ``β``).
    """

    m: tuple[float, float, float]
    pre: tuple[tuple, tuple] = ((), ())
    post: tuple[tuple, tuple] = ((), ())


_HALF = 0.5
#: Parameterised gates (our matrices; the test reconstructs each from its family).
FAMILIES: dict[str, Family] = {
    "rxx": Family((-0.5, 0.0, 0.0)),
    "ryy": Family((0.0, -0.5, 0.0)),
    "rzz": Family((0.0, 0.0, -0.5)),
    # RZX = (I⊗H) RZZ (I⊗H)
    "rzx": Family((0.0, 0.0, -0.5), pre=((), (("h", None),)), post=((), (("h", None),))),
    # exp(iφ|11⟩⟨11|) = e^{iφ/4} (RZ(φ/2) ⊗ RZ(φ/2)) · exp(iφ/4 Z⊗Z)
    "cp": Family((0.0, 0.0, 0.25), post=((("rz", _HALF),), (("rz", _HALF),))),
    # CRZ(φ) = exp(−iφ/2 |1⟩⟨1|⊗Z) = (I ⊗ RZ(φ/2)) · exp(iφ/4 Z⊗Z)
    "crz": Family((0.0, 0.0, 0.25), post=((), (("rz", _HALF),))),
    "crx": Family((0.0, 0.0, 0.25), pre=((), (("h", None),)), post=((), (("rz", _HALF), ("h", None)))),
    "cry": Family(
        (0.0, 0.0, 0.25),
        pre=((), (("sdg", None), ("h", None))),
        post=((), (("rz", _HALF), ("h", None), ("s", None))),
    ),
    # XX+YY(φ, β) = RZ₀(−β) · exp(−iφ/4 (XX + YY)) · RZ₀(β)
    "xx_plus_yy": Family((-0.25, -0.25, 0.0), pre=((("rz", "beta"),), ()), post=((("rz", "-beta"),), ())),
    # XX−YY(φ, β) = RZ₁(β) · exp(−iφ/4 (XX − YY)) · RZ₁(−β)
    "xx_minus_yy": Family((-0.25, 0.25, 0.0), pre=((), (("rz", "-beta"),)), post=((), (("rz", "beta"),))),
}


def _local(spec: tuple, angle: float | Trainable, beta: float) -> Instruction:
    name, a = spec
    if a is None:
        return gate(name)
    if a == "beta":
        return gate(name, beta)
    if a == "-beta":
        return gate(name, -beta)
    if isinstance(angle, Trainable):
        return gate(name, Trainable(angle.index, angle.scale * a))
    return gate(name, a * float(angle))


def _family_qpd(name: str, angle: float | Trainable, value: float, beta: float) -> QPD:
    if not isinstance(angle, Trainable):
        return _numeric_family_qpd(name, float(value), beta)
    fam = FAMILIES[name]
    m = np.asarray(fam.m)
    pre = tuple(tuple(_local(s, angle, beta) for s in side) for side in fam.pre)
    post = tuple(tuple(_local(s, angle, beta) for s in side) for side in fam.post)
    u = core_coefficients(m * value)
    label = f"{name}({angle})"
    du = m @ core_derivatives(m * value)
    ref = core_coefficients(m * _REFERENCE_ANGLES[0])
    phases = {}
    for k in range(4):
        for k2 in range(k + 1, 4):
            w, _ = _pair_phase(ref, k, k2)
            phases[(k, k2)] = float(np.angle(w)) % math.pi
    keep = [False] * len(_terms(u, None, phases))
    for a in _REFERENCE_ANGLES:
        rows = _terms(core_coefficients(m * a), m @ core_derivatives(m * a), phases)
        keep = [k or abs(c) > _ZERO or abs(d) > _ZERO for k, (c, d, *_) in zip(keep, rows, strict=True)]
    return nonlocal_qpd(u, label, du=du, phases=phases, pre=pre, post=post, keep=keep)


@lru_cache(maxsize=1024)
def _numeric_family_qpd(name: str, value: float, beta: float) -> QPD:
    """A parameterised gate's QPD at a numeric angle (cached: a pure function of the angles)."""
    fam = FAMILIES[name]
    pre = tuple(tuple(_local(s, value, beta) for s in side) for side in fam.pre)
    post = tuple(tuple(_local(s, value, beta) for s in side) for side in fam.post)
    u = core_coefficients(np.asarray(fam.m) * value)
    return nonlocal_qpd(u, f"{name}({value:.6g})", pre=pre, post=post)


def _local_unitary(m: np.ndarray) -> tuple[Instruction, ...]:
    """A one-qubit unitary as ``rz·ry·rz`` instructions (Z-Y-Z Euler angles), identities left out."""
    a, b, c = zyz_angles(m)
    out = [gate(n, v) for n, v in (("rz", c), ("ry", b), ("rz", a)) if abs(math.remainder(v, 4 * math.pi)) > 1e-12]
    return tuple(out)


@lru_cache(maxsize=256)
def _fixed_qpd(name: str, entries: tuple[complex, ...]) -> QPD:
    """The QPD of a gate with a fixed matrix (cached: a pure function of the matrix)."""
    return _matrix_qpd(name, np.array(entries, dtype=complex).reshape(4, 4))


def _matrix_qpd(name: str, matrix: np.ndarray) -> QPD:
    d = kak(matrix)
    pre = (_local_unitary(d.before[0]), _local_unitary(d.before[1]))
    post = (_local_unitary(d.after[0]), _local_unitary(d.after[1]))
    return nonlocal_qpd(core_coefficients(d.coordinates), name, pre=pre, post=post)


def cut_operation(op: Operation, params: np.ndarray | None = None, where: str = "") -> QPD:
    """The decomposition that cuts ``op``.

    Args:
        op: a two-qubit gate of the circuit.
        params: the trainable parameter vector (needed when the gate's angle is trainable; the QPD then holds
            the coefficients at that angle and their derivatives).
        where: how to name the operation in errors (e.g. ``"op 5"``).

    Raises:
        CutError: naming the gate and the reason — a channel, not two qubits, a data-dependent angle, a
            trainable angle without ``params``, or a trainable ``unitary``.
    """
    at = f"{where} " if where else ""
    if op.is_channel:
        raise CutError(f"cannot cut {at}{op.name!r}: it is a noise channel, not a gate")
    if len(op.qubits) != 2:
        raise CutError(
            f"cannot cut {at}{op.name!r} on qubits {op.qubits}: a gate cut needs a two-qubit gate "
            f"(decompose a {len(op.qubits)}-qubit gate into one- and two-qubit gates first)"
        )
    spec = gate_spec(op.name)
    if op.name == "unitary":
        m = op.params[0]
        if not isinstance(m, UnitaryMatrix):  # pragma: no cover - the circuit checks this
            raise CutError(f"{at}'unitary' needs its matrix")
        return _fixed_qpd("unitary", m.entries)
    if spec.num_params == 0:
        return _fixed_qpd(op.name, tuple(complex(v) for v in gate_matrix(op.name).reshape(-1)))
    angle = op.params[0]
    if isinstance(angle, Data):
        raise CutError(
            f"cannot cut {at}{op.name!r}: its angle reads input data, so its coefficients would differ per input; "
            "cut a wire next to it instead"
        )
    if op.name not in FAMILIES:  # pragma: no cover - every parameterised two-qubit gate has a family
        raise CutError(f"cannot cut {at}{op.name!r}: no decomposition known")
    beta = float(op.params[1]) if spec.extra_params else 0.0
    if isinstance(angle, Trainable):
        if params is None:
            raise CutError(f"cutting {at}{op.name!r} with a trainable angle needs the parameter values")
        p = np.asarray(params, dtype=float)
        if angle.index >= p.shape[-1]:
            raise CutError(f"{at}{op.name!r} reads parameter {angle.index}, but only {p.shape[-1]} were given")
        return _family_qpd(op.name, angle, angle.scale * float(p[angle.index]), beta)
    return _family_qpd(op.name, float(angle), float(angle), beta)


def gate_qpd(name: str, angle: float | None = None, *extra: float) -> QPD:
    """The decomposition of gate ``name`` at a numeric ``angle`` (convenience for :func:`cut_operation`).

    Raises:
        CutError: for an unknown gate, a one-qubit gate, or a missing angle.
    """
    spec = gate_spec(name) if name != "unitary" else None
    if spec is None:
        raise CutError("a 'unitary' block is cut through cut_operation (it carries its matrix)")
    params = () if spec.num_params == 0 else (angle, *extra)
    if spec.num_params and not isinstance(angle, (int, float, np.floating, np.integer)):
        raise CutError(f"cutting {name!r} needs a numeric angle (got {angle!r})")
    qubits = tuple(range(spec.num_qubits))
    return cut_operation(Operation(name, qubits, tuple(float(p) for p in params)))


def pauli_rotation_qpd(a: str, b: str, theta: float) -> QPD:
    """Gate cut of ``exp(-iθ/2 A⊗B)`` for Paulis ``A, B``: six terms, ``γ = 1 + 2|sin θ|`` (Mitarai & Fujii,
    NJP 23, 023021 (2021), Eq. 5), as the core ``exp(-iθ/2 Z⊗Z)`` between local basis changes."""
    to_z = {"X": (gate("h"),), "Y": (gate("sdg"), gate("h")), "Z": ()}
    back = {"X": (gate("h"),), "Y": (gate("h"), gate("s")), "Z": ()}
    for p in (a, b):
        if p not in to_z:
            raise CutError(f"Pauli must be 'X', 'Y' or 'Z' (got {p!r})")
    th = float(theta)
    return nonlocal_qpd(
        core_coefficients(np.array([0.0, 0.0, -th / 2])),
        f"r{a.lower()}{b.lower()}({th:.6g})",
        pre=(to_z[a], to_z[b]),
        post=(back[a], back[b]),
        citation="Mitarai & Fujii, New J. Phys. 23, 023021 (2021), Eq. 5",
    )


def rzz_qpd(theta: float) -> QPD:
    """Gate cut of ``RZZ(θ)``: ``γ = 1 + 2|sin θ|``."""
    return gate_qpd("rzz", theta)


def rxx_qpd(theta: float) -> QPD:
    """Gate cut of ``RXX(θ)``: ``γ = 1 + 2|sin θ|``."""
    return gate_qpd("rxx", theta)


def ryy_qpd(theta: float) -> QPD:
    """Gate cut of ``RYY(θ)``: ``γ = 1 + 2|sin θ|``."""
    return gate_qpd("ryy", theta)


def cz_qpd() -> QPD:
    """Gate cut of CZ, ``γ = 3``."""
    return gate_qpd("cz")


def cx_qpd() -> QPD:
    """Gate cut of CNOT (control = first qubit), ``γ = 3``."""
    return gate_qpd("cx")
