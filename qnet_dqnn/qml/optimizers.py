"""Gradient-descent optimizers, pure NumPy, with their state in small dataclasses.

- SGD with momentum (Polyak heavy ball; Sutskever et al., ICML 2013, Eq. 1):
  ``v ← μ v − η g``, ``θ ← θ + v``;
- Adam (Kingma & Ba, ICLR 2015, Algorithm 1): ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``,
  ``θ ← θ − η m̂ / (√v̂ + ε)`` with bias-corrected ``m̂ = m/(1−β₁ᵗ)``, ``v̂ = v/(1−β₂ᵗ)``.

Usage: ``state = opt.init(theta)``, then ``theta, state = opt.step(theta, grad, state)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnet_dqnn.errors import QnetError


@dataclass(frozen=True, slots=True)
class SGDState:
    """Velocity of SGD with momentum."""

    velocity: np.ndarray
    step: int = 0


@dataclass(frozen=True, slots=True)
class SGD:
    """Stochastic gradient descent with momentum ``momentum`` and learning rate ``lr``."""

    lr: float = 0.1
    momentum: float = 0.0

    def __post_init__(self) -> None:
        if self.lr <= 0 or not 0 <= self.momentum < 1:
            raise QnetError(f"SGD needs lr > 0 and 0 <= momentum < 1 (got {self.lr}, {self.momentum})")

    def init(self, params: np.ndarray) -> SGDState:
        """Zero velocity."""
        return SGDState(np.zeros_like(np.asarray(params, dtype=float)))

    def step(self, params: np.ndarray, grad: np.ndarray, state: SGDState) -> tuple[np.ndarray, SGDState]:
        """One update."""
        v = self.momentum * state.velocity - self.lr * np.asarray(grad, dtype=float)
        return np.asarray(params, dtype=float) + v, SGDState(v, state.step + 1)


@dataclass(frozen=True, slots=True)
class AdamState:
    """First and second moment estimates and the step count."""

    m: np.ndarray
    v: np.ndarray
    step: int = 0


@dataclass(frozen=True, slots=True)
class Adam:
    """Adam with the paper's defaults."""

    lr: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.lr <= 0 or not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise QnetError(f"Adam needs lr > 0 and betas in [0, 1) (got {self.lr}, {self.beta1}, {self.beta2})")

    def init(self, params: np.ndarray) -> AdamState:
        """Zero moments."""
        z = np.zeros_like(np.asarray(params, dtype=float))
        return AdamState(z, z.copy())

    def step(self, params: np.ndarray, grad: np.ndarray, state: AdamState) -> tuple[np.ndarray, AdamState]:
        """One update."""
        g = np.asarray(grad, dtype=float)
        t = state.step + 1
        m = self.beta1 * state.m + (1 - self.beta1) * g
        v = self.beta2 * state.v + (1 - self.beta2) * g * g
        mh = m / (1 - self.beta1**t)
        vh = v / (1 - self.beta2**t)
        return np.asarray(params, dtype=float) - self.lr * mh / (np.sqrt(vh) + self.eps), AdamState(m, v, t)


Optimizer = SGD | Adam
