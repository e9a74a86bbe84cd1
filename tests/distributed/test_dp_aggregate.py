"""The pure aggregation and sharding math of data-parallel training."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.distributed.aggregate import (
    chunk_bounds,
    client_count,
    fedavg_weights,
    ring_allreduce,
    ring_schedule,
    weighted_average,
)
from qnet_dqnn.distributed.sharding import shard_indices, split_sizes
from qnet_dqnn.errors import QnetError


def test_weighted_average_of_batch_means_is_the_mean_of_the_union() -> None:
    rng = np.random.default_rng(0)
    per_sample = rng.normal(size=(10, 5))
    parts = [per_sample[:4], per_sample[4:7], per_sample[7:]]
    avg = weighted_average([p.mean(axis=0) for p in parts], [len(p) for p in parts])
    np.testing.assert_allclose(avg, per_sample.mean(axis=0), atol=1e-15)


@pytest.mark.parametrize(
    ("vectors", "weights", "message"),
    [
        ([], [], "zero vectors"),
        ([np.ones(2)], [1, 2], "1 vectors but 2 weights"),
        ([np.ones(2), np.ones(2)], [0, 0], "must not all be zero"),
        ([np.ones(2), np.ones(2)], [1, -1], "finite and >= 0"),
    ],
)
def test_weighted_average_rejects_bad_input(vectors: list, weights: list, message: str) -> None:
    with pytest.raises(QnetError, match=message):
        weighted_average(vectors, weights)


def test_fedavg_weights_are_shard_fractions() -> None:
    np.testing.assert_allclose(fedavg_weights([10, 30, 60]), [0.1, 0.3, 0.6])
    with pytest.raises(QnetError):
        fedavg_weights([])


@pytest.mark.parametrize(("n", "parts"), [(10, 4), (3, 5), (16, 4), (0, 2), (7, 1)])
def test_chunks_cover_the_vector_once_and_differ_by_at_most_one(n: int, parts: int) -> None:
    bounds = chunk_bounds(n, parts)
    assert len(bounds) == parts and bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("num", [1, 2, 3, 4, 7])
def test_ring_schedule_sums_exactly_and_every_node_sends_once_per_step(num: int) -> None:
    steps = ring_schedule(num)
    assert len(steps) == 2 * (num - 1)
    for _, _, sends in steps:
        assert sorted(i for i, _ in sends) == list(range(num))
        assert sorted(c for _, c in sends) == list(range(num))  # every chunk moves once per step
    rng = np.random.default_rng(num)
    vectors = [rng.normal(size=11) for _ in range(num)]
    results = ring_allreduce(vectors)
    for result in results:
        np.testing.assert_allclose(result, np.sum(vectors, axis=0), atol=1e-12)
        np.testing.assert_array_equal(result, results[0])  # all-gather copies: bitwise the same everywhere


def test_client_count_follows_mcmahan() -> None:
    assert [client_count(c, 8) for c in (0.1, 0.25, 0.5, 1.0)] == [1, 2, 4, 8]
    assert client_count(0.3, 10) == 3
    with pytest.raises(QnetError, match="client fraction"):
        client_count(0.0, 4)


def test_equal_shards_are_consecutive_blocks_of_near_equal_size() -> None:
    shards = shard_indices(150, [1.0] * 4)
    assert [len(s) for s in shards] == [38, 38, 37, 37]
    np.testing.assert_array_equal(np.concatenate(shards), np.arange(150))


def test_capacity_shards_follow_capacity_and_nobody_is_empty() -> None:
    assert split_sizes(100, [4.0, 1.0, 1.0, 4.0]) == [40, 10, 10, 40]
    assert split_sizes(4, [1000.0, 1.0, 1.0, 1.0]) == [1, 1, 1, 1]
    sizes = [len(s) for s in shard_indices(101, [3.0, 1.0, 1.0], "capacity")]
    assert sum(sizes) == 101 and sizes[0] > 2.9 * sizes[1]


def test_replicated_shards_hold_everything_and_bad_splits_are_named() -> None:
    assert all(len(s) == 9 for s in shard_indices(9, [1, 1, 1], "replicate"))
    with pytest.raises(QnetError, match="cannot split 3 samples over 4 workers"):
        split_sizes(3, [1, 1, 1, 1])
    with pytest.raises(QnetError, match="sharding must be in"):
        shard_indices(9, [1, 1], "random")  # type: ignore[arg-type]
