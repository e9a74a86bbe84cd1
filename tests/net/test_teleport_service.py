"""Teleportation and the telegate as network services: closed forms, qutip, no cloning, timing, ledger."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import qutip as qt
import simpy

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net import Network, QubitHandle, path_latency_s
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.net.teleport import telegate, teleport
from qnet_dqnn.physics import amplitude_phase_damping_kraus
from qnet_dqnn.physics.density import CNOT
from qnet_dqnn.physics.swapping import chain_fidelity
from qnet_dqnn.physics.telegate import telegate_cnot
from qnet_dqnn.physics.teleportation import average_teleportation_fidelity
from qnet_dqnn.units import to_seconds, to_ticks
from tests.conftest import one_link
from tests.net.test_entanglement import FAST_GATES, chain


def random_ket(rng: np.random.Generator, dim: int = 2) -> np.ndarray:
    v = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    return v / np.linalg.norm(v)


def teleport_many(net: Network, a: str, b: str, kets: list[np.ndarray]) -> list[Any]:
    """Teleport each ket from a to b over a fresh pair; return the TeleportResults."""
    done: list[Any] = []

    def run() -> Generator[simpy.Event, Any, None]:
        for ket in kets:
            request = yield request_pairs(net, a, b, 1)
            done.append((yield teleport(net, QubitHandle(a, ket), b, request.pairs[0])))

    net.env.run(until=net.env.process(run()))
    return done


def fidelity(ket: np.ndarray, rho: np.ndarray) -> float:
    return float(np.real(ket.conj() @ rho @ ket))


@pytest.mark.parametrize("source_fidelity", [1.0, 0.85, 0.6])
def test_teleporting_over_a_werner_pair_gives_two_f_plus_one_over_three(source_fidelity: float) -> None:
    rng = np.random.default_rng(0)
    kets = [random_ket(rng) for _ in range(60)]
    net = Network(one_link(5.0, source_fidelity=source_fidelity), seed=1)
    results = teleport_many(net, "a", "b", kets)
    # a Werner pair depolarizes the teleported qubit: every input gets (2F + 1)/3 exactly
    fids = [fidelity(k, r.qubit.state) for k, r in zip(kets, results, strict=True)]
    assert np.allclose(fids, average_teleportation_fidelity(source_fidelity), atol=1e-12)
    assert all(r.qubit.node == "b" for r in results)
    assert net.ledger.nodes["a"].teleports == 60
    assert net.ledger.links["a-b"].bits == 120 and net.ledger.links["a-b"].pairs_consumed == 60


def test_teleporting_over_a_swapped_chain_pair_gives_the_chain_closed_form() -> None:
    rng = np.random.default_rng(1)
    kets = [random_ket(rng) for _ in range(10)]
    net = Network(chain(3, [0.9] * 3), seed=2, memory_split="per_link")
    results = teleport_many(net, "n0", "n3", kets)
    expected = average_teleportation_fidelity(chain_fidelity(0.9, 3))
    assert np.allclose([fidelity(k, r.qubit.state) for k, r in zip(kets, results, strict=True)], expected, atol=1e-12)


def test_exact_path_teleportation_matches_qutip() -> None:
    t1, t2, f0 = 0.01, 0.004, 0.9
    topology = one_link(20.0, node={"gates": FAST_GATES}, source_fidelity=f0, heralding="at_node")
    topology = topology.model_copy(
        update={
            "nodes": [
                topology.nodes[0].model_copy(
                    update={"memory": topology.nodes[0].memory.model_copy(update={"t1_s": t1, "t2_s": t2})}
                ),
                topology.nodes[1],
            ]
        }
    )
    rng = np.random.default_rng(3)
    kets = [random_ket(rng) for _ in range(5)]
    net = Network(topology, seed=4, pair_model="density_matrix")
    stored: list[int] = []
    results = []

    def run() -> Generator[simpy.Event, Any, None]:
        for ket in kets:
            request = yield request_pairs(net, "a", "b", 1)
            pair = request.pairs[0]
            stored.append(pair.stored_since[0])
            results.append((yield teleport(net, QubitHandle("a", ket), "b", pair)))

    net.env.run(until=net.env.process(run()))
    bell = [qt.bell_state(s) for s in ("00", "10", "01", "11")]  # Phi+, Psi+, Phi-, Psi- (index x + 2z)
    paulis = [qt.qeye(2), qt.sigmax(), qt.sigmaz(), qt.sigmax() * qt.sigmaz()]
    for ket, since, result in zip(kets, stored, results, strict=True):
        # the pair: a Werner state whose half at a sat in a T1/T2 memory from its emission to the measurement
        werner = f0 * qt.ket2dm(bell[0]) + (1 - f0) / 3 * sum(qt.ket2dm(b) for b in bell[1:])
        kraus = [
            qt.tensor(qt.Qobj(k), qt.qeye(2))
            for k in amplitude_phase_damping_kraus(to_seconds(result.started_tick - since), t1, t2)
        ]
        pair_ref = sum(k * werner * k.dag() for k in kraus)
        assert np.allclose(result.pair_state, pair_ref.full(), atol=1e-10)
        # the protocol: project (S, A) on Bell_m, correct B with P_m
        m = result.outcome
        rho = qt.tensor(qt.ket2dm(qt.Qobj(ket.reshape(2, 1))), pair_ref)
        projector = qt.tensor(qt.ket2dm(bell[m]), qt.qeye(2))
        out = (projector * rho * projector).ptrace(2)
        out = paulis[m] * out * paulis[m].dag()
        assert np.allclose(result.qubit.state, (out / out.tr()).full(), atol=1e-10)


def test_teleportation_timing_is_bsm_then_two_bits_then_one_correction() -> None:
    topology = one_link(30.0)
    net = Network(topology, seed=5)
    [result] = teleport_many(net, "a", "b", [np.array([1.0, 0.0])])
    g = topology.nodes[0].gates
    expected = to_ticks(g.one_qubit_time_s + g.two_qubit_time_s + g.measurement_time_s)
    expected += to_ticks(path_latency_s(topology, ["a", "b"], 2)) + to_ticks(g.one_qubit_time_s)
    assert abs(result.finished_tick - result.started_tick - expected) <= 2


def test_no_cloning_the_old_handle_and_the_used_pair_raise() -> None:
    net = Network(one_link(5.0), seed=6)
    request = request_pairs(net, "a", "b", 2)
    net.env.run(until=request)
    first, second = request.value.pairs
    qubit = QubitHandle("a", np.array([0.0, 1.0]))
    moving = teleport(net, qubit, "b", first)
    with pytest.raises(ProtocolError, match=r"teleported from 'a' to 'b': the handle at 'a' is void"):
        teleport(net, qubit, "b", second)
    net.env.run(until=moving)
    with pytest.raises(ProtocolError, match="void"):
        _ = qubit.state
    assert fidelity(np.array([0.0, 1.0]), moving.value.qubit.state) == pytest.approx(1.0)
    with pytest.raises(ProtocolError, match=r"pair \d+ on a-b is consumed: it cannot be used again"):
        teleport(net, moving.value.qubit, "a", first)


def random_density(rng: np.random.Generator, dim: int = 4) -> np.ndarray:
    g = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    rho = g @ g.conj().T
    return rho / np.trace(rho)


@pytest.mark.parametrize("pair_model", ["bell_diagonal", "density_matrix"])
def test_telegate_with_a_perfect_pair_is_a_local_cnot(pair_model: str) -> None:
    rng = np.random.default_rng(7)
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    inputs = [random_density(rng) for _ in range(3)] + [np.outer(bell, bell.conj())]  # entangled input too (4 qubits)
    net = Network(one_link(5.0), seed=8, pair_model=pair_model)  # type: ignore[arg-type]
    request = request_pairs(net, "a", "b", len(inputs))
    net.env.run(until=request)
    for rho, pair in zip(inputs, request.value.pairs, strict=True):
        gate = telegate(net, "a", "b", pair, rho)
        net.env.run(until=gate)
        assert np.allclose(gate.value.state, CNOT @ rho @ CNOT, atol=1e-12)
    assert net.ledger.nodes["a"].telegates == len(inputs)
    assert net.ledger.links["a-b"].bits == 2 * len(inputs)  # one bit each way per telegate


def test_telegate_channel_over_a_werner_pair_matches_the_explicit_protocol() -> None:
    rng = np.random.default_rng(9)
    net = Network(one_link(5.0, source_fidelity=0.8), seed=10)
    request = request_pairs(net, "a", "b", 1)
    net.env.run(until=request)
    rho = random_density(rng)
    gate = telegate(net, "a", "b", request.value.pairs[0], rho)
    net.env.run(until=gate)
    assert np.allclose(gate.value.state, telegate_cnot(rho, gate.value.pair_state), atol=1e-12)
    assert np.allclose(sum(k.conj().T @ k for k in gate.value.kraus), np.eye(4), atol=1e-12)
