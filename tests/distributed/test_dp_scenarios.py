"""Every shipped data-parallel scenario runs, and every point of its sweep validates; the scheme comparisons
they are written for hold."""

from __future__ import annotations

from pathlib import Path

import pytest

import qnet_dqnn
from qnet_dqnn.scenario.sweep import expand_sweep

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "train_ps_star4",
    "train_ring_star4",
    "train_async_star4",
    "train_ssp_star4",
    "train_fedavg_star4",
    "train_fedavg_local_steps",
    "train_workers_star8",
    "train_straggler_star4",
    "train_dropout_star4",
]
SHIPPED = [ROOT / "scenarios" / f"{name}.yaml" for name in NAMES]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_train_scenario_runs_and_learns(path: Path) -> None:
    assert path.read_text().startswith("# ")  # a comment header says what it studies
    points = expand_sweep(path)  # every sweep point validates
    assert len(points) >= 1
    result = qnet_dqnn.run(path)
    assert result.metrics["updates"] >= 1
    assert result.metrics["best_accuracy"] >= 0.8
    assert result.metrics["time_to_target_s"] > 0


def test_ps_and_ring_scenarios_share_a_trajectory_but_not_a_ledger() -> None:
    ps = qnet_dqnn.run(ROOT / "scenarios" / "train_ps_star4.yaml")
    ring = qnet_dqnn.run(ROOT / "scenarios" / "train_ring_star4.yaml")
    assert ps.metrics["final_loss"] == pytest.approx(ring.metrics["final_loss"], rel=1e-9)
    assert ps.metrics["final_accuracy"] == ring.metrics["final_accuracy"]
    ps_messages, ring_messages = ps.ledger["totals"]["messages"], ring.ledger["totals"]["messages"]
    assert (ps_messages, ring_messages) == (30 * 2 * 4, 30 * 2 * 3 * 4 * 2)  # ring: 2 hops per neighbour message


def test_dropout_scenario_goes_on_without_the_lost_worker() -> None:
    result = qnet_dqnn.run(ROOT / "scenarios" / "train_dropout_star4.yaml")
    assert result.metrics["updates"] == 30
    assert result.metrics["missing_gradients"] > 0 and result.metrics["lost_messages"] > 0
    assert result.metrics["final_accuracy"] >= 0.85
