"""Circuit IR."""

from __future__ import annotations

import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable


def test_counts_depth_and_refs() -> None:
    c = Circuit(3).h(0).cx(0, 1).cx(1, 2).ry(0, Trainable(4)).rz(2, Data(1, 0.5))
    assert c.depth() == 4  # h | cx01 | cx12, ry0 | rz2
    assert c.gate_counts() == {"h": 1, "cx": 2, "ry": 1, "rz": 1}
    assert [op.qubits for op in c.two_qubit_gates()] == [(0, 1), (1, 2)]
    assert (c.num_trainable, c.num_features) == (5, 2)
    assert c.with_node("qpu1").ops[0].node == "qpu1"


@pytest.mark.parametrize(
    "build",
    [
        lambda: Circuit(2).cx(0, 0),
        lambda: Circuit(2).h(3),
        lambda: Circuit(2).append("nope", [0]),
        lambda: Circuit(2).append("ry", [0]),
        lambda: Circuit(0),
    ],
)
def test_invalid_operations_raise(build) -> None:
    with pytest.raises(QnetError):
        build()
