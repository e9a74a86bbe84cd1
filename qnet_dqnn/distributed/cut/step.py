"""One step of the cut strategy's numbers: the loss and gradient reconstructed from the step's sub-experiments
(sampled, or exact), with the runs they take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnet_dqnn.cutting import (
    CutPlan,
    Run,
    draw_terms,
    evaluate_cut,
    evaluate_cut_gradient,
)
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import QNNModel


@dataclass(frozen=True)
class StepResult:
    """What one step's reconstruction gives the strategy.

    Attributes:
        loss: the batch loss at the estimate.
        grad: the loss gradient.
        runs: the runs executed (with their shots) — what the workers are charged.
        sampled_shots: shots drawn per input (0 in exact mode).
        value: the estimated expectation values ``(B, K)``.
    """

    loss: float
    grad: np.ndarray
    runs: tuple[Run, ...]
    sampled_shots: int
    value: np.ndarray


def cut_loss_and_grad(
    plan: CutPlan,
    model: QNNModel,
    params: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    samples: int | None = None,
    shots: int | None = None,
    exact: bool = False,
    scale_shots: bool = True,
    rng: np.random.Generator | None = None,
    noise=None,
    timing=None,
) -> StepResult:
    """The batch loss and its gradient through the cut decomposition (pure).

    Enumeration (``samples`` None): values and Jacobian from one evaluation of every run — sampled with ``shots``,
    exact without (or with ``exact``: exact values, runs still listed with their shots). Monte Carlo: values from
    ``samples`` term draws and the Jacobian from ``samples`` further, independent draws (:func:`draw_terms`,
    ``rng`` advanced), so the runs dispatched are the ones the estimate used.
    """
    data = model.encoding.transform(x)
    obs = model.observables
    common = {"shots": shots, "scale_shots": scale_shots, "noise": noise, "timing": timing, "exact": exact}
    if samples is None:
        method = "parameter-shift" if (shots is not None and not exact) or noise is not None else "adjoint"
        est = evaluate_cut_gradient(plan, params, data, obs, rng=rng, method=method, **common)
        loss, de = model.loss_from_expectations(est.value, y)
        grad = np.einsum("bk,bkp->p", de, est.jacobian)
        return StepResult(float(loss), grad, est.runs, est.sampled_shots, est.value)
    if rng is None:
        raise QnetError("Monte Carlo cut gradients need an rng")
    qpds = plan.qpds_at(params)
    forward = draw_terms(plan, samples, rng, qpds)
    fwd = evaluate_cut(plan, params, data, obs, terms=forward, rng=rng, **common)
    shifted = draw_terms(plan, samples, rng, qpds)
    jac = evaluate_cut_gradient(plan, params, data, obs, terms=shifted, rng=rng, method="parameter-shift", **common)
    loss, de = model.loss_from_expectations(fwd.value, y)
    grad = np.einsum("bk,bkp->p", de, jac.jacobian)
    return StepResult(float(loss), grad, fwd.runs + jac.runs, fwd.sampled_shots + jac.sampled_shots, fwd.value)
