"""The ``train`` workload's options, and building the model, data and optimizer they describe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import SGD, Adam, AngleEncoding, IQPEncoding, QNNModel, block_readout, blocks, hardware_efficient
from qnet_dqnn.qml import datasets as qml_datasets
from qnet_dqnn.qml.datasets import Dataset, downscale_grid
from qnet_dqnn.qml.encodings import StateInput

#: Widest model whose uncut circuit the package simulates as one statevector (2**16 amplitudes per input:
#: the ``hardware_efficient`` ansatz and the ``iqp``/``state`` encodings have no cut structure to exploit).
MAX_UNCUT_QUBITS = 16

#: Widest ``blocks`` model: it is only ever simulated fragment by fragment, through its cuts (Marshall et al.,
#: Quantum 7, 1078 (2023) train 64-dimensional inputs this way).
MAX_BLOCKS_QUBITS = 64


#: The digits told apart when ``classes`` is not given.
DEFAULT_DIGITS = (0, 1)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _field_error(title: str, field: str, message: str, value: Any) -> ValidationError:
    """A validation error located at ``field`` (so the message reads ``workload.model.<field>: ...``)."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=value)]
    )


class ModelSpec(_Spec):
    """A binary QNN classifier: an encoding and an ansatz.

    Attributes:
        qubits: register size (at most 16 for ``hardware_efficient``, 64 for ``blocks``).
        layers: ansatz layers.
        encoding: ``angle``, ``iqp`` or ``state`` (``blocks``: ``angle`` only).
        ansatz: ``hardware_efficient`` (read out on every qubit, as ``readout`` says) or ``blocks``
            (:func:`~qnet_dqnn.qml.ansatz.blocks`: ``qubits / block_qubits`` hardware-efficient blocks joined by
            one CZ per neighbouring pair after each of the first ``couplings`` layers; read out on the middle
            qubit of every block, :func:`~qnet_dqnn.qml.ansatz.block_readout`, as ``readout`` says).
        block_qubits: qubits per block (``blocks`` only; must divide ``qubits``).
        couplings: layers followed by the inter-block CZs (``blocks`` only; at most ``layers``).
        coupling: ``blocks`` only: the gate joining neighbouring blocks, ``cz`` or a trainable ``rzz`` (trained
            through its cut).
        ring: ``hardware_efficient`` only: close each layer's CNOT ladder with ``CNOT(n−1, 0)``, so a split into
            contiguous blocks of qubits is crossed twice per layer.
        readout: ``first`` (``<Z>`` of the first readout qubit: qubit 0 of ``hardware_efficient``), ``mean``
            (class probability from the mean ``<Z>`` of the readout qubits) or ``parity`` (from
            ``<Z ⊗ … ⊗ Z>``; a product of one factor per qubit, it vanishes as the register grows: a 64-qubit
            blocks model does not train from it). Default: ``first`` for ``hardware_efficient``, ``mean`` for
            ``blocks``. Read out on one qubit, a split's remote gates can all lie outside the readout's light
            cone (:mod:`qnet_dqnn.quantum.light_cone`); ``mean`` over every qubit sees them all.
    """

    qubits: Annotated[int, Field(ge=1, le=MAX_BLOCKS_QUBITS)] = 4
    layers: Annotated[int, Field(ge=1, le=50)] = 2
    encoding: Literal["angle", "iqp", "state"] = "angle"
    ansatz: Literal["hardware_efficient", "blocks"] = "hardware_efficient"
    block_qubits: Annotated[int, Field(ge=1, le=MAX_UNCUT_QUBITS)] = 8
    couplings: Annotated[int, Field(ge=0, le=50)] = 1
    coupling: Literal["cz", "rzz"] = "cz"
    ring: bool = False
    rotations: list[Literal["rx", "ry", "rz"]] = Field(default=["ry", "rz"], min_length=1, max_length=3)
    readout: Literal["first", "mean", "parity"] | None = None

    @model_validator(mode="after")
    def _fits(self) -> ModelSpec:
        if self.ring and self.ansatz != "hardware_efficient":
            raise _field_error("ModelSpec", "ring", "ring closes the hardware_efficient ansatz's ladder only", True)
        if self.ansatz == "hardware_efficient":
            if self.qubits > MAX_UNCUT_QUBITS:
                raise _field_error(
                    "ModelSpec",
                    "qubits",
                    f"{self.qubits} qubits of a hardware_efficient ansatz cannot be simulated (at most "
                    f"{MAX_UNCUT_QUBITS}); use ansatz: blocks for wider models",
                    self.qubits,
                )
            return self
        if self.qubits % self.block_qubits:
            raise _field_error(
                "ModelSpec",
                "block_qubits",
                f"{self.block_qubits} must divide qubits ({self.qubits}) for the blocks ansatz",
                self.block_qubits,
            )
        if self.couplings > self.layers:
            raise _field_error(
                "ModelSpec", "couplings", f"{self.couplings} is more than layers ({self.layers})", self.couplings
            )
        if self.encoding != "angle":
            raise _field_error(
                "ModelSpec",
                "encoding",
                f"the blocks ansatz takes the angle encoding (got {self.encoding!r})",
                self.encoding,
            )
        return self


#: Held-out samples a validation accuracy is measured on by default: with 200, one sample moves the accuracy
#: by 0.005 and the binomial standard error at 90 % accuracy is sqrt(0.9·0.1/200) ≈ 0.021 (a 50-sample set
#: moves in steps of 0.02 with a standard error of 0.042).
DEFAULT_VALIDATION_SAMPLES = 200


#: The datasets of state vectors (quantum data, for the ``state`` encoding).
QUANTUM_DATASETS = ("tfim_phases", "tfim_parity")


class DatasetSpec(_Spec):
    """A seeded binary dataset with one feature per qubit.

    ``moons``, ``circles``, ``blobs``: synthetic; ``tfim_phases``, ``tfim_parity``: quantum data, one state
    vector per sample, for the ``state`` encoding (:mod:`qnet_dqnn.qml.datasets`); ``digits``: scikit-learn's
    8×8 digits, two of the ten classes (``classes``), pixels block-averaged to one feature per qubit
    (:func:`~qnet_dqnn.qml.datasets.downscale_grid`: 64 qubits read every pixel, 32 vertical pixel pairs, 16
    2×2 squares, ...), or with ``features: pca`` projected on their first principal components (fitted on the
    training split only; any number of qubits up to 64), ``samples`` of them (two digits have about 360).

    Attributes:
        samples: samples drawn in all, training plus validation.
        validation_samples: of them, held out to measure the validation accuracy (the rest train).
        classes: ``digits`` only: the two digits told apart.
        features: ``digits`` only: how the 64 pixels become one feature per qubit (``downscale`` or ``pca``).
    """

    name: Literal["moons", "circles", "blobs", "tfim_phases", "tfim_parity", "digits"] = "moons"
    samples: Annotated[int, Field(ge=8, le=100_000)] = 350
    validation_samples: Annotated[int, Field(ge=1, le=100_000)] = DEFAULT_VALIDATION_SAMPLES
    classes: list[Annotated[int, Field(ge=0, le=9)]] | None = None
    features: Literal["downscale", "pca"] | None = None

    @property
    def training_samples(self) -> int:
        """Samples in the training set."""
        return self.samples - self.validation_samples

    @model_validator(mode="after")
    def _classes_fit(self) -> DatasetSpec:
        if self.validation_samples >= self.samples:
            raise _field_error(
                "DatasetSpec",
                "validation_samples",
                f"{self.validation_samples} leaves no training sample of samples ({self.samples})",
                self.validation_samples,
            )
        if self.features is not None and self.name != "digits":
            raise _field_error(
                "DatasetSpec", "features", f"only the digits dataset has features (got {self.name!r})", self.features
            )
        if self.classes is None:
            return self
        if self.name != "digits":
            raise _field_error(
                "DatasetSpec", "classes", f"only the digits dataset has classes (got {self.name!r})", self.classes
            )
        if len(self.classes) != 2 or self.classes[0] == self.classes[1]:
            raise _field_error(
                "DatasetSpec",
                "classes",
                f"the binary task needs two distinct digits (got {self.classes!r})",
                self.classes,
            )
        return self


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
        shots: shots per circuit: every circuit a QPU runs is estimated from, and charged for, this many.
        estimator: ``sampled`` (the default: each value is a ``shots``-shot estimate, binomial draws on the
            exact outcome probabilities) or ``exact`` (the ``shots → ∞`` limit, for debugging and tests; the
            ``shots`` are still charged in QPU time, so the timeline is the sampled run's).
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
    shots: Annotated[int, Field(ge=1, le=10**9)] = 1000
    estimator: Literal["sampled", "exact"] = "sampled"
    noise: bool = True
    max_steps: Annotated[int, Field(ge=1, le=1_000_000)] = 40
    target_accuracy: Annotated[float, Field(gt=0.0, le=1.0)] | None = 0.9
    stop_at_target: bool = False
    eval_every: Annotated[int, Field(ge=1)] = 1
    precision_bits: Annotated[int, Field(ge=1, le=128)] = 64
    quantum_data: QuantumDataSpec | None = None

    @property
    def sampled_shots(self) -> int | None:
        """Shots each estimate is drawn from (None: exact values, ``estimator: exact``)."""
        return self.shots if self.estimator == "sampled" else None

    @model_validator(mode="after")
    def _quantum_data_fits(self) -> TrainSpec:
        quantum = self.dataset.name in QUANTUM_DATASETS
        if quantum != (self.model.encoding == "state"):
            raise ValueError(
                f"the {' and '.join(QUANTUM_DATASETS)} datasets (state vectors) go with model encoding 'state', "
                "and only they"
            )
        if self.quantum_data is not None and not quantum:
            raise ValueError(f"quantum_data needs a quantum dataset ({', '.join(QUANTUM_DATASETS)})")
        if self.dataset.name == "digits" and self.dataset.features != "pca":
            try:
                downscale_grid(self.model.qubits)
            except QnetError as exc:
                raise ValueError(f"model.qubits: the digits dataset needs one feature per qubit ({exc})") from None
        return self


def simulable_problems(spec: TrainSpec) -> list[tuple[str, str]]:
    """A model wider than :data:`MAX_UNCUT_QUBITS` trains only through cuts (``cut``, or ``hybrid`` with cut
    replicas): every other strategy simulates the uncut circuit as one statevector (2**n amplitudes)."""
    if spec.model.qubits <= MAX_UNCUT_QUBITS:
        return []
    kind = spec.strategy.get("type")
    replica = spec.strategy.get("replica")
    inner = replica.get("type") if isinstance(replica, dict) else None
    if kind == "cut" or (kind == "hybrid" and inner == "cut"):
        return []
    return [
        (
            "model.qubits",
            f"a {spec.model.qubits}-qubit model is wider than the {MAX_UNCUT_QUBITS} qubits simulated as one "
            "statevector here; train it with the cut strategy (or hybrid with cut replicas)",
        )
    ]


def build_model(spec: ModelSpec) -> QNNModel:
    """The QNN the spec describes."""
    if spec.ansatz == "blocks":
        count = spec.qubits // spec.block_qubits
        ansatz = blocks(
            count,
            spec.block_qubits,
            spec.layers,
            couplings=spec.couplings,
            rotations=spec.rotations,
            coupling=spec.coupling,
        )
        qubits = block_readout(count, spec.block_qubits)
        readout = spec.readout or "mean"
    else:
        ansatz = hardware_efficient(spec.qubits, spec.layers, rotations=spec.rotations, ring=spec.ring)
        qubits = tuple(range(spec.qubits))
        readout = spec.readout or "first"
    encoding = {"angle": AngleEncoding, "iqp": IQPEncoding, "state": StateInput}[spec.encoding](spec.qubits)
    return QNNModel(
        encoding=encoding,
        ansatz=ansatz,
        readout=qubits[:1] if readout == "first" else qubits,
        parity=readout == "parity",
        mean=readout == "mean",
    )


def build_dataset(spec: DatasetSpec, num_features: int, seed: int) -> Dataset:
    """The dataset the spec describes, with ``num_features`` features, split by ``seed``.

    Raises:
        QnetError: ``digits`` has fewer than ``samples`` samples of the two classes.
    """
    fraction = spec.validation_samples / spec.samples  # the split rounds fraction × samples to the count
    if spec.name == "tfim_phases":
        data = qml_datasets.tfim_phases(num_features, spec.samples, seed=seed, val_fraction=fraction)
    elif spec.name == "tfim_parity":
        data = qml_datasets.tfim_parity(num_features, spec.samples, seed=seed, val_fraction=fraction)
    elif spec.name == "digits":
        classes = tuple(spec.classes) if spec.classes is not None else DEFAULT_DIGITS
        data = qml_datasets.digits(
            num_features,
            classes=classes,
            method=spec.features or "downscale",
            seed=seed,
            val_fraction=fraction,
            max_samples=spec.samples,
        )
        available = len(data.x_train) + len(data.x_val)
        if available < spec.samples:
            raise QnetError(
                f"dataset.samples: digits {classes[0]} and {classes[1]} have {available} samples (asked {spec.samples})"
            )
    else:
        make = getattr(qml_datasets, spec.name)
        data = make(spec.samples, num_features=num_features, seed=seed, val_fraction=fraction)
    assert len(data.x_val) == spec.validation_samples, (len(data.x_val), spec.validation_samples)
    return data


def build_optimizer(spec: OptimizerSpec) -> SGD | Adam:
    """The optimizer the spec describes."""
    if spec.type == "adam":
        return Adam(lr=spec.learning_rate)
    return SGD(lr=spec.learning_rate, momentum=spec.momentum)
