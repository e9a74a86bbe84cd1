"""Loops compiled with numba on first use: one way for every kernel module of the package.

A kernel module makes one :class:`Kernels` over its globals, marks each loop with ``@KERNELS.loop(**options)``
(numba's ``njit`` options), and calls a loop through ``KERNELS.entry(name)``. The first entry imports numba and
compiles every marked loop of the module, or loads it from numba's cache (``cache=True`` always: once per
machine, in ``__pycache__`` beside the module, or numba's per-user cache where that is not writable; numba
writes a cache file whole and then renames it, so processes compiling at once leave a valid cache). So
``import qnet_dqnn`` does not pay for numba, and a run that never reaches a kernel never imports it.

Loops index arrays with :func:`ix`: numba checks every signed index for counting from the end (``a[-1]``), a
compare and add per dimension per access, which was half the time of the pair timeline's schedule loop.
A module takes :func:`ix` into its loops with ``KERNELS.use(ix, inline="always")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Kernels", "ix"]


def ix(i: int) -> np.uint64:
    """An array index known to be >= 0, as unsigned: numba then indexes without its wraparound check."""
    return np.uint64(i)


class Kernels:
    """The numba-compiled loops of one module (see the module docstring)."""

    def __init__(self, module_globals: dict[str, Any]) -> None:
        self._globals = module_globals
        self._options: dict[str, dict[str, Any]] = {}

    def loop(self, **options: Any) -> Callable[[Callable], Callable]:
        """Mark a function of the module as a loop to compile, with numba's ``njit`` options."""

        def mark(f: Callable) -> Callable:
            self._options[f.__name__] = options
            return f

        return mark

    def use(self, f: Callable, **options: Any) -> None:
        """Compile ``f``, a function of another module (e.g. :func:`ix`), as a loop of this module under its name."""
        self._globals[f.__name__] = f
        self._options[f.__name__] = options

    def entry(self, name: str) -> Callable:
        """The compiled loop ``name`` (every marked loop is compiled on the first call)."""
        f = self._globals[name]
        if not hasattr(f, "py_func"):
            from numba import njit  # noqa: PLC0415  (heavy: imported on the first kernel call only)

            for loop, options in self._options.items():
                if not hasattr(self._globals[loop], "py_func"):
                    self._globals[loop] = njit(cache=True, **options)(self._globals[loop])
            f = self._globals[name]
        return f
