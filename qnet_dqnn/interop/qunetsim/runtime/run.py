"""Run a QuNetSim program: its ``qunetsim`` imports, ``time.sleep`` and randomness made the run's own.

During a run, and only then, ``import qunetsim...`` resolves to :mod:`qnet_dqnn.interop.qunetsim` (an import
hook; a real QuNetSim installed beside is set aside and put back after), ``time.sleep`` in a protocol thread
advances simulated time instead of waiting, and Python's ``random`` and NumPy's global generator are seeded
with the run's seed (their states are put back after), so the same script, inputs and seed give the same
outcomes, output and record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import random
import runpy
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.interop.qunetsim.runtime.scheduler import RunStopped, Strand, Wait
from qnet_dqnn.interop.qunetsim.runtime.session import DEFAULT_STOP_TIME_S, Session
from qnet_dqnn.scenario.result import RunResult
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds

#: Exit status of a run whose script or a protocol thread raised (Python's own for an uncaught exception).
EXIT_RAISED = 1

#: Exit status of a run that ended while the script still waited (a deadlock, or the stop time).
EXIT_STUCK = 3

_PACKAGE = "qnet_dqnn.interop.qunetsim"
_RUNTIME_DIR = str(Path(__file__).resolve().parent)


@dataclass
class ScriptRun:
    """What a run of a QuNetSim program did.

    Attributes:
        name: the script's name (its file stem).
        seed: the run's seed.
        topology: the topology's name (``script`` when built from the script's connections).
        outcome: ``finished`` (the script returned), ``raised`` (it or a protocol thread raised), ``deadlock``
            (every thread waited and nothing could wake one), ``stop_time`` or ``error`` (the network failed).
        exit_code: 0 when all went well; the script's own ``sys.exit`` code; 1 when something raised; 3 when
            the run ended with the script still waiting.
        simulated_time_s: simulated time at the end (in s).
        events_processed: discrete events the simulation processed.
        waits: who waited on what when the run ended (threads still running when the script returned, too).
        errors: tracebacks of what raised.
        notes: QuNetSim settings with no effect here, and ACKs that found no route.
        threads: one row per protocol thread.
        ledger: the network's ledger (empty if the script never used the network).
        figures: PNGs the script drew.
        wall_time_s: wall-clock time of the run (in s).
    """

    name: str
    seed: int
    topology: str
    outcome: str
    exit_code: int
    simulated_time_s: float
    events_processed: int
    waits: list[Wait] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    threads: list[dict[str, Any]] = field(default_factory=list)
    ledger: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0
    started_utc: str = ""

    def to_result(self) -> RunResult:
        """The run as the project's result record (``result.json``)."""
        return RunResult(
            scenario=self.name,
            workload="qunetsim",
            seed=self.seed,
            topology=self.topology,
            simulated_time_s=self.simulated_time_s,
            events_processed=self.events_processed,
            metrics={"exit_code": self.exit_code, "threads": len(self.threads), "errors": len(self.errors)},
            tables={
                "outcome": [{"outcome": self.outcome, "exit_code": self.exit_code}],
                "threads": self.threads,
                "waits": [
                    {"thread": w.thread, "host": w.host, "waiting_on": w.what, "since_s": w.since_s} for w in self.waits
                ],
                "errors": [{"traceback": e} for e in self.errors],
                "notes": [{"note": n} for n in self.notes],
                "figures": [{"file": f} for f in self.figures],
            },
            ledger=self.ledger,
            wall={"started_utc": self.started_utc, "wall_time_s": self.wall_time_s},
        )


# -- the import hook ---------------------------------------------------------------------------------------


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        """The module is already loaded."""


class _QuNetSimFinder(importlib.abc.MetaPathFinder):
    """Resolves ``qunetsim`` and ``qunetsim.X`` to ``qnet_dqnn.interop.qunetsim`` and its ``X``."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "qunetsim" and not fullname.startswith("qunetsim."):
            return None
        real = _PACKAGE + fullname[len("qunetsim") :]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError:
            raise ImportError(
                f"module {fullname!r} of QuNetSim is not provided by qnet-dqnn's compatibility layer (it has "
                "qunetsim, qunetsim.components[.host, .network], qunetsim.objects[.qubit, .message, .logger, "
                ".daemon_thread, .connections], qunetsim.backends, qunetsim.utils.constants)",
                name=fullname,
            ) from None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module), is_package=hasattr(module, "__path__"))


def _is_qunetsim(name: str) -> bool:
    return name == "qunetsim" or name.startswith("qunetsim.")


@contextlib.contextmanager
def qunetsim_imports() -> Iterator[None]:
    """While active, ``import qunetsim...`` gives this package (a real QuNetSim is set aside meanwhile)."""
    saved = {name: module for name, module in sys.modules.items() if _is_qunetsim(name)}
    for name in saved:
        del sys.modules[name]
    finder = _QuNetSimFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_qunetsim(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


@contextlib.contextmanager
def _simulated_sleep(session: Session) -> Iterator[None]:
    real_sleep = time.sleep
    scheduler = session.scheduler

    def sleep(seconds: float) -> None:
        if getattr(scheduler._local, "strand", None) is None:
            real_sleep(seconds)
        else:
            scheduler.sleep(seconds, f"time.sleep({seconds})")

    time.sleep = sleep
    try:
        yield
    finally:
        time.sleep = real_sleep


@contextlib.contextmanager
def _seeded_globals(seed: int) -> Iterator[None]:
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def _script_traceback(exc: BaseException) -> str:
    """``exc``'s traceback without the runner's own leading frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    start = 0
    for i, frame in enumerate(frames):
        if frame.filename.startswith(_RUNTIME_DIR) or "runpy" in frame.filename:
            start = i + 1
        else:
            break
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[start:])]
    return "".join(lines + traceback.format_exception_only(type(exc), exc))


def simulate(
    main: Callable[[], Any],
    *,
    name: str = "main",
    seed: int = 0,
    topology: TopologySpec | None = None,
    host_map: dict[str, str] | None = None,
    stop_time_s: float = DEFAULT_STOP_TIME_S,
    figures_dir: Path | None = None,
    stderr: TextIO | None = None,
) -> ScriptRun:
    """Run ``main()`` (a QuNetSim program) in simulated time on the project's network; see :class:`ScriptRun`.

    Args:
        main: the program; it may ``import qunetsim`` and start protocol threads.
        name: the run's name.
        seed: the run's seed.
        topology: the network (None: one link per pair of hosts the program connects).
        host_map: host -> node, for hosts not named as nodes of ``topology``.
        stop_time_s: the run ends at this simulated time at the latest (in s).
        figures_dir: where ``draw_*_network`` writes (the working folder by default).
        stderr: where tracebacks go (``sys.stderr`` by default).
    """
    err = stderr if stderr is not None else sys.stderr
    session = Session(seed, topology, host_map, stop_time_s, figures_dir)

    def report(strand: Strand) -> None:
        assert strand.error is not None
        text = _script_traceback(strand.error)
        session_errors.append(text)
        print(f"Exception in protocol thread {strand.name!r} of host {strand.host!r}:\n{text}", file=err, end="")

    session_errors: list[str] = []
    session.scheduler.on_error = report
    started = dt.datetime.now(dt.UTC)
    wall = time.perf_counter()
    outcome, exit_code = "finished", 0
    session.activate()
    try:
        main_strand = session.scheduler.adopt(name)
        with qunetsim_imports(), _simulated_sleep(session), _seeded_globals(seed):
            try:
                main()
            except RunStopped:
                pass
            except SystemExit as exc:
                exit_code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_RAISED)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=err)
            except Exception as exc:  # noqa: BLE001  (the script's own error: reported, and the run ends)
                session_errors.append(_script_traceback(exc))
                print(session_errors[-1], file=err, end="")
                outcome, exit_code = "raised", EXIT_RAISED
            finally:
                ending = session.scheduler.ending
                main_strand.finished = True
                still_waiting = [  # QuNetSim's daemon threads, still waiting when the script returned
                    Wait(s.name, s.host, s.waiting_on, to_seconds(s.waiting_since))
                    for s in session.scheduler.strands
                    if s is not main_strand and s.waiting_on is not None
                ]
                session.scheduler.stop_all()
    finally:
        session.deactivate()
    scheduler = session.scheduler
    if ending in ("deadlock", "stop_time"):
        outcome, exit_code = ending, exit_code or EXIT_STUCK
    elif ending == "error":
        outcome, exit_code = "error", EXIT_RAISED
        session_errors.append(scheduler.fatal_traceback)
        print(scheduler.fatal_traceback, file=err, end="")
    else:
        scheduler.waits = still_waiting
    if any(s.error is not None for s in scheduler.strands) and exit_code == 0:
        outcome, exit_code = "raised", EXIT_RAISED
    ledger: dict[str, Any] = {}
    if session.net is not None:
        session.net.settle()
        session.net.ledger.check()
        ledger = session.net.ledger.to_dict()
    notes = list(session.settings.notes)
    if ending in ("deadlock", "stop_time"):
        notes += session.memory_report()
    return ScriptRun(
        name=name,
        seed=seed,
        topology=(session.net.topology.name if session.net is not None else (topology.name if topology else "script")),
        outcome=outcome,
        exit_code=int(exit_code),
        simulated_time_s=session.simulated_time_s(),
        events_processed=session.env.events_processed,
        waits=list(scheduler.waits),
        errors=session_errors,
        notes=notes,
        threads=[
            {"thread": s.name, "host": s.host, "finished": s.finished and not s.killed, "raised": s.error is not None}
            for s in scheduler.strands
            if s is not main_strand
        ],
        ledger=ledger,
        figures=[p.name for p in session.figures],
        wall_time_s=time.perf_counter() - wall,
        started_utc=started.isoformat(timespec="seconds"),
    )


def run_script(path: str | Path, **options: Any) -> ScriptRun:
    """Run the QuNetSim program in file ``path`` as ``__main__``; options as :func:`simulate`."""
    script = Path(path)
    if not script.is_file():
        raise QnetError(f"{script}: no such script")

    def main() -> None:
        argv, sys_path = sys.argv[:], sys.path[:]
        sys.argv = [str(script)]
        sys.path.insert(0, str(script.resolve().parent))
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv[:], sys.path[:] = argv, sys_path

    os.environ.setdefault("MPLBACKEND", "Agg")
    return simulate(main, name=options.pop("name", script.stem), **options)
