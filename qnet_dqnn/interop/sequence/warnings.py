"""The problems and warnings of a SeQUeNCe import, and the header that lists them in the written topology.

A problem stops the import (a :class:`~qnet_dqnn.errors.TopologyError` naming every JSON path at fault); a
warning names something that has no qnet-dqnn equivalent or was imported approximately, and goes in the
written file's header so the approximation travels with the topology.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

TOP_LEVEL_UNMAPPED = {
    "stop_time": "the simulation length belongs to a qnet-dqnn scenario (stop.simulated_time_s), not to a topology",
    "formalism": "qnet-dqnn tracks pairs as Bell-diagonal states; the formalism only decides how coherence_time "
    "is imported",
    "truncation": "photon-number truncation has no qnet-dqnn equivalent",
    "is_parallel": "parallel-simulation settings have no qnet-dqnn equivalent",
    "proc_num": "parallel-simulation settings have no qnet-dqnn equivalent",
    "lookahead": "parallel-simulation settings have no qnet-dqnn equivalent",
}
SEED_NOTE = "per-node seeds are not imported: qnet-dqnn derives every random stream from the scenario seed"


class ImportReport:
    """The problems and warnings of one import, each with the JSON path it concerns."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[tuple[str, str]] = []
        self._warnings: dict[str, list[str]] = {}

    # -- reporting -------------------------------------------------------------------------------------

    def problem(self, path: str, reason: str) -> None:
        """Record a problem (once: a template used by several nodes is read once per node)."""
        if (path, reason) not in self.problems:
            self.problems.append((path, reason))

    def warn(self, path: str, message: str) -> None:
        """Record a warning; identical messages are listed once with every place they apply to."""
        self._warnings.setdefault(message, [])
        if path and path not in self._warnings[message]:
            self._warnings[message].append(path)

    def warnings(self) -> list[str]:
        out = []
        for message, paths in self._warnings.items():
            if not paths:
                out.append(message)
                continue
            shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
            out.append(f"{shown}: {message}")
        return out


def sequence_import_header(source: str | Path, warnings: list[str], width: int = 110) -> str:
    """The comment header for an imported topology: where it came from, the unit conversions, the warnings.

    Pass it to :func:`qnet_dqnn.topology.dump_topology`, which puts ``# `` before each line.
    """

    def wrap(text: str, first: str = "", rest: str = "") -> list[str]:
        return textwrap.wrap(
            text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
        )

    lines = wrap(f"Imported by `qnet-dqnn topology import` from the SeQUeNCe JSON topology {source}")
    lines += wrap(
        "Units converted: distance m -> length_km (/1000), attenuation dB/m -> dB/km (x1000), delay ps -> "
        "classical.extra_latency_s = delay/1e12 - length/(2e5 km/s)."
    )
    if warnings:
        lines.append(f"Not imported or imported approximately ({len(warnings)}):")
        for warning in warnings:
            lines += wrap(warning, "- ", "  ")
    else:
        lines.append("Everything in the file was imported.")
    return "\n".join(lines)
