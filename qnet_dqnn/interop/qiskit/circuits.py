"""Circuits to and from qiskit ``QuantumCircuit`` (needs the ``qiskit`` extra).

Gate names and angle conventions match qiskit's standard gates (``rz(θ) = exp(-iθZ/2)``, ``p``, ``rzz``, ``cp``,
``crx``, ``xx_plus_yy``, ...; :mod:`qnet_dqnn.quantum.gates` lists them). Qubit ``i`` here is qubit ``i`` in qiskit;
only the *state vector's* index order differs (qnet-dqnn puts qubit 0 first, qiskit last), so compare states with
``Statevector(qc).reverse_qargs()``. Trainable references export as the parameter vector ``θ`` and data references
as ``x`` (each times its scale); importing maps them back, and any other free parameter becomes a trainable one, in
qiskit's parameter order. A qiskit ``UnitaryGate`` on two qubits becomes a ``unitary`` block (its matrix re-ordered
so that the first qubit is the left tensor factor); on one qubit it becomes ``rz·ry·rz`` (its Z-Y-Z Euler angles,
Nielsen & Chuang Theorem 4.1; the global phase is dropped).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gates import zyz_angles

#: qnet-dqnn gate name -> qiskit gate name (where they differ, else the same).
_TO_QISKIT = {"i": "id"}
_FROM_QISKIT = {v: k for k, v in _TO_QISKIT.items()}
_ONE_QUBIT = {"i", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "p"}
#: Every two-qubit gate of qiskit's standard library the IR knows, and ``unitary`` blocks.
TWO_QUBIT_GATES = (
    "ch",
    "cp",
    "crx",
    "cry",
    "crz",
    "cs",
    "csdg",
    "csx",
    "cx",
    "cy",
    "cz",
    "dcx",
    "ecr",
    "iswap",
    "rxx",
    "ryy",
    "rzx",
    "rzz",
    "swap",
    "xx_minus_yy",
    "xx_plus_yy",
    "unitary",
)
_SUPPORTED = _ONE_QUBIT | set(TWO_QUBIT_GATES)
#: Gates appended through ``QuantumCircuit.append`` of their library class (no circuit method of that name).
_BY_CLASS = {"xx_plus_yy": "XXPlusYYGate", "xx_minus_yy": "XXMinusYYGate"}
TRAINABLE_NAME = "θ"
DATA_NAME = "x"

#: Swaps the two tensor factors of a two-qubit operator (qiskit orders a gate's qubits little-endian).
_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)


def _qiskit() -> Any:
    try:
        import qiskit
    except ImportError:
        raise QnetError("qiskit is not installed: pip install 'qnet-dqnn[qiskit]'") from None
    return qiskit


def to_qiskit(circuit: Circuit) -> Any:
    """The circuit as a qiskit ``QuantumCircuit``; trainable and data angles become parameters ``θ[i]``, ``x[i]``.

    Noise channels have no qiskit gate and raise a :class:`QnetError`.
    """
    qiskit = _qiskit()
    from qiskit.circuit import library

    theta = qiskit.circuit.ParameterVector(TRAINABLE_NAME, circuit.num_trainable)
    x = qiskit.circuit.ParameterVector(DATA_NAME, circuit.num_features)
    qc = qiskit.QuantumCircuit(circuit.num_qubits)
    for op in circuit:
        if op.name not in _SUPPORTED:
            raise QnetError(f"operation {op.name!r} on qubits {op.qubits} has no qiskit equivalent")
        if op.name == "unitary":
            qc.append(library.UnitaryGate(_SWAP @ op.params[0].matrix @ _SWAP), list(op.qubits))
            continue
        angles = [
            p.scale * theta[p.index]
            if isinstance(p, Trainable)
            else p.scale * x[p.index]
            if isinstance(p, Data)
            else float(p)
            for p in op.params
        ]
        if op.name in _BY_CLASS:
            qc.append(getattr(library, _BY_CLASS[op.name])(*angles), list(op.qubits))
        else:
            getattr(qc, _TO_QISKIT.get(op.name, op.name))(*angles, *op.qubits)
    return qc


def _angle(value: Any, trainables: dict[Any, int]) -> float | Trainable | Data:
    """A qiskit angle as a float, or a scaled reference to one parameter."""
    if not getattr(value, "parameters", None):
        return float(value)
    if len(value.parameters) != 1:
        raise QnetError(f"angle {value} mixes several parameters; only c * parameter is supported")
    (param,) = value.parameters
    scale = float(value.gradient(param))
    if float(value.bind({param: 0.0})) != 0.0:
        raise QnetError(f"angle {value} has an offset; only c * parameter is supported")
    vector = getattr(param, "vector", None)
    if vector is not None and vector.name == DATA_NAME:
        return Data(param.index, scale)
    if vector is not None and vector.name == TRAINABLE_NAME:
        return Trainable(param.index, scale)
    return Trainable(trainables.setdefault(param, len(trainables)), scale)


def from_qiskit(qc: Any) -> Circuit:
    """A qiskit ``QuantumCircuit`` of standard gates as a :class:`Circuit` (barriers are skipped).

    Raises:
        QnetError: naming the first gate that has no equivalent (and the supported ones), or an angle that is
            not ``c · parameter``.
    """
    circuit = Circuit(qc.num_qubits)
    named = {p for p in qc.parameters if getattr(p, "vector", None) is not None and p.vector.name == TRAINABLE_NAME}
    trainables: dict[Any, int] = {p: p.index for p in named}
    for instruction in qc.data:
        operation = instruction.operation
        name = _FROM_QISKIT.get(operation.name, operation.name)
        if name == "barrier":
            continue
        qubits = [qc.find_bit(q).index for q in instruction.qubits]
        if name == "unitary":
            m = np.asarray(operation.to_matrix(), dtype=complex)
            if len(qubits) == 1:
                a, b, c = zyz_angles(m)
                circuit.rz(qubits[0], c).ry(qubits[0], b).rz(qubits[0], a)
            elif len(qubits) == 2:
                circuit.unitary(qubits[0], qubits[1], _SWAP @ m @ _SWAP)
            else:
                raise QnetError(f"a qiskit unitary on {len(qubits)} qubits is not supported (one or two qubits)")
            continue
        if name not in _SUPPORTED:
            if len(qubits) > 2:
                raise QnetError(
                    f"qiskit gate {operation.name!r} acts on {len(qubits)} qubits: decompose it into one- and "
                    "two-qubit gates first (e.g. qiskit.transpile); every two-qubit gate can then be cut"
                )
            raise QnetError(f"qiskit gate {operation.name!r} is not supported (known: {sorted(_SUPPORTED)})")
        circuit.append(name, qubits, [_angle(p, trainables) for p in operation.params])
    return circuit
