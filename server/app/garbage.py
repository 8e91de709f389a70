"""The server's garbage-collection policy.

Python's cyclic collector walks every object of the generation it collects while the event
loop waits. A province's server holds hundreds of megabytes of long-lived objects (1,400
connections and their sessions, the day's tickets of a hundred sites); a full collection
over them stopped the loop for 1.6 s in ``bench/province_bench.py`` (``perf`` showed it).
So:

* after start-up, everything built is frozen (:func:`gc.freeze`: moved to a generation the
  collector never walks) and the young generation is collected less often;
* once a day, at :data:`QUIET_HOUR` in the server's own time zone (03:00: no centre is
  open), everything is unfrozen, collected whole, and frozen again: the day's survivors
  (the connections, what the sites keep) leave the walked generations, and cycles among
  frozen objects go. Freezing right after a whole collection traps no garbage;
* any collection that holds the server longer than :data:`PAUSE_LOGGED_SECONDS` is logged
  with its generation, so a pause is seen in the log, not guessed from latencies.

Freezing more often was measured and dropped: a freeze during the day also freezes the
garbage cycles not yet collected, and a server at load makes plenty (a real server in one
process, 5 kiosks and a counter for 40 s, a freeze every 2 s: 644,030 objects trapped until
the whole collection, the process 2 GB larger). It took the province bench's issue p99 from
612 to 49 ms, but would grow the server by gigabytes a day.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

logger = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
QUIET_HOUR = 3
YOUNG_THRESHOLDS = (50_000, 50, 100)


# A collection that holds the event loop longer than this is logged (generation, time).
PAUSE_LOGGED_SECONDS = 0.2


def tune_garbage_collector() -> None:
    """Process-wide policy for a long-running server; call once after start-up (module
    docstring): collect, freeze what start-up built, collect the young less often, and log
    any collection that pauses the server longer than :data:`PAUSE_LOGGED_SECONDS`."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLDS)
    if _report_long_pauses not in gc.callbacks:
        gc.callbacks.append(_report_long_pauses)


_pause_started: list[float] = []


def _report_long_pauses(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _pause_started[:] = [time.perf_counter()]
        return
    if not _pause_started:
        return
    seconds = time.perf_counter() - _pause_started.pop()
    if seconds > PAUSE_LOGGED_SECONDS:
        logger.warning("garbage collection of generation %d held the server %.0f ms "
                       "(%d objects freed)", info.get("generation", -1), 1000 * seconds,
                       info.get("collected", 0))


class GarbageKeeper:
    """The daily whole collection (module docstring); :meth:`run` is its task."""

    def __init__(self, clock: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._monotonic = monotonic
        self._next_full = self._next_quiet_hour(clock())
        self.full_collections = 0

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
        return freed, self._monotonic() - started

    def step(self) -> None:
        """One look: the daily whole collection when its hour has come."""
        now = self._clock()
        if now < self._next_full:
            return
        freed, seconds = self.collect_whole()
        self._next_full = self._next_quiet_hour(now)
        logger.info("daily garbage collection: %d objects freed in %.2f s; %d frozen",
                    freed, seconds, gc.get_freeze_count())

    async def run(self, interval: float = CHECK_SECONDS) -> None:
        """Look every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            self.step()
