"""Barren plateaus: the variance of a cost gradient over random parameters, for whole circuits and fragments.

McClean, Boixo, Smelyanskiy, Babbush & Neven ("Barren plateaus in quantum neural network training
landscapes", Nat. Commun. 9, 4812 (2018), arXiv:1803.11173, Fig. 2) draw random circuits — ``R_Y(π/4)`` on
every qubit, then layers of one rotation ``R_P(θ)`` per qubit with ``P`` drawn from ``{X, Y, Z}`` followed by
``CZ`` between neighbours on a line — and find that the variance of ``∂⟨Z₁Z₂⟩/∂θ`` over random ``θ`` falls
exponentially with the number of qubits once the circuits are deep. The review (Sec. 6.1.2) reports that
splitting a QNN into small fragments eases this (Marshall et al., Quantum 7, 1078 (2023); Tüysüz et al.,
arXiv:2206.09641): a fragment's gradients are those of a circuit of its own width.

Pure functions over the circuit IR and the statevector / density-matrix simulators:

- :func:`random_pqc`: McClean et al.'s circuit family;
- :func:`fragment_circuit`: the part of a circuit on a set of qubits, the gates that cross its boundary left
  out (a fragment of a cut plan with its cut gates removed: the independent sub-circuits of Tüysüz et al.);
- :func:`shift_gradients`: ``∂⟨O⟩/∂θ_k`` for a batch of parameter vectors by the parameter-shift rule,
  ``[⟨O⟩(θ + π/2·e_k) − ⟨O⟩(θ − π/2·e_k)]/2`` (Mitarai et al., PRA 98, 032309 (2018); Schuld et al., PRA 99,
  032331 (2019), Eq. 12), exact, under gate noise, or estimated from shots;
- :func:`decay_rate`: the least-squares slope ``r`` of ``ln Var`` against the qubit count (``Var ∝ e^{−r n}``;
  ``r = ln 2`` halves the variance per qubit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.quantum.density_matrix import dm_expectation
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.shots import sample_expectation
from qnet_dqnn.quantum.statevector import expectation

#: The rotation axes McClean et al. draw from.
ROTATIONS = ("rx", "ry", "rz")
#: The fixed first layer's angle: ``R_Y(π/4)`` moves every qubit off the ``Z`` axis (McClean et al., Fig. 2).
INITIAL_ANGLE = math.pi / 4
#: Widest register the noisy path simulates as a density matrix here (4**10 entries per input).
MAX_NOISY_QUBITS = 10


def random_pqc(num_qubits: int, layers: int, rng: np.random.Generator) -> Circuit:
    """McClean et al.'s random circuit: ``R_Y(π/4)`` on every qubit, then ``layers`` × (``R_P(θ)`` on every
    qubit, ``P`` uniform in X/Y/Z; ``CZ(q, q+1)`` for every neighbouring pair). Parameters are numbered layer by
    layer, qubit by qubit: θ₀ is the first layer's rotation on qubit 0."""
    if num_qubits < 1 or layers < 1:
        raise QnetError(f"need num_qubits >= 1 and layers >= 1 (got {num_qubits}, {layers})")
    c = Circuit(num_qubits)
    for q in range(num_qubits):
        c.ry(q, INITIAL_ANGLE)
    k = 0
    for _ in range(layers):
        for q in range(num_qubits):
            c.append(ROTATIONS[int(rng.integers(3))], [q], [Trainable(k)])
            k += 1
        for q in range(num_qubits - 1):
            c.cz(q, q + 1)
    return c


def fragment_circuit(circuit: Circuit, qubits: Sequence[int]) -> Circuit:
    """The operations of ``circuit`` on ``qubits`` alone, relabelled ``0 … len(qubits)−1`` in the given order;
    an operation that also touches another qubit is left out. Parameter references are kept."""
    qubits = list(qubits)
    if not qubits or len(set(qubits)) != len(qubits) or not all(0 <= q < circuit.num_qubits for q in qubits):
        raise QnetError(
            f"fragment qubits must be distinct qubits of the {circuit.num_qubits}-qubit circuit (got {qubits})"
        )
    local = {q: i for i, q in enumerate(qubits)}
    out = Circuit(len(qubits))
    for op in circuit.ops:
        if all(q in local for q in op.qubits):
            out.append(op.name, [local[q] for q in op.qubits], op.params)
    return out


def shift_gradients(
    circuit: Circuit,
    observable: PauliString,
    params: np.ndarray,
    index: int,
    *,
    noise: NoiseModel | None = None,
    shots: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """``∂⟨O⟩/∂θ_index`` at each row of ``params`` ``(K, P)`` by the parameter-shift rule.

    ``θ_index`` must enter exactly one ``rx``/``ry``/``rz`` gate with scale 1 (true of :func:`random_pqc`).
    With ``noise``, both shifted expectations come from the density matrix of the circuit with the noise
    model's channels (and its readout error); with ``shots``, each is estimated from ``shots`` shots.
    """
    uses = [
        (i, p) for i, op in enumerate(circuit.ops) for p in op.params if isinstance(p, Trainable) and p.index == index
    ]
    if len(uses) != 1 or circuit.ops[uses[0][0]].name not in ROTATIONS or uses[0][1].scale != 1.0:
        raise QnetError(f"θ_{index} must enter exactly one rx/ry/rz gate with scale 1 (found {len(uses)} uses)")
    params = np.atleast_2d(np.asarray(params, dtype=float))
    shifted = np.concatenate([params, params])
    shifted[: len(params), index] += math.pi / 2
    shifted[len(params) :, index] -= math.pi / 2
    if noise is not None and not noise.is_ideal:
        if circuit.num_qubits > MAX_NOISY_QUBITS:
            raise QnetError(f"noisy gradients are simulated up to {MAX_NOISY_QUBITS} qubits (got {circuit.num_qubits})")
        values = dm_expectation(noise.apply(circuit), [observable], shifted, readout=noise.readout)[:, 0]
    else:
        values = expectation(circuit, [observable], shifted)[:, 0]
    if shots is not None:
        if rng is None:
            raise QnetError("shot-sampled gradients need a random generator")
        values = sample_expectation(values, shots, rng)  # readout is already in the noisy values
    return (values[: len(params)] - values[len(params) :]) / 2.0


def random_parameters(circuit: Circuit, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` parameter vectors uniform in ``[0, 2π)`` (McClean et al.'s random initialisation)."""
    return rng.uniform(0.0, 2.0 * math.pi, size=(count, circuit.num_trainable))


def decay_rate(qubits: Sequence[float], variances: Sequence[float]) -> tuple[float, float]:
    """``(r, a)`` of the least-squares line ``ln Var = a − r·n`` (``Var ∝ e^{−r n}``)."""
    n = np.asarray(qubits, dtype=float)
    v = np.asarray(variances, dtype=float)
    if n.shape != v.shape or n.size < 2 or np.any(v <= 0) or np.ptp(n) == 0:
        raise QnetError("a decay rate needs >= 2 distinct qubit counts with positive variances")
    slope, intercept = np.polyfit(n, np.log(v), 1)
    return float(-slope), float(intercept)


def variance_samples(
    num_qubits: int,
    layers: int,
    structures: int,
    inits: int,
    rng: np.random.Generator,
    *,
    fragment: Sequence[int] | None = None,
    noise: NoiseModel | None = None,
    shots: int | None = None,
    shot_rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Gradient samples ``∂⟨Z₀Z₁⟩/∂θ₀`` over ``structures`` random circuits × ``inits`` random parameter vectors.

    Returns ``{"whole": ...}`` and, with ``fragment`` (qubits including 0 and 1, e.g. a cut plan's first
    fragment), ``{"fragment": ...}``: the same parameters on :func:`fragment_circuit` of each circuit. Circuits
    and parameters come from ``rng``, shots from ``shot_rng``, so runs with and without shots share circuits.
    """
    obs = PauliString.z(0, 1) if num_qubits > 1 else PauliString.z(0)
    whole, part = [], []
    for _ in range(structures):
        c = random_pqc(num_qubits, layers, rng)
        params = random_parameters(c, inits, rng)
        whole.append(shift_gradients(c, obs, params, 0, noise=noise, shots=shots, rng=shot_rng))
        if fragment is not None:
            piece = fragment_circuit(c, fragment)
            part.append(shift_gradients(piece, obs, params, 0, noise=noise, shots=shots, rng=shot_rng))
    out = {"whole": np.concatenate(whole)}
    if fragment is not None:
        out["fragment"] = np.concatenate(part)
    return out
