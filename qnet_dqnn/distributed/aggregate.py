"""The aggregation math of data-parallel training, as pure functions (no SimPy, no network).

- weighted average of gradients or parameter vectors, ``Σ_k w_k v_k / Σ_k w_k``: with ``w_k`` the number of
  samples behind ``v_k``, the average of per-batch *mean* gradients is the mean gradient of the union of the
  batches (synchronous SGD, Dean et al., NeurIPS 2012), and the average of client models weighted by their
  shard sizes ``n_k / n`` is federated averaging (McMahan et al., AISTATS 2017, Algorithm 1);
- ring all-reduce (Patarasuk & Yuan, J. Parallel Distrib. Comput. 69, 117 (2009)): the vector is cut into
  ``L`` chunks; in the reduce-scatter phase, at step ``s = 0 … L−2``, node ``i`` sends chunk ``(i − s) mod L``
  to node ``i + 1``, which adds it to its own; node ``i`` then holds the full sum of chunk ``(i + 1) mod L``.
  In the all-gather phase, at step ``s``, node ``i`` sends chunk ``(i + 1 − s) mod L`` to ``i + 1``, which
  keeps it. ``2(L − 1)`` steps, each node sending about ``n / L`` entries per step;
- client sampling for a federated round, and the adaptive server optimizers FedAdagrad, FedAdam and FedYogi
  (Reddi et al., ICLR 2021, arXiv:2003.00295), which treat the clients' mean change of the model as a
  pseudo-gradient (Flower's ``FedOpt`` strategies, ``server/strategy/fedopt.py``, have the same shape).

The strategies (:mod:`~qnet_dqnn.distributed.parameter_server`, :mod:`~qnet_dqnn.distributed.ring_allreduce`,
:mod:`~qnet_dqnn.distributed.fedavg`, ...) move the vectors over the simulated network and call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError


def weighted_average(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """``Σ_k w_k v_k / Σ_k w_k`` of equally shaped vectors.

    Args:
        vectors: the gradients or parameter vectors, one per worker.
        weights: one non-negative weight per vector (e.g. the samples behind it); their sum must be > 0.

    Examples:
        >>> weighted_average([np.array([1.0, 0.0]), np.array([0.0, 1.0])], [3, 1]).tolist()
        [0.75, 0.25]
    """
    if len(vectors) == 0:
        raise QnetError("cannot average zero vectors")
    if len(vectors) != len(weights):
        raise QnetError(f"{len(vectors)} vectors but {len(weights)} weights")
    w = np.asarray(weights, dtype=float)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise QnetError(f"weights must be finite and >= 0 (got {list(weights)!r})")
    total = float(w.sum())
    if total <= 0:
        raise QnetError(f"weights must not all be zero (got {list(weights)!r})")
    stacked = np.stack([np.asarray(v, dtype=float) for v in vectors])
    if stacked.shape[0] != len(w):  # pragma: no cover - np.stack guarantees it
        raise QnetError("vectors and weights differ in length")
    return np.tensordot(w / total, stacked, axes=1)


def fedavg_weights(shard_sizes: Sequence[int]) -> np.ndarray:
    """FedAvg's client weights ``n_k / n`` (McMahan et al. 2017, Algorithm 1).

    Examples:
        >>> fedavg_weights([30, 10]).tolist()
        [0.75, 0.25]
    """
    sizes = np.asarray(shard_sizes, dtype=float)
    if sizes.size == 0 or np.any(sizes < 0) or sizes.sum() <= 0:
        raise QnetError(f"shard sizes must be >= 0 with a positive sum (got {list(shard_sizes)!r})")
    return sizes / sizes.sum()


def chunk_bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """Cut ``n`` entries into ``parts`` consecutive chunks whose sizes differ by at most one (larger first).

    Examples:
        >>> chunk_bounds(10, 4)
        [(0, 3), (3, 6), (6, 8), (8, 10)]
    """
    if parts < 1:
        raise QnetError(f"parts must be >= 1 (got {parts})")
    if n < 0:
        raise QnetError(f"n must be >= 0 (got {n})")
    base, extra = divmod(n, parts)
    bounds, start = [], 0
    for i in range(parts):
        end = start + base + (i < extra)
        bounds.append((start, end))
        start = end
    return bounds


def ring_schedule(num_nodes: int) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """The steps of ring all-reduce over ``num_nodes`` nodes.

    Returns:
        ``2(L − 1)`` steps as ``(phase, step, sends)`` with ``phase`` ``"reduce_scatter"`` or ``"all_gather"``
        and ``sends`` one ``(sender i, chunk index)`` per node; node ``i`` sends to ``(i + 1) mod L``.

    Examples:
        >>> [s for _, _, s in ring_schedule(3)]
        [[(0, 0), (1, 1), (2, 2)], [(0, 2), (1, 0), (2, 1)], [(0, 1), (1, 2), (2, 0)], [(0, 0), (1, 1), (2, 2)]]
    """
    if num_nodes < 1:
        raise QnetError(f"a ring needs >= 1 node (got {num_nodes})")
    steps: list[tuple[str, int, list[tuple[int, int]]]] = []
    for s in range(num_nodes - 1):
        steps.append(("reduce_scatter", s, [(i, (i - s) % num_nodes) for i in range(num_nodes)]))
    for s in range(num_nodes - 1):
        steps.append(("all_gather", s, [(i, (i + 1 - s) % num_nodes) for i in range(num_nodes)]))
    return steps


def ring_receive(phase: str, own: np.ndarray, incoming: np.ndarray) -> np.ndarray:
    """What a node keeps of a chunk it receives: the sum in the reduce-scatter phase, the copy in all-gather."""
    if phase == "reduce_scatter":
        return own + incoming
    if phase == "all_gather":
        return np.array(incoming, dtype=float, copy=True)
    raise QnetError(f"phase must be 'reduce_scatter' or 'all_gather' (got {phase!r})")


def ring_allreduce(vectors: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Every node's result of ring all-reduce (sum) of ``vectors``, computed by playing :func:`ring_schedule`.

    The strategy plays the same schedule over the network; this is its message-free reference.
    """
    num = len(vectors)
    if num == 0:
        raise QnetError("cannot all-reduce zero vectors")
    acc = [np.array(v, dtype=float, copy=True) for v in vectors]
    bounds = chunk_bounds(acc[0].size, num)
    for phase, _, sends in ring_schedule(num):
        payloads = [(i, c, acc[i][slice(*bounds[c])].copy()) for i, c in sends]  # all send, then all receive
        for i, c, data in payloads:
            dst = (i + 1) % num
            sl = slice(*bounds[c])
            acc[dst][sl] = ring_receive(phase, acc[dst][sl], data)
    return acc


def client_count(fraction: float, num_clients: int) -> int:
    """FedAvg's clients per round ``m = max(⌈C·K⌉, 1)`` (McMahan et al. 2017, Algorithm 1 uses ``max(C·K, 1)``).

    Examples:
        >>> client_count(0.5, 8), client_count(0.1, 4), client_count(1.0, 3)
        (4, 1, 3)
    """
    if not 0 < fraction <= 1:
        raise QnetError(f"client fraction must be in (0, 1] (got {fraction!r})")
    if num_clients < 1:
        raise QnetError(f"need >= 1 client (got {num_clients})")
    return max(min(int(np.ceil(round(fraction * num_clients, 9))), num_clients), 1)


def sample_clients(rng: np.random.Generator, num_clients: int, per_round: int) -> list[int]:
    """The indices of the ``per_round`` clients of a round, drawn without replacement, in increasing order
    (McMahan et al. 2017, Algorithm 1: "S_t ← random set of m clients"); all of them when ``per_round`` is the
    whole population (no draw is made, so full participation consumes no randomness).

    Examples:
        >>> sample_clients(np.random.default_rng(0), 4, 4)
        [0, 1, 2, 3]
    """
    if not 1 <= per_round <= num_clients:
        raise QnetError(f"clients per round must be in [1, {num_clients}] (got {per_round})")
    if per_round == num_clients:
        return list(range(num_clients))
    return sorted(int(i) for i in rng.choice(num_clients, size=per_round, replace=False))


#: The server optimizers of Reddi et al., "Adaptive Federated Optimization", ICLR 2021 (arXiv:2003.00295).
SERVER_OPTIMIZERS = ("fedadagrad", "fedadam", "fedyogi")


@dataclass(frozen=True, slots=True)
class FedOptState:
    """A server optimizer's state: first moment ``m``, second moment ``v``, rounds taken."""

    m: np.ndarray
    v: np.ndarray
    rounds: int = 0


def fedopt_init(params: np.ndarray, tau: float) -> FedOptState:
    """``m_{-1} = 0`` and ``v_{-1} = τ²`` (Reddi et al. 2021, Algorithm 2: "v_{-1} ≥ τ²", at its lower bound)."""
    p = np.asarray(params, dtype=float)
    return FedOptState(np.zeros_like(p), np.full_like(p, tau * tau))


def fedopt_step(
    kind: str,
    params: np.ndarray,
    average: np.ndarray,
    state: FedOptState,
    *,
    learning_rate: float,
    beta1: float,
    beta2: float,
    tau: float,
) -> tuple[np.ndarray, FedOptState]:
    """One server step of FedAdagrad, FedAdam or FedYogi (Reddi et al., ICLR 2021, arXiv:2003.00295, Algorithm 2).

    With the pseudo-gradient ``Δ = average − x`` (the clients' mean change of the model; here weighted by their
    samples, as FedAvg weighs them: with equal shards it is the paper's plain mean):

    - ``m ← β₁ m + (1 − β₁) Δ``;
    - FedAdagrad ``v ← v + Δ²``; FedAdam ``v ← β₂ v + (1 − β₂) Δ²``;
      FedYogi ``v ← v − (1 − β₂) Δ² sign(v − Δ²)``;
    - ``x ← x + η m / (√v + τ)`` (no bias correction, as in the paper).

    Examples:
        >>> x, s = fedopt_step("fedadagrad", np.zeros(1), np.array([3.0]), fedopt_init(np.zeros(1), 1.0),
        ...     learning_rate=1.0, beta1=0.0, beta2=0.5, tau=1.0)
        >>> round(float(x[0]), 12), s.v.tolist()  # v = 1 + 9 = 10, x = 3 / (sqrt(10) + 1)
        (0.720759220056, [10.0])
    """
    x = np.asarray(params, dtype=float)
    delta = np.asarray(average, dtype=float) - x
    m = beta1 * state.m + (1.0 - beta1) * delta
    d2 = delta * delta
    if kind == "fedadagrad":
        v = state.v + d2
    elif kind == "fedadam":
        v = beta2 * state.v + (1.0 - beta2) * d2
    elif kind == "fedyogi":
        v = state.v - (1.0 - beta2) * d2 * np.sign(state.v - d2)
    else:
        raise QnetError(f"server optimizer must be in {SERVER_OPTIMIZERS} (got {kind!r})")
    return x + learning_rate * m / (np.sqrt(v) + tau), FedOptState(m, v, state.rounds + 1)
