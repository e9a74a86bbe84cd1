"""Entangled pairs held in two memories, and their state at the time they are read.

A pair's state is either Bell-diagonal (4 coefficients, the fast path) or a 4x4 density matrix (the exact
path); :attr:`Network.pair_model <qnet_dqnn.net.Network>` chooses one per run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics import MemoryModel, amplitude_phase_damping_kraus, decohere_pair, pauli_channel_on_pair
from qnet_dqnn.physics.channels import evolve, superoperator_kraus
from qnet_dqnn.physics.density import apply_channel_to_pair, bell_coefficients, pauli_kraus
from qnet_dqnn.units import to_seconds


@dataclass(eq=False, slots=True)
class Pair:
    """One entangled pair, its halves in the memories of ``ends``.

    Attributes:
        pair_id: unique within a run.
        link: name of the link that generated it, or ``a~b`` for an end-to-end pair made by swapping.
        ends: the two nodes holding its halves.
        state: Bell-diagonal coefficients (see ``physics.bell_diagonal``) or a 4x4 density matrix, at the
            ticks ``stored_since``.
        stored_since: tick from which each half decoheres from ``state`` on.
        delivered_tick: tick at which both ends knew the pair exists (the herald, or the last swap notice).
        status: ``stored``, ``consumed`` or ``discarded:<reason>``.
        qubits_since: tick at which each half's qubit entered memory, if earlier than ``stored_since``
            (pairs made by swapping); the cutoff counts from it.
        memory_links: the link whose share of each end's memory the half occupies (``link`` by default).
    """

    pair_id: int
    link: str
    ends: tuple[str, str]
    state: NDArray[np.float64] | NDArray[np.complex128]
    stored_since: tuple[int, int]
    delivered_tick: int
    status: str = "stored"
    qubits_since: tuple[int, int] | None = None
    memory_links: tuple[str, str] | None = None

    @property
    def is_stored(self) -> bool:
        """True while the pair is in memory and unused."""
        return self.status == "stored"

    @property
    def in_memory_since(self) -> tuple[int, int]:
        """Tick at which each half's qubit entered memory (what a cutoff bounds)."""
        return self.qubits_since if self.qubits_since is not None else self.stored_since

    @property
    def share_links(self) -> tuple[str, str]:
        """The link whose memory share each half occupies."""
        return self.memory_links if self.memory_links is not None else (self.link, self.link)


def memory_kraus(model: MemoryModel, t_s: float) -> list[NDArray[np.complex128]]:
    """Kraus operators of ``t_s`` seconds in a memory (the exact path).

    T1/T2: :func:`~qnet_dqnn.physics.amplitude_phase_damping_kraus`. Depolarizing with coherence time T:
    rho -> lam rho + (1 - lam) I/2 with lam = e^(-t/T), i.e. the Pauli channel (1 - 3q, q, q, q) with
    q = (1 - lam)/4 (Nielsen & Chuang, Sec. 8.3.4). With a user channel: ``exp(t L)`` of the memory's whole
    generator (:mod:`qnet_dqnn.physics.channels`), as Kraus operators.
    """
    if model.channel is not None:
        return superoperator_kraus(evolve(model.generator(), t_s))
    if model.t1_s is not None and model.t2_s is not None:
        return amplitude_phase_damping_kraus(t_s, model.t1_s, model.t2_s)
    if model.coherence_time_s is not None:
        q = (1.0 - math.exp(-t_s / model.coherence_time_s)) / 4.0
        return pauli_kraus(np.array([1.0 - 3.0 * q, q, q, q]))
    return [np.eye(2, dtype=complex)]


def state_after_wait(
    state: NDArray[np.float64] | NDArray[np.complex128],
    channels: tuple[MemoryModel, MemoryModel],
    waits_s: tuple[float, float],
) -> NDArray[np.float64] | NDArray[np.complex128]:
    """A pair's state after its halves waited ``waits_s`` in memories ``channels`` (a pure function).

    Exact path (a 4x4 density matrix): each half's memory channel (:func:`memory_kraus`), Bloch vectors kept.
    Fast path (4 Bell coefficients): :func:`~qnet_dqnn.physics.decohere_pair` for T1/T2 and depolarizing
    memories, a Pauli channel on the pair (:func:`~qnet_dqnn.physics.pauli_channel_on_pair`) for Pauli user
    channels; a non-Pauli user channel on the fast path is an error (the general path is needed).
    """
    if np.shape(state) == (4, 4):
        rho = state
        for qubit, (model, wait_s) in enumerate(zip(channels, waits_s, strict=True)):
            if not model.is_ideal and wait_s > 0.0:
                rho = apply_channel_to_pair(rho, memory_kraus(model, wait_s), qubit)
        return rho
    if all(m.channel is None for m in channels):
        factors = [model.bloch_factors(wait_s) for model, wait_s in zip(channels, waits_s, strict=True)]
        return decohere_pair(state, factors[0], factors[1])
    out = np.asarray(state, dtype=float)
    for model, wait_s in zip(channels, waits_s, strict=True):
        if model.is_ideal or wait_s <= 0.0:
            continue
        if not model.is_pauli:
            raise ValueError("a non-Pauli memory channel needs the density-matrix pair path")
        lx, ly, lz = model.pauli_factors(wait_s)
        # Pauli probabilities from the transfer diagonal, in the Bell index order (I, X, Z, Y)
        probs = np.array([1 + lx + ly + lz, 1 + lx - ly - lz, 1 - lx - ly + lz, 1 - lx + ly - lz]) / 4.0
        out = pauli_channel_on_pair(out, probs)
    return out


def bell_coefficients_after(
    state: NDArray[np.float64] | NDArray[np.complex128],
    channels: tuple[MemoryModel, MemoryModel],
    waits_s: tuple[float, float],
) -> NDArray[np.float64]:
    """The Bell coefficients (Phi+, Psi+, Phi-, Psi-) of a stored pair after a wait, on either path."""
    out = state_after_wait(state, channels, waits_s)
    return bell_coefficients(out) if np.shape(out) == (4, 4) else np.asarray(out, dtype=float)


def pair_path(channels: Sequence[MemoryModel]) -> tuple[str, str]:
    """Which pair representation a network needs: ``("bell_diagonal" | "density_matrix", reason)``.

    The Bell-diagonal fast path is exact while every memory is a Pauli channel (ideal, depolarizing, Pauli user
    channels): swapping, purification and teleportation commute with the bilateral Pauli twirl
    (:mod:`qnet_dqnn.physics.density`). T1 damping or a non-Pauli user channel creates local Bloch vectors that a
    later step sees, so those need the density matrix.
    """
    for m in channels:
        if not m.is_pauli:
            why = "T1 amplitude damping" if m.t1_s is not None else "a user channel that is not a Pauli channel"
            return "density_matrix", f"a memory has {why} (local Bloch vectors are kept)"
    return "bell_diagonal", "every memory is a Pauli channel (Bell-diagonal states stay exact)"


def stored_state(
    pair: Pair, now_tick: int, channels: tuple[MemoryModel, MemoryModel]
) -> NDArray[np.float64] | NDArray[np.complex128]:
    """The pair's state at ``now_tick``: each half decohered for its time in memory since ``stored_since``
    (:func:`state_after_wait`). ``channels`` are the two ends' :class:`~qnet_dqnn.physics.MemoryModel`."""
    if channels[0].is_ideal and channels[1].is_ideal:
        return pair.state
    waits_s = (to_seconds(now_tick - pair.stored_since[0]), to_seconds(now_tick - pair.stored_since[1]))
    return state_after_wait(pair.state, channels, waits_s)
