"""Adjoint gradients against parameter shift and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gradients import (
    adjoint_jacobian,
    finite_difference_jacobian,
    parameter_shift_circuits,
    parameter_shift_jacobian,
)


def _circuit(n: int, rng: np.random.Generator) -> Circuit:
    c = Circuit(n)
    for q in range(n):
        c.ry(q, Data(q % 3)).h(q)
    k = 0
    for _ in range(2):
        for q in range(n):
            c.rx(q, Trainable(k)).ry(q, Trainable(k + 1, -0.5)).rz(q, Trainable(k + 2, 2.0))
            k += 3
        for q in range(n - 1):
            c.cx(q, q + 1)
            c.rzz(q, q + 1, Trainable(k))
            k += 1
        if n > 1:
            c.ryy(0, n - 1, Trainable(k)).rxx(0, 1, Trainable(0))  # parameter 0 is shared
            k += 1
        c.p(0, Trainable(1)).s(n - 1)
    return c


@pytest.mark.parametrize("n", [1, 2, 4, 13])
def test_adjoint_equals_shift_and_finite_differences(n: int) -> None:
    rng = np.random.default_rng(n)
    c = _circuit(n, rng)
    theta = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(3, 3))
    obs = ["Z0", "X0"] if n == 1 else ["Z0", "Z0 Y1"]
    vals, jac = adjoint_jacobian(c, obs, theta, x)
    shift = parameter_shift_jacobian(c, obs, theta, x)
    fd = finite_difference_jacobian(c, obs, theta, x)
    assert jac.shape == (3, 2, c.num_trainable)
    np.testing.assert_allclose(jac, shift, atol=1e-9)
    np.testing.assert_allclose(jac, fd, atol=1e-6)
    assert np.abs(jac).max() > 1e-3  # not trivially zero


def test_parameter_shift_circuit_count() -> None:
    c = Circuit(2).ry(0, Trainable(0)).ry(1, Trainable(0)).rz(0, Trainable(1)).cx(0, 1)
    assert parameter_shift_circuits(c) == 6


def test_adjoint_rejects_channels() -> None:
    c = Circuit(1).ry(0, Trainable(0)).depolarize([0], 0.1)
    with pytest.raises(QnetError, match="noiseless"):
        adjoint_jacobian(c, ["Z0"], [0.3])
