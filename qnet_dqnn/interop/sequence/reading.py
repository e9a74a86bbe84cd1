"""Reading a SeQUeNCe configuration: its units and defaults, typed field reads, templates and nodes.

The constants are SeQUeNCe 0.8.5's own (each names where SeQUeNCe defines it); see :mod:`qnet_dqnn.interop.sequence`
for the unit conversions they serve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qnet_dqnn.interop.sequence.warnings import SEED_NOTE, ImportReport

#: Picoseconds in one second: SeQUeNCe's time unit (``sequence.constants.SECOND = 10**12``).
PS_PER_S = 1e12

#: Metres in one kilometre: SeQUeNCe distances are in m, qnet-dqnn lengths in km.
M_PER_KM = 1000.0

#: SeQUeNCe's speed of light in fiber (in m/ps), ``sequence.constants.SPEED_OF_LIGHT``. It is 2e5 km/s,
#: the value qnet-dqnn uses (:data:`qnet_dqnn.units.FIBER_LIGHT_SPEED_KM_PER_S`), so delays convert exactly.
SEQUENCE_LIGHT_SPEED_M_PER_PS = 2e-4

#: Fixed extra delay (in ps) SeQUeNCe's ``ClassicalChannel`` adds when no ``delay`` is given:
#: ``delay = round(distance / light_speed + 10 * MICROSECOND)``.
SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS = 10 * 10**6

#: ``MemoryArray`` defaults of SeQUeNCe 0.8.5 (``sequence.components.memory.MemoryArray.__init__``):
#: fidelity, excitation frequency (in Hz), efficiency, coherence time (in s; negative = infinite).
SEQUENCE_MEMORY_DEFAULTS: dict[str, Any] = {
    "fidelity": 0.85,
    "frequency": 80e6,
    "efficiency": 1.0,
    "coherence_time": -1.0,
    "cutoff_ratio": 1.0,
    "cutoff_flag": True,
}

#: Efficiency of a SeQUeNCe ``Detector`` left at its default (``sequence.components.detector.Detector``).
SEQUENCE_DETECTOR_DEFAULT_EFFICIENCY = 0.9

#: ``QuantumRouter`` memory count when ``memo_size`` is not given (``QuantumRouter.__init__``, default 50).
SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE = 50

#: The shortest link written when SeQUeNCe's delay implies no fiber at all (qnet-dqnn needs length > 0), in km.
MIN_LENGTH_KM = 0.001

QUANTUM_NODE_TYPES = ("QuantumRouter", "DQCNode")
BSM_NODE_TYPE = "BSMNode"
CLASSICAL_NODE_TYPES = ("Controller", "ClassicalNode")
MEET_IN_THE_MIDDLE = "meet_in_the_middle"

TOP_LEVEL_MAPPED = ("nodes", "templates", "qchannels", "cchannels", "qconnections", "cconnections")


@dataclass(frozen=True)
class Memory:
    """A node's communication memories, resolved from its template (SeQUeNCe defaults where absent)."""

    fidelity: float
    frequency_hz: float
    efficiency: float
    coherence_time_s: float | None  # None: infinite
    cutoff_s: float | None


@dataclass(frozen=True)
class Bsm:
    """A BSM station's parameters, resolved from its template."""

    detector_efficiency: float
    success_probability: float | None  # None: qnet-dqnn's linear-optics default (0.5)


@dataclass
class Node:
    index: int
    name: str
    type: str
    kind: str  # "qpu", "controller", "bsm" or "skipped"
    memo_size: int = 0
    data_memo_size: int = 0
    memory: Memory | None = None
    bsm: Bsm | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuantumLink:
    path: str
    a: str
    b: str
    heralding: str
    arms_m: tuple[float, ...]
    loss_db: float
    bsm: Bsm | None
    station: str | None = None  # the BSMNode's name, for a link read from qchannels


@dataclass
class Classical:
    path: str
    delay_ps: float
    distance_m: float | None


class Reader(ImportReport):
    """Reads one SeQUeNCe configuration field by field, recording every problem and warning."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        #: SeQUeNCe's state formalism (``formalism``, default ``ket_vector`` in RouterNetTopo).
        self.formalism = "ket_vector"

    # -- typed reads -----------------------------------------------------------------------------------

    def number(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
    ) -> float | None:
        """A finite number in range, or ``default`` when absent; a problem (and None) otherwise."""
        if key not in obj:
            if default is None:
                self.problem(f"{path}.{key}", "required field is missing")
            return default
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(f"{path}.{key}", f"must be a finite number (got {value!r})")
            return None
        bad_low = low is not None and (value <= low if low_open else value < low)
        if bad_low or (high is not None and value > high):
            lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
            hi = "" if high is None else f"<= {high:g}"
            self.problem(f"{path}.{key}", f"must be {' and '.join(s for s in (lo, hi) if s)} (got {value!r})")
            return None
        return float(value)

    def integer(self, obj: Mapping[str, Any], key: str, path: str, default: int) -> int | None:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(f"{path}.{key}", f"must be a whole number >= 0 (got {value!r})")
            return None
        return value

    def name(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None:
            self.problem(f"{path}.{key}", "required field is missing")
            return None
        if not isinstance(value, str) or not value:
            self.problem(f"{path}.{key}", f"must be a non-empty string (got {value!r})")
            return None
        return value

    def entries(self, config: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        """``(path, entry)`` for each mapping in the list ``config[key]``."""
        items = config.get(key, [])
        if not isinstance(items, list):
            self.problem(key, f"must be a list (got {type(items).__name__})")
            return []
        out = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                out.append((f"{key}[{i}]", item))
            else:
                self.problem(f"{key}[{i}]", f"must be a JSON object (got {type(item).__name__})")
        return out

    def unknown_keys(self, obj: Mapping[str, Any], path: str, known: tuple[str, ...] | set[str]) -> None:
        for key in obj:
            if key not in known:
                self.warn(f"{path}.{key}", "unknown key, not imported")


def tidy(x: float) -> float:
    """Drop binary noise from unit conversions (12 significant digits; SeQUeNCe's own precision is 1 ps, 1 m)."""
    return float(f"{x:.12g}")


def propagation_ps(distance_m: float) -> float:
    """Light's travel time over ``distance_m`` of fiber (in ps): distance / SPEED_OF_LIGHT (SeQUeNCe's formula)."""
    return distance_m / SEQUENCE_LIGHT_SPEED_M_PER_PS


# -- templates -------------------------------------------------------------------------------------------


_MEMORY_KEYS = ("fidelity", "frequency", "efficiency", "coherence_time", "wavelength", "decoherence_errors")
_MEMORY_KEYS += ("cutoff_ratio", "cutoff_flag")
_DETECTOR_KEYS = ("efficiency", "dark_count", "count_rate", "time_resolution")
_TEMPLATE_KEYS = ("MemoryArray", "encoding_type", "SingleAtomBSM", "SingleHeraldedBSM", "routing")
_TEMPLATE_KEYS += ("EntanglementSwapping", "DataMemoryArray", "LightSource")


def read_memory(imp: Reader, template: Mapping[str, Any], path: str) -> Memory | None:
    """The MemoryArray of a router template, with SeQUeNCe's defaults for what is absent."""
    if "MemoryArray" not in template:
        imp.warn(
            path,
            "no MemoryArray given: SeQUeNCe's defaults imported (fidelity 0.85, frequency 8e7 Hz, efficiency 1, "
            "infinite coherence time)",
        )
    spec = template.get("MemoryArray", {})
    path = f"{path}.MemoryArray"
    if not isinstance(spec, Mapping):
        imp.problem(path, f"must be a JSON object (got {type(spec).__name__})")
        return None
    imp.unknown_keys(spec, path, _MEMORY_KEYS)
    d = SEQUENCE_MEMORY_DEFAULTS
    fidelity = imp.number(spec, "fidelity", path, default=d["fidelity"])
    frequency = imp.number(spec, "frequency", path, default=d["frequency"], low=0.0, low_open=True)
    efficiency = imp.number(spec, "efficiency", path, default=d["efficiency"], low=0.0, high=1.0, low_open=True)
    coherence = imp.number(spec, "coherence_time", path, default=d["coherence_time"])
    ratio = imp.number(spec, "cutoff_ratio", path, default=d["cutoff_ratio"], low=0.0, low_open=True)
    flag = spec.get("cutoff_flag", d["cutoff_flag"])
    if not isinstance(flag, bool):
        imp.problem(f"{path}.cutoff_flag", f"must be true or false (got {flag!r})")
    if fidelity is not None and not 0.25 <= fidelity <= 1.0:
        clamped = min(max(fidelity, 0.25), 1.0)
        imp.warn(
            f"{path}.fidelity",
            f"{fidelity:g} is outside qnet-dqnn's range for a pair's fidelity [0.25, 1] (0.25 is the fully mixed "
            f"state); clamped to {clamped:g}",
        )
        fidelity = clamped
    if "wavelength" in spec:
        imp.warn(f"{path}.wavelength", "photon wavelength has no qnet-dqnn equivalent, not imported")
    errors = spec.get("decoherence_errors")
    if errors is not None and not (
        isinstance(errors, list)
        and len(errors) == 3
        and all(isinstance(e, int | float) and abs(e - 1 / 3) < 1e-9 for e in errors)
    ):
        imp.warn(
            f"{path}.decoherence_errors",
            "Pauli decoherence weights other than 1/3 each are not imported: qnet-dqnn's memory is depolarizing "
            "(equal X, Y, Z weights)",
        )
    if fidelity is None or frequency is None or efficiency is None or coherence is None or ratio is None:
        return None
    if not isinstance(flag, bool):
        return None
    coherence_s: float | None = None
    cutoff_s: float | None = None
    # SeQUeNCe: coherence_time in s, "negative value means infinite coherence time" (Memory); 0 disables it too
    # (decoherence_rate = 1 / coherence_time only if > 0, expiry scheduled only if > 0).
    if coherence > 0:
        # The memory expires (its pair is discarded) cutoff_ratio * coherence_time after it is entangled
        # (Memory._schedule_expiration), unless cutoff_flag is false: that is qnet-dqnn's memory.cutoff_s.
        cutoff_s = ratio * coherence if flag else None
        expiry = (
            "its pair is discarded cutoff_ratio x coherence_time after entanglement (imported as memory.cutoff_s)"
            if flag
            else "cutoff_flag is false, so its pair never expires"
        )
        if imp.formalism == "bell_diagonal":
            # Memory.bds_decohere: a Pauli channel with rates w_i / coherence_time; with equal weights (1/3 each,
            # SeQUeNCe's default) a Werner pair's fidelity decays as 1/4 + (F - 1/4) exp(-4t / (3 T)) per stored
            # qubit. qnet-dqnn's depolarizing memory decays as exp(-t / coherence_time_s): T_qnet = 3T/4.
            coherence_s = tidy(0.75 * coherence)
            imp.warn(
                f"{path}.coherence_time",
                "SeQUeNCe's memory model differs: in the bell_diagonal formalism its stored pair decays through a "
                "Pauli channel at rate 1/coherence_time (F - 1/4 falls as exp(-4t/3T) per qubit with equal weights), "
                "imported exactly as qnet-dqnn's depolarizing memory.coherence_time_s = 3/4 coherence_time; and "
                f"{expiry}",
            )
        else:
            coherence_s = coherence
            imp.warn(
                f"{path}.coherence_time",
                f"SeQUeNCe's memory model differs: in the {imp.formalism} formalism coherence_time is only a lifetime "
                f"(the stored pair does not decay; {expiry}), while qnet-dqnn's memory.coherence_time_s is the time "
                "constant of depolarizing decay (F -> 1/4), so stored pairs lose fidelity SeQUeNCe keeps; delete "
                "memory.coherence_time_s from the imported file for SeQUeNCe's behaviour",
            )
    return Memory(fidelity, frequency, efficiency, coherence_s, cutoff_s)


def read_bsm(imp: Reader, template: Mapping[str, Any], path: str) -> Bsm | None:
    """The BSM station of a BSM-node template: detector efficiencies and success probability."""
    encoding = template.get("encoding_type", "single_atom")
    if encoding not in ("single_atom", "single_heralded"):
        imp.problem(f"{path}.encoding_type", f"must be 'single_atom' or 'single_heralded' (got {encoding!r})")
        return None
    component = "SingleAtomBSM" if encoding == "single_atom" else "SingleHeraldedBSM"
    if component not in template:
        imp.warn(path, f"no {component} given: SeQUeNCe's default detectors imported (efficiency 0.9)")
    if encoding == "single_atom":
        imp.warn(
            f"{path}.encoding_type",
            "'single_atom' is Barrett-Kok generation (two rounds of single-photon clicks); qnet-dqnn imports it as "
            "one midpoint attempt with a two-photon BSM, so success probability and timing differ from SeQUeNCe's",
        )
    spec = template.get(component, {})
    cpath = f"{path}.{component}"
    if not isinstance(spec, Mapping):
        imp.problem(cpath, f"must be a JSON object (got {type(spec).__name__})")
        return None
    imp.unknown_keys(spec, cpath, ("detectors", "phase_error", "success_rate"))
    if "phase_error" in spec:
        imp.warn(f"{cpath}.phase_error", "BSM phase error has no qnet-dqnn equivalent, not imported")
    success = None
    if encoding == "single_heralded":
        success = imp.number(spec, "success_rate", cpath, default=0.5, low=0.0, high=1.0, low_open=True)
    elif "success_rate" in spec:
        imp.warn(f"{cpath}.success_rate", "not read by SeQUeNCe's SingleAtomBSM, not imported")
    detectors = spec.get("detectors", [{}, {}])
    if not isinstance(detectors, list) or len(detectors) != 2:
        imp.problem(f"{cpath}.detectors", f"must be a list of two detectors (got {detectors!r})")
        return None
    efficiencies = []
    for i, det in enumerate(detectors):
        dpath = f"{cpath}.detectors[{i}]"
        if not isinstance(det, Mapping):
            imp.problem(dpath, f"must be a JSON object (got {type(det).__name__})")
            continue
        imp.unknown_keys(det, dpath, _DETECTOR_KEYS)
        eff = imp.number(
            det, "efficiency", dpath, default=SEQUENCE_DETECTOR_DEFAULT_EFFICIENCY, low=0.0, high=1.0, low_open=True
        )
        efficiencies.append(eff)
        for key, what in (
            ("dark_count", "dark counts (per s)"),
            ("count_rate", "maximum count rate (Hz)"),
            ("time_resolution", "time resolution (ps)"),
        ):
            if key in det:
                imp.warn(f"{dpath}.{key}", f"detector {what} has no qnet-dqnn equivalent, not imported")
    e0, e1 = (efficiencies + [None, None])[:2]
    if e0 is None or e1 is None or (encoding == "single_heralded" and success is None):
        return None
    # Both photons must be detected, one per detector: qnet-dqnn's midpoint success carries
    # detector_efficiency^2, so the geometric mean reproduces SeQUeNCe's product e0 * e1.
    return Bsm(tidy(math.sqrt(e0 * e1)), success)


def read_templates(imp: Reader, config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    templates = config.get("templates", {})
    if not isinstance(templates, Mapping):
        imp.problem("templates", f"must be a JSON object of named templates (got {type(templates).__name__})")
        return {}
    out = {}
    for name, template in templates.items():
        if not isinstance(template, Mapping):
            imp.problem(f"templates.{name}", f"must be a JSON object (got {type(template).__name__})")
            continue
        imp.unknown_keys(template, f"templates.{name}", _TEMPLATE_KEYS)
        for key, message in (
            ("routing", "the routing protocol choice is not imported (qnet-dqnn routes on shortest paths)"),
            ("DataMemoryArray", "data memories share the communication memories' model in qnet-dqnn; not imported"),
            ("LightSource", "light sources (QKD) have no qnet-dqnn equivalent, not imported"),
        ):
            if key in template:
                imp.warn(f"templates.{name}.{key}", message)
        out[name] = template
    return out


def read_template(
    imp: Reader, templates: Mapping[str, Mapping[str, Any]], entry: Mapping[str, Any], path: str
) -> tuple[Mapping[str, Any] | None, str]:
    """The template an entry names (``{}`` when it names none), and its path; None if it is unknown."""
    name = entry.get("template")
    if name is None:
        return {}, ""
    if not isinstance(name, str) or name not in templates:
        known = ", ".join(repr(t) for t in templates) or "none"
        imp.problem(f"{path}.template", f"unknown template {name!r} (known: {known})")
        return None, ""
    return templates[name], f"templates.{name}"


def read_swapping(imp: Reader, template: Mapping[str, Any], tpath: str) -> float | None:
    """``EntanglementSwapping.swapping_success_prob`` -> the node's bsm_success_probability."""
    spec = template.get("EntanglementSwapping")
    if spec is None:
        return None
    path = f"{tpath}.EntanglementSwapping"
    if not isinstance(spec, Mapping):
        imp.problem(path, f"must be a JSON object (got {type(spec).__name__})")
        return None
    imp.unknown_keys(spec, path, ("swapping_success_prob", "swapping_degradation"))
    if "swapping_degradation" in spec:
        imp.warn(
            f"{path}.swapping_degradation",
            "SeQUeNCe's fidelity factor per swap has no direct qnet-dqnn equivalent (qnet-dqnn swaps degrade "
            "through gate and readout errors), not imported",
        )
    if "swapping_success_prob" not in spec:
        return None
    return imp.number(spec, "swapping_success_prob", path, low=0.0, high=1.0, low_open=True)


# -- nodes -----------------------------------------------------------------------------------------------


_NODE_KEYS = ("name", "type", "seed", "template", "memo_size", "data_memo_size", "gate_fidelity")
_NODE_KEYS += ("measurement_fidelity",)


def read_nodes(imp: Reader, config: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]]) -> dict[str, Node]:
    if "nodes" not in config:
        imp.problem("nodes", "required field is missing")
    nodes: dict[str, Node] = {}
    for path, entry in imp.entries(config, "nodes"):
        index = int(path[len("nodes[") : -1])
        name = imp.name(entry, "name", path)
        node_type = imp.name(entry, "type", path)
        if name is None or node_type is None:
            continue
        if name in nodes:
            imp.problem(f"{path}.name", f"duplicate node name {name!r} (first at nodes[{nodes[name].index}])")
            continue
        imp.unknown_keys(entry, path, _NODE_KEYS)
        if "seed" in entry:
            imp.warn(f"{path}.seed", SEED_NOTE)
        if node_type in QUANTUM_NODE_TYPES:
            node = Node(index, name, node_type, "qpu")
            if "memo_size" not in entry:
                imp.warn(
                    f"{path}.memo_size",
                    f"not given: {SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE} memories, QuantumRouter's default (SeQUeNCe "
                    f"0.8.5's RouterNetTopo would build the router with none)",
                )
            node.memo_size = imp.integer(entry, "memo_size", path, SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE) or 0
            if node_type == "DQCNode":
                node.data_memo_size = imp.integer(entry, "data_memo_size", path, 0) or 0
            elif "data_memo_size" in entry:
                imp.warn(f"{path}.data_memo_size", f"not read for a {node_type}, not imported")
            template, tpath = read_template(imp, templates, entry, path)
            if template is not None:
                node.memory = read_memory(imp, template, tpath or path)
                swap = read_swapping(imp, template, tpath)
                if swap is not None:
                    node.extra["bsm_success_probability"] = swap
            # Node.gate_fid / meas_fid: "fidelity of multi-qubit gates" and "of single-qubit measurements",
            # used as Dur et al., PRA 59, 169 (1999) p2 and eta (bbpssw_bds); qnet-dqnn uses the same
            # model with two_qubit_error = 1 - p2 and readout_error = 1 - eta (physics/swapping.py).
            gate = imp.number(entry, "gate_fidelity", path, default=1.0, low=0.0, high=1.0)
            meas = imp.number(entry, "measurement_fidelity", path, default=1.0, low=0.0, high=1.0)
            if gate is not None and gate < 1.0:
                node.extra["gates"] = {"two_qubit_error": tidy(1.0 - gate)}
            if meas is not None and meas < 1.0:
                node.extra["readout_error"] = tidy(1.0 - meas)
        elif node_type == BSM_NODE_TYPE:
            node = Node(index, name, node_type, "bsm")
            template, tpath = read_template(imp, templates, entry, path)
            if template is not None:
                node.bsm = read_bsm(imp, template, tpath or path)
        elif node_type in CLASSICAL_NODE_TYPES:
            node = Node(index, name, node_type, "controller")
        else:
            node = Node(index, name, node_type, "skipped")
            imp.warn(
                path,
                f"node type {node_type!r} has no qnet-dqnn equivalent: the node and its channels are left out",
            )
        nodes[name] = node
    return nodes
