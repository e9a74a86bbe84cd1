"""The ``pipeline`` strategy: the vertical split of a QNN, its layers on successive QPUs joined by teleportation.

The parts: :mod:`~.plan` (the stages' circuit pieces, the circuit the pipeline computes, its timing; pure) and
:mod:`~.strategy` (options and checks, a step through the network, registration).
"""

from qnet_dqnn.distributed.pipeline.plan import (
    PERFECT,
    pipeline_circuit,
    pipeline_timing,
    segments,
    stage_seconds,
    step_seconds,
    teleport_local_seconds,
)
from qnet_dqnn.distributed.pipeline.strategy import PipelineMachine, PipelineOptions, StageSpec, pipeline

__all__ = [
    "PERFECT",
    "PipelineMachine",
    "PipelineOptions",
    "StageSpec",
    "pipeline",
    "pipeline_circuit",
    "pipeline_timing",
    "segments",
    "stage_seconds",
    "step_seconds",
    "teleport_local_seconds",
]
