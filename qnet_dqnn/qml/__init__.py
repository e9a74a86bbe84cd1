"""QNN workloads: datasets, encodings, ansätze, models, losses, optimizers and single-QPU training."""

from qnet_dqnn.qml.ansatz import block_readout, blocks, hardware_efficient, qcnn
from qnet_dqnn.qml.datasets import Dataset, blobs, circles, digits, moons, parity, tfim_phases
from qnet_dqnn.qml.encodings import (
    AmplitudeEncoding,
    AngleEncoding,
    BasisEncoding,
    EncodingCost,
    IQPEncoding,
    Resources,
    StateInput,
    amplitude_dataset_state,
    amplitude_encoding_cost,
    basis_dataset_state,
    basis_encoding_cost,
    mottonen_resources,
    split_dataset,
)
from qnet_dqnn.qml.losses import binary_cross_entropy, cross_entropy, mse
from qnet_dqnn.qml.models import QNNModel
from qnet_dqnn.qml.optimizers import SGD, Adam
from qnet_dqnn.qml.training import StepRecord, TrainingHistory, TrainingSession, train

__all__ = [
    "SGD",
    "Adam",
    "AmplitudeEncoding",
    "AngleEncoding",
    "BasisEncoding",
    "Dataset",
    "EncodingCost",
    "IQPEncoding",
    "QNNModel",
    "Resources",
    "StateInput",
    "StepRecord",
    "TrainingHistory",
    "TrainingSession",
    "amplitude_dataset_state",
    "amplitude_encoding_cost",
    "basis_dataset_state",
    "basis_encoding_cost",
    "binary_cross_entropy",
    "blobs",
    "block_readout",
    "blocks",
    "circles",
    "cross_entropy",
    "digits",
    "hardware_efficient",
    "moons",
    "mottonen_resources",
    "mse",
    "parity",
    "qcnn",
    "split_dataset",
    "tfim_phases",
    "train",
]
