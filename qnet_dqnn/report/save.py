"""Write a run's record: JSON, one CSV per table and the workload's figure, each written atomically."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from qnet_dqnn.report.figures import RESULT_FIGURES
from qnet_dqnn.scenario import RunResult, write_atomically


def new_run_dir(root: Path, scenario: str) -> Path:
    """A fresh folder ``root/<scenario>/<UTC timestamp>`` (suffixed if that name is taken)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = root / scenario / stamp
    path, n = base, 1
    while path.exists():
        path, n = base.with_name(f"{stamp}-{n}"), n + 1
    path.mkdir(parents=True)
    return path


def save_result(result: RunResult, root: Path | str = "results") -> Path:
    """Write ``result.json``, ``<table>.csv`` and ``<workload>.png`` into a new run folder; return it."""
    folder = new_run_dir(Path(root), result.scenario)
    for name, rows in result.tables.items():
        if rows:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            write_atomically(folder / f"{name}.csv", buffer.getvalue())
    figure = RESULT_FIGURES.get(result.workload)
    if figure is not None:
        figure(result, folder / f"{result.workload}.png")
    write_atomically(folder / "result.json", result.to_json())
    return folder
