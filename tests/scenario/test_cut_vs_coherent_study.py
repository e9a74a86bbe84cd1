"""docs/experiments/cut_vs_coherent.py: both sides of the comparison run with gate noise on, on the same footing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _study():
    spec = importlib.util.spec_from_file_location(
        "cut_vs_coherent", ROOT / "docs" / "experiments" / "cut_vs_coherent.py"
    )
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
