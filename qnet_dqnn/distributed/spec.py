"""The ``train`` workload's options, and building the model, data and optimizer they describe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qnet_dqnn.qml import SGD, Adam, AngleEncoding, IQPEncoding, QNNModel, hardware_efficient
from qnet_dqnn.qml import datasets as qml_datasets
from qnet_dqnn.qml.datasets import Dataset
from qnet_dqnn.qml.encodings import StateInput


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ModelSpec(_Spec):
    """A binary QNN classifier: an encoding, a hardware-efficient ansatz, <Z> on qubit 0 read out."""

    qubits: Annotated[int, Field(ge=1, le=16)] = 4
    layers: Annotated[int, Field(ge=1, le=50)] = 2
    encoding: Literal["angle", "iqp", "state"] = "angle"


class DatasetSpec(_Spec):
    """A seeded synthetic binary dataset with one feature per qubit (``tfim_phases``: quantum data, one state
    vector per sample, for the ``state`` encoding)."""

    name: Literal["moons", "circles", "blobs", "tfim_phases"] = "moons"
    samples: Annotated[int, Field(ge=8, le=100_000)] = 200
    validation_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.25


class OptimizerSpec(_Spec):
    """SGD with momentum or Adam."""

    type: Literal["adam", "sgd"] = "adam"
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.1
    momentum: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0


class QuantumDataSpec(_Spec):
    """Quantum data prepared at ``source``: each training sample is teleported to the worker that trains on it
    (:mod:`~qnet_dqnn.distributed.quantum_data`)."""

    source: Annotated[str, Field(min_length=1)]


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
        quantum_data: ``{source: node}``: the (quantum) training set is prepared at ``source`` and teleported
            to the workers before training (None: the workers hold their data already).
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
    quantum_data: QuantumDataSpec | None = None

    @model_validator(mode="after")
    def _quantum_data_fits(self) -> TrainSpec:
        quantum = self.dataset.name == "tfim_phases"
        if quantum != (self.model.encoding == "state"):
            raise ValueError("the tfim_phases dataset (state vectors) goes with model encoding 'state', and only it")
        if self.quantum_data is not None and not quantum:
            raise ValueError("quantum_data needs a quantum dataset (tfim_phases)")
        return self


def build_model(spec: ModelSpec) -> QNNModel:
    """The QNN the spec describes."""
    if spec.encoding == "state":
        return QNNModel(encoding=StateInput(spec.qubits), ansatz=hardware_efficient(spec.qubits, spec.layers))
    encoding = AngleEncoding(spec.qubits) if spec.encoding == "angle" else IQPEncoding(spec.qubits)
    return QNNModel(encoding=encoding, ansatz=hardware_efficient(spec.qubits, spec.layers))


def build_dataset(spec: DatasetSpec, num_features: int, seed: int) -> Dataset:
    """The dataset the spec describes, with ``num_features`` features, split by ``seed``."""
    if spec.name == "tfim_phases":
        return qml_datasets.tfim_phases(num_features, spec.samples, seed=seed, val_fraction=spec.validation_fraction)
    make = getattr(qml_datasets, spec.name)
    return make(spec.samples, num_features=num_features, seed=seed, val_fraction=spec.validation_fraction)


def build_optimizer(spec: OptimizerSpec) -> SGD | Adam:
    """The optimizer the spec describes."""
    if spec.type == "adam":
        return Adam(lr=spec.learning_rate)
    return SGD(lr=spec.learning_rate, momentum=spec.momentum)
