"""The scenario schema: which topology, which seed, when to stop, and what workload to run."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.topology import TopologySpec


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


#: Longest simulated time a run may ask for (in s): about 31 700 years. The clock counts integer nanoseconds
#: in Python integers (:mod:`qnet_dqnn.units`), so it holds any horizon; the bound only refuses values no
#: study needs (the 64-qubit cut model charged S·γ² shots needs centuries, ~10¹⁰ s, over 40 steps).
MAX_STOP_S = 1e12


class StopSpec(_Spec):
    """When the run ends."""

    simulated_time_s: Annotated[float, Field(gt=0.0, le=MAX_STOP_S)]


class ScenarioFile(_Spec):
    """A scenario file as written: the workload is checked separately, by its ``type``.

    ``sweep`` maps field paths (``seed``, ``workload.storage_time_s``, ``topology.links[0].length_km``, ...)
    to the values to run; ``qnet-dqnn sweep`` runs their full grid.
    """

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    topology: Annotated[str, Field(min_length=1)]
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    stop: StopSpec
    workload: dict[str, Any]
    sweep: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)] | None = None


class Scenario(BaseModel):
    """A checked scenario, ready to run: its topology loaded and its workload validated.

    Attributes:
        name: used for the results folder.
        source: the file it came from.
        topology: the loaded topology.
        topology_source: the topology file's path.
        seed: root of every random stream of the run.
        stop: when the run ends.
        workload: the workload's own validated spec (its ``type`` names it).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str = ""
    source: str
    topology: TopologySpec
    topology_source: str
    seed: int
    stop: StopSpec
    workload: BaseModel

    @property
    def workload_type(self) -> str:
        """The workload's registered name."""
        return str(self.workload.type)
