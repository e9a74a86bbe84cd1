"""Every Python scenario script runs as documented (``python scenarios/x.py``) and writes its results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "scenarios").glob("*.py"))


def test_at_least_one_python_scenario_ships() -> None:
    assert SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_python_scenario_runs_and_writes_results(script: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "results written to" in done.stdout
    assert list((tmp_path / "results").rglob("*.json")), "the script wrote no result record"
