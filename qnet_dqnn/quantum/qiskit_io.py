"""Circuits to and from qiskit ``QuantumCircuit`` (needs the ``qiskit`` extra).

Gate names and angle conventions match qiskit's standard gates (``rz(θ) = exp(-iθZ/2)``, ``p``, ``rzz``, ...).
Qubit ``i`` here is qubit ``i`` in qiskit; only the *state vector's* index order differs (qnet-dqnn puts qubit 0
first, qiskit last), so compare states with ``Statevector(qc).reverse_qargs()``. Trainable references export as
the parameter vector ``θ`` and data references as ``x`` (each times its scale); importing maps them back, and any
other free parameter becomes a trainable one, in qiskit's parameter order.
"""

from __future__ import annotations

from typing import Any

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable

#: qnet-dqnn gate name -> qiskit gate name (where they differ, else the same).
_TO_QISKIT = {"i": "id"}
_FROM_QISKIT = {v: k for k, v in _TO_QISKIT.items()}
_SUPPORTED = {
    "i",
    "h",
    "x",
    "y",
    "z",
    "s",
    "sdg",
    "t",
    "tdg",
    "sx",
    "rx",
    "ry",
    "rz",
    "p",
    "cx",
    "cz",
    "swap",
    "rzz",
    "rxx",
    "ryy",
}
TRAINABLE_NAME = "θ"
DATA_NAME = "x"


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
    theta = qiskit.circuit.ParameterVector(TRAINABLE_NAME, circuit.num_trainable)
    x = qiskit.circuit.ParameterVector(DATA_NAME, circuit.num_features)
    qc = qiskit.QuantumCircuit(circuit.num_qubits)
    for op in circuit:
        if op.name not in _SUPPORTED:
            raise QnetError(f"operation {op.name!r} on qubits {op.qubits} has no qiskit equivalent")
        angles = [
            p.scale * theta[p.index]
            if isinstance(p, Trainable)
            else p.scale * x[p.index]
            if isinstance(p, Data)
            else float(p)
            for p in op.params
        ]
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
    """A qiskit ``QuantumCircuit`` of standard gates as a :class:`Circuit` (barriers are skipped)."""
    circuit = Circuit(qc.num_qubits)
    named = {p for p in qc.parameters if getattr(p, "vector", None) is not None and p.vector.name == TRAINABLE_NAME}
    trainables: dict[Any, int] = {p: p.index for p in named}
    for instruction in qc.data:
        name = _FROM_QISKIT.get(instruction.operation.name, instruction.operation.name)
        if name == "barrier":
            continue
        if name not in _SUPPORTED:
            raise QnetError(
                f"qiskit gate {instruction.operation.name!r} is not supported (known: {sorted(_SUPPORTED)})"
            )
        qubits = [qc.find_bit(q).index for q in instruction.qubits]
        circuit.append(name, qubits, [_angle(p, trainables) for p in instruction.operation.params])
    return circuit
