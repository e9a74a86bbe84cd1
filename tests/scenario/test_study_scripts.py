"""The study scripts' helpers: docs/experiments/cut_vs_coherent.py runs both sides with gate noise on, on the same
footing, and contrasts cut minus coherent; docs/experiments/cut_wide.py reads its plan of widths, steps and variants."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _study(name: str = "cut_vs_coherent"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_sides_have_noise_on_and_differ_only_in_strategy() -> None:
    study = _study()
    cut, coherent = (study.noisy(name) for name in study.SIDES.values())
    assert cut.workload.noise is True and coherent.workload.noise is True
    a = cut.workload.model_dump(exclude={"strategy"})
    b = coherent.workload.model_dump(exclude={"strategy"})
    assert a == b
    assert cut.workload.strategy["type"] == "cut" and coherent.workload.strategy["type"] == "coherent"
    assert cut.topology_source == coherent.topology_source and cut.seed == coherent.seed


def test_report_contrasts_cut_minus_coherent() -> None:
    study = _study()
    rows = []
    for side, base in (("cut", 2.0), ("coherent", 1.0)):
        for seed, wiggle in enumerate((0.0, 0.1, -0.1), start=1):
            values = {label: base + wiggle for label, _, _ in study.QUANTITIES}
            rows.append({"side": side, "seed": seed, "values": values})
    lines = study.report(rows)
    makespan = next(line for line in lines if line.startswith("cut − coherent, makespan"))
    assert makespan.startswith("cut − coherent, makespan (s): +1 ")  # 2 − 1, not 1 − 2
    assert lines[2].startswith("| cut | 3 |") and lines[3].startswith("| coherent | 3 |")


def test_cut_wide_plan_runs_the_uncoupled_control_beside_the_coupled_model() -> None:
    parse = _study("cut_wide").parse_plan
    assert parse(["32:12"]) == {32: (12, (0, 1))}
    assert parse(["32:12", "64:8:0"]) == {32: (12, (0, 1)), 64: (8, (0,))}
    for bad in ("48:12", "32:12:2", "32"):
        with pytest.raises(ValueError, match="width:steps"):
            parse([bad])
