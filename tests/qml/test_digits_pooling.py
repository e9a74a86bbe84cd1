"""The digits set pooled to one angle per qubit for wide models: the pooling grids and their features."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from qnet_dqnn.distributed.spec import DatasetSpec, TrainSpec, build_dataset
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.datasets import digits, downscale_grid


@pytest.mark.parametrize(
    "features, grid", [(1, (1, 1)), (2, (1, 2)), (4, (2, 2)), (8, (2, 4)), (16, (4, 4)), (32, (4, 8)), (64, (8, 8))]
)
def test_downscale_grid(features: int, grid: tuple[int, int]) -> None:
    assert downscale_grid(features) == grid


@pytest.mark.parametrize("features", [3, 12, 48, 128])
def test_downscale_grid_refuses_other_counts(features: int) -> None:
    with pytest.raises(QnetError, match=r"num_features in \(1, 2, 4, 8, 16, 32, 64\)"):
        downscale_grid(features)


def test_pooled_digits_are_angles_of_the_averaged_pixels() -> None:
    wide, full = digits(32, method="downscale", seed=2), digits(64, method="downscale", seed=2)
    assert wide.x_train.shape[1] == 32 and full.x_train.shape[1] == 64 and wide.task == "binary"
    assert len(wide.x_train) == len(full.x_train) and np.array_equal(wide.y_train, full.y_train)  # same split
    for ds in (wide, full):
        assert ds.x_train.min() >= 0.0 and ds.x_train.max() <= np.pi
    # the pooled feature (r, c) is a monotone (min-max) image of the mean of pixels (2r, c) and (2r+1, c):
    # both are constant exactly where both pixels are constant over the training split
    constant_full = np.ptp(full.x_train, axis=0).reshape(8, 8) == 0
    constant_wide = np.ptp(wide.x_train, axis=0).reshape(4, 8) == 0
    assert np.array_equal(constant_wide, constant_full[0::2] & constant_full[1::2])


def test_a_scenario_can_project_the_digits_on_principal_components_for_any_width() -> None:
    spec = DatasetSpec(name="digits", classes=[3, 8], features="pca", samples=300, validation_samples=100)
    data = build_dataset(spec, 6, seed=1)
    direct = digits(6, classes=(3, 8), method="pca", seed=1, val_fraction=100 / 300, max_samples=300)
    assert data.x_train.shape == (200, 6) and np.array_equal(data.x_train, direct.x_train)
    model = {"type": "train", "model": {"qubits": 6, "layers": 1}}
    TrainSpec(**model, dataset=spec.model_dump())  # 6 pooled pixels would not exist; 6 components do
    with pytest.raises(ValidationError, match="digits dataset needs one feature per qubit"):
        TrainSpec(**model, dataset={**spec.model_dump(), "features": None})
    with pytest.raises(ValidationError, match=r"features\n  only the digits dataset has features"):
        DatasetSpec(name="moons", features="pca")
