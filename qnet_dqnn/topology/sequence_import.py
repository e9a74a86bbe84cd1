"""Import a SeQUeNCe JSON topology as qnet-dqnn topology data, converting units and naming what does not map.

SeQUeNCe (Wu et al., Quantum Sci. Technol. 6, 045027 (2021)) describes a network as JSON read by
``sequence.topology.router_net_topo.RouterNetTopo``. The units below are the ones SeQUeNCe 0.8.5 documents:

* ``distance`` (m, ``OpticalChannel``) -> ``length_km``: / 1000.
* ``attenuation`` (dB/m, ``OpticalChannel``; loss = 1 - 10^(-distance * attenuation / 10)) ->
  ``quantum.attenuation_db_per_km``: the fiber's total dB over its length in km (x 1000 for one uniform fiber).
* ``delay`` (ps, ``ClassicalChannel``) -> ``classical.extra_latency_s`` = delay / 1e12 - L / v, never negative,
  so that qnet-dqnn's one-hop latency L / v + extra_latency_s is SeQUeNCe's delay; v = ``SPEED_OF_LIGHT``
  = 2e-4 m/ps = 2e5 km/s in both simulators. No delay: SeQUeNCe uses distance / v + 10 us.
* ``MemoryArray.fidelity`` -> ``quantum.source_fidelity`` (clamped into [0.25, 1]); ``frequency`` (Hz) ->
  ``source_rate_hz`` (the slower end's); ``efficiency`` -> ``source_efficiency`` (geometric mean of the ends);
  ``coherence_time`` (s, negative = infinite) -> ``memory.coherence_time_s`` and ``memory.cutoff_s`` (see
  :func:`_memory`). Absent values take SeQUeNCe's defaults (:data:`SEQUENCE_MEMORY_DEFAULTS`).
* BSM detector ``efficiency`` -> ``quantum.detector_efficiency`` (geometric mean of the two detectors);
  ``SingleHeraldedBSM.success_rate`` -> ``quantum.bsm_success_probability``.
* ``memo_size`` (+ ``data_memo_size``) -> ``qubits`` (``communication_qubits`` = ``memo_size``);
  ``gate_fidelity`` / ``measurement_fidelity`` -> ``gates.two_qubit_error`` / ``readout_error`` = 1 - fidelity;
  ``EntanglementSwapping.swapping_success_prob`` -> the node's ``bsm_success_probability``.

Topology: a ``BSMNode`` with quantum channels from two routers (arms of L1 and L2 m) becomes one quantum link
between the routers of length L1 + L2 with ``midpoint`` heralding; a ``qconnections`` entry of type
``meet_in_the_middle`` is the same thing written compactly (RouterNetTopo expands it into a BSM node and two
arms); a quantum channel straight from one router to another becomes an ``at_node`` link with the source at
the channel's sender. Classical channels between two imported nodes become the link's classical channel (a
classical-only link when no quantum channel joins the pair); classical channels to a BSM node are the
herald's path, which qnet-dqnn models as fiber propagation.

Anything without a qnet-dqnn equivalent (detector dark counts, time resolution and count rate, ``stop_time``,
the state formalism, node types such as ``QKDNode``, unknown keys, ...) is named in a warning.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology.loader import topology_from_data
from qnet_dqnn.units import FIBER_LIGHT_SPEED_KM_PER_S

__all__ = ["import_sequence_data", "import_sequence_topology", "sequence_import_header"]

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

_TOP_LEVEL_MAPPED = ("nodes", "templates", "qchannels", "cchannels", "qconnections", "cconnections")
_TOP_LEVEL_UNMAPPED = {
    "stop_time": "the simulation length belongs to a qnet-dqnn scenario (stop.simulated_time_s), not to a topology",
    "formalism": "qnet-dqnn tracks pairs as Bell-diagonal states; the formalism only decides how coherence_time "
    "is imported",
    "truncation": "photon-number truncation has no qnet-dqnn equivalent",
    "is_parallel": "parallel-simulation settings have no qnet-dqnn equivalent",
    "proc_num": "parallel-simulation settings have no qnet-dqnn equivalent",
    "lookahead": "parallel-simulation settings have no qnet-dqnn equivalent",
}
_SEED_NOTE = "per-node seeds are not imported: qnet-dqnn derives every random stream from the scenario seed"


@dataclass(frozen=True)
class _Memory:
    """A node's communication memories, resolved from its template (SeQUeNCe defaults where absent)."""

    fidelity: float
    frequency_hz: float
    efficiency: float
    coherence_time_s: float | None  # None: infinite
    cutoff_s: float | None


@dataclass(frozen=True)
class _Bsm:
    """A BSM station's parameters, resolved from its template."""

    detector_efficiency: float
    success_probability: float | None  # None: qnet-dqnn's linear-optics default (0.5)


@dataclass
class _Node:
    index: int
    name: str
    type: str
    kind: str  # "qpu", "controller", "bsm" or "skipped"
    memo_size: int = 0
    data_memo_size: int = 0
    memory: _Memory | None = None
    bsm: _Bsm | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _QuantumLink:
    path: str
    a: str
    b: str
    heralding: str
    arms_m: tuple[float, ...]
    loss_db: float
    bsm: _Bsm | None
    station: str | None = None  # the BSMNode's name, for a link read from qchannels


@dataclass
class _Classical:
    path: str
    delay_ps: float
    distance_m: float | None


class _Importer:
    """Reads one SeQUeNCe configuration, collecting every problem and warning."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[str, str]] = []
        self._warnings: dict[str, list[str]] = {}
        #: SeQUeNCe's state formalism (``formalism``, default ``ket_vector`` in RouterNetTopo).
        self.formalism = "ket_vector"

    # -- reporting -------------------------------------------------------------------------------------

    def problem(self, path: str, reason: str) -> None:
        """Record a problem (once: a template used by several nodes is read once per node)."""
        if (path, reason) not in self.problems:
            self.problems.append((path, reason))

    def warn(self, path: str, message: str) -> None:
        """Record a warning; identical messages are listed once with every place they apply to."""
        self._warnings.setdefault(message, [])
        if path and path not in self._warnings[message]:
            self._warnings[message].append(path)

    def warnings(self) -> list[str]:
        out = []
        for message, paths in self._warnings.items():
            if not paths:
                out.append(message)
                continue
            shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
            out.append(f"{shown}: {message}")
        return out

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


def _tidy(x: float) -> float:
    """Drop binary noise from unit conversions (12 significant digits; SeQUeNCe's own precision is 1 ps, 1 m)."""
    return float(f"{x:.12g}")


def _propagation_ps(distance_m: float) -> float:
    """Light's travel time over ``distance_m`` of fiber (in ps): distance / SPEED_OF_LIGHT (SeQUeNCe's formula)."""
    return distance_m / SEQUENCE_LIGHT_SPEED_M_PER_PS


# -- templates -------------------------------------------------------------------------------------------


_MEMORY_KEYS = ("fidelity", "frequency", "efficiency", "coherence_time", "wavelength", "decoherence_errors")
_MEMORY_KEYS += ("cutoff_ratio", "cutoff_flag")
_DETECTOR_KEYS = ("efficiency", "dark_count", "count_rate", "time_resolution")
_TEMPLATE_KEYS = ("MemoryArray", "encoding_type", "SingleAtomBSM", "SingleHeraldedBSM", "routing")
_TEMPLATE_KEYS += ("EntanglementSwapping", "DataMemoryArray", "LightSource")


def _memory(imp: _Importer, template: Mapping[str, Any], path: str) -> _Memory | None:
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
            coherence_s = _tidy(0.75 * coherence)
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
    return _Memory(fidelity, frequency, efficiency, coherence_s, cutoff_s)


def _bsm(imp: _Importer, template: Mapping[str, Any], path: str) -> _Bsm | None:
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
    return _Bsm(_tidy(math.sqrt(e0 * e1)), success)


def _templates(imp: _Importer, config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
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


def _template(
    imp: _Importer, templates: Mapping[str, Mapping[str, Any]], entry: Mapping[str, Any], path: str
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


def _swapping(imp: _Importer, template: Mapping[str, Any], tpath: str) -> float | None:
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


def _nodes(imp: _Importer, config: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]]) -> dict[str, _Node]:
    if "nodes" not in config:
        imp.problem("nodes", "required field is missing")
    nodes: dict[str, _Node] = {}
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
            imp.warn(f"{path}.seed", _SEED_NOTE)
        if node_type in QUANTUM_NODE_TYPES:
            node = _Node(index, name, node_type, "qpu")
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
            template, tpath = _template(imp, templates, entry, path)
            if template is not None:
                node.memory = _memory(imp, template, tpath or path)
                swap = _swapping(imp, template, tpath)
                if swap is not None:
                    node.extra["bsm_success_probability"] = swap
            # Node.gate_fid / meas_fid: "fidelity of multi-qubit gates" and "of single-qubit measurements",
            # used as Dur et al., PRA 59, 169 (1999) p2 and eta (bbpssw_bds); qnet-dqnn uses the same
            # model with two_qubit_error = 1 - p2 and readout_error = 1 - eta (physics/swapping.py).
            gate = imp.number(entry, "gate_fidelity", path, default=1.0, low=0.0, high=1.0)
            meas = imp.number(entry, "measurement_fidelity", path, default=1.0, low=0.0, high=1.0)
            if gate is not None and gate < 1.0:
                node.extra["gates"] = {"two_qubit_error": _tidy(1.0 - gate)}
            if meas is not None and meas < 1.0:
                node.extra["readout_error"] = _tidy(1.0 - meas)
        elif node_type == BSM_NODE_TYPE:
            node = _Node(index, name, node_type, "bsm")
            template, tpath = _template(imp, templates, entry, path)
            if template is not None:
                node.bsm = _bsm(imp, template, tpath or path)
        elif node_type in CLASSICAL_NODE_TYPES:
            node = _Node(index, name, node_type, "controller")
        else:
            node = _Node(index, name, node_type, "skipped")
            imp.warn(
                path,
                f"node type {node_type!r} has no qnet-dqnn equivalent: the node and its channels are left out",
            )
        nodes[name] = node
    return nodes


# -- channels --------------------------------------------------------------------------------------------


def _endpoint(
    imp: _Importer, entry: Mapping[str, Any], key: str, path: str, nodes: Mapping[str, _Node]
) -> _Node | None:
    name = imp.name(entry, key, path)
    if name is None:
        return None
    if name not in nodes:
        imp.problem(f"{path}.{key}", f"unknown node {name!r}")
        return None
    return nodes[name]


def _quantum_links(
    imp: _Importer, config: Mapping[str, Any], nodes: Mapping[str, _Node], templates: Mapping[str, Mapping[str, Any]]
) -> list[_QuantumLink]:
    links: list[_QuantumLink] = []
    arms: dict[str, list[tuple[str, str, float, float]]] = {}  # BSM name -> (path, router, distance m, dB/m)
    for path, qc in imp.entries(config, "qchannels"):
        imp.unknown_keys(qc, path, ("name", "source", "destination", "distance", "attenuation"))
        src = _endpoint(imp, qc, "source", path, nodes)
        dst = _endpoint(imp, qc, "destination", path, nodes)
        distance = imp.number(qc, "distance", path, low=0.0, low_open=True)  # m (OpticalChannel.distance)
        attenuation = imp.number(qc, "attenuation", path, low=0.0)  # dB/m (OpticalChannel.attenuation)
        if src is None or dst is None or distance is None or attenuation is None:
            continue
        if "skipped" in (src.kind, dst.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        if src.kind == "bsm":
            imp.problem(f"{path}.source", f"a BSMNode only receives on quantum channels (got {src.name!r})")
        elif src.kind == "controller" or dst.kind == "controller":
            which = src if src.kind == "controller" else dst
            imp.problem(path, f"node {which.name!r} is a {which.type} without quantum memories")
        elif dst.kind == "bsm":
            arms.setdefault(dst.name, []).append((path, src.name, distance, attenuation))
        elif src.name == dst.name:
            imp.problem(f"{path}.destination", f"a quantum channel cannot join node {src.name!r} to itself")
        else:
            imp.warn(
                path,
                "SeQUeNCe's routers generate entanglement only through a BSMNode; this direct quantum channel is "
                "imported as an at_node link with the source at the channel's sender",
            )
            # total loss in dB = attenuation (dB/m) * distance (m), as in QuantumChannel.init()
            links.append(_QuantumLink(path, src.name, dst.name, "at_node", (distance,), attenuation * distance, None))
    for node in nodes.values():
        if node.kind != "bsm":
            continue
        got = arms.get(node.name, [])
        routers = [router for _, router, _, _ in got]
        if len(got) != 2 or routers[0] == routers[1]:
            imp.problem(
                f"nodes[{node.index}]",
                f"BSM node {node.name!r} needs quantum channels from exactly two routers (got {len(got)}: {routers})",
            )
            continue
        (path_a, a, len_a, att_a), (_, b, len_b, att_b) = got
        if abs(len_a - len_b) > 1.0:
            imp.warn(
                f"nodes[{node.index}]",
                f"the BSM station is not halfway ({len_a:g} m and {len_b:g} m arms); qnet-dqnn places it at the "
                "midpoint: the loss is kept, the herald arrives after (L1 + L2) / 2v instead of the longer arm's",
            )
        loss = att_a * len_a + att_b * len_b
        links.append(_QuantumLink(path_a, a, b, "midpoint", (len_a, len_b), loss, node.bsm, node.name))
    for path, qconn in imp.entries(config, "qconnections"):
        imp.unknown_keys(qconn, path, ("node1", "node2", "attenuation", "distance", "type", "seed", "template"))
        a = _endpoint(imp, qconn, "node1", path, nodes)
        b = _endpoint(imp, qconn, "node2", path, nodes)
        distance = imp.number(qconn, "distance", path, low=0.0, low_open=True)  # m, the whole connection
        attenuation = imp.number(qconn, "attenuation", path, low=0.0)  # dB/m
        kind = qconn.get("type")
        if kind != MEET_IN_THE_MIDDLE:
            got = "missing" if kind is None else repr(kind)
            imp.problem(f"{path}.type", f"unknown quantum connection type ({got}; known: {MEET_IN_THE_MIDDLE!r})")
        template, tpath = _template(imp, templates, qconn, path)
        if a is None or b is None or distance is None or attenuation is None or template is None:
            continue
        if "skipped" in (a.kind, b.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        bad = [n.name for n in (a, b) if n.kind != "qpu"]
        if bad:
            imp.problem(path, f"node {bad[0]!r} is not a quantum router")
            continue
        if a.name == b.name:
            imp.problem(f"{path}.node2", f"a quantum connection cannot join node {a.name!r} to itself")
            continue
        bsm = _bsm(imp, template, tpath or path)
        if "seed" in qconn:
            imp.warn(f"{path}.seed", _SEED_NOTE)
        # RouterNetTopo splits the connection into two arms of distance // 2 m each; the whole length is kept
        # here (the two differ by under 2 m).
        half = distance / 2
        links.append(_QuantumLink(path, a.name, b.name, "midpoint", (half, half), attenuation * distance, bsm))
    seen: dict[frozenset[str], str] = {}
    unique = []
    for link in links:
        key = frozenset((link.a, link.b))
        if key in seen:
            first = seen[key]
            imp.problem(link.path, f"a second quantum connection between {link.a!r} and {link.b!r} (first at {first})")
        else:
            seen[key] = link.path
            unique.append(link)
    return unique


_Directed = tuple[str, _Node, _Node, float, float | None]  # (path, source, destination, delay ps, distance m)


def _classical_entries(imp: _Importer, config: Mapping[str, Any], nodes: Mapping[str, _Node]) -> list[_Directed]:
    """Directed classical channels ``(path, src, dst, delay_ps, distance_m)`` from cchannels and cconnections.

    SeQUeNCe's ClassicalChannel takes ``distance`` in m and ``delay`` in ps, either defaulting to -1; with no
    delay it uses ``distance / SPEED_OF_LIGHT + 10 us``.
    """
    out: list[_Directed] = []
    sources = [("cchannels", "source", "destination"), ("cconnections", "node1", "node2")]
    for key, end_a, end_b in sources:
        for path, cc in imp.entries(config, key):
            imp.unknown_keys(cc, path, ("name", end_a, end_b, "distance", "delay"))
            a = _endpoint(imp, cc, end_a, path, nodes)
            b = _endpoint(imp, cc, end_b, path, nodes)
            distance = imp.number(cc, "distance", path, default=-1.0)
            delay = imp.number(cc, "delay", path, default=-1.0)
            for field_name, value in (("distance", distance), ("delay", delay)):
                if value is not None and value < 0 and value != -1:
                    imp.problem(f"{path}.{field_name}", f"must be >= 0, or -1 for SeQUeNCe's default (got {value!r})")
            if a is None or b is None or distance is None or delay is None:
                continue
            dist_m = distance if distance >= 0 else None
            if delay < 0:
                if dist_m is None:
                    imp.problem(path, "needs a delay (in ps) or a distance (in m)")
                    continue
                delay = round(_propagation_ps(dist_m) + SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS)
            if a.name == b.name:
                imp.problem(path, f"a classical channel cannot join node {a.name!r} to itself")
                continue
            pairs = [(a, b)] if key == "cchannels" else [(a, b), (b, a)]
            out += [(path, s, d, float(delay), dist_m) for s, d in pairs]
    return out


# -- assembly --------------------------------------------------------------------------------------------


def _classical_link(
    imp: _Importer, a: str, b: str, directed: Mapping[tuple[str, str], _Classical], quantum_length_m: float | None
) -> tuple[float, float, str]:
    """Length (km) and extra latency (s) of the link a-b, and the path of the entry it came from.

    extra_latency_s = delay - L / v: qnet-dqnn's one-hop latency is extra_latency_s + L / v (+ serialisation),
    so it reproduces SeQUeNCe's fixed delay (ps / 1e12 = s) on the same fiber.
    """
    channels = [directed[k] for k in ((a, b), (b, a)) if k in directed]
    paths = " and ".join(dict.fromkeys(c.path for c in channels))
    if not channels:
        imp.warn(
            f"{a}-{b}",
            "no classical channel joins this pair in the SeQUeNCe file; the link's classical channel is imported "
            "with fiber propagation only (extra_latency_s 0)",
        )
        return (quantum_length_m or 0.0) / M_PER_KM, 0.0, ""
    if len(channels) == 1:
        imp.warn(channels[0].path, "a one-way classical channel in SeQUeNCe; qnet-dqnn links carry both directions")
    delays = [c.delay_ps for c in channels]
    if max(delays) - min(delays) > 1.0:
        imp.warn(paths, "the two directions have different delays; qnet-dqnn links are symmetric: using their mean")
    delay_ps = sum(delays) / len(delays)
    distances = [c.distance_m for c in channels if c.distance_m is not None and c.distance_m > 0]
    if quantum_length_m is not None:
        length_m = quantum_length_m
        if any(abs(d - length_m) > 1.0 for d in distances):
            imp.warn(
                paths,
                "the classical channel's distance differs from the quantum channel's; qnet-dqnn links have one "
                "fiber length, the quantum one",
            )
    elif distances:
        length_m = sum(distances) / len(distances)
    else:
        # No fiber distance for this pair: the length that light in fiber covers in the delay, L = delay * v.
        length_m = delay_ps / PS_PER_S * FIBER_LIGHT_SPEED_KM_PER_S * M_PER_KM
        imp.warn(
            paths,
            "no fiber distance for this pair: length_km taken from the delay (delay x 2e5 km/s), extra_latency_s 0",
        )
        if length_m < MIN_LENGTH_KM * M_PER_KM:
            imp.warn(
                paths,
                f"a delay under {MIN_LENGTH_KM * M_PER_KM / SEQUENCE_LIGHT_SPEED_M_PER_PS:g} ps cannot be reproduced "
                f"(qnet-dqnn links have a length > 0): length_km set to {MIN_LENGTH_KM}",
            )
            length_m = MIN_LENGTH_KM * M_PER_KM
    # qnet-dqnn's own propagation (L / FIBER_LIGHT_SPEED_KM_PER_S, equal to SeQUeNCe's) so that the sum is exact.
    propagation_ps = length_m / M_PER_KM / FIBER_LIGHT_SPEED_KM_PER_S * PS_PER_S
    extra_ps = delay_ps - propagation_ps
    if extra_ps < -0.5:  # SeQUeNCe rounds delays to whole ps
        imp.warn(
            paths,
            f"SeQUeNCe's delay ({delay_ps:g} ps) is shorter than light needs over the fiber "
            f"({propagation_ps:g} ps); extra_latency_s set to 0, so the imported latency is longer",
        )
    return length_m / M_PER_KM, max(extra_ps, 0.0) / PS_PER_S, paths


def _quantum_spec(imp: _Importer, link: _QuantumLink, nodes: Mapping[str, _Node]) -> dict[str, Any] | None:
    a, b = nodes[link.a], nodes[link.b]
    if a.memory is None or b.memory is None:
        return None  # a problem was recorded for the template
    length_m = sum(link.arms_m)
    if link.heralding == "midpoint":
        # SeQUeNCe gives each end its own memory's raw fidelity; qnet-dqnn has one pair fidelity per link.
        if a.memory.fidelity != b.memory.fidelity:
            imp.warn(
                link.path,
                f"the two routers' memory fidelities differ ({a.memory.fidelity:g}, {b.memory.fidelity:g}); "
                "qnet-dqnn has one per link: using the lower",
            )
        fidelity = min(a.memory.fidelity, b.memory.fidelity)
        rate = min(a.memory.frequency_hz, b.memory.frequency_hz)  # both memories must emit in each attempt
        # Both photons must be emitted: qnet-dqnn's midpoint success carries source_efficiency^2, so the
        # geometric mean reproduces SeQUeNCe's product of the two memories' efficiencies.
        efficiency = math.sqrt(a.memory.efficiency * b.memory.efficiency)
    else:
        fidelity, rate, efficiency = a.memory.fidelity, a.memory.frequency_hz, a.memory.efficiency
    # attenuation: SeQUeNCe's dB/m; the link's total loss in dB over its length in km gives dB/km, which keeps
    # the transmissivity 10^(-dB/10) of the whole link exact even when the two arms differ.
    quantum: dict[str, Any] = {
        "source_rate_hz": _tidy(rate),
        "attenuation_db_per_km": _tidy(link.loss_db / (length_m / M_PER_KM)),
        "source_fidelity": _tidy(fidelity),
        "source_efficiency": _tidy(efficiency),
    }
    if link.bsm is not None:
        quantum["detector_efficiency"] = link.bsm.detector_efficiency
        if link.bsm.success_probability is not None:
            quantum["bsm_success_probability"] = link.bsm.success_probability
    elif link.heralding == "midpoint":
        return None  # the BSM template had a problem
    quantum["heralding"] = link.heralding
    return quantum


def _check_memories(imp: _Importer, nodes: Mapping[str, _Node], qlinks: list[_QuantumLink]) -> None:
    """A router needs communication memories for its quantum links; one with none and no links is classical."""
    linked = {name for link in qlinks for name in (link.a, link.b)}
    for node in nodes.values():
        if node.kind != "qpu" or node.memo_size > 0:
            continue
        if node.name in linked:
            imp.problem(
                f"nodes[{node.index}].memo_size",
                f"{node.name!r} has quantum channels but no memories to hold pairs (memo_size 0)",
            )
        elif node.data_memo_size == 0:
            node.kind = "controller"
            imp.warn(f"nodes[{node.index}].memo_size", "0 memories and no quantum channel: imported as a controller")


def _herald_warnings(imp: _Importer, entries: list[_Directed], qlinks: list[_QuantumLink]) -> None:
    """Classical channels to a BSM node are the herald's path; qnet-dqnn models it as fiber propagation."""
    arm_of: dict[tuple[str, str], float] = {}
    for link in qlinks:
        if link.station is not None:
            arm_of[(link.a, link.station)], arm_of[(link.b, link.station)] = link.arms_m
    for path, src, dst, delay_ps, _ in entries:
        if "bsm" not in (src.kind, dst.kind):
            continue
        router, bsm = (src, dst) if dst.kind == "bsm" else (dst, src)
        arm = arm_of.get((router.name, bsm.name))
        if arm is None:
            imp.warn(path, "a classical channel to a BSM node that is not this router's station; not imported")
        elif abs(delay_ps - _propagation_ps(arm)) > 1.0:
            imp.warn(
                path,
                "the router-BSM classical delay is not imported: qnet-dqnn's herald crosses the arm at 2e5 km/s "
                f"({_propagation_ps(arm):g} ps here, SeQUeNCe: {delay_ps:g} ps)",
            )


def _by_pair(imp: _Importer, entries: list[_Directed]) -> dict[frozenset[str], dict[tuple[str, str], _Classical]]:
    """The classical channels between imported nodes, per node pair and direction."""
    directed: dict[frozenset[str], dict[tuple[str, str], _Classical]] = {}
    for path, src, dst, delay_ps, distance_m in entries:
        if "skipped" in (src.kind, dst.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        if "bsm" in (src.kind, dst.kind):
            continue  # the herald's path (see _herald_warnings)
        by_direction = directed.setdefault(frozenset((src.name, dst.name)), {})
        previous = by_direction.get((src.name, dst.name))
        if previous is not None and previous.delay_ps != delay_ps:
            # Node.assign_cchannel keeps one channel per receiver: the last one set (cconnections come last).
            imp.warn(path, f"replaces {previous.path} for this direction, as in SeQUeNCe (the last one wins)")
        by_direction[(src.name, dst.name)] = _Classical(path, delay_ps, distance_m)
    return directed


def _links(
    imp: _Importer,
    qlinks: list[_QuantumLink],
    directed: dict[frozenset[str], dict[tuple[str, str], _Classical]],
    nodes: Mapping[str, _Node],
) -> list[dict[str, Any]]:
    """One qnet-dqnn link per node pair: the quantum links first, then the classical-only ones."""
    links: list[dict[str, Any]] = []
    pairs: list[tuple[str, str, _QuantumLink | None]] = [(q.a, q.b, q) for q in qlinks]
    quantum_pairs = {frozenset((q.a, q.b)) for q in qlinks}
    pairs += [(*next(iter(d)), None) for key, d in directed.items() if key not in quantum_pairs]
    for a, b, qlink in pairs:
        channels = directed.get(frozenset((a, b)), {})
        length_km, extra_s, _ = _classical_link(imp, a, b, channels, None if qlink is None else sum(qlink.arms_m))
        link: dict[str, Any] = {"between": [a, b], "length_km": _tidy(length_km)}
        if extra_s > 0:
            link["classical"] = {"extra_latency_s": _tidy(extra_s)}
        if qlink is not None:
            if qlink.path.startswith("qconnections") and channels:
                # RouterNetTopo gives the router-BSM channels it generates half the routers' mean delay (in ps).
                delays = [c.delay_ps for c in channels.values()]
                herald_ps = (sum(delays) / len(delays)) // 2
                fiber_ps = _propagation_ps(sum(qlink.arms_m) / 2)
                if abs(herald_ps - fiber_ps) > 1.0:
                    imp.warn(
                        qlink.path,
                        "SeQUeNCe sends the herald with half the routers' classical delay "
                        f"({herald_ps:g} ps); qnet-dqnn's herald crosses half the fiber at 2e5 km/s ({fiber_ps:g} ps)",
                    )
            quantum = _quantum_spec(imp, qlink, nodes)
            if quantum is not None:
                link["quantum"] = quantum
        links.append(link)
    if links:
        imp.warn(
            "",
            "SeQUeNCe's classical delay does not depend on message size; qnet-dqnn adds serialisation at "
            "classical.bandwidth_bps (default 1 Gb/s)",
        )
    return links


def _node_data(node: _Node) -> dict[str, Any]:
    """The qnet-dqnn node entry of an imported router or controller."""
    if node.kind == "controller":
        return {"name": node.name, "kind": "controller"}
    entry: dict[str, Any] = {"name": node.name, "kind": "qpu", "qubits": node.memo_size + node.data_memo_size}
    if node.data_memo_size:
        entry["communication_qubits"] = node.memo_size
    memory = node.memory
    if memory is not None and memory.coherence_time_s is not None:
        entry["memory"] = {"coherence_time_s": memory.coherence_time_s}
        if memory.cutoff_s is not None:
            entry["memory"]["cutoff_s"] = _tidy(memory.cutoff_s)
    entry.update(node.extra)
    return entry


def import_sequence_data(config: Any, source: str = "<data>") -> tuple[dict[str, Any], list[str]]:
    """Convert a parsed SeQUeNCe JSON topology to qnet-dqnn topology data.

    Args:
        config: the parsed JSON (a mapping with ``nodes``, ``qchannels``, ``cchannels``, ``qconnections``,
            ``cconnections`` and ``templates``).
        source: the file it came from, used in errors and in the topology's name.

    Returns:
        The topology data (the shape of a topology YAML file, checked with :func:`topology_from_data`) and the
        warnings, one per thing that was not imported or was imported approximately.

    Raises:
        TopologyError: naming each malformed field by its JSON path, e.g.
            ``qchannels[3].destination: unknown node 'x'``, or if the result is not a valid qnet-dqnn topology.
    """
    imp = _Importer(source)
    if not isinstance(config, Mapping):
        raise TopologyError(source, [("", f"a SeQUeNCe topology must be a JSON object (got {type(config).__name__})")])
    for key in config:
        if key in _TOP_LEVEL_UNMAPPED:
            imp.warn(key, _TOP_LEVEL_UNMAPPED[key])
        elif key not in _TOP_LEVEL_MAPPED:
            imp.warn(key, "unknown key, not imported")
    formalism = config.get("formalism", "ket_vector")
    imp.formalism = formalism if isinstance(formalism, str) else repr(formalism)
    templates = _templates(imp, config)
    nodes = _nodes(imp, config, templates)
    qlinks = _quantum_links(imp, config, nodes, templates)
    entries = _classical_entries(imp, config, nodes)
    if imp.problems:
        raise TopologyError(source, imp.problems)

    _check_memories(imp, nodes, qlinks)
    if imp.problems:
        raise TopologyError(source, imp.problems)
    _herald_warnings(imp, entries, qlinks)
    links = _links(imp, qlinks, _by_pair(imp, entries), nodes)
    out_nodes = [_node_data(node) for node in nodes.values() if node.kind in ("qpu", "controller")]
    if not out_nodes:
        raise TopologyError(source, [("nodes", "no node has a qnet-dqnn equivalent (QuantumRouter, DQCNode, ...)")])
    data = {
        "name": Path(source).stem or "imported",
        "description": f"imported from the SeQUeNCe topology {Path(source).name}",
        "nodes": out_nodes,
        "links": links,
    }
    try:
        topology_from_data(data, source)
    except TopologyError as exc:
        # the paths name the imported topology (its links and nodes), not the JSON file
        raise TopologyError(
            source, [(f"imported topology: {p}" if p else "imported topology", r) for p, r in exc.problems]
        ) from None
    return data, imp.warnings()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def import_sequence_topology(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Read a SeQUeNCe JSON topology file and convert it to qnet-dqnn topology data.

    Write the result with ``dump_topology(data, sequence_import_header(path, warnings))``.

    Returns:
        The topology data and the warnings (see :func:`import_sequence_data`).

    Raises:
        TopologyError: the file cannot be read, is not JSON, or is malformed (each problem with its JSON path).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError(source, [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TopologyError(source, [("", f"cannot read the file: {exc}")]) from None
    try:
        config = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise TopologyError(source, [("", f"line {exc.lineno}, column {exc.colno}: JSON error: {exc.msg}")]) from None
    except ValueError as exc:
        raise TopologyError(source, [("", f"JSON error: {exc}")]) from None
    return import_sequence_data(config, source)


def sequence_import_header(source: str | Path, warnings: list[str], width: int = 110) -> str:
    """The comment header for an imported topology: where it came from, the unit conversions, the warnings.

    Pass it to :func:`qnet_dqnn.topology.dump_topology`, which puts ``# `` before each line.
    """

    def wrap(text: str, first: str = "", rest: str = "") -> list[str]:
        return textwrap.wrap(
            text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
        )

    lines = wrap(f"Imported by `qnet-dqnn topology import` from the SeQUeNCe JSON topology {source}")
    lines += wrap(
        "Units converted: distance m -> length_km (/1000), attenuation dB/m -> dB/km (x1000), delay ps -> "
        "classical.extra_latency_s = delay/1e12 - length/(2e5 km/s)."
    )
    if warnings:
        lines.append(f"Not imported or imported approximately ({len(warnings)}):")
        for warning in warnings:
            lines += wrap(warning, "- ", "  ")
    else:
        lines.append("Everything in the file was imported.")
    return "\n".join(lines)
