"""Protocol threads on the discrete-event clock.

QuNetSim runs every protocol in a Python thread, in wall-clock time. Here each of those threads is a
*strand*: a real thread, but only one strand runs at a time (it holds the baton). A strand that makes a
blocking call (``get_epr(..., wait=5)``, ``await_ack``, ``time.sleep``, ``join``) waits on a SimPy event and
hands the baton on. When no strand can run, the baton holder advances the SimPy clock one event at a time
until an event wakes a strand. So simulated time moves only when every strand is blocked or done, strands
run in the order the events wake them, and a run is deterministic for a seed.

The run ends when the main strand (the script) ends; strands still running are then stopped, as Python
stops QuNetSim's daemon threads at exit. If every strand waits and no event can wake one (a deadlock), or
the next event lies past the stop time, the run ends there with a report of who waited on what.
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import simpy

from qnet_dqnn.errors import SimulationError
from qnet_dqnn.units import to_seconds, to_ticks

#: Wall-clock seconds the end of a run waits for a stopped strand to unwind before leaving it behind (a
#: protocol that catches every exception and loops without blocking never unwinds).
UNWIND_WAIT_S = 5.0


class RunStopped(BaseException):  # noqa: N818  (a signal, not an error: a BaseException so `except Exception` passes it)
    """Raised inside a strand whose run is ending, to unwind it."""


class NotScheduledError(SimulationError):
    """A blocking QuNetSim call came from a thread the run does not schedule."""


@dataclass(frozen=True, slots=True)
class Wait:
    """What a strand waited on when the run ended.

    Attributes:
        thread: the strand's name.
        host: the host that runs it ("" for the script itself).
        what: the blocking call, e.g. ``get_next_classical('Alice', wait=-1)``.
        since_s: simulated time at which it started waiting (in s).
    """

    thread: str
    host: str
    what: str
    since_s: float


class Strand:
    """One protocol thread: a real thread that runs only while it holds the baton.

    It offers the part of :class:`threading.Thread` QuNetSim scripts use: ``join``, ``is_alive``, ``name``.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        name: str,
        host: str,
        target: Callable[..., Any] | None,
        args: tuple[Any, ...] = (),
    ) -> None:
        self._scheduler = scheduler
        self.name = name
        self.host = host
        self.daemon = True
        self._target = target
        self._args = args
        self._gate = threading.Lock()
        self._gate.acquire()
        self.done = scheduler.env.event()
        self.finished = False
        self.killed = False
        self.waiting_on: str | None = None
        self.waiting_since = 0
        self.error: BaseException | None = None
        self.traceback = ""
        self._woken: simpy.Event | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "done" if self.finished else f"waiting on {self.waiting_on}" if self.waiting_on else "running"
        return f"<Strand {self.name!r} of {self.host or 'script'!r}: {state}>"

    def join(self, timeout: float | None = None) -> None:
        """Wait (in simulated time) until this strand has finished, or ``timeout`` seconds."""
        self._scheduler.join(self, timeout)

    def is_alive(self) -> bool:
        """True until the strand's function has returned."""
        return not self.finished

    def start(self) -> None:
        """Strands start when they are made; calling this again is harmless."""


class Scheduler:
    """Hands the baton between strands and advances the SimPy clock when none can run.

    Args:
        env: the simulation's environment (shared with the network).
        stop_tick: the run ends when the next event lies past this tick.
        on_error: called with a strand whose function raised (the traceback is in ``strand.traceback``).
    """

    def __init__(self, env: simpy.Environment, stop_tick: int, on_error: Callable[[Strand], None]) -> None:
        self.env = env
        self.stop_tick = stop_tick
        self.on_error = on_error
        self.ready: deque[Strand] = deque()
        self.strands: list[Strand] = []
        self.main: Strand | None = None
        self.ending: str | None = None
        self.waits: list[Wait] = []
        self.fatal: BaseException | None = None
        self.fatal_traceback = ""
        self._local = threading.local()

    # -- strands ------------------------------------------------------------------------------------

    def adopt(self, name: str) -> Strand:
        """Make the calling thread the main strand, holding the baton (once per run)."""
        if self.main is not None:
            raise SimulationError("this run already has its main strand")
        strand = Strand(self, name, "", None)  # its gate stays locked: acquiring it again blocks until handed back
        self.main = strand
        self.strands.append(strand)
        self._local.strand = strand
        return strand

    def spawn(self, name: str, host: str, target: Callable[..., Any], args: tuple[Any, ...] = ()) -> Strand:
        """A new strand running ``target(*args)``; it starts once the calling strand blocks."""
        strand = Strand(self, name, host, target, args)
        self.strands.append(strand)
        thread = threading.Thread(target=self._body, args=(strand,), name=f"qunetsim:{name}", daemon=True)
        strand._thread = thread
        thread.start()
        if self.ending is None:
            self.ready.append(strand)
        else:
            strand.killed = True
            strand._gate.release()
        return strand

    def strand(self) -> Strand:
        """The strand of the calling thread."""
        strand = getattr(self._local, "strand", None)
        if strand is None:
            raise NotScheduledError(
                f"a blocking QuNetSim call from thread {threading.current_thread().name!r}, which this run does "
                "not schedule: start protocols with host.run_protocol(...) or DaemonThread(...), not threading.Thread"
            )
        return strand

    @property
    def now_s(self) -> float:
        """The simulated time (in s)."""
        return to_seconds(int(self.env.now))

    def _body(self, strand: Strand) -> None:
        self._local.strand = strand
        strand._gate.acquire()
        try:
            if not strand.killed and strand._target is not None:
                strand._target(*strand._args)
        except (RunStopped, SystemExit):
            pass
        except BaseException as exc:  # noqa: BLE001  (a protocol's error is reported, as threading does)
            strand.error = exc
            strand.traceback = traceback.format_exc()
            self.on_error(strand)
        finally:
            strand.finished = True
            if self.ending is None:
                strand.done.succeed()
            self._hand_off(strand, finished=True)

    # -- blocking ----------------------------------------------------------------------------------

    def wait(self, event: simpy.Event, what: str) -> Any:
        """Block the calling strand until ``event`` is processed; return its value (raise its exception)."""
        strand = self.strand()
        if self.ending is not None:
            raise RunStopped(self.ending)
        if event.processed:
            return self._outcome(event)
        strand.waiting_on, strand.waiting_since = what, int(self.env.now)
        event.callbacks.append(partial(self._wake, strand))  # type: ignore[union-attr]
        self._hand_off(strand)
        strand.waiting_on = None
        if strand.killed:
            raise RunStopped(self.ending)
        woken, strand._woken = strand._woken, None
        assert woken is not None
        return self._outcome(woken)

    @staticmethod
    def _outcome(event: simpy.Event) -> Any:
        if event.ok:
            return event.value
        raise event.value

    def _wake(self, strand: Strand, event: simpy.Event) -> None:
        if not event.ok:
            event.defused = True  # the strand raises it instead of the event loop
        strand._woken = event
        self.ready.append(strand)

    def sleep(self, seconds: float, what: str) -> None:
        """Block the calling strand for ``seconds`` of simulated time."""
        self.wait(self.env.timeout(to_ticks(max(float(seconds), 0.0))), what)

    def join(self, strand: Strand, timeout: float | None) -> None:
        """Block the calling strand until ``strand`` has finished (or ``timeout`` simulated seconds)."""
        if strand.finished:
            return
        if strand is self.strand():
            raise SimulationError(f"thread {strand.name!r} cannot join itself")
        what = f"join(thread {strand.name!r} of {strand.host!r})"
        if timeout is None:
            self.wait(strand.done, what)
        else:
            self.sleep_until_any(strand.done, timeout, what)

    def sleep_until_any(self, event: simpy.Event, timeout_s: float, what: str) -> bool:
        """Wait for ``event`` at most ``timeout_s`` simulated seconds; True if it came first."""
        timer = self.env.timeout(to_ticks(max(float(timeout_s), 0.0)))
        self.wait(simpy.AnyOf(self.env, [event, timer]), what)
        return event.processed or event.triggered

    # -- the baton ----------------------------------------------------------------------------------

    def _hand_off(self, strand: Strand, finished: bool = False) -> None:
        """Give the baton to the next ready strand, advancing the clock while none is ready."""
        while True:
            if self.ending is not None and finished:
                # the run is ending: stopped strands hand the baton back to the main strand
                if strand is not self.main and self.main is not None:
                    self.main._gate.release()
                return
            if self.ready:
                nxt = self.ready.popleft()
                if nxt is strand:
                    return
                nxt._gate.release()
                if not finished:
                    strand._gate.acquire()
                return
            if self.ending is None and not self._advance():
                self._end()

    def _advance(self) -> bool:
        """Process the next event; False when there is none before the stop tick."""
        t = self.env.peek()
        if t == float("inf"):
            self.ending = "deadlock"
            return False
        if t > self.stop_tick:
            if self.env.now < self.stop_tick:
                self.env.run(until=self.stop_tick)
            self.ending = "stop_time"
            return False
        try:
            self.env.step()
        except Exception as exc:  # noqa: BLE001  (a failure inside the network's processes ends the run)
            self.fatal = exc
            self.fatal_traceback = traceback.format_exc()
            self.ending = "error"
            return False
        return True

    def _end(self) -> None:
        """Record who waits on what, and wake the main strand to unwind the run."""
        self.waits = [
            Wait(s.name, s.host, s.waiting_on or "(not started)", to_seconds(s.waiting_since))
            for s in self.strands
            if not s.finished
        ]
        assert self.main is not None
        self.main.killed = True
        self.ready.append(self.main)

    def stop_all(self) -> list[str]:
        """From the main strand, at the end of the run: unwind every other strand; names of those that did not."""
        if self.ending is None:
            self.ending = "finished"
        assert self.main is not None
        stuck = []
        for strand in self.strands:
            if strand is self.main or strand.finished:
                continue
            strand.killed = True
            strand._gate.release()
            if not self.main._gate.acquire(timeout=UNWIND_WAIT_S):
                stuck.append(strand.name)
        return stuck
