"""CutPlan validation, overhead and the cut finder."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qnet_dqnn.cutting import CutPlan, GateCut, WireCut, find_cuts
from qnet_dqnn.cutting.finder import _candidates, _max_width
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.ansatz import hardware_efficient
from qnet_dqnn.quantum import Circuit, Data, Trainable


def test_overhead_is_product_of_gamma_squared():
    c = Circuit(3).h(0).cx(0, 1).rzz(1, 2, 0.5).cz(0, 2)
    plan = CutPlan(c, (GateCut(1), GateCut(2), WireCut(0, 1)))
    expected = 9 * (1 + 2 * math.sin(0.5)) ** 2 * 16
    assert plan.sampling_overhead == pytest.approx(expected)
    assert plan.gammas == pytest.approx((3.0, 4.0, 1 + 2 * math.sin(0.5)))  # sorted by time: gate@1, wire@1, gate@2


def test_plan_validates_itself():
    c = Circuit(3).h(0).cx(0, 1).cz(1, 2)
    with pytest.raises(QnetError, match="must name a two-qubit gate"):
        CutPlan(c, (GateCut(0),))
    with pytest.raises(QnetError, match="op_index must be in"):
        CutPlan(c, (GateCut(9),))
    with pytest.raises(QnetError, match="must act on qubit 2"):
        CutPlan(c, (WireCut(2, 1),))
    with pytest.raises(QnetError, match="duplicate cuts"):
        CutPlan(c, (GateCut(1), GateCut(1)))
    with pytest.raises(QnetError, match=r"fragment 0 \(qubits \[0, 1, 2\].*needs 3 qubits, more than the qubit_limit"):
        CutPlan(c, (), qubit_limit=2)
    chain = Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3)  # cutting the first CNOT leaves qubits 1-3 together
    with pytest.raises(QnetError, match=r"fragment 1 \(qubits \[1, 2, 3\].*; cuts on it: gate cx\(0, 1\) at op 1"):
        CutPlan(chain, (GateCut(1),), qubit_limit=2)
    with pytest.raises(QnetError, match="GateCut.op_index 0 must name a two-qubit gate.*'depolarize2'"):
        CutPlan(Circuit(2).depolarize([0, 1], 0.1), (GateCut(0),))
    bad = Circuit(3).h(0).rzz(0, 1, Trainable(0)).cz(1, 2)
    bad.ops[1] = type(bad.ops[1])("rzz", (0, 1), (Data(0),))
    with pytest.raises(QnetError, match=r"gate rzz\(0, 1\) at op 1: cannot cut op 1 'rzz': its angle reads input data"):
        CutPlan(bad, (GateCut(1),))


def test_wire_cut_makes_segments():
    c = Circuit(3).cx(0, 1).cx(0, 2)
    plan = CutPlan(c, (WireCut(0, 0),))
    assert [f.segments for f in plan.fragments] == [((0, 0), (1, 0)), ((0, 1), (2, 0))]
    assert plan.max_width == 2


def test_finder_ladder_cuts_middle_gate():
    c = Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3)
    plan = find_cuts(c, 2)
    assert plan.cuts == (GateCut(2),)
    assert plan.sampling_overhead == pytest.approx(9.0)


def test_finder_prefers_wire_cut_when_it_is_cheaper():
    # q0 talks twice to q1, then twice to q2: two gate cuts (81) vs one wire cut (16) or a cc wire cut (9)
    c = Circuit(3).cz(0, 1).cx(0, 1).cz(0, 2).cx(0, 2)
    assert find_cuts(c, 2).cuts == (WireCut(0, 1),)
    assert find_cuts(c, 2).sampling_overhead == pytest.approx(16.0)
    assert find_cuts(c, 2, classical_communication=True).sampling_overhead == pytest.approx(9.0)
    assert find_cuts(c, 2, allow_wire_cuts=False).sampling_overhead == pytest.approx(81.0)


def test_finder_uses_cheap_rzz_cuts():
    c = Circuit(4).rzz(0, 1, 0.1).cx(1, 2).rzz(2, 3, 0.1).cx(0, 3).rzz(1, 2, 0.05)
    plan = find_cuts(c, 2)
    assert plan.max_width <= 2
    # small-angle RZZ cuts are cheap (γ ≈ 1.2): the optimum mixes them with CNOT cuts; check by brute force
    assert plan.sampling_overhead == pytest.approx(_brute_force(c, 2))


def _brute_force(c: Circuit, limit: int) -> float:
    cands = _candidates(c, True, True, False)
    best = math.inf
    for r in range(len(cands) + 1):
        for combo in itertools.combinations(cands, r):
            cost = math.prod(o for o, _ in combo)
            if cost < best and _max_width(c, tuple(cut for _, cut in combo)) <= limit:
                best = cost
    return best


@pytest.mark.parametrize("seed", range(5))
def test_finder_matches_brute_force_on_random_small_circuits(seed):
    rng = np.random.default_rng(seed)
    c = Circuit(4)
    for _ in range(6):
        a, b = (int(v) for v in rng.choice(4, 2, replace=False))
        g = str(rng.choice(["cx", "cz", "rzz"]))
        c.append(g, [a, b], [float(rng.uniform(-1, 1))] if g == "rzz" else [])
    limit = int(rng.integers(2, 4))
    plan = find_cuts(c, limit)
    assert plan.max_width <= limit
    assert plan.sampling_overhead == pytest.approx(_brute_force(c, limit))


def test_finder_respects_limit_on_a_wide_qnn_with_heuristic():
    c = hardware_efficient(12, 2)
    plan = find_cuts(c, 4, max_expansions=50)  # forces the heuristic
    assert plan.max_width <= 4
    assert all(isinstance(cut, GateCut) for cut in plan.cuts)
    # a 3-way split of a CNOT ladder over 2 layers needs 2 cuts per layer
    assert len(plan.cuts) == 4
    assert plan.sampling_overhead == pytest.approx(9.0**4)


def test_finder_no_cut_needed():
    c = Circuit(3).cx(0, 1).cx(1, 2)
    plan = find_cuts(c, 3)
    assert plan.cuts == () and plan.sampling_overhead == 1.0


def test_finder_rejects_bad_limit():
    with pytest.raises(QnetError, match="qubit_limit must be >= 1"):
        find_cuts(Circuit(2).cx(0, 1), 0)
