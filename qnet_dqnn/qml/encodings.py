"""Data encodings and their resources, including the review's distributed-encoding formulas.

An encoding turns a feature vector into a state: either by a circuit whose angles read the features
(:class:`~qnet_dqnn.quantum.circuit.Data` references, after an optional feature transform), or by an
initial state vector. Each reports :class:`Resources` (qubits, gates, two-qubit gates, depth).

Distributed formulas (review, §5, Eqs. 6–16): a dataset of ``M`` samples with ``N`` (one-bit) features,
split over ``L`` nodes holding ``K = M/L`` samples each:

- basis encoding (Eq. 8): ``N`` qubits, ``O(NM)`` gates on one node (Ventura & Martinez 2000); split
  (Eqs. 9–10): ``N`` qubits and ``O(NK)`` gates per node, ``L·N`` qubits in total, ``O(NKL) = O(NM)`` gates;
- amplitude encoding (Eqs. 11–13): ``⌈log₂(MN)⌉`` qubits on one node; split (Eqs. 14–16):
  ``⌈log₂(KN)⌉`` per node, ``L·⌈log₂(KN)⌉`` in total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data


@dataclass(frozen=True, slots=True)
class Resources:
    """Gate resources of a state preparation.

    Attributes:
        qubits: register size.
        gates: total gate count.
        two_qubit_gates: two-qubit (CNOT-type) gates.
        depth: circuit depth (ASAP layers).
    """

    qubits: int
    gates: int
    two_qubit_gates: int
    depth: int

    @classmethod
    def of(cls, circuit: Circuit) -> Resources:
        """Count a circuit."""
        return cls(circuit.num_qubits, len(circuit.gates()), len(circuit.two_qubit_gates()), circuit.depth())


class Encoding:
    """Base class: ``circuit()`` (may be empty), ``transform(x)`` and ``initial_state(x)``."""

    num_qubits: int

    def circuit(self) -> Circuit:
        """The encoding circuit (angles read the transformed features)."""
        return Circuit(self.num_qubits)

    def transform(self, x: np.ndarray) -> np.ndarray | None:
        """Features the circuit reads, ``(B, F')``; ``None`` when the circuit reads none."""
        return np.atleast_2d(np.asarray(x, dtype=float))

    def initial_state(self, x: np.ndarray) -> np.ndarray | None:
        """Starting states ``(B, 2**n)``, or ``None`` for ``|0…0⟩``."""
        return None

    def resources(self) -> Resources:
        """Resources of one encoded sample."""
        return Resources.of(self.circuit())


@dataclass
class AngleEncoding(Encoding):
    """Angle (tensor-product) encoding: ``R(scale · x_q)`` on qubit ``q`` (Schuld & Killoran, PRL 122,
    040504 (2019); review §5.3). Feature ``q mod F`` feeds qubit ``q`` when there are fewer features."""

    num_qubits: int
    num_features: int | None = None
    rotation: str = "ry"
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.rotation not in ("rx", "ry", "rz"):
            raise QnetError(f"AngleEncoding.rotation must be 'rx', 'ry' or 'rz' (got {self.rotation!r})")

    def circuit(self) -> Circuit:
        """One rotation per qubit."""
        f = self.num_features or self.num_qubits
        c = Circuit(self.num_qubits)
        for q in range(self.num_qubits):
            if self.rotation == "rz":
                c.h(q)
            c.append(self.rotation, [q], [Data(q % f, self.scale)])
        return c


@dataclass
class BasisEncoding(Encoding):
    """Basis encoding of a bit string: ``|x⟩`` via ``RY(π x_q)`` (= X for a 1 bit) (review §5.1)."""

    num_qubits: int

    def circuit(self) -> Circuit:
        """``RY(π x_q)`` on each qubit."""
        c = Circuit(self.num_qubits)
        for q in range(self.num_qubits):
            c.ry(q, Data(q, math.pi))
        return c

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Features must be bits."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if not np.all((x == 0) | (x == 1)):
            raise QnetError("BasisEncoding needs 0/1 features")
        return x


def mottonen_resources(num_qubits: int) -> Resources:
    """Gates of real-amplitude state preparation by uniformly controlled RY rotations.

    Möttönen, Vartiainen, Bergholm & Salomaa, *Transformation of quantum states using uniformly controlled
    rotations*, QIC 5, 467 (2005), arXiv:quant-ph/0407010 (2004): the rotation with ``k`` controls costs
    ``2^k`` RY and ``2^k`` CNOTs (``k ≥ 1``), so a real vector on ``n`` qubits needs ``2^n − 1`` RY and
    ``2^n − 2`` CNOTs, in depth ``1 + Σ_{k=1}^{n-1} 2^{k+1} = 2^{n+1} − 3``.
    """
    n = int(num_qubits)
    if n < 1:
        raise QnetError(f"num_qubits must be >= 1 (got {num_qubits!r})")
    ry, cx = 2**n - 1, 2**n - 2
    return Resources(n, ry + cx, cx, 2 ** (n + 1) - 3)


@dataclass
class AmplitudeEncoding(Encoding):
    """Amplitude encoding ``|x⟩ = Σ_i x_i |i⟩ / ‖x‖`` (review Eq. 12), zero-padded to ``2**n`` entries.

    Built as an initial state vector; :meth:`resources` reports the Möttönen et al. construction.
    """

    num_qubits: int

    def transform(self, x: np.ndarray) -> None:
        """The circuit reads no features."""
        return None

    def initial_state(self, x: np.ndarray) -> np.ndarray:
        """Normalised, zero-padded data vectors."""
        return amplitude_state(x, self.num_qubits)

    def resources(self) -> Resources:
        """Möttönen et al. gate counts for ``num_qubits``."""
        return mottonen_resources(self.num_qubits)


@dataclass
class IQPEncoding(Encoding):
    """IQP / Hamiltonian encoding of Havlíček et al., Nature 567, 209 (2019), Eq. (33) of the Methods:
    ``U_Φ(x) = exp(i Σ_S φ_S(x) Π_{i∈S} Z_i)`` with ``φ_i = x_i`` and ``φ_ij = (π − x_i)(π − x_j)``,
    applied as ``(U_Φ H^{⊗n})^{reps}``. ``RZ(−2φ)`` and ``RZZ(−2φ)`` realise each term exactly; pairs are
    all ``i < j`` (``"full"``) or neighbours (``"linear"``).
    """

    num_qubits: int
    reps: int = 2
    pairs: str = "full"

    def _pairs(self) -> list[tuple[int, int]]:
        n = self.num_qubits
        if self.pairs == "linear":
            return [(i, i + 1) for i in range(n - 1)]
        if self.pairs == "full":
            return [(i, j) for i in range(n) for j in range(i + 1, n)]
        raise QnetError(f"IQPEncoding.pairs must be 'full' or 'linear' (got {self.pairs!r})")

    def circuit(self) -> Circuit:
        """``reps`` × (H on all, RZ(−2x_i), RZZ(−2φ_ij))."""
        n = self.num_qubits
        c = Circuit(n)
        for _ in range(self.reps):
            for q in range(n):
                c.h(q)
            for q in range(n):
                c.rz(q, Data(q, -2.0))
            for k, (i, j) in enumerate(self._pairs()):
                c.rzz(i, j, Data(n + k, -2.0))
        return c

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``[x_1..x_n, (π−x_i)(π−x_j) for each pair]``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))[:, : self.num_qubits]
        pair = [(np.pi - x[:, i]) * (np.pi - x[:, j]) for i, j in self._pairs()]
        return np.column_stack([x] + pair) if pair else x


@dataclass
class StateInput(Encoding):
    """Quantum data: each sample *is* a state vector (from a source node); nothing to encode."""

    num_qubits: int

    def transform(self, x: np.ndarray) -> None:
        """The circuit reads no features."""
        return None

    def initial_state(self, x: np.ndarray) -> np.ndarray:
        """The samples themselves, checked for length."""
        psi = np.atleast_2d(np.asarray(x, dtype=complex))
        if psi.shape[1] != 2**self.num_qubits:
            raise QnetError(f"StateInput expects {2**self.num_qubits} amplitudes (got {psi.shape[1]})")
        return psi

    def resources(self) -> Resources:
        """Nothing is prepared on the QPU."""
        return Resources(self.num_qubits, 0, 0, 0)


# ---------------------------------------------------------------------- dataset states and formulas
def amplitude_state(x: np.ndarray, num_qubits: int | None = None) -> np.ndarray:
    """Rows of ``x`` normalised and zero-padded to ``2**n`` (review Eqs. 12–13)."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = num_qubits if num_qubits is not None else max(1, math.ceil(math.log2(x.shape[1])))
    if x.shape[1] > 2**n:
        raise QnetError(f"{x.shape[1]} amplitudes do not fit in {n} qubits")
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norm == 0):
        raise QnetError("amplitude encoding of an all-zero vector")
    out = np.zeros((x.shape[0], 2**n), dtype=complex)
    out[:, : x.shape[1]] = x / norm
    return out


def basis_dataset_state(bits: np.ndarray) -> np.ndarray:
    """``|D⟩ = Σ_m |x^(m)⟩ / √M`` (review Eq. 8) for an ``(M, N)`` 0/1 array; qubit 0 = first feature.

    Repeated samples add their amplitudes; the result is renormalised.
    """
    b = np.atleast_2d(np.asarray(bits, dtype=int))
    if not np.all((b == 0) | (b == 1)):
        raise QnetError("basis encoding needs 0/1 features")
    n = b.shape[1]
    idx = b @ (1 << np.arange(n - 1, -1, -1))
    psi = np.bincount(idx, minlength=2**n).astype(complex)
    return psi / np.linalg.norm(psi)


def amplitude_dataset_state(x: np.ndarray) -> np.ndarray:
    """``|D⟩ = Σ_i α_i |i⟩ / |α|`` with ``α`` the concatenated samples (review Eqs. 11–13)."""
    alpha = np.asarray(x, dtype=float).reshape(1, -1)
    return amplitude_state(alpha)[0]


def split_dataset(x: np.ndarray, num_nodes: int) -> list[np.ndarray]:
    """Consecutive splits ``D_1 … D_L`` (review Eq. 7); the last may be shorter when ``L ∤ M``."""
    if num_nodes < 1:
        raise QnetError(f"num_nodes must be >= 1 (got {num_nodes!r})")
    x = np.asarray(x)
    k = math.ceil(x.shape[0] / num_nodes)
    return [x[j * k : (j + 1) * k] for j in range(num_nodes)]


@dataclass(frozen=True, slots=True)
class EncodingCost:
    """Qubits and gate-count order of a (possibly distributed) dataset encoding.

    Attributes:
        qubits_per_node: qubits one node needs.
        qubits_total: qubits over all nodes.
        gates_per_node: gate-count order per node (``None`` when the review gives none).
        gates_total: gate-count order over all nodes.
    """

    qubits_per_node: int
    qubits_total: int
    gates_per_node: int | None
    gates_total: int | None


def _split(m: int, n: int, nodes: int) -> int:
    if m < 1 or n < 1 or nodes < 1:
        raise QnetError(f"need M >= 1, N >= 1, L >= 1 (got M={m}, N={n}, L={nodes})")
    return math.ceil(m / nodes)


def basis_encoding_cost(num_samples: int, num_features: int, num_nodes: int = 1) -> EncodingCost:
    """Review §5.1: ``N`` qubits and ``O(NM)`` gates on one node; ``N`` qubits and ``O(NK)`` gates per node,
    ``L·N`` qubits and ``O(NKL)`` gates in total when split over ``L`` nodes (``K = ⌈M/L⌉``).

    Examples:
        >>> basis_encoding_cost(100, 8)
        EncodingCost(qubits_per_node=8, qubits_total=8, gates_per_node=800, gates_total=800)
        >>> basis_encoding_cost(100, 8, 4)
        EncodingCost(qubits_per_node=8, qubits_total=32, gates_per_node=200, gates_total=800)
    """
    k = _split(num_samples, num_features, num_nodes)
    n = num_features
    return EncodingCost(n, num_nodes * n, n * k, n * k * num_nodes)


def amplitude_encoding_cost(num_samples: int, num_features: int, num_nodes: int = 1) -> EncodingCost:
    """Review §5.2: ``⌈log₂(MN)⌉`` qubits on one node; ``⌈log₂(KN)⌉`` per node and ``L·⌈log₂(KN)⌉`` in
    total over ``L`` nodes (``K = ⌈M/L⌉``). Gate orders follow Möttönen et al.: ``2^q − 1`` RY plus
    ``2^q − 2`` CNOTs for ``q`` qubits.

    Examples:
        >>> amplitude_encoding_cost(64, 4).qubits_total
        8
        >>> amplitude_encoding_cost(64, 4, 4).qubits_total
        24
    """
    k = _split(num_samples, num_features, num_nodes)
    q = max(1, math.ceil(math.log2(k * num_features)))
    gates = mottonen_resources(q).gates
    return EncodingCost(q, num_nodes * q, gates, gates * num_nodes)
