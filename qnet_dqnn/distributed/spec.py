"""The ``train`` workload's options, and building the model, data and optimizer they describe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.qml import SGD, Adam, AngleEncoding, IQPEncoding, QNNModel, hardware_efficient
from qnet_dqnn.qml import datasets as qml_datasets
from qnet_dqnn.qml.datasets import Dataset


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ModelSpec(_Spec):
    """A binary QNN classifier: an encoding, a hardware-efficient ansatz, <Z> on qubit 0 read out."""

    qubits: Annotated[int, Field(ge=1, le=16)] = 4
    layers: Annotated[int, Field(ge=1, le=50)] = 2
    encoding: Literal["angle", "iqp"] = "angle"


class DatasetSpec(_Spec):
    """A seeded synthetic binary dataset with one feature per qubit."""

    name: Literal["moons", "circles", "blobs"] = "moons"
    samples: Annotated[int, Field(ge=8, le=100_000)] = 200
    validation_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.25


class OptimizerSpec(_Spec):
    """SGD with momentum or Adam."""

    type: Literal["adam", "sgd"] = "adam"
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.1
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0


class TrainSpec(_Spec):
    """Options of the ``train`` workload.

    Attributes:
        strategy: how training is distributed: ``{type: single, ...}`` and the strategies' own options.
        batch_size: samples per gradient evaluation (per worker for data-parallel strategies).
        shots: shots per circuit (None: exact expectation values, still charged ``accounting_shots``).
        accounting_shots: shots charged per circuit when ``shots`` is None.
        noise: apply each QPU's gate and readout errors from the topology.
        max_steps: optimizer updates before the run stops.
        target_accuracy: validation accuracy that counts as reaching the target (time to target).
        stop_at_target: end the run once the target is reached.
        eval_every: evaluate the validation accuracy every this many updates.
        precision_bits: bits per parameter or gradient entry in messages.
    """

    type: Literal["train"]
    model: ModelSpec = ModelSpec()
    dataset: DatasetSpec = DatasetSpec()
    optimizer: OptimizerSpec = OptimizerSpec()
    strategy: dict[str, Any] = {"type": "single"}
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = 16
    shots: Annotated[int, Field(ge=1, le=10**9)] | None = None
    accounting_shots: Annotated[int, Field(ge=1, le=10**9)] = 1000
    noise: bool = True
    max_steps: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    target_accuracy: Annotated[float, Field(gt=0.0, le=1.0)] | None = 0.9
    stop_at_target: bool = False
    eval_every: Annotated[int, Field(ge=1)] = 1
    precision_bits: Annotated[int, Field(ge=1, le=128)] = 64


def build_model(spec: ModelSpec) -> QNNModel:
    """The QNN the spec describes."""
    encoding = AngleEncoding(spec.qubits) if spec.encoding == "angle" else IQPEncoding(spec.qubits)
    return QNNModel(encoding=encoding, ansatz=hardware_efficient(spec.qubits, spec.layers))


def build_dataset(spec: DatasetSpec, num_features: int, seed: int) -> Dataset:
    """The dataset the spec describes, with ``num_features`` features, split by ``seed``."""
    make = getattr(qml_datasets, spec.name)
    return make(spec.samples, num_features=num_features, seed=seed, val_fraction=spec.validation_fraction)


def build_optimizer(spec: OptimizerSpec) -> SGD | Adam:
    """The optimizer the spec describes."""
    if spec.type == "adam":
        return Adam(lr=spec.learning_rate)
    return SGD(lr=spec.learning_rate, momentum=spec.momentum)
