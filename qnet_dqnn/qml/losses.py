"""Loss functions returning the batch-mean loss and its gradient with respect to the model output.

- mean squared error ``L = mean_b Σ_k (ŷ_bk − y_bk)²``;
- binary cross-entropy ``L = −mean_b [y log p + (1−y) log(1−p)]`` (Bishop, *Pattern Recognition and
  Machine Learning*, 2006, Eq. 4.90);
- softmax cross-entropy ``L = −mean_b log softmax(z_b)[y_b]`` with ``∂L/∂z = (softmax(z) − onehot)/B``
  (Bishop Eq. 4.109).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over samples of the summed squared error, and ``∂L/∂pred``."""
    pred = np.asarray(pred, dtype=float)
    target = np.asarray(target, dtype=float).reshape(pred.shape)
    diff = pred - target
    nb = pred.shape[0]
    return float(np.sum(diff**2) / nb), 2.0 * diff / nb


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """BCE of probabilities ``p`` (clipped to ``[ε, 1−ε]``) against 0/1 labels, and ``∂L/∂p``."""
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=float).reshape(p.shape)
    nb = p.shape[0]
    loss = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / nb
    return float(loss), (-(y / p) + (1 - y) / (1 - p)) / nb


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax (shifted by the row maximum for stability)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy against integer labels, and ``∂L/∂logits``."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(y, dtype=int).reshape(-1)
    nb = z.shape[0]
    p = softmax(z)
    loss = -np.sum(np.log(np.clip(p[np.arange(nb), y], _EPS, None))) / nb
    g = p.copy()
    g[np.arange(nb), y] -= 1.0
    return float(loss), g / nb
