"""The result record of a run, and writing it atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULT_FORMAT_VERSION = 1


@dataclass
class RunResult:
    """Everything a run reports.

    Metric names that comparisons show first when a workload reports them: ``updates``, ``final_accuracy``,
    ``final_loss``, ``time_to_target_s``, ``output_fidelity``, ``pair_fidelity``, ``sampling_overhead``; every
    other numeric metric goes into the machine-readable tables too. Curves named ``loss`` and ``accuracy``
    (``{"t_s": [...], "value": [...]}``) are plotted against simulated time.

    The ``wall`` section holds what differs between identical runs (wall-clock time, start date);
    everything else is a function of the scenario and the seed alone.

    Attributes:
        scenario: scenario name.
        workload: workload type.
        seed: the run's seed.
        topology: topology name.
        simulated_time_s: simulated makespan (in s).
        events_processed: discrete events the simulation processed.
        metrics: headline numbers.
        tables: named tables of rows.
        curves: named series against simulated time.
        ledger: the network ledger (totals, per link, per node).
        timeline: per node, activity intervals ``[start_s, end_s, kind]`` (compute, wait_message, wait_pairs).
        wall: wall-clock figures, kept apart from the deterministic record.
        warnings: why a run made no progress, each naming the cause and the field to change.
    """

    scenario: str
    workload: str
    seed: int
    topology: str
    simulated_time_s: float
    events_processed: int
    metrics: dict[str, float] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    ledger: dict[str, Any] = field(default_factory=dict)
    timeline: dict[str, list[list[Any]]] = field(default_factory=dict)
    wall: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, include_wall: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; ``include_wall=False`` leaves out the wall-clock section."""
        data = {"format_version": RESULT_FORMAT_VERSION, **asdict(self)}
        if not include_wall:
            data.pop("wall")
        return data

    def to_json(self, include_wall: bool = True) -> str:
        """The record as JSON text (keys sorted, so equal records give equal bytes)."""
        return json.dumps(self.to_dict(include_wall), indent=2, sort_keys=True, allow_nan=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Rebuild a record from :meth:`to_dict` output."""
        return cls(**{k: v for k, v in data.items() if k != "format_version"})


def current_umask() -> int:
    """The process's file-creation mask, read without changing it where the system allows (Linux
    ``/proc/self/status``), else by setting and restoring it."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the whole new one, never a part.

    The file gets the mode an ordinary ``open`` would give it (``0o666`` less the umask: 0644 by default),
    not the private 0600 of the temporary file it is written through.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
