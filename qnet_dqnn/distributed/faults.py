"""Faults of a data-parallel run: slow nodes (stragglers), nodes that drop out, links that go down.

Configured in a data-parallel strategy's options, under ``faults:``::

    strategy:
      type: parameter_server
      round_timeout_s: 2.0
      faults:
        slow: {q3: 5.0}                                  # q3's QPU time x5 (a straggler)
        dropout:
          - {node: q2, at_s: 1.5}                        # q2 leaves for good at t = 1.5 s
          - {node: q1, at_s: 0.5, until_s: 0.9}          # q1 is away for [0.5 s, 0.9 s)
        link_down:
          - {link: hub-q0, at_s: 1.0, until_s: 2.0}      # the link carries nothing for [1 s, 2 s)

They are applied through the worker layer (:class:`~qnet_dqnn.distributed.qpu.QPU`): a slow node's gradient
evaluations take ``factor`` times their QPU time; a node that is down computes nothing (an evaluation under
way when it drops out is lost, :class:`~qnet_dqnn.distributed.qpu.NodeDown`) and messages that arrive while
it is down are lost (the strategies count them). A link that is down is handed to the network
(:meth:`qnet_dqnn.net.Network.fail_link`), which carries nothing over it for the outage.

Stragglers and failures are the classic motivation of asynchronous and bounded-staleness schemes (Dean et
al., NeurIPS 2012; Ho et al., NeurIPS 2013); synchronous schemes here go on without the workers that miss a
round's timeout, as backup-worker synchronous SGD does (Chen et al., arXiv:1604.00981, 2016).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_ticks


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class DropOut(_Options):
    """A node drops out at ``at_s`` (in s), for good (``until_s`` None) or until ``until_s`` (in s)."""

    node: Annotated[str, Field(min_length=1)]
    at_s: Annotated[float, Field(ge=0.0)]
    until_s: Annotated[float, Field(gt=0.0)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DropOut:
        if self.until_s is not None and self.until_s <= self.at_s:
            raise ValueError(f"until_s must be > at_s (got at_s={self.at_s}, until_s={self.until_s})")
        return self


class LinkDown(_Options):
    """A link carries nothing from ``at_s`` (in s) until ``until_s`` (in s; None: for good)."""

    link: Annotated[str, Field(min_length=1)]
    at_s: Annotated[float, Field(ge=0.0)]
    until_s: Annotated[float, Field(gt=0.0)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LinkDown:
        if self.until_s is not None and self.until_s <= self.at_s:
            raise ValueError(f"until_s must be > at_s (got at_s={self.at_s}, until_s={self.until_s})")
        return self


class FaultsSpec(_Options):
    """The faults of a run (none by default).

    Attributes:
        slow: node name -> factor (> 0) multiplying its QPU time (5.0: five times slower).
        dropout: nodes that drop out, for good or for an interval.
        link_down: links that go down for an interval (needs network link outages).
    """

    slow: dict[str, Annotated[float, Field(gt=0.0, le=1e6)]] = {}
    dropout: list[DropOut] = []
    link_down: list[LinkDown] = []

    @property
    def any_dropout(self) -> bool:
        """True if some node drops out."""
        return bool(self.dropout)


def fault_problems(faults: FaultsSpec, topology: TopologySpec, workers: list[str]) -> list[tuple[str, str]]:
    """Problems with ``faults``: nodes that are not workers, links that do not exist, link faults unsupported."""
    problems: list[tuple[str, str]] = []
    for name in faults.slow:
        if name not in workers:
            problems.append((f"faults.slow.{name}", f"node {name!r} is not a worker (workers: {workers})"))
    for i, drop in enumerate(faults.dropout):
        if drop.node not in workers:
            problems.append((f"faults.dropout[{i}].node", f"node {drop.node!r} is not a worker (workers: {workers})"))
    links = {link.name for link in topology.links}
    for i, down in enumerate(faults.link_down):
        if down.link not in links:
            known = ", ".join(sorted(links))
            problems.append((f"faults.link_down[{i}].link", f"unknown link {down.link!r} (known: {known})"))
    return problems


def apply_faults(ctx: TrainingContext, faults: FaultsSpec) -> None:
    """Set the workers' slow-down factors and outages, and hand link outages to the network."""
    for name, factor in faults.slow.items():
        ctx.qpu(name).slowdown = float(factor)
    for drop in faults.dropout:
        end = None if drop.until_s is None else to_ticks(drop.until_s)
        ctx.qpu(drop.node).outages.append((to_ticks(drop.at_s), end))
    for down in faults.link_down:
        end = None if down.until_s is None else to_ticks(down.until_s)
        ctx.network.fail_link(down.link, to_ticks(down.at_s), end)
