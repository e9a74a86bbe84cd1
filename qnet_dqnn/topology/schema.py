"""The topology schema: nodes, links and their hardware, with a unit in every field name.

A field left out is ideal (no error, no decoherence, efficiency 1); the gate times default to values of
trapped-ion hardware (see :data:`DEFAULT_GATE_TIMES_S`) so that circuits always cost time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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


class MemorySpec(_Spec):
    """How stored qubits decohere. Give t1_s and t2_s, or coherence_time_s (depolarizing), or neither (ideal)."""

    t1_s: PositiveSeconds | None = None
    t2_s: PositiveSeconds | None = None
    coherence_time_s: PositiveSeconds | None = None
    cutoff_s: PositiveSeconds | None = None

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


class NodeSpec(_Spec):
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
    """

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


class LinkSpec(_Spec):
    """A fiber link between two nodes: always a classical channel, optionally a quantum one."""

    between: Annotated[list[str], Field(min_length=2, max_length=2)]
    length_km: Annotated[float, Field(gt=0.0, le=1e6)]
    classical: ClassicalSpec = ClassicalSpec()
    quantum: QuantumSpec | None = None

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
