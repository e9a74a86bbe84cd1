"""qiskit-addon-cutting's cut finder, as a ``find_cuts`` backend of :mod:`qnet_dqnn.cutting.finder`.

``find_cuts(..., backend="qiskit")`` exports the circuit (:func:`~qnet_dqnn.interop.qiskit.circuits.to_qiskit`),
runs the addon's ``find_cuts`` with its ``OptimizationParameters`` and ``DeviceConstraints`` (qiskit-addon-cutting
docs, "Automatically find cuts"), and translates its ``qpd_2q`` gate cuts and ``cut_wire`` markers into a
:class:`~qnet_dqnn.cutting.plan.CutPlan`.
"""

from __future__ import annotations

from typing import Any

from qnet_dqnn.cutting.plan import CutPlan, GateCut, WireCut
from qnet_dqnn.cutting.qpd import CutError
from qnet_dqnn.interop.qiskit.circuits import to_qiskit
from qnet_dqnn.quantum.circuit import Circuit

__all__ = ["qiskit_find_cuts"]

#: The angle (rad) every free parameter is bound to before the addon sees the circuit: a generic value, away from
#: 0, π/2 and π where a rotation turns Clifford or trivial and its cut would look cheaper than at most angles.
GENERIC_ANGLE_RAD = 0.7371


def qiskit_find_cuts(circuit: Circuit, qubit_limit: int, allow_gate: bool, allow_wire: bool, seed: Any) -> CutPlan:
    """qiskit-addon-cutting's cut finder, translated back (free parameters bound to a generic angle)."""
    try:  # deferred: qiskit-addon-cutting is an optional extra and slow to import
        from qiskit_addon_cutting import DeviceConstraints, OptimizationParameters
        from qiskit_addon_cutting import find_cuts as addon_find_cuts
    except ImportError:
        raise CutError("the qiskit cut finder needs qiskit-addon-cutting: pip install 'qnet-dqnn[qiskit]'") from None
    qc = to_qiskit(circuit)
    if qc.parameters:
        qc = qc.assign_parameters({p: GENERIC_ANGLE_RAD for p in qc.parameters})
    opts: dict[str, Any] = {"gate_lo": allow_gate, "wire_lo": allow_wire}
    if seed is not None:
        opts["seed"] = seed
    device = DeviceConstraints(qubits_per_subcircuit=qubit_limit)
    out, _ = addon_find_cuts(qc, OptimizationParameters(**opts), device)
    cuts: list[GateCut | WireCut] = []
    original = -1
    last_on: dict[int, int] = {}
    for inst in out.data:
        name = inst.operation.name
        qubits = [out.find_bit(q).index for q in inst.qubits]
        if name == "cut_wire":
            q = qubits[0]
            if q not in last_on:
                continue  # a cut before the wire's first operation separates nothing
            cuts.append(WireCut(q, last_on[q]))
            continue
        original += 1
        if name == "qpd_2q":
            cuts.append(GateCut(original))
        for q in qubits:
            last_on[q] = original
    return CutPlan(circuit, tuple(cuts), qubit_limit)
