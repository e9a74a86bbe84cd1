"""The topology schema: nodes, links and their hardware, with a unit in every field name.

A field left out is ideal (no error, no decoherence, efficiency 1); the gate times default to values of
trapped-ion hardware (see :data:`DEFAULT_GATE_TIMES_S`) so that circuits always cost time.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from qnet_dqnn.config import deep_merge
from qnet_dqnn.physics import channels
from qnet_dqnn.topology.hardware import PRESETS

NodeKind = Literal["qpu", "repeater", "controller", "source"]
HeraldingModel = Literal["midpoint", "at_node"]

#: Default gate durations (in s): one-qubit 10 us, two-qubit 100 us, measurement 100 us, the orders of
#: magnitude of trapped-ion processors (Bruzewicz et al., Appl. Phys. Rev. 6, 021314 (2019), Table I).
DEFAULT_GATE_TIMES_S = {"one_qubit": 10e-6, "two_qubit": 100e-6, "measurement": 100e-6}

#: Default fiber attenuation (in dB/km): standard single-mode fiber at 1550 nm (ITU-T G.652).
DEFAULT_ATTENUATION_DB_PER_KM = 0.2

#: Default classical bandwidth (in bit/s): 1 Gb/s Ethernet.
DEFAULT_BANDWIDTH_BPS = 1e9

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]
#: Longest duration a field may give (in s): 1e9 s is 1e18 ticks of 1 ns, so every duration, and every delay
#: derived from the bounded fields below, is a finite number of ticks (1e308 s would overflow to infinity).
MAX_SECONDS = 1e9

PositiveSeconds = Annotated[float, Field(gt=0.0, le=MAX_SECONDS)]
Seconds = Annotated[float, Field(ge=0.0, le=MAX_SECONDS)]


def _at_least(minimum: float, unit: str) -> AfterValidator:
    """A lower bound checked after ``gt=0`` (so 0 still reads "greater than 0"): smaller positive values would
    make a duration overflow to infinity (1 kbit at 5e-324 bit/s)."""

    def check(value: float) -> float:
        if value < minimum:
            raise ValueError(f"must be at least {minimum:g} {unit} (got {value!r})")
        return value

    return AfterValidator(check)


class _Spec(BaseModel):
    """Base of every spec: unknown fields, NaN and infinities are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


#: Largest deviation of ``Σ K†K`` from the identity a Kraus set may have (issue 17).
TRACE_TOLERANCE = 1e-9


def _matrix(value: Any, what: str) -> np.ndarray:
    """A 2x2 complex matrix from nested lists of numbers (or strings such as ``"0.5j"``)."""
    try:
        m = np.array([[complex(x) for x in row] for row in value], dtype=complex)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a 2x2 matrix of numbers (got {value!r})") from None
    if m.shape != (2, 2):
        raise ValueError(f"{what} must be 2x2 (got shape {m.shape})")
    return m


class MemoryChannelSpec(BaseModel):
    """A user channel acting on stored qubits for the time they wait (:mod:`qnet_dqnn.physics.channels`).

    Give one of: ``collapse`` (Lindblad collapse operators, 2x2, in 1/sqrt(s)), ``kraus`` (a trace-preserving
    Kraus set applied once per ``period_s``, refused unless it is a step of a Markovian semigroup) or ``qutip``
    (a ``qutip.Qobj`` superoperator of one period, one or several ``Qobj`` collapse operators, or a
    ``"module:attribute"`` naming one).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    period_s: PositiveSeconds | None = None
    collapse: list[Any] | None = None
    kraus: list[Any] | None = None
    qutip: Any = None
    _generator: np.ndarray = PrivateAttr()

    @field_validator("collapse")
    @classmethod
    def _collapse(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None:
            for i, m in enumerate(value):
                _matrix(m, f"collapse[{i}]")
        return value

    @field_validator("kraus")
    @classmethod
    def _kraus(cls, value: list[Any] | None) -> list[Any] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("a Kraus set needs at least one operator")
        mats = [_matrix(m, f"kraus[{i}]") for i, m in enumerate(value)]
        defect = channels.trace_defect(mats)
        if defect > TRACE_TOLERANCE:
            raise ValueError(f"not trace preserving: sum of K^dagger K differs from I by {defect:.3g} (> 1e-9)")
        return value

    @field_validator("qutip")
    @classmethod
    def _qutip(cls, value: Any) -> Any:
        if isinstance(value, str):
            module, _, attr = value.partition(":")
            try:
                value = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ValueError(f"cannot import {module!r}:{attr!r} ({exc})") from None
            if callable(value):
                try:
                    value = value()
                except Exception as exc:  # any failure of the user's factory is a bad field
                    raise ValueError(f"calling {module}:{attr}() failed ({type(exc).__name__}: {exc})") from None
        return value

    @model_validator(mode="after")
    def _one(self) -> MemoryChannelSpec:
        given = [k for k in ("collapse", "kraus", "qutip") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of collapse, kraus or qutip (got {given or 'none'})")
        try:
            if self.collapse is not None:
                gen = channels.lindblad_generator([_matrix(m, "collapse") for m in self.collapse])
            elif self.kraus is not None:
                if self.period_s is None:
                    raise ValueError("kraus: a Kraus set is the channel of one period: give period_s")
                gen = channels.kraus_generator([_matrix(m, "kraus") for m in self.kraus], self.period_s)
            else:
                gen = channels.qutip_generator(self.qutip, self.period_s)
        except ValueError as exc:
            raise ValueError(f"{given[0]}: {exc}") from None
        self._generator = gen
        return self

    @property
    def generator(self) -> np.ndarray:
        """The channel's Lindblad generator (4x4 superoperator)."""
        return self._generator


class MemorySpec(_Spec):
    """How stored qubits decohere. Give t1_s and t2_s, or coherence_time_s (depolarizing), or neither (ideal);
    ``channel`` adds a user channel on top (see :class:`MemoryChannelSpec`)."""

    t1_s: PositiveSeconds | None = None
    t2_s: PositiveSeconds | None = None
    coherence_time_s: PositiveSeconds | None = None
    cutoff_s: PositiveSeconds | None = None
    channel: MemoryChannelSpec | None = None

    @model_validator(mode="after")
    def _one_model(self) -> MemorySpec:
        if self.coherence_time_s is not None and (self.t1_s is not None or self.t2_s is not None):
            raise ValueError("give either coherence_time_s or t1_s and t2_s, not both")
        if (self.t1_s is None) != (self.t2_s is None):
            raise ValueError("t1_s and t2_s go together")
        if self.t1_s is not None and self.t2_s is not None and self.t2_s > 2 * self.t1_s:
            raise ValueError(f"t2_s must be <= 2 * t1_s (got t2_s={self.t2_s}, t1_s={self.t1_s})")
        return self


class GateSpec(_Spec):
    """Durations (in s) and error probabilities of the processor's operations."""

    one_qubit_time_s: Seconds = DEFAULT_GATE_TIMES_S["one_qubit"]
    two_qubit_time_s: Seconds = DEFAULT_GATE_TIMES_S["two_qubit"]
    measurement_time_s: Seconds = DEFAULT_GATE_TIMES_S["measurement"]
    one_qubit_error: Probability = 0.0
    two_qubit_error: Probability = 0.0
    measurement_error: Probability = 0.0


def _preset_paths(base: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in base.items():
        path = f"{prefix}{key}"
        out += _preset_paths(value, path + ".") if isinstance(value, Mapping) else [path]
    return out


def _given(data: Mapping[str, Any], path: str) -> bool:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def apply_preset(data: Any, section: Literal["node", "link"]) -> tuple[Any, tuple[str, ...]]:
    """``data`` with its ``hardware`` preset's fields filled in where it gives none, and the fields the preset
    gave. Unknown names are left for the ``hardware`` field's own check."""
    if not isinstance(data, Mapping) or not isinstance(data.get("hardware"), str):
        return data, ()
    chosen = PRESETS.get(data["hardware"])
    if chosen is None:
        return data, ()
    base = chosen.node if section == "node" else chosen.link
    memory = data.get("memory")
    if section == "node" and isinstance(memory, Mapping) and {"t1_s", "t2_s", "coherence_time_s"} & set(memory):
        # the topology chose its own memory model (T1/T2 or depolarizing): the preset's T1/T2 do not mix in
        base = {**base, "memory": {k: v for k, v in base["memory"].items() if k not in ("t1_s", "t2_s")}}
    if section == "link" and "quantum" in data and data["quantum"] is None:
        base = {k: v for k, v in base.items() if k != "quantum"}  # an explicitly classical link stays classical
    return deep_merge(base, data), tuple(p for p in _preset_paths(base) if not _given(data, p))


def _check_hardware(value: str | None) -> str | None:
    if value is not None and value not in PRESETS:
        raise ValueError(f"unknown hardware preset {value!r} (valid: {', '.join(sorted(PRESETS))})")
    return value


HardwareName = Annotated[str, AfterValidator(_check_hardware)]


class _WithPreset(_Spec):
    """A spec that may name a ``hardware`` preset; :attr:`preset_fields` are the values the preset gave."""

    _section: str = "node"
    _preset_fields: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _preset(cls, data: Any, handler: Any) -> Any:
        merged, fields = apply_preset(data, cls._section.default)  # type: ignore[attr-defined]
        out = handler(merged)
        out._preset_fields = fields
        return out

    @property
    def preset_fields(self) -> tuple[str, ...]:
        """Dotted paths of the fields whose values came from the ``hardware`` preset (not the topology file)."""
        return self._preset_fields


class NodeSpec(_WithPreset):
    """A node of the network.

    Attributes:
        name: unique name.
        kind: ``qpu`` (runs circuits), ``repeater`` (swaps pairs), ``controller`` (classical only) or
            ``source`` (prepares quantum data).
        qubits: number of qubits; a QPU needs at least one.
        communication_qubits: how many of them may hold pairs (default: all).
        memory: decoherence of stored qubits and the optional cutoff.
        gates: operation durations and errors.
        readout_error: probability that a measured bit is reported flipped.
        classical_processing_s: time to handle one classical message before sending it on (in s).
        bsm_success_probability: success probability of a Bell-state measurement at this node (swapping).
        position_km: optional (x, y) position for drawings (in km).
        hardware: a preset of :mod:`qnet_dqnn.topology.hardware` filling the fields left out.
    """

    _section = PrivateAttr(default="node")
    name: Annotated[str, Field(min_length=1, max_length=64)]
    kind: NodeKind = "qpu"
    qubits: Annotated[int, Field(ge=0, le=100_000)] = 0
    communication_qubits: Annotated[int, Field(ge=0, le=100_000)] | None = None
    memory: MemorySpec = MemorySpec()
    gates: GateSpec = GateSpec()
    readout_error: Probability = 0.0
    classical_processing_s: Seconds = 0.0
    bsm_success_probability: Efficiency = 1.0
    position_km: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    hardware: HardwareName | None = None

    @property
    def memory_capacity(self) -> int:
        """Qubits available to hold entangled pairs."""
        return self.qubits if self.communication_qubits is None else self.communication_qubits


class ClassicalSpec(_Spec):
    """The classical channel of a link."""

    bandwidth_bps: Annotated[float, Field(gt=0.0), _at_least(1.0, "bit/s")] = DEFAULT_BANDWIDTH_BPS
    extra_latency_s: Seconds = 0.0


class QuantumSpec(_Spec):
    """The quantum channel of a link: heralded generation of pairs (see ``qnet_dqnn.physics.heralding``)."""

    source_rate_hz: Annotated[float, Field(gt=0.0), _at_least(1e-6, "Hz")]
    attenuation_db_per_km: Annotated[float, Field(ge=0.0)] = DEFAULT_ATTENUATION_DB_PER_KM
    source_fidelity: Annotated[float, Field(ge=0.25, le=1.0)] = 1.0
    source_efficiency: Efficiency = 1.0
    detector_efficiency: Efficiency = 1.0
    heralding: HeraldingModel = "midpoint"
    bsm_success_probability: Efficiency = 0.5
    multiplexing: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    wavelength_nm: Annotated[float, Field(gt=0.0, le=1e5)] | None = None


class LinkSpec(_WithPreset):
    """A fiber link between two nodes: always a classical channel, optionally a quantum one; ``hardware`` names
    a preset whose ``quantum`` fields fill those left out."""

    _section = PrivateAttr(default="link")
    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    length_km: Annotated[float, Field(gt=0.0, le=1e6)]
    classical: ClassicalSpec = ClassicalSpec()
    quantum: QuantumSpec | None = None
    hardware: HardwareName | None = None

    @property
    def name(self) -> str:
        """The link's name, ``a-b``."""
        return f"{self.between[0]}-{self.between[1]}"


class TopologySpec(_Spec):
    """A whole network: a name, its nodes and links, and the file it came from."""

    name: Annotated[str, Field(min_length=1)] = "topology"
    description: str = ""
    nodes: Annotated[list[NodeSpec], Field(min_length=1)]
    links: list[LinkSpec] = []

    def node(self, name: str) -> NodeSpec:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @property
    def quantum_links(self) -> list[LinkSpec]:
        """The links with a quantum channel."""
        return [link for link in self.links if link.quantum is not None]
