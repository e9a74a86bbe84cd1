"""Where the numerics of independent local work run: in this process, or on a Dask cluster.

The event simulation always stays in this process (the driver); only pure functions of their arguments go out
(a federated client's local steps: :func:`~qnet_dqnn.distributed.fedavg.local_update`). A job carries
everything it needs, its own random stream included, so the same seed gives the same bytes wherever it runs.

Usage: ``handle = executor.submit(fn, job)`` when the work starts in simulated time, ``executor.result(handle)``
when the simulation needs its value (by then the other jobs of the round are in flight on the cluster).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LocalExecutor:
    """Runs each job at once, in this process."""

    def submit(self, fn: Callable[[Any], Any], job: Any) -> Any:
        """Run ``fn(job)`` now; the handle is its value."""
        return fn(job)

    def result(self, handle: Any) -> Any:
        """The value of a submitted job."""
        return handle

    def close(self) -> None:
        """Nothing to release."""


class DaskExecutor:
    """Runs jobs on a Dask cluster (``dask.distributed``, the ``cluster`` extra).

    Args:
        scheduler: the scheduler's address (``tcp://host:8786``) or a ``distributed.Client`` to reuse.
    """

    def __init__(self, scheduler: Any) -> None:
        try:
            from distributed import Client  # noqa: PLC0415  (optional dependency)
        except ImportError as exc:  # pragma: no cover - the cluster extra is in the dev extras
            raise ImportError("a Dask scheduler needs the cluster extra: pip install 'qnet-dqnn[cluster]'") from exc
        self._own = not isinstance(scheduler, Client)
        self.client = Client(scheduler) if self._own else scheduler

    def submit(self, fn: Callable[[Any], Any], job: Any) -> Any:
        """Send ``fn(job)`` to the cluster; the handle is its future (``pure=False``: every job runs)."""
        return self.client.submit(fn, job, pure=False)

    def result(self, handle: Any) -> Any:
        """Wait for the job's value."""
        return handle.result()

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._own:
            self.client.close()


Executor = LocalExecutor | DaskExecutor


def make_executor(scheduler: Any = None) -> Executor:
    """A local executor for ``None``, else one on the Dask cluster ``scheduler`` names."""
    return LocalExecutor() if scheduler is None else DaskExecutor(scheduler)
