"""Models, losses, optimizers, datasets and the training loop."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.qml.ansatz import hardware_efficient, qcnn
from qnet_dqnn.qml.datasets import blobs, circles, digits, moons, parity, tfim_phases
from qnet_dqnn.qml.encodings import AngleEncoding, StateInput
from qnet_dqnn.qml.losses import cross_entropy
from qnet_dqnn.qml.models import QNNModel
from qnet_dqnn.qml.optimizers import SGD, Adam
from qnet_dqnn.qml.training import train
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.shots import QPUTiming, circuit_duration


def _model() -> QNNModel:
    return QNNModel(AngleEncoding(4), hardware_efficient(4, 2))


def _data():
    return blobs(160, num_features=4, separation=4.0, seed=1)


def test_noiseless_model_learns_separable_set() -> None:
    h = train(_model(), _data(), SGD(0.5, 0.5), steps=40, batch_size=16, seed=0, eval_every=10)
    assert h.final_val_accuracy >= 0.9
    assert h.column("loss")[-5:].mean() < h.column("loss")[:5].mean()


def test_strong_depolarizing_noise_hurts() -> None:
    kw = dict(steps=15, batch_size=8, seed=0, eval_every=15)
    clean = train(_model(), _data(), SGD(0.5, 0.5), **kw)
    noisy = train(_model(), _data(), SGD(0.5, 0.5), noise=NoiseModel(p1=0.1, p2=0.3), **kw)
    assert noisy.final_val_accuracy < clean.final_val_accuracy
    assert noisy.column("loss")[-1] > clean.column("loss")[-1] + 0.1


def test_training_is_deterministic_and_accounts_cost() -> None:
    timing = QPUTiming(t1q_s=30e-9, t2q_s=250e-9, tmeas_s=2e-6)
    a = train(_model(), _data(), Adam(0.1), steps=5, batch_size=4, shots=100, seed=3, timing=timing)
    b = train(_model(), _data(), Adam(0.1), steps=5, batch_size=4, shots=100, seed=3, timing=timing)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.column("loss"), b.column("loss"))
    model = _model()
    per_step = 4 * (1 + 2 * model.num_params)
    assert a.column("circuits").tolist() == [per_step] * 5
    assert a.cost.shots == 5 * per_step * 100
    dur = circuit_duration(model.circuit, timing)
    assert a.column("qpu_time_s")[-1] == pytest.approx(5 * per_step * 100 * dur)
    c = train(_model(), _data(), Adam(0.1), steps=5, batch_size=4, shots=100, seed=4, timing=timing)
    assert not np.array_equal(a.params, c.params)


def test_multiclass_gradient_matches_finite_difference() -> None:
    ds = digits(4, classes=(0, 1, 2), seed=0, max_samples=60)
    m = QNNModel(AngleEncoding(4), hardware_efficient(4, 1), task="multiclass", readout=(0, 1, 2))
    rng = np.random.default_rng(0)
    th = m.init_params(rng)
    x, y = ds.x_train[:5], ds.y_train[:5]
    loss, g = m.loss_and_grad(th, x, y)
    e = np.zeros_like(th)
    e[3] = 1e-6
    lp = m.loss_from_expectations(m.expectations(th + e, x), y)[0]
    lm = m.loss_from_expectations(m.expectations(th - e, x), y)[0]
    assert g[3] == pytest.approx((lp - lm) / 2e-6, abs=1e-6)


def test_datasets_are_seeded_and_split() -> None:
    for make in (
        lambda s: parity(4, 40, seed=s),
        lambda s: moons(40, num_features=4, seed=s),
        lambda s: circles(40, seed=s),
        lambda s: digits(4, seed=s, method="downscale"),
    ):
        a, b, c = make(0), make(0), make(1)
        np.testing.assert_array_equal(a.x_train, b.x_train)
        assert not np.array_equal(a.x_train, c.x_train)
        assert len(a.x_val) > 0 and a.x_train.min() >= 0 and a.x_train.max() <= np.pi + 1e-12
    all_ten = digits(8, classes=None, max_samples=200)
    assert all_ten.num_classes == 10 and all_ten.task == "multiclass"


def test_quantum_data_with_qcnn() -> None:
    ds = tfim_phases(4, 40, seed=0)
    assert ds.x_train.shape[1] == 16
    np.testing.assert_allclose(np.linalg.norm(ds.x_train, axis=1), 1.0)
    circ, out = qcnn(4)
    m = QNNModel(StateInput(4), circ, readout=(out,))
    h = train(m, ds, Adam(0.1), steps=30, batch_size=10, seed=0, eval_every=30)
    assert h.final_val_accuracy >= 0.8


def test_cross_entropy_gradient() -> None:
    z = np.array([[0.1, 0.5, -0.2]])
    loss, g = cross_entropy(z, [1])
    e = np.array([[0, 1e-6, 0]])
    assert g[0, 1] == pytest.approx((cross_entropy(z + e, [1])[0] - cross_entropy(z - e, [1])[0]) / 2e-6)
    assert loss > 0
