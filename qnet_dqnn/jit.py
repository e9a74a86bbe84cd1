"""Loops compiled with numba on first use: one way for every kernel module of the package.

A kernel module makes one :class:`Kernels` over its globals, marks each loop with ``@KERNELS.loop(**options)``
(numba's ``njit`` options), and calls a loop through ``KERNELS.entry(name)``. The first entry imports numba and
compiles every marked loop of the module, or loads it from numba's cache (``cache=True`` always: once per
machine, in ``__pycache__`` beside the module, or numba's per-user cache where that is not writable; numba
writes a cache file whole and then renames it, so processes compiling at once leave a valid cache). So
``import qnet_dqnn`` does not pay for numba, and a run that never reaches a kernel never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Kernels"]


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
