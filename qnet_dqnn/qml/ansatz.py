"""Parameterised circuits (ansätze) whose angles are :class:`~qnet_dqnn.quantum.circuit.Trainable`.

- Hardware-efficient ansatz (Kandala et al., Nature 549, 242 (2017)): ``layers`` × (one-qubit rotations
  on every qubit, then an entangling ladder of CNOTs ``q → q+1``, optionally closed into a ring).
- Blocks ansatz (the setting of Marshall et al., "High dimensional quantum machine learning with small
  quantum computers", Quantum 7, 1078 (2023)): ``num_blocks`` hardware-efficient blocks of ``block_qubits``
  qubits side by side, joined only by one CZ between the boundary qubits of neighbouring blocks after each of
  the first ``couplings`` layers, so a few gate cuts (γ = 3 per CZ) split it into block-sized fragments.
- Quantum convolutional neural network (Cong, Choi & Lukin, Nat. Phys. 15, 1273 (2019)): convolution
  blocks on neighbouring pairs, then pooling blocks that fold one qubit of each pair into the other with a
  controlled operation, halving the active qubits until one remains; it is read out by ``Z`` on that qubit.
"""

from __future__ import annotations

from collections.abc import Sequence

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Trainable


def _rotation_layer(c: Circuit, rotations: Sequence[str], k: int) -> int:
    """Append each of ``rotations`` to every qubit of ``c`` (rotation-major), trainable from ``k``; the next ``k``."""
    for rot in rotations:
        if rot not in ("rx", "ry", "rz"):
            raise QnetError(f"rotations must be rx/ry/rz (got {rot!r})")
        for q in range(c.num_qubits):
            c.append(rot, [q], [Trainable(k)])
            k += 1
    return k


def hardware_efficient(
    num_qubits: int,
    layers: int,
    *,
    rotations: Sequence[str] = ("ry", "rz"),
    entangler: str = "cx",
    ring: bool = False,
    offset: int = 0,
) -> Circuit:
    """``layers`` × (``rotations`` on each qubit, then ``entangler`` on ``(q, q+1)``).

    Parameters are numbered from ``offset`` in the order the gates appear
    (``layers · len(rotations) · num_qubits`` in all).
    """
    if num_qubits < 1 or layers < 0:
        raise QnetError(f"need num_qubits >= 1 and layers >= 0 (got {num_qubits}, {layers})")
    if entangler not in ("cx", "cz"):
        raise QnetError(f"entangler must be 'cx' or 'cz' (got {entangler!r})")
    c = Circuit(num_qubits)
    k = offset
    for _ in range(layers):
        k = _rotation_layer(c, rotations, k)
        pairs = [(q, q + 1) for q in range(num_qubits - 1)]
        if ring and num_qubits > 2:
            pairs.append((num_qubits - 1, 0))
        for a, b in pairs:
            c.append(entangler, [a, b])
    return c


def blocks(
    num_blocks: int,
    block_qubits: int,
    layers: int,
    *,
    couplings: int = 1,
    rotations: Sequence[str] = ("ry", "rz"),
    offset: int = 0,
    coupling: str = "cz",
) -> Circuit:
    """``num_blocks`` hardware-efficient blocks of ``block_qubits`` qubits, weakly coupled.

    Layer ``l`` is: ``rotations`` on every qubit, a CNOT ladder ``q → q+1`` inside each block, then, for
    ``l < couplings``, ``CZ(b·w + w − 1, (b+1)·w)`` between the last qubit of block ``b`` and the first of
    block ``b+1``. The cut structure is small by construction: ``(num_blocks − 1) · couplings`` CZ gate cuts
    leave ``block_qubits``-wide fragments (Marshall et al., Quantum 7, 1078 (2023)). A single block is
    :func:`hardware_efficient`: parameters are numbered the same way (layer, rotation, qubit), from
    ``offset``, ``layers · len(rotations) · num_blocks · block_qubits`` in all. With ``coupling="rzz"`` each
    coupling is a trainable ``RZZ(θ)`` instead (its own parameter, numbered where it appears), so the gates a cut
    replaces are trained too (issue 19: a cut gate's γ then moves with its angle, ``1 + 2|sin θ|``).

    Raises:
        QnetError: on a non-positive size, ``couplings`` outside ``[0, layers]`` or an unknown rotation.
    """
    if num_blocks < 1 or block_qubits < 1 or layers < 1:
        raise QnetError(f"need num_blocks, block_qubits and layers >= 1 (got {num_blocks}, {block_qubits}, {layers})")
    if not 0 <= couplings <= layers:
        raise QnetError(f"couplings must be in [0, layers={layers}] (got {couplings})")
    if coupling not in ("cz", "rzz"):
        raise QnetError(f"coupling must be 'cz' or 'rzz' (got {coupling!r})")
    n = num_blocks * block_qubits
    c = Circuit(n)
    k = offset
    for layer in range(layers):
        k = _rotation_layer(c, rotations, k)
        for b in range(num_blocks):
            for q in range(b * block_qubits, (b + 1) * block_qubits - 1):
                c.cx(q, q + 1)
        if layer < couplings:
            for b in range(num_blocks - 1):
                a, t = (b + 1) * block_qubits - 1, (b + 1) * block_qubits
                if coupling == "cz":
                    c.cz(a, t)
                else:
                    c.rzz(a, t, Trainable(k))
                    k += 1
    return c


def block_readout(num_blocks: int, block_qubits: int) -> tuple[int, ...]:
    """The middle qubit ``b·w + ⌊w/2⌋`` of each block ``b``: the readout qubits of a blocks model.

    In the Heisenberg picture the block's final CNOT ladder maps ``Z_r`` to ``Z_{b·w} ⋯ Z_r``
    (``CX: Z_t → Z_c Z_t``, Nielsen & Chuang 2010, stabilizer formalism of ch. 10): the last qubit would read
    a ``w``-body string whose expectation is a product of ``w`` factors (tiny at initialisation), the first a
    one-body one that misses most of the block's last layer; the middle qubit sits between the two (on the
    digits 3 vs 8 at 16 qubits, parity readout, 40 Adam steps: validation accuracy 0.52 last, 0.76 first, 0.82
    middle).
    """
    return tuple(b * block_qubits + block_qubits // 2 for b in range(num_blocks))


def _conv(c: Circuit, a: int, b: int, k: int) -> int:
    """Two-qubit convolution block: RY RY, CX, RY RY, CX back (4 parameters)."""
    c.ry(a, Trainable(k)).ry(b, Trainable(k + 1)).cx(a, b)
    c.ry(a, Trainable(k + 2)).ry(b, Trainable(k + 3)).cx(b, a)
    return k + 4


def _pool(c: Circuit, src: int, sink: int, k: int) -> int:
    """Pooling: RY on the source, controlled-X into the sink, RY on the sink (2 parameters)."""
    c.ry(src, Trainable(k)).cx(src, sink).ry(sink, Trainable(k + 1))
    return k + 2


def qcnn(num_qubits: int, *, offset: int = 0) -> tuple[Circuit, int]:
    """A QCNN on ``num_qubits`` (a power of two is natural; others pool the odd one out later).

    Returns:
        ``(circuit, readout_qubit)``.
    """
    if num_qubits < 2:
        raise QnetError(f"a QCNN needs >= 2 qubits (got {num_qubits})")
    c = Circuit(num_qubits)
    active = list(range(num_qubits))
    k = offset
    while len(active) > 1:
        for i in range(0, len(active) - 1, 2):
            k = _conv(c, active[i], active[i + 1], k)
        for i in range(1, len(active) - 1, 2):
            k = _conv(c, active[i], active[i + 1], k)
        kept = []
        for i in range(0, len(active) - 1, 2):
            k = _pool(c, active[i], active[i + 1], k)
            kept.append(active[i + 1])
        if len(active) % 2:
            kept.append(active[-1])
        active = kept
    return c, active[0]
