"""Circuit intermediate representation: operations, parameter references and a builder.

A :class:`Circuit` is an ordered list of :class:`Operation`. A gate angle is a float, a
:class:`Trainable` reference into the model's parameter vector, or a :class:`Data` reference into an input
feature vector; both references carry a ``scale`` (angle = ``scale * value``). An operation may carry a
``node`` tag naming the QPU that runs it (used by the distributed strategies). Noise channels are
operations too (kind ``"channel"``), so the network can annotate a circuit with the noise it caused.

Examples:
    >>> c = Circuit(2).ry(0, Data(0)).ry(1, Data(1)).rz(0, Trainable(0)).cx(0, 1)
    >>> c.num_qubits, c.depth(), c.num_trainable, c.num_features
    (2, 3, 1, 2)
    >>> c.gate_counts()
    {'ry': 2, 'rz': 1, 'cx': 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.gates import gate_spec


@dataclass(frozen=True, slots=True)
class Trainable:
    """A reference to entry ``index`` of the trainable parameter vector; angle = ``scale * theta[index]``."""

    index: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.index < 0:
            raise QnetError(f"Trainable.index must be >= 0 (got {self.index!r})")


@dataclass(frozen=True, slots=True)
class Data:
    """A reference to feature ``index`` of an input vector; angle = ``scale * x[index]``."""

    index: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.index < 0:
            raise QnetError(f"Data.index must be >= 0 (got {self.index!r})")


@dataclass(frozen=True, slots=True)
class UnitaryMatrix:
    """The matrix of a ``unitary`` block, stored as a hashable tuple (row-major, qubit 0 most significant).

    Attributes:
        entries: the ``d × d`` complex entries, row by row.
    """

    entries: tuple[complex, ...]

    @classmethod
    def of(cls, matrix: np.ndarray, atol: float = 1e-9) -> UnitaryMatrix:
        """Wrap a square unitary matrix; raises :class:`QnetError` for a non-unitary or non-square one."""
        m = np.asarray(matrix, dtype=complex)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise QnetError(f"a unitary block needs a square matrix (got shape {m.shape})")
        if not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=atol):
            raise QnetError("a unitary block's matrix must be unitary (U†U = I)")
        return cls(tuple(complex(v) for v in m.reshape(-1)))

    @property
    def matrix(self) -> np.ndarray:
        """The matrix as a NumPy array."""
        d = round(len(self.entries) ** 0.5)
        return np.array(self.entries, dtype=complex).reshape(d, d)


ParamValue = float | Trainable | Data


@dataclass(frozen=True, slots=True)
class Operation:
    """One gate or channel.

    Attributes:
        name: gate name (see :data:`qnet_dqnn.quantum.gates.GATES`).
        qubits: the qubits it acts on, in gate order (control first for ``cx``).
        params: angles (float, :class:`Trainable` or :class:`Data`) or channel parameters (floats).
        node: optional name of the QPU that runs this operation.
    """

    name: str
    qubits: tuple[int, ...]
    params: tuple[ParamValue, ...] = ()
    node: str | None = None

    @property
    def kind(self) -> str:
        """``"kron"``, ``"mono"``, ``"dense"`` or ``"channel"`` (see :mod:`qnet_dqnn.quantum.gates`)."""
        return gate_spec(self.name).kind

    @property
    def is_channel(self) -> bool:
        """True for a noise channel."""
        return self.kind == "channel"

    @property
    def trainable(self) -> tuple[Trainable, ...]:
        """The trainable references among the parameters."""
        return tuple(p for p in self.params if isinstance(p, Trainable))


@dataclass
class Circuit:
    """An ordered list of operations on ``num_qubits`` qubits, with chainable builder methods.

    Attributes:
        num_qubits: register size.
        ops: the operations, in time order.
    """

    num_qubits: int
    ops: list[Operation] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.num_qubits < 1:
            raise QnetError(f"Circuit.num_qubits must be >= 1 (got {self.num_qubits!r})")
        self.ops = list(self.ops)
        self._version = 0
        for op in self.ops:
            self._check(op)

    # ------------------------------------------------------------------ building
    def _check(self, op: Operation) -> None:
        spec = gate_spec(op.name)
        if len(op.qubits) != spec.num_qubits:
            raise QnetError(f"gate {op.name!r} acts on {spec.num_qubits} qubit(s) (got {op.qubits!r})")
        if len(set(op.qubits)) != len(op.qubits):
            raise QnetError(f"gate {op.name!r} needs distinct qubits (got {op.qubits!r})")
        for q in op.qubits:
            if not 0 <= q < self.num_qubits:
                raise QnetError(f"qubit {q} out of range for a {self.num_qubits}-qubit circuit")
        if len(op.params) != spec.num_params:
            raise QnetError(f"gate {op.name!r} takes {spec.num_params} parameter(s) (got {len(op.params)})")
        if spec.kind == "channel" and not all(isinstance(p, (int, float)) for p in op.params):
            raise QnetError(f"channel {op.name!r} takes numeric parameters only (got {op.params!r})")
        if op.name == "unitary":
            m = op.params[0]
            if not isinstance(m, UnitaryMatrix) or len(m.entries) != 4 ** len(op.qubits):
                raise QnetError(
                    f"a unitary block on {len(op.qubits)} qubits takes a {2 ** len(op.qubits)}x"
                    f"{2 ** len(op.qubits)} UnitaryMatrix (got {m!r})"
                )
        elif any(isinstance(p, UnitaryMatrix) for p in op.params):
            raise QnetError(f"gate {op.name!r} takes angles, not a matrix")
        for p in op.params[len(op.params) - spec.extra_params :] if spec.extra_params else ():
            if not isinstance(p, (int, float)):
                raise QnetError(
                    f"gate {op.name!r}: its last {spec.extra_params} parameter(s) must be numbers (got {p!r})"
                )

    def append(
        self, name: str, qubits: Sequence[int], params: Sequence[ParamValue] = (), node: str | None = None
    ) -> Circuit:
        """Append one operation and return ``self`` (for chaining)."""
        par = tuple(
            float(p) if isinstance(p, (int, float, np.floating, np.integer)) and not isinstance(p, bool) else p
            for p in params
        )
        op = Operation(name, tuple(int(q) for q in qubits), par, node)
        self._check(op)
        self.ops.append(op)
        self._version += 1
        return self

    def extend(self, other: Circuit | Iterable[Operation]) -> Circuit:
        """Append every operation of ``other`` and return ``self``."""
        ops = other.ops if isinstance(other, Circuit) else list(other)
        for op in ops:
            self._check(op)
            self.ops.append(op)
        self._version += 1
        return self

    def copy(self) -> Circuit:
        """A shallow copy (operations are immutable)."""
        return Circuit(self.num_qubits, list(self.ops))

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __add__(self, other: Circuit) -> Circuit:
        if other.num_qubits != self.num_qubits:
            raise QnetError(f"cannot join circuits of {self.num_qubits} and {other.num_qubits} qubits")
        return Circuit(self.num_qubits, self.ops + other.ops)

    # one-qubit gates
    def i(self, q: int) -> Circuit:
        """Identity (a no-op that still occupies a layer when scheduled)."""
        return self.append("i", [q])

    def h(self, q: int) -> Circuit:
        """Hadamard."""
        return self.append("h", [q])

    def x(self, q: int) -> Circuit:
        """Pauli X."""
        return self.append("x", [q])

    def y(self, q: int) -> Circuit:
        """Pauli Y."""
        return self.append("y", [q])

    def z(self, q: int) -> Circuit:
        """Pauli Z."""
        return self.append("z", [q])

    def s(self, q: int) -> Circuit:
        """Phase gate S = diag(1, i)."""
        return self.append("s", [q])

    def sdg(self, q: int) -> Circuit:
        """S†."""
        return self.append("sdg", [q])

    def t(self, q: int) -> Circuit:
        """T = diag(1, e^{iπ/4})."""
        return self.append("t", [q])

    def tdg(self, q: int) -> Circuit:
        """T†."""
        return self.append("tdg", [q])

    def sx(self, q: int) -> Circuit:
        """√X."""
        return self.append("sx", [q])

    def rx(self, q: int, theta: ParamValue) -> Circuit:
        """RX(θ) = exp(-iθX/2)."""
        return self.append("rx", [q], [theta])

    def ry(self, q: int, theta: ParamValue) -> Circuit:
        """RY(θ) = exp(-iθY/2)."""
        return self.append("ry", [q], [theta])

    def rz(self, q: int, theta: ParamValue) -> Circuit:
        """RZ(θ) = exp(-iθZ/2)."""
        return self.append("rz", [q], [theta])

    def p(self, q: int, theta: ParamValue) -> Circuit:
        """Phase P(θ) = diag(1, e^{iθ})."""
        return self.append("p", [q], [theta])

    # two-qubit gates
    def cx(self, control: int, target: int) -> Circuit:
        """CNOT."""
        return self.append("cx", [control, target])

    def cz(self, a: int, b: int) -> Circuit:
        """Controlled Z."""
        return self.append("cz", [a, b])

    def swap(self, a: int, b: int) -> Circuit:
        """SWAP."""
        return self.append("swap", [a, b])

    def rzz(self, a: int, b: int, theta: ParamValue) -> Circuit:
        """RZZ(θ) = exp(-iθ Z⊗Z/2)."""
        return self.append("rzz", [a, b], [theta])

    def rxx(self, a: int, b: int, theta: ParamValue) -> Circuit:
        """RXX(θ) = exp(-iθ X⊗X/2)."""
        return self.append("rxx", [a, b], [theta])

    def ryy(self, a: int, b: int, theta: ParamValue) -> Circuit:
        """RYY(θ) = exp(-iθ Y⊗Y/2)."""
        return self.append("ryy", [a, b], [theta])

    def rzx(self, a: int, b: int, theta: ParamValue) -> Circuit:
        """RZX(θ) = exp(-iθ Z⊗X/2) (Z on ``a``)."""
        return self.append("rzx", [a, b], [theta])

    def cy(self, control: int, target: int) -> Circuit:
        """Controlled Y."""
        return self.append("cy", [control, target])

    def ch(self, control: int, target: int) -> Circuit:
        """Controlled Hadamard."""
        return self.append("ch", [control, target])

    def cs(self, control: int, target: int) -> Circuit:
        """Controlled S = diag(1, 1, 1, i)."""
        return self.append("cs", [control, target])

    def csdg(self, control: int, target: int) -> Circuit:
        """Controlled S† = diag(1, 1, 1, -i)."""
        return self.append("csdg", [control, target])

    def csx(self, control: int, target: int) -> Circuit:
        """Controlled √X."""
        return self.append("csx", [control, target])

    def cp(self, control: int, target: int, theta: ParamValue) -> Circuit:
        """Controlled phase CP(θ) = diag(1, 1, 1, e^{iθ})."""
        return self.append("cp", [control, target], [theta])

    def crx(self, control: int, target: int, theta: ParamValue) -> Circuit:
        """Controlled RX(θ) = exp(-iθ |1⟩⟨1|⊗X/2)."""
        return self.append("crx", [control, target], [theta])

    def cry(self, control: int, target: int, theta: ParamValue) -> Circuit:
        """Controlled RY(θ)."""
        return self.append("cry", [control, target], [theta])

    def crz(self, control: int, target: int, theta: ParamValue) -> Circuit:
        """Controlled RZ(θ) = diag(1, 1, e^{-iθ/2}, e^{iθ/2})."""
        return self.append("crz", [control, target], [theta])

    def dcx(self, a: int, b: int) -> Circuit:
        """Double CNOT: CX(a, b) then CX(b, a)."""
        return self.append("dcx", [a, b])

    def ecr(self, a: int, b: int) -> Circuit:
        """Echoed cross-resonance gate (X⊗I − Y⊗X)/√2."""
        return self.append("ecr", [a, b])

    def iswap(self, a: int, b: int) -> Circuit:
        """iSWAP: |01⟩ → i|10⟩, |10⟩ → i|01⟩."""
        return self.append("iswap", [a, b])

    def xx_plus_yy(self, a: int, b: int, theta: ParamValue, beta: float = 0.0) -> Circuit:
        """qiskit's XX+YY(θ, β) interaction (``β`` a number)."""
        return self.append("xx_plus_yy", [a, b], [theta, beta])

    def xx_minus_yy(self, a: int, b: int, theta: ParamValue, beta: float = 0.0) -> Circuit:
        """qiskit's XX−YY(θ, β) interaction (``β`` a number)."""
        return self.append("xx_minus_yy", [a, b], [theta, beta])

    def unitary(self, a: int, b: int, matrix: np.ndarray | UnitaryMatrix) -> Circuit:
        """A two-qubit block given by its 4×4 unitary (qubit ``a`` the left tensor factor)."""
        m = matrix if isinstance(matrix, UnitaryMatrix) else UnitaryMatrix.of(matrix)
        return self.append("unitary", [a, b], [m])

    # channels
    def pauli_channel(self, q: int, px: float, py: float, pz: float) -> Circuit:
        """A one-qubit Pauli channel ρ → (1-px-py-pz)ρ + px XρX + py YρY + pz ZρZ."""
        return self.append("pauli1", [q], [px, py, pz])

    def pauli_channel2(self, a: int, b: int, probs: Sequence[float]) -> Circuit:
        """A two-qubit Pauli channel; ``probs`` are the 15 probabilities of IX, IY, IZ, XI, …, ZZ."""
        return self.append("pauli2", [a, b], list(probs))

    def depolarize(self, qubits: Sequence[int], p: float) -> Circuit:
        """Depolarizing channel on 1 or 2 qubits: ρ → (1-p)ρ + p·(uniform non-identity Pauli)."""
        name = "depolarize1" if len(qubits) == 1 else "depolarize2"
        return self.append(name, qubits, [p])

    def thermal(self, q: int, duration_s: float, t1_s: float, t2_s: float) -> Circuit:
        """Idle T1/T2 relaxation for ``duration_s`` seconds (see :func:`qnet_dqnn.quantum.noise.thermal_kraus`)."""
        return self.append("thermal", [q], [duration_s, t1_s, t2_s])

    # ------------------------------------------------------------------ queries
    @property
    def num_trainable(self) -> int:
        """One more than the largest trainable index used (0 when none)."""
        idx = [p.index for op in self.ops for p in op.params if isinstance(p, Trainable)]
        return max(idx) + 1 if idx else 0

    @property
    def num_features(self) -> int:
        """One more than the largest data index used (0 when none)."""
        idx = [p.index for op in self.ops for p in op.params if isinstance(p, Data)]
        return max(idx) + 1 if idx else 0

    @property
    def has_channels(self) -> bool:
        """True if any operation is a noise channel."""
        return any(op.is_channel for op in self.ops)

    def gates(self) -> list[Operation]:
        """The unitary operations (channels left out)."""
        return [op for op in self.ops if not op.is_channel]

    def gate_counts(self) -> dict[str, int]:
        """Number of each gate by name (channels left out), in first-appearance order."""
        return dict(Counter(op.name for op in self.gates()))

    def two_qubit_gates(self) -> list[Operation]:
        """The two-qubit gates, in time order."""
        return [op for op in self.gates() if len(op.qubits) == 2]

    def layers(self) -> list[list[Operation]]:
        """ASAP schedule: each gate goes in the first layer after the last gate on any of its qubits.

        Channels are instantaneous and take no layer.
        """
        level = [0] * self.num_qubits
        out: list[list[Operation]] = []
        for op in self.gates():
            layer = max(level[q] for q in op.qubits)
            if layer == len(out):
                out.append([])
            out[layer].append(op)
            for q in op.qubits:
                level[q] = layer + 1
        return out

    def depth(self) -> int:
        """Number of ASAP layers of gates."""
        return len(self.layers())

    def trainable_occurrences(self) -> list[tuple[int, int, Trainable]]:
        """Every ``(op_index, param_position, ref)`` where a trainable parameter is used."""
        return [(i, j, p) for i, op in enumerate(self.ops) for j, p in enumerate(op.params) if isinstance(p, Trainable)]

    def with_node(self, node: str) -> Circuit:
        """A copy with every operation tagged as running on ``node``."""
        return Circuit(self.num_qubits, [replace(op, node=node) for op in self.ops])
