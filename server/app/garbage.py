"""The server's garbage-collection policy.

Python's cyclic collector walks every object of the generations it collects while the event
loop waits, and decides when by counting allocations minus deallocations. Both go wrong for a
province's server:

* it holds hundreds of megabytes of long-lived objects (1,400 connections and their
  sessions, the day's tickets of a hundred sites): a collection of the oldest generation
  walked them all and held the server 1.6 s (``bench/province_bench.py``);
* it replaces objects all day (each command makes a new state of its site and frees the old
  one), so allocations minus deallocations grow slowly while the young generation grows
  large: a young collection then came every ~50 s and walked a million objects (0.25-0.3 s
  of CPU, logged below).

So the collector is driven by the clock instead:

* after start-up, everything built is frozen (:func:`gc.freeze`: moved to a generation the
  collector never walks) and the automatic collections are switched off;
* every :data:`COLLECT_SECONDS` the keeper's task collects everything not frozen, and its
  survivors are frozen at once (from the collector's own callback, before anything else
  runs). Right after a collection every object left is reachable, so this freezes no
  garbage, and each collection walks only what was made and kept in the last second (a few
  milliseconds), whatever the heap holds;
* a frozen object that becomes garbage later is still freed by its reference count; only a
  *cycle* among frozen objects waits for the next **whole collection** (unfreeze, collect
  everything, freeze again). That comes once a day at :data:`QUIET_HOUR` in the server's own
  time zone (03:00: no centre is open), and sooner whenever the heap has grown
  :data:`GROWTH_FACTOR` times since the last one (and is at least :data:`GROWTH_MINIMUM`
  blocks): what frozen cycles can hold stays bounded by the live heap, and a whole walk (the
  long pause) comes each time the heap has doubled, not every minute;
* the heap is measured by :func:`sys.getallocatedblocks` (the interpreter's small-object
  blocks in use: about a millisecond), not by :func:`gc.get_freeze_count`, which walks the
  frozen objects' list one by one: with a province's day in memory (a million objects,
  scattered) that took 70-150 ms each minute, a stall of every command that grew through the
  day (``bench/province_bench.py --seconds 480``);
* any collection that holds the server longer than :data:`PAUSE_LOGGED_SECONDS` is logged
  with its generation and the CPU it took, so a pause is seen in the log, not guessed.

Freezing on a timer *without* collecting first was measured and dropped: it froze the young
garbage cycles not yet collected (a server in one process, 5 kiosks and a counter for 40 s, a
freeze every 2 s: 644,030 objects trapped, the process 2 GB larger). Most of those cycles were
the forecasts of every state (server.domain.forecast, fixed since: a served ticket leaves no
cyclic garbage now).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

logger = logging.getLogger(__name__)

# How often everything not frozen is collected (and its survivors frozen).
COLLECT_SECONDS = 1.0
# How often the whole collection's conditions are looked at.
CHECK_SECONDS = 60.0
QUIET_HOUR = 3
# A whole collection as soon as the heap's small-object blocks are this many times those
# left by the last one, and at least this many: a province's whole day in one process
# (122,518 tickets, ``bench/province_bench.py --seconds 1100``) stayed under it, so the
# long walk comes only when memory grows beyond what a day's work holds.
GROWTH_FACTOR = 2.0
GROWTH_MINIMUM = 4_000_000


# A collection that holds the event loop longer than this is logged (generation, time).
PAUSE_LOGGED_SECONDS = 0.2


def tune_garbage_collector() -> None:
    """Process-wide policy for a long-running server; call once after start-up, then run a
    :class:`GarbageKeeper` (module docstring): collect, freeze what start-up built, switch
    the automatic collections off, and freeze the survivors of each collection from now on,
    logging any that pauses the server longer than :data:`PAUSE_LOGGED_SECONDS`."""
    gc.collect()
    gc.freeze()
    gc.disable()
    if _after_collection not in gc.callbacks:
        gc.callbacks.append(_after_collection)


_pause_started: list[float] = []


def _after_collection(phase: str, info: dict[str, int]) -> None:
    """The collector's callback: freeze the survivors of a collection of the oldest
    generation (module docstring); log a long pause."""
    if phase == "start":
        # The thread's CPU time beside the wall time: a pause the machine caused (the server
        # waiting for a core) is told apart from one the collector's walk caused.
        _pause_started[:] = [time.perf_counter(), time.thread_time(), gc.get_count()[0]]
        return
    if info.get("generation") == 2:
        gc.freeze()
    if not _pause_started:
        return
    started, cpu_started, young = _pause_started
    _pause_started.clear()
    seconds = time.perf_counter() - started
    if seconds > PAUSE_LOGGED_SECONDS:
        logger.warning("garbage collection of generation %d held the server %.0f ms (%.0f ms "
                       "of its CPU; %d objects freed; %d new objects before it)",
                       info.get("generation", -1), 1000 * seconds,
                       1000 * (time.thread_time() - cpu_started), info.get("collected", 0),
                       young)


class GarbageKeeper:
    """The timed collections and the whole ones (module docstring); :meth:`run` is its
    task."""

    def __init__(self, clock: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._monotonic = monotonic
        self._next_full = self._next_quiet_hour(clock())
        self.full_collections = 0
        # The heap's blocks left by the last whole collection (start-up's at first).
        self._blocks_after_whole = sys.getallocatedblocks()

    def _next_quiet_hour(self, now: datetime) -> datetime:
        local = now.astimezone()
        quiet = local.replace(hour=QUIET_HOUR, minute=0, second=0, microsecond=0)
        return quiet if quiet > local else quiet + timedelta(days=1)

    def collect_whole(self) -> tuple[int, float]:
        """Unfreeze, collect everything, freeze again: the objects freed, the seconds."""
        started = self._monotonic()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.full_collections += 1
        self._blocks_after_whole = sys.getallocatedblocks()
        return freed, self._monotonic() - started

    def step(self) -> None:
        """One look: the whole collection when its hour has come (then the next is
        tomorrow's), or when the heap has grown :data:`GROWTH_FACTOR` times. Cheap: it never
        walks the frozen objects."""
        now = self._clock()
        blocks = sys.getallocatedblocks()
        grown = blocks >= max(GROWTH_MINIMUM, GROWTH_FACTOR * self._blocks_after_whole)
        if now < self._next_full and not grown:
            return
        before = self._blocks_after_whole
        freed, seconds = self.collect_whole()
        if now >= self._next_full:
            self._next_full = self._next_quiet_hour(now)
            logger.info("daily garbage collection: %d objects freed in %.2f s; %d blocks in "
                        "use", freed, seconds, self._blocks_after_whole)
        else:
            logger.info("whole garbage collection (the heap grew from %d to %d blocks): %d "
                        "objects freed in %.2f s; %d blocks in use", before, blocks, freed,
                        seconds, self._blocks_after_whole)

    async def run(self, interval: float = COLLECT_SECONDS,
                  check_every: float = CHECK_SECONDS,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Collect every ``interval`` seconds and look for a whole collection every
        ``check_every``, until cancelled."""
        checked = self._monotonic()
        while True:
            await sleep(interval)
            gc.collect()
            if self._monotonic() - checked >= check_every:
                checked = self._monotonic()
                self.step()
