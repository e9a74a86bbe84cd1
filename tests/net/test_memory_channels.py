"""General memory noise: storage against qutip.mesolve, the general path against the Bell-diagonal path,
user channels and their bad inputs, and the automatic choice of the pair path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip as qt

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.net import Network
from qnet_dqnn.net.pairs import bell_coefficients_after, pair_path, state_after_wait
from qnet_dqnn.physics import MemoryModel, werner_state
from qnet_dqnn.physics.channels import lindblad_generator
from qnet_dqnn.physics.density import (
    bell_coefficients,
    pair_fidelity,
    pair_from_bell_diagonal,
    purify_pairs,
    swap_pairs,
)
from qnet_dqnn.physics.purification import purify
from qnet_dqnn.physics.swapping import BellMeasurement, swap_bell_diagonal
from qnet_dqnn.topology import topology_from_string

#: A user channel: a slow bit flip (collapse operator sqrt(rate) X), in 1/sqrt(s).
BIT_FLIP = [[0.0, 0.4], [0.4, 0.0]]


def _model(t1=None, t2=None, coherence=None, collapse=None) -> MemoryModel:
    channel = None if collapse is None else tuple(complex(v) for v in lindblad_generator(collapse).ravel())
    return MemoryModel(t1_s=t1, t2_s=t2, coherence_time_s=coherence, channel=channel)


def _mesolve(rho0: np.ndarray, waits: tuple[float, float], per_qubit_c_ops) -> qt.Qobj:
    """Each half evolved for its own wait under its collapse operators (halves evolve independently)."""
    rho = qt.Qobj(rho0, dims=[[2, 2], [2, 2]])
    for q, (wait, c_ops) in enumerate(zip(waits, per_qubit_c_ops, strict=True)):
        full = [qt.tensor(*[c if i == q else qt.qeye(2) for i in range(2)]) for c in c_ops]
        rho = qt.mesolve(qt.qzero([2, 2]), rho, [0.0, wait], c_ops=full, options={"atol": 1e-13, "rtol": 1e-11})
        rho = rho.states[-1]
    return rho


def test_storage_under_t1_t2_and_a_user_channel_equals_mesolve() -> None:
    """A damped pair keeps its local Bloch vectors: the full state matches mesolve, fidelity to 1e-8."""
    t1, t2, waits = 0.05, 0.03, (0.02, 0.035)
    rho0 = pair_from_bell_diagonal(werner_state(0.95))
    models = (_model(t1, t2), _model(t1, t2, collapse=[np.array(BIT_FLIP)]))
    rate_phi = (1 / t2 - 1 / (2 * t1)) / 2
    base = [math.sqrt(1 / t1) * qt.destroy(2), math.sqrt(rate_phi) * qt.sigmaz()]
    ref = _mesolve(rho0, waits, [base, [*base, qt.Qobj(np.array(BIT_FLIP))]])
    ours = state_after_wait(rho0, models, waits)
    np.testing.assert_allclose(ours, ref.full(), atol=1e-8)
    assert pair_fidelity(ours) == pytest.approx(qt.expect(qt.Qobj(_phi_plus(), dims=ref.dims), ref), abs=1e-8)
    # the local Bloch vector <Z x I> that damping creates is there (the fast path drops it)
    assert abs(np.trace(np.kron(np.diag([1, -1]), np.eye(2)) @ ours)) > 0.1


def _phi_plus() -> np.ndarray:
    phi = np.array([1, 0, 0, 1]) / math.sqrt(2)
    return np.outer(phi, phi)


def test_general_and_fast_paths_agree_on_a_swapped_purified_chain_under_pauli_noise() -> None:
    """Depolarizing memories, a user dephasing channel, swaps with BSM noise and a DEJMPS round: the exact path
    and the Bell-diagonal path give the same Bell coefficients."""
    models = (_model(coherence=0.2), _model(coherence=0.5, collapse=[np.diag([0.3, -0.3])]))
    assert all(m.is_pauli for m in models)
    bsm = BellMeasurement(success_probability=1.0, depolarizing=0.02, readout_error=0.01)
    fast = [werner_state(f) for f in (0.97, 0.95, 0.93)]
    exact = [pair_from_bell_diagonal(c) for c in fast]
    waits = [(0.01, 0.03), (0.02, 0.02), (0.04, 0.005)]
    fast = [state_after_wait(c, models, w) for c, w in zip(fast, waits, strict=True)]
    exact = [state_after_wait(r, models, w) for r, w in zip(exact, waits, strict=True)]
    f_chain, e_chain = fast[0], exact[0]
    for f_next, e_next in zip(fast[1:], exact[1:], strict=True):
        f_chain = swap_bell_diagonal(f_chain, f_next, bsm)
        e_chain = swap_pairs(e_chain, e_next, bsm_depolarizing=0.02, readout_error=0.01).average
    f_chain = state_after_wait(f_chain, models, (0.01, 0.02))
    e_chain = state_after_wait(e_chain, models, (0.01, 0.02))
    np.testing.assert_allclose(bell_coefficients(e_chain), f_chain, atol=1e-12)
    f_out = purify(f_chain, f_chain, "dejmps", gate_depolarizing=0.01, readout_error=0.01)
    e_out = purify_pairs(e_chain, e_chain, "dejmps", gate_depolarizing=0.01, readout_error=0.01)
    assert e_out.success_probability == pytest.approx(f_out.success_probability, abs=1e-12)
    np.testing.assert_allclose(bell_coefficients(e_out.state), f_out.coefficients, atol=1e-12)
    assert f_out.coefficients[0] > f_chain[0]  # purification did something


def test_bell_coefficients_after_a_wait_on_either_path() -> None:
    models = (_model(0.1, 0.08), _model(coherence=0.3))
    coeffs = werner_state(0.9)
    waits = (0.02, 0.05)
    np.testing.assert_allclose(
        bell_coefficients_after(coeffs, models, waits),
        bell_coefficients_after(pair_from_bell_diagonal(coeffs), models, waits),
        atol=1e-12,
    )


def test_the_network_picks_the_pair_path_from_its_memories() -> None:
    assert pair_path([_model(coherence=1.0), MemoryModel()])[0] == "bell_diagonal"
    assert pair_path([_model(1.0, 1.0)])[0] == "density_matrix"
    assert pair_path([_model(collapse=[np.array([[0, 0.1], [0, 0]])])])[0] == "density_matrix"
    topo = topology_from_string(_TOPOLOGY.format(memory="{coherence_time_s: 1.0}"))
    assert Network.from_topology(topo, seed=0).pair_model == "bell_diagonal"
    topo = topology_from_string(_TOPOLOGY.format(memory="{t1_s: 1.0, t2_s: 1.5}"))
    net = Network.from_topology(topo, seed=0)
    assert net.pair_model == "density_matrix" and "T1" in net.pair_model_reason


_TOPOLOGY = """
nodes:
  - {{name: a, qubits: 2, memory: {memory}}}
  - {{name: b, qubits: 2}}
links:
  - {{between: [a, b], length_km: 1.0, quantum: {{source_rate_hz: 1000.0}}}}
"""


def _node_memory(memory: str) -> str:
    return _TOPOLOGY.format(memory=memory)


def test_a_user_channel_in_the_topology_drives_storage() -> None:
    topo = topology_from_string(_node_memory("{channel: {collapse: [[[0, 0.4], [0.4, 0]]]}}"))
    net = Network.from_topology(topo, seed=0)
    model = net.nodes["a"].memory.model
    out = state_after_wait(werner_state(1.0), (model, MemoryModel()), (1.0, 0.0))
    # a bit flip at rate 0.16/s for 1 s: Phi+ -> Psi+ with probability (1 - e^(-2·0.16))/2
    assert out[1] == pytest.approx((1 - math.exp(-0.32)) / 2, abs=1e-12)


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        ("{channel: {kraus: [[[1, 0], [0, 0.9]]], period_s: 1.0}}", "channel.kraus.*not trace preserving"),
        ("{t1_s: 1.0, t2_s: 2.5}", "memory.*t2_s must be <= 2 \\* t1_s"),
        ("{channel: {kraus: [[[1, 0], [0, 1]]]}}", "channel.*give period_s"),
        ("{channel: {qutip: 'qutip:sigmaz', collapse: [[[0, 1], [0, 0]]]}}", "exactly one"),
        ("{channel: {kraus: [[[1, 0, 0], [0, 1, 0]]], period_s: 1.0}}", "kraus.*2x2"),
    ],
)
def test_bad_memory_channels_are_named(memory: str, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        topology_from_string(_node_memory(memory))


def test_qutip_objects_as_memory_channels() -> None:
    from qnet_dqnn.topology.schema import MemoryChannelSpec

    spec = MemoryChannelSpec(qutip=[0.4 * qt.sigmax()])
    np.testing.assert_allclose(spec.generator, lindblad_generator([np.array(BIT_FLIP)]), atol=1e-14)
    period = 0.5
    damping = qt.to_super(qt.Qobj(np.array([[1, 0], [0, math.sqrt(math.exp(-period))]])))
    damping += qt.to_super(qt.Qobj(np.array([[0, math.sqrt(1 - math.exp(-period))], [0, 0]])))
    spec = MemoryChannelSpec(qutip=damping, period_s=period)
    np.testing.assert_allclose(spec.generator, lindblad_generator([np.array([[0, 1], [0, 0]])]), atol=1e-9)
    with pytest.raises(ValueError, match="qutip.*4x4"):
        MemoryChannelSpec(qutip=qt.to_super(qt.qeye(4)), period_s=1.0)
    with pytest.raises(TopologyError, match="channel.qutip|qutip"):
        topology_from_string(_node_memory("{channel: {qutip: 'qutip:qeye'}}"))
