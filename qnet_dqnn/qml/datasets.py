"""Seeded datasets with train/validation splits.

Classical features are scaled to ``[0, π]`` (angle encoding); ``num_features`` columns are produced by
tiling the raw ones when a register has more qubits than the set has features.

- ``parity``: random bit strings labelled by their parity (bits as features in ``{0, π}``, or 0/1);
- ``blobs``: two separated Gaussian blobs (linearly separable);
- ``moons``/``circles``: scikit-learn's generators;
- ``digits``: the 8×8 digits set shipped with scikit-learn (Alpaydin & Kaynak 1998), reduced by PCA or by
  block-averaging to ``num_features`` features, on chosen classes;
- ``tfim_phases``: quantum data — ground states of the open transverse-field Ising chain
  ``H = −Σ Z_i Z_{i+1} − g Σ X_i`` (Pfeuty, Ann. Phys. 57, 79 (1970)), labelled ferromagnetic (``g < 1``,
  0) or paramagnetic (``g > 1``, 1), as in the QCNN phase-recognition task of Cong, Choi & Lukin (2019).
- ``tfim_parity``: quantum data whose label only the whole chain reveals — the lowest state of the same chain
  in each sector of its spin-flip symmetry ``P = Π X_i`` (``P = +1``: label 0, ``P = −1``: label 1). Through
  the Jordan–Wigner map ``P`` is the fermion parity of the Kitaev/Majorana chain (Kitaev, Phys.-Usp. 44, 131
  (2001)); in the ordered phase (``g < 1``) the two sector states are the cat states ``(|⇑⟩ ± |⇓⟩)/√2`` up
  to corrections ``~ g^N``, and every marginal of fewer than ``N`` qubits is the same for both
  (:func:`marginal_trace_distance`): a classifier holding part of the chain is at chance
  (:func:`helstrom_accuracy_bound`), one holding all of it reads ``⟨P⟩ = ±1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnet_dqnn.errors import QnetError


@dataclass
class Dataset:
    """A split dataset.

    Attributes:
        name: short name.
        x_train, y_train, x_val, y_val: features (or state vectors) and labels.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        num_classes: number of classes (0 for regression).
        meta: extra information (e.g. the field ``g`` of each quantum sample).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    task: str = "binary"
    num_classes: int = 2
    meta: dict = field(default_factory=dict)

    @property
    def num_features(self) -> int:
        """Columns of ``x``."""
        return int(self.x_train.shape[1])

    def shard(self, index: int, count: int) -> Dataset:
        """The ``index``-th of ``count`` consecutive training shards (validation set shared)."""
        if not 0 <= index < count:
            raise QnetError(f"shard index must be in [0, {count}) (got {index})")
        k = -(-len(self.x_train) // count)
        sl = slice(index * k, (index + 1) * k)
        return Dataset(
            f"{self.name}[{index}/{count}]",
            self.x_train[sl],
            self.y_train[sl],
            self.x_val,
            self.y_val,
            self.task,
            self.num_classes,
            dict(self.meta),
        )


def _split(name: str, x: np.ndarray, y: np.ndarray, val_fraction: float, rng: np.random.Generator, **kw) -> Dataset:
    if not 0 < val_fraction < 1:
        raise QnetError(f"val_fraction must be in (0, 1) (got {val_fraction!r})")
    idx = rng.permutation(len(x))
    nv = max(1, int(round(val_fraction * len(x))))
    va, tr = idx[:nv], idx[nv:]
    return Dataset(name, x[tr], y[tr], x[va], y[va], **kw)


def _scale(x: np.ndarray, num_features: int | None) -> np.ndarray:
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    x = (x - lo) / span * np.pi
    if num_features is not None and num_features != x.shape[1]:
        reps = -(-num_features // x.shape[1])
        x = np.tile(x, (1, reps))[:, :num_features]
    return x


def parity(
    num_bits: int, num_samples: int = 200, *, seed: int = 0, val_fraction: float = 0.25, as_angles: bool = True
) -> Dataset:
    """Random bit strings labelled by parity; features ``π·bit`` (or the bits when ``as_angles=False``)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(num_samples, num_bits))
    y = bits.sum(axis=1) % 2
    x = bits * np.pi if as_angles else bits.astype(float)
    return _split("parity", x.astype(float), y, val_fraction, rng)


def blobs(
    num_samples: int = 200, *, num_features: int = 2, separation: float = 3.0, seed: int = 0, val_fraction: float = 0.25
) -> Dataset:
    """Two Gaussian blobs ``N(±separation/2 · 1/√2, 1)`` in 2D (linearly separable for large separation)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=num_samples)
    centre = np.array([1.0, 1.0]) / np.sqrt(2) * separation / 2
    x = rng.normal(size=(num_samples, 2)) + np.where(y[:, None] == 1, centre, -centre)
    return _split("blobs", _scale(x, num_features), y, val_fraction, rng)


def moons(
    num_samples: int = 200, *, num_features: int = 2, noise: float = 0.1, seed: int = 0, val_fraction: float = 0.25
) -> Dataset:
    """scikit-learn ``make_moons``."""
    from sklearn.datasets import make_moons

    rng = np.random.default_rng(seed)
    x, y = make_moons(num_samples, noise=noise, random_state=seed)
    return _split("moons", _scale(x, num_features), y, val_fraction, rng)


def circles(
    num_samples: int = 200,
    *,
    num_features: int = 2,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int = 0,
    val_fraction: float = 0.25,
) -> Dataset:
    """scikit-learn ``make_circles``."""
    from sklearn.datasets import make_circles

    rng = np.random.default_rng(seed)
    x, y = make_circles(num_samples, noise=noise, factor=factor, random_state=seed)
    return _split("circles", _scale(x, num_features), y, val_fraction, rng)


#: Side of the digits images in pixels (scikit-learn's ``load_digits``: 8×8 images, Alpaydin & Kaynak 1998).
DIGITS_SIDE = 8


def downscale_grid(num_features: int) -> tuple[int, int]:
    """``(rows, cols)`` of the pooled digits image with ``num_features`` pixels: ``k×k`` when
    ``num_features = k²``, else ``k×2k`` when ``num_features = 2k²`` (rows pooled twice as much as columns),
    ``k`` dividing 8 — so 1, 2, 4, 8, 16, 32 or 64 features.

    Raises:
        QnetError: for any other count.
    """
    for rows, cols in ((k, k) for k in (1, 2, 4, 8)):
        if rows * cols == num_features:
            return rows, cols
    for rows, cols in ((k, 2 * k) for k in (1, 2, 4)):
        if rows * cols == num_features:
            return rows, cols
    raise QnetError(f"downscale needs num_features in (1, 2, 4, 8, 16, 32, 64) (got {num_features})")


def digits(
    num_features: int = 4,
    *,
    classes: tuple[int, ...] | None = (0, 1),
    method: str = "pca",
    seed: int = 0,
    val_fraction: float = 0.25,
    max_samples: int | None = None,
) -> Dataset:
    """The 8×8 digits (offline in scikit-learn), reduced to ``num_features`` features.

    Args:
        num_features: output features (= qubits with angle encoding).
        classes: the digits kept (``None``: all ten); labels are re-indexed ``0..C-1``.
        method: ``"pca"`` (fitted on the training split only) or ``"downscale"`` (block averages of the
            image to the :func:`downscale_grid` of ``num_features``, row-major: 64 keeps every pixel, 32
            averages vertical pixel pairs, 16 averages 2×2 squares, ...).
        seed: split and subsampling seed.
        val_fraction: validation fraction.
        max_samples: optional cap on the number of samples.
    """
    from sklearn.datasets import load_digits

    raw = load_digits()
    x, y = raw.data.astype(float), raw.target
    if classes is not None:
        keep = np.isin(y, classes)
        x, y = x[keep], np.searchsorted(np.asarray(sorted(classes)), y[keep])
    rng = np.random.default_rng(seed)
    if max_samples is not None and len(x) > max_samples:
        sel = rng.choice(len(x), max_samples, replace=False)
        x, y = x[sel], y[sel]
    ncls = len(classes) if classes is not None else 10
    task = "binary" if ncls == 2 else "multiclass"
    ds = _split("digits", x, y, val_fraction, rng, task=task, num_classes=ncls)
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=num_features, random_state=seed).fit(ds.x_train)
        xt, xv = pca.transform(ds.x_train), pca.transform(ds.x_val)
    elif method == "downscale":
        rows, cols = downscale_grid(num_features)

        def down(a: np.ndarray) -> np.ndarray:
            return (
                a.reshape(-1, rows, DIGITS_SIDE // rows, cols, DIGITS_SIDE // cols)
                .mean(axis=(2, 4))
                .reshape(-1, rows * cols)
            )

        xt, xv = down(ds.x_train), down(ds.x_val)
    else:
        raise QnetError(f"method must be 'pca' or 'downscale' (got {method!r})")
    lo, hi = xt.min(axis=0), xt.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    ds.x_train = np.clip((xt - lo) / span, 0, 1) * np.pi
    ds.x_val = np.clip((xv - lo) / span, 0, 1) * np.pi
    return ds


def tfim_hamiltonian(num_qubits: int, g: float) -> np.ndarray:
    """``H = −Σ_i Z_i Z_{i+1} − g Σ_i X_i`` on an open chain of ``num_qubits`` (Pfeuty, Ann. Phys. 57, 79
    (1970), eq. (2.1) with ``J = 1``, ``Γ = g``), in the computational basis (qubit 0 the most significant bit)."""
    n = num_qubits
    dim = 2**n
    x = np.arange(dim)
    bits = (x[:, None] >> (n - 1 - np.arange(n))) & 1
    z = 1 - 2 * bits
    h = np.zeros((dim, dim))
    h[x, x] = -np.sum(z[:, :-1] * z[:, 1:], axis=1)
    for q in range(n):
        h[x, x ^ (1 << (n - 1 - q))] += -g
    return h


def tfim_ground_state(num_qubits: int, g: float) -> np.ndarray:
    """Ground state of ``H = −Σ Z_i Z_{i+1} − g Σ X_i`` (open chain) by exact diagonalisation."""
    n = num_qubits
    h = tfim_hamiltonian(n, g)
    x = np.arange(2**n)
    z = 1 - 2 * ((x[:, None] >> (n - 1 - np.arange(n))) & 1)
    # a tiny longitudinal field breaks the Z2 degeneracy of the ferromagnet deterministically
    h[x, x] += -1e-9 * z.sum(axis=1)
    w, v = np.linalg.eigh(h)
    psi = v[:, 0].astype(complex)
    return psi * np.exp(-1j * np.angle(psi[np.argmax(np.abs(psi))]))


def tfim_phases(
    num_qubits: int = 4,
    num_samples: int = 80,
    *,
    g_range: tuple[float, float] = (0.2, 2.0),
    seed: int = 0,
    val_fraction: float = 0.25,
) -> Dataset:
    """Quantum data: TFIM ground states at random fields ``g``, label ``g > 1`` (see module docstring).

    ``x`` holds the state vectors ``(M, 2**n)``; ``meta["g_train"]``/``meta["g_val"]`` the fields.
    """
    rng = np.random.default_rng(seed)
    g = rng.uniform(*g_range, size=num_samples)
    states = np.stack([tfim_ground_state(num_qubits, gi) for gi in g])
    y = (g > 1.0).astype(int)
    idx = rng.permutation(num_samples)
    nv = max(1, int(round(val_fraction * num_samples)))
    va, tr = idx[:nv], idx[nv:]
    return Dataset(
        "tfim_phases", states[tr], y[tr], states[va], y[va], meta={"g_train": g[tr], "g_val": g[va], "quantum": True}
    )


def tfim_sector_state(num_qubits: int, g: float, parity: int) -> tuple[np.ndarray, float]:
    """The lowest eigenstate of :func:`tfim_hamiltonian` with ``Π X_i = parity`` (±1), and its energy.

    ``Π X_i`` flips every bit (``|x⟩ → |x̄⟩``) and commutes with ``H``, so ``H`` is diagonalised on the basis
    ``(|x⟩ + parity·|x̄⟩)/√2`` of the sector (``x`` with its first bit 0) and the result lifted back. The
    global phase is fixed (largest amplitude real and positive) so the state is a deterministic function of
    its arguments.
    """
    if parity not in (1, -1):
        raise QnetError(f"parity must be +1 or -1 (got {parity!r})")
    n = num_qubits
    dim = 2**n
    half = np.arange(dim // 2)  # first bit 0
    basis = np.zeros((dim, dim // 2))
    basis[half, half] = 1 / np.sqrt(2)
    basis[half ^ (dim - 1), half] += parity / np.sqrt(2)
    w, v = np.linalg.eigh(basis.T @ tfim_hamiltonian(n, g) @ basis)
    psi = (basis @ v[:, 0]).astype(complex)
    return psi * np.exp(-1j * np.angle(psi[np.argmax(np.abs(psi))])), float(w[0])


def tfim_parity(
    num_qubits: int = 6,
    num_samples: int = 80,
    *,
    g_range: tuple[float, float] = (0.05, 0.3),
    seed: int = 0,
    val_fraction: float = 0.25,
) -> Dataset:
    """Quantum data: at random fields ``g``, the lowest TFIM state of a random sector of ``Π X_i``; label 1 for
    ``Π X_i = −1`` (see module docstring). Balanced labels, drawn independently of ``g``. The default fields lie
    deep in the ordered phase, where the marginals of both sectors nearly coincide (at ``N = 6``, 100 shots,
    any classifier holding 4 of the qubits is right at most ~68 % of the time: :func:`helstrom_accuracy_bound`).

    ``x`` holds the state vectors ``(M, 2**n)``; ``meta["g_train"]``/``meta["g_val"]`` the fields.
    """
    rng = np.random.default_rng(seed)
    g = rng.uniform(*g_range, size=num_samples)
    y = rng.permutation(np.arange(num_samples) % 2)
    states = np.stack([tfim_sector_state(num_qubits, gi, 1 - 2 * int(yi))[0] for gi, yi in zip(g, y, strict=True)])
    idx = rng.permutation(num_samples)
    nv = max(1, int(round(val_fraction * num_samples)))
    va, tr = idx[:nv], idx[nv:]
    return Dataset(
        "tfim_parity", states[tr], y[tr], states[va], y[va], meta={"g_train": g[tr], "g_val": g[va], "quantum": True}
    )


def reduced_density_matrix(psi: np.ndarray, keep: tuple[int, ...]) -> np.ndarray:
    """``ρ_A = Tr_B |ψ⟩⟨ψ|`` on the qubits ``keep`` (in their order; qubit 0 the most significant bit)."""
    n = int(np.log2(len(psi)))
    rest = [q for q in range(n) if q not in keep]
    m = np.transpose(psi.reshape((2,) * n), list(keep) + rest).reshape(2 ** len(keep), -1)
    return m @ m.conj().T


def marginal_trace_distance(psi: np.ndarray, phi: np.ndarray, keep: tuple[int, ...]) -> float:
    """Trace distance ``T = ½‖ρ_A − σ_A‖₁`` of two states' marginals on ``keep`` (Nielsen & Chuang, *Quantum
    Computation and Quantum Information*, eq. (9.11))."""
    return float(
        0.5 * np.abs(np.linalg.eigvalsh(reduced_density_matrix(psi, keep) - reduced_density_matrix(phi, keep))).sum()
    )


def marginal_fidelity(psi: np.ndarray, phi: np.ndarray, keep: tuple[int, ...]) -> float:
    """Uhlmann fidelity ``F = (Tr √(√ρ σ √ρ))²`` of two states' marginals on ``keep`` (Nielsen & Chuang,
    eq. (9.53), squared as in Jozsa 1994)."""
    rho, sigma = reduced_density_matrix(psi, keep), reduced_density_matrix(phi, keep)
    w, v = np.linalg.eigh(rho)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.conj().T
    inner = np.linalg.eigvalsh(root @ sigma @ root)
    return float(np.sum(np.sqrt(np.clip(inner, 0, None))) ** 2)


def helstrom_accuracy_bound(trace_distance: float, fidelity: float, copies: int) -> float:
    """The highest probability of naming which of two equally likely states was sent, by any measurement on
    ``copies`` copies: ``½ + ½·T(ρ^{⊗S}, σ^{⊗S})`` (Helstrom, *Quantum Detection and Estimation Theory*,
    1976, ch. IV), with ``T(ρ^{⊗S}, σ^{⊗S}) ≤ min(1, S·T, √(1 − F^S))`` by the triangle inequality and by
    Fuchs & van de Graaf (IEEE Trans. Inf. Theory 45, 1216 (1999), eq. (7)) with the fidelity multiplicative
    over tensor products. An upper bound on the accuracy of any classifier that reads ``S`` shots of a sample.
    """
    if copies < 1:
        raise QnetError(f"copies must be >= 1 (got {copies!r})")
    t = min(1.0, copies * trace_distance, float(np.sqrt(max(0.0, 1.0 - fidelity**copies))))
    return 0.5 + 0.5 * t
