"""Purification in the coherent split: the pairs its telegates use are the protocols' outputs, their rounds
succeed at the closed-form rate, they cost pairs and time, and a bad purification option names its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
STAR4_WERNER = load_topology(ROOT / "topologies" / "star4_werner.yaml")  # sources 0.95, ideal memories
SPEC: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
    "model": {"qubits": 8, "layers": 1},
    "max_steps": 1,
}
SPLIT = {"type": "coherent", "nodes": ["q0", "q1"]}


def dejmps_published(c: np.ndarray, d: np.ndarray) -> tuple[float, np.ndarray]:
    """Deutsch et al., PRL 77, 2818 (1996), Eq. (4) in their labels (A, B, C, D) = (Φ+, Ψ−, Ψ+, Φ−), here at
    indices 0, 3, 1, 2; general inputs as Dür & Briegel (2007), Eq. (37)."""
    (a1, c1, d1, b1), (a2, c2, d2, b2) = c, d
    n = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
    a, b = (a1 * a2 + b1 * b2) / n, (c1 * d2 + d1 * c2) / n
    cc, dd = (c1 * c2 + d1 * d2) / n, (a1 * b2 + b1 * a2) / n
    return n, np.array([a, cc, dd, b])


@pytest.fixture(scope="module")
def runs() -> dict[str, Any]:
    plain = train_on(STAR4_WERNER, SPLIT, **SPEC)
    bbpssw = train_on(STAR4_WERNER, {**SPLIT, "purification": {"protocol": "bbpssw", "rounds": 1}}, **SPEC)
    dejmps = train_on(STAR4_WERNER, {**SPLIT, "purification": {"protocol": "dejmps", "rounds": 2}}, **SPEC)
    return {"plain": plain, "bbpssw": bbpssw, "dejmps": dejmps}


def test_purified_pairs_are_the_protocols_outputs_at_their_success_rate(runs: dict[str, Any]) -> None:
    # a pair swapped at the hub from two Werner links of 0.95: Werner with w = w1·w2 (ideal memories: no decay)
    w = (4 * 0.95 - 1) / 3
    f = (1 + 3 * w * w) / 4
    plain, one, two = (runs[k].extra_metrics for k in ("plain", "bbpssw", "dejmps"))
    assert plain["pair_fidelity"] == pytest.approx(f, abs=1e-12)
    r = (1 - f) / 3
    p = f**2 + 2 * f * (1 - f) / 3 + 5 * r**2  # Bennett et al., PRL 76, 722 (1996), Eq. (2)-(3)
    assert one["pair_fidelity"] == pytest.approx((f**2 + r**2) / p, abs=1e-12)
    attempts = one["purification_rounds"]
    assert abs(one["purification_successes"] / attempts - p) < 4 * np.sqrt(p * (1 - p) / attempts)
    # two DEJMPS rounds: the paper's map twice
    p1, c1 = dejmps_published(np.array([f, r, r, r]), np.array([f, r, r, r]))
    _, c2 = dejmps_published(c1, c1)
    assert two["pair_fidelity"] == pytest.approx(c2[0], abs=1e-12)
    # every telegate still uses one (purified) pair; each round took two pairs of the level below
    assert one["purified_pairs"] == two["purified_pairs"] == plain["pairs_consumed"]
    assert one["pairs_consumed"] == 2 * attempts
    assert two["pairs_consumed"] >= 4 * two["purified_pairs"] and two["pairs_consumed"] > one["pairs_consumed"]
    ledger = runs["bbpssw"].network.ledger
    assert sum(p.e2e_pairs_consumed for p in ledger.paths.values()) == one["pairs_consumed"]
    # each round sends one outcome bit each way between the ends (q0, q1), and the ledger counts the rounds
    sent = {k: sum(runs[k].network.ledger.nodes[n].messages_sent for n in ("q0", "q1")) for k in ("plain", "bbpssw")}
    assert sent["bbpssw"] - sent["plain"] == 2 * attempts
    assert sum(c.purification_attempts for c in ledger.nodes.values()) == attempts
    assert sum(c.purification_successes for c in ledger.nodes.values()) == one["purification_successes"]


def test_purifying_costs_time_and_is_reproducible(runs: dict[str, Any]) -> None:
    plain, one, two = (runs[k] for k in ("plain", "bbpssw", "dejmps"))
    assert plain.network.now < one.network.now < two.network.now
    # the shot waits k rounds of local operations and outcome exchange per telegate
    assert one.extra_metrics["shot_s"] > plain.extra_metrics["shot_s"]
    again = train_on(STAR4_WERNER, {**SPLIT, "purification": {"protocol": "bbpssw", "rounds": 1}}, **SPEC)
    assert again.extra_metrics == one.extra_metrics and again.recorder.losses == one.recorder.losses


def _with_source(fidelity: float) -> TopologySpec:
    data = STAR4_WERNER.model_dump()
    for link in data["links"]:
        link["quantum"]["source_fidelity"] = fidelity
    return TopologySpec.model_validate(data)


@pytest.mark.parametrize(
    ("purification", "topology", "field", "reason"),
    [
        ({"protocol": "pumping"}, STAR4_WERNER, "strategy.purification.protocol", "'bbpssw' or 'dejmps'"),
        ({"protocol": "bbpssw", "rounds": 0}, STAR4_WERNER, "strategy.purification.rounds", "greater than"),
        ({"protocol": "dejmps", "turns": 2}, STAR4_WERNER, "strategy.purification.turns", ""),
        ({"protocol": "dejmps"}, _with_source(0.6), "strategy.purification", "cannot raise it"),
    ],
)
def test_a_bad_purification_names_its_field(
    purification: dict[str, Any], topology: TopologySpec, field: str, reason: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        train_on(topology, {**SPLIT, "purification": purification}, **SPEC)
    assert any(path == field and reason in text for path, text in err.value.problems), err.value.problems
