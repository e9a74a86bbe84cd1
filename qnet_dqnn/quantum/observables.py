"""Pauli-string observables.

A Pauli string ``P = c · ⊗_q σ_q`` is monomial: ``(Pψ)[x] = c · phase[x] · ψ[x ⊕ m]`` with ``m`` the mask of
its X and Y factors (Y = iXZ, Nielsen & Chuang §10.5.1), so ``⟨ψ|P|ψ⟩`` costs one gather; a Z-only string
is diagonal, ``⟨Z_S⟩ = Σ_x (-1)^{popcount(x_S)} |ψ[x]|²``.

Examples:
    >>> PauliString.parse("Z0 Z1").label
    'Z0 Z1'
    >>> PauliString.z(2).is_diagonal
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError


@dataclass(frozen=True, slots=True)
class PauliString:
    """``coeff · ⊗ σ`` over the listed qubits (identity elsewhere).

    Attributes:
        paulis: ``((qubit, "X"|"Y"|"Z"), …)``, sorted by qubit.
        coeff: a real coefficient.
    """

    paulis: tuple[tuple[int, str], ...]
    coeff: float = 1.0

    def __post_init__(self) -> None:
        qs = [q for q, _ in self.paulis]
        if len(set(qs)) != len(qs):
            raise QnetError(f"a Pauli string names each qubit once (got {self.paulis!r})")
        for q, s in self.paulis:
            if s not in ("X", "Y", "Z") or q < 0:
                raise QnetError(f"Pauli factors are (qubit >= 0, 'X'|'Y'|'Z') (got {(q, s)!r})")
        object.__setattr__(self, "paulis", tuple(sorted(self.paulis)))

    @classmethod
    def z(cls, *qubits: int) -> PauliString:
        """``Z_{q1} Z_{q2} …``."""
        return cls(tuple((q, "Z") for q in qubits))

    @classmethod
    def parse(cls, text: str) -> PauliString:
        """Parse ``"Z0 X3"`` (factors separated by spaces)."""
        try:
            return cls(tuple((int(t[1:]), t[0].upper()) for t in text.split()))
        except (ValueError, IndexError):
            raise QnetError(f"cannot parse Pauli string {text!r} (expected e.g. 'Z0 X2')") from None

    @property
    def label(self) -> str:
        """``"Z0 Z1"`` form."""
        return " ".join(f"{s}{q}" for q, s in self.paulis)

    @property
    def qubits(self) -> tuple[int, ...]:
        """The qubits with a non-identity factor."""
        return tuple(q for q, _ in self.paulis)

    @property
    def is_diagonal(self) -> bool:
        """True for a Z-only string."""
        return all(s == "Z" for _, s in self.paulis)

    def check(self, n: int) -> None:
        """Raise if a qubit is outside an ``n``-qubit register."""
        if any(q >= n for q in self.qubits):
            raise QnetError(f"observable {self.label!r} acts outside a {n}-qubit register")

    def monomial(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(perm, phase)`` over logical indices with ``(Pψ)[x] = phase[x] ψ[perm[x]]``."""
        self.check(n)
        x = np.arange(2**n, dtype=np.int64)
        mask = 0
        phase = np.full(2**n, self.coeff, dtype=complex)
        for q, s in self.paulis:
            bit = (x >> (n - 1 - q)) & 1
            if s in ("X", "Y"):
                mask |= 1 << (n - 1 - q)
            if s == "Z":
                phase *= 1 - 2 * bit
            elif s == "Y":
                phase *= np.where(bit == 0, -1j, 1j)
        return x ^ mask, phase

    def matrix(self, n: int) -> np.ndarray:
        """The dense ``2**n × 2**n`` matrix (small ``n`` only)."""
        perm, phase = self.monomial(n)
        m = np.zeros((2**n, 2**n), dtype=complex)
        m[np.arange(2**n), perm] = phase
        return m


Observable = PauliString | str | int


def as_pauli(obs: Observable) -> PauliString:
    """Coerce ``PauliString``, ``"Z0 Z1"`` or a qubit index (meaning ``Z_q``)."""
    if isinstance(obs, PauliString):
        return obs
    if isinstance(obs, (int, np.integer)):
        return PauliString.z(int(obs))
    if isinstance(obs, str):
        return PauliString.parse(obs)
    raise QnetError(f"an observable is a PauliString, a string like 'Z0 Z1' or a qubit index (got {obs!r})")
