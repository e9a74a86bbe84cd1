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
  :func:`.reading.read_memory`). Absent values take SeQUeNCe's defaults
  (:data:`.reading.SEQUENCE_MEMORY_DEFAULTS`).
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

The package reads the JSON (:mod:`.reading`: SeQUeNCe's units and defaults, templates, nodes), maps its channels
to links (:mod:`.mapping`) and keeps the problems and warnings (:mod:`.warnings`, which also writes the header of
the imported file). It is a bridge: the CLI and users import it; the core packages never do.
"""

from qnet_dqnn.interop.sequence.mapping import import_sequence_data, import_sequence_topology
from qnet_dqnn.interop.sequence.warnings import sequence_import_header

__all__ = ["import_sequence_data", "import_sequence_topology", "sequence_import_header"]
