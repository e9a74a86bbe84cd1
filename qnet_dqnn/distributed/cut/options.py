"""The ``cut`` strategy's options: the scenario fields, the workers and controller, the cut plan and the checks
that name a bad field before any run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.cutting import (
    CutError,
    CutPlan,
    GateCut,
    find_cuts,
    plan_runs,
)
from qnet_dqnn.cutting.fragments import DM_MAX_QUBITS
from qnet_dqnn.distributed.spec import TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems
from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.light_cone import prune
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.topology import TopologySpec


class CutOptions(BaseModel):
    """Options of the ``cut`` strategy.

    Attributes:
        nodes: the worker QPUs (default: every QPU of the topology, in file order).
        controller: where the cuts are planned, results reconstructed and the optimizer runs (default: the
            topology's first controller node, else its first QPU).
        qubit_limit: qubits per fragment (default: the smallest worker's qubit count).
        samples: ``None`` runs every sub-experiment (exact enumeration of the terms); ``N`` draws ``N`` joint term
            choices per step (Monte Carlo).
        exact: reconstruct from exact fragment values instead of sampled shots (the shots are still charged): for
            tests and debugging.
        classical_communication: wire cuts feed the measured outcome forward (γ = 3 instead of 4).
        joint: cut controlled-Pauli gates between the same two fragments jointly (γ = 2ⁿ⁺¹ − 1 for ``n`` gates;
            needs ``classical_communication`` and ``n`` spare qubits on each side).
        cuts: the kinds of cut the finder may use: ``any``, ``gates`` or ``wires``.
        finder: ``builtin`` or ``qiskit`` (qiskit-addon-cutting's cut finder; the ``qiskit`` extra).
        scale_shots: sample ``S·γ²`` shots per unit circuit (keeps the uncut circuit's statistical error);
            False samples ``S`` shots per run.
        circuit_bits: size of one sub-experiment's description in a job message (in bits).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["cut"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    controller: Annotated[str, Field(min_length=1)] | None = None
    qubit_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    samples: Annotated[int, Field(ge=2, le=10**7)] | None = None
    exact: bool = False
    classical_communication: bool = False
    joint: bool = False
    cuts: Literal["any", "gates", "wires"] = "any"
    finder: Literal["builtin", "qiskit"] = "builtin"
    scale_shots: bool = True
    circuit_bits: Annotated[int, Field(ge=1, le=10**9)] = 4096


def _workers(options: CutOptions, topology: TopologySpec) -> list[str]:
    if options.nodes is not None:
        return list(options.nodes)
    return [n.name for n in topology.nodes if n.kind == "qpu"]


def _controller(options: CutOptions, topology: TopologySpec) -> str | None:
    if options.controller is not None:
        return options.controller
    for kind in ("controller", "qpu"):
        found = [n.name for n in topology.nodes if n.kind == kind]
        if found:
            return found[0]
    return None


#: Relative slack when comparing two plans' sampling overheads (products of γ² from float KAK coefficients).
_OVERHEAD_RTOL = 1e-9


def plan_for(circuit: Circuit, qubit_limit: int, options: CutOptions, observables: Sequence[PauliString]) -> CutPlan:
    """The cut plan the options ask for (:func:`~qnet_dqnn.cutting.find_cuts`), given the readout's light cone.

    The finder also sees ``circuit`` pruned to the readout's commutation-aware cone plus its trainable gates
    (:func:`~qnet_dqnn.quantum.light_cone.prune`, exact for ``⟨O⟩``, as in the coherent evaluator): a crossing
    gate that cannot change ``⟨O⟩`` needs no cut. The pruned plan is taken when its sampling overhead is lower;
    otherwise the whole circuit is cut, so a piece left alone by pruning (a qubit holding only gates outside
    the cone) never becomes a fragment of its own with runs to charge.
    """
    kwargs = {
        "allow_gate_cuts": options.cuts != "wires",
        "allow_wire_cuts": options.cuts != "gates",
        "classical_communication": options.classical_communication,
        "joint": options.joint,
        "backend": options.finder,
    }
    whole = find_cuts(circuit, qubit_limit, **kwargs)
    if not whole.cuts:
        return whole
    pruned = prune(circuit, observables, keep_trainable=True)
    if len(pruned.ops) == len(circuit.ops):
        return whole
    cone = find_cuts(pruned, qubit_limit, **kwargs)
    return cone if cone.sampling_overhead < whole.sampling_overhead * (1 - _OVERHEAD_RTOL) else whole


def _check(options: CutOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    """Problems with the options, found before anything runs: unknown or non-QPU workers, an unknown controller,
    a bad qubit limit, a model that cannot be cut, a shot budget below the runs, too few workers for feed-forward,
    noisy fragments too wide to simulate."""
    problems: list[tuple[str, str]] = []
    workers = _workers(options, topology)
    if not workers:
        return [("", "the topology has no qpu node to run sub-experiments on")]
    if options.nodes is not None:
        problems += qpu_node_problems(topology, workers, "nodes", 1)
        for i, name in enumerate(workers):
            if name in workers[:i]:
                problems.append((f"nodes[{i}]", f"node {name!r} is named twice"))
    known = {n.name: n for n in topology.nodes}
    if options.controller is not None and options.controller not in known:
        problems.append(("controller", f"unknown node {options.controller!r} (known: {', '.join(known)})"))
    if options.joint and not options.classical_communication:
        problems.append(("joint", "joint cuts need classical_communication: true"))
    if problems:
        return problems
    smallest = min(known[w].qubits for w in workers)
    limit = options.qubit_limit if options.qubit_limit is not None else smallest
    if limit > smallest:
        small = min(workers, key=lambda w: known[w].qubits)
        return [("qubit_limit", f"{limit} is more than worker {small!r} holds ({smallest} qubits)")]
    model = build_model(spec.model)
    circuit = model.circuit
    try:
        plan = plan_for(circuit, limit, options, model.observables)
    except QnetError as exc:
        return [("qubit_limit", f"the model cannot be cut into fragments of {limit} qubits ({exc})")]
    widest = max((len(op.qubits) for op in circuit), default=1)
    if limit < widest:  # no fragment could hold one gate: every such gate cut, gamma^2 growing without bound
        return [
            ("qubit_limit", f"{limit} is below the width of the model's {widest}-qubit gates: give at least {widest}")
        ]
    if plan.feedforward_cuts and len(workers) < 2:
        problems.append(("classical_communication", "feed-forward cuts need at least two worker QPUs"))
    if options.samples is None:
        try:
            plan_runs(
                plan,
                model.observables,
                spec.shots,
                params=model.init_params(np.random.default_rng(0)),
                scale_shots=options.scale_shots,
            )
        except CutError as exc:
            problems.append(("shots", str(exc)))
    elif options.scale_shots and spec.shots * plan.sampling_overhead < options.samples:
        problems.append(
            (
                "samples",
                f"{options.samples} samples need at least one shot each, but S·γ² = "
                f"{spec.shots * plan.sampling_overhead:.6g}",
            )
        )
    if spec.noise:
        for f in plan.fragments:
            gate_sides = sum(
                1 for j, c in enumerate(plan.cuts) if isinstance(c, GateCut) and f.index in plan.cut_sides[j]
            )
            if f.width + gate_sides > DM_MAX_QUBITS:
                problems.append(
                    (
                        "",
                        f"noisy fragments are simulated with density matrices up to {DM_MAX_QUBITS} qubits; "
                        f"fragment {f.index} needs {f.width} plus {gate_sides} for its mid-circuit measurements: set "
                        "workload.noise: false or a smaller qubit_limit",
                    )
                )
                break
    return problems
