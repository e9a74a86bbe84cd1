"""What QuNetSim's API offers, so a call this layer lacks fails with a clear error instead of quietly.

The name lists are QuNetSim 0.1.3's public attributes (``qunetsim.components.Host``, ``Network``,
``qunetsim.objects.Qubit`` and the package namespaces). ``tests/interop/test_qunetsim_compat.py`` checks them
against an installed QuNetSim when one is present, so they stay true.
"""

from __future__ import annotations

from typing import Any, NoReturn

from qnet_dqnn.errors import QnetError


class UnsupportedAPIError(QnetError):
    """A QuNetSim call that qnet-dqnn's compatibility layer does not provide."""


#: Public attributes of QuNetSim's ``Host``.
HOST_API = frozenset(
    [
        "host_id",
        "backend",
        "classical_connections",
        "classical",
        "empty_classical",
        "reset_sequence_numbers",
        "qubit_storage",
        "delay",
        "max_ack_wait",
        "storage_epr_limit",
        "storage_limit",
        "quantum_connections",
        "c_relay_sniffing",
        "c_relay_sniffing_fn",
        "get_connections",
        "relay_sniffing_function",
        "sniff_full_packet",
        "q_relay_sniffing",
        "q_relay_sniffing_fn",
        "quantum_relay_sniffing_function",
        "get_next_sequence_number",
        "get_sequence_number",
        "get_sequence_number_receiver",
        "is_idle",
        "rec_packet",
        "add_c_connection",
        "add_c_connections",
        "add_q_connection",
        "add_q_connections",
        "add_connection",
        "add_connections",
        "remove_connection",
        "remove_c_connection",
        "remove_q_connection",
        "send_ack",
        "await_ack",
        "await_remaining_acks",
        "send_broadcast",
        "send_classical",
        "send_epr",
        "send_ghz",
        "send_w",
        "get_ghz",
        "get_w",
        "send_teleport",
        "send_superdense",
        "send_qubit",
        "shares_epr",
        "change_epr_qubit_id",
        "get_epr_pairs",
        "get_data_qubits",
        "get_qubits",
        "reset_data_qubits",
        "get_number_of_data_qubits",
        "set_epr_memory_limit",
        "set_data_qubit_memory_limit",
        "add_epr",
        "add_data_qubit",
        "add_qubit",
        "add_ghz_qubit",
        "add_w_qubit",
        "add_checksum",
        "get_classical",
        "get_next_classical",
        "get_epr",
        "get_data_qubit",
        "get_qubit",
        "stop",
        "start",
        "run_protocol",
        "get_qubit_by_id",
        "send_key",
        "get_key",
        "delete_key",
        "qkd_keys",
        "logger",
        "WAIT_TIME",
    ]
)

#: Public attributes of QuNetSim's ``Network``.
NETWORK_API = frozenset(
    [
        "get_instance",
        "reset_network",
        "use_ent_swap",
        "use_hop_by_hop",
        "classical_routing_algo",
        "quantum_routing_algo",
        "delay",
        "packet_drop_rate",
        "arp",
        "num_hosts",
        "add_host",
        "add_hosts",
        "remove_host",
        "remove_c_connection",
        "remove_q_connection",
        "remove_hosts",
        "update_host",
        "shares_epr",
        "get_host",
        "get_ARP",
        "get_host_name",
        "get_quantum_route",
        "get_classical_route",
        "send",
        "stop",
        "start",
        "draw_classical_network",
        "draw_quantum_network",
        "topologies",
        "generate_topology",
        "generate_q_topology",
        "generate_c_topology",
        "ARP",
        "classical_network",
        "quantum_network",
    ]
)

#: Public attributes of QuNetSim's ``Qubit``.
QUBIT_API = frozenset(
    [
        "DATA_QUBIT",
        "EPR_QUBIT",
        "GHZ_QUBIT",
        "W_QUBIT",
        "host",
        "id",
        "blocked",
        "qubit",
        "send_to",
        "fidelity",
        "release",
        "I",
        "X",
        "Y",
        "Z",
        "T",
        "K",
        "H",
        "rx",
        "ry",
        "rz",
        "cnot",
        "cphase",
        "custom_gate",
        "custom_controlled_gate",
        "custom_two_qubit_control_gate",
        "custom_two_qubit_gate",
        "density_operator",
        "measure",
    ]
)

#: Names of ``qunetsim.objects`` (and of ``qunetsim`` itself, which re-exports them).
OBJECTS_API = frozenset(
    [
        "ClassicalStorage",
        "QuantumStorage",
        "QuantumConnection",
        "ClassicalConnection",
        "Message",
        "Qubit",
        "DaemonThread",
        "Logger",
        "Packet",
        "RoutingPacket",
    ]
)

#: Names of ``qunetsim.backends``.
BACKENDS_API = frozenset(["EQSNBackend", "CQCBackend", "QuTipBackend", "ProjectQBackend", "RWLock", "SafeDict"])


def unsupported(call: str, why: str = "") -> NoReturn:
    """Raise :class:`UnsupportedAPIError` naming ``call`` (e.g. ``Host.send_key``)."""
    reason = f": {why}" if why else ""
    raise UnsupportedAPIError(f"QuNetSim's {call} is not supported by qnet-dqnn's compatibility layer{reason}")


class Mirrored:
    """Base of the classes that mirror a QuNetSim class: a missing QuNetSim attribute is a clear error."""

    #: The mirrored class's name and public attributes.
    _qunetsim_name = ""
    _qunetsim_api: frozenset[str] = frozenset()

    def __getattr__(self, name: str) -> Any:
        if name in type(self)._qunetsim_api:
            unsupported(f"{type(self)._qunetsim_name}.{name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def module_getattr(module: str, names: frozenset[str], provided: dict[str, Any]) -> Any:
    """A module ``__getattr__`` for a mirror of QuNetSim module ``module``."""

    def getattr_(name: str) -> Any:
        if name in provided:
            return provided[name]
        if name in names:
            unsupported(f"{module}.{name}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return getattr_
