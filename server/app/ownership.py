"""Which sites this server process serves, when several share one PostgreSQL database.

Each site is owned by exactly one process at a time (the locks and the fencing epoch of
:mod:`server.store.ownership`). :class:`SiteOwnership` is this process's side of it: every
:data:`TICK_SECONDS` it reads who is live and who holds what, then

* **takes** a free site when this process is the site's *preferred* owner among the live
  processes, or when the site has been free for :data:`FALLBACK_SECONDS` whoever is
  preferred (so a site is never left without an owner for long, whatever each process
  believes of the others). Taking a site raises its epoch, then reads its state back from
  the database: the same path as a restart (:meth:`QueueService.take_site`);
* **hands back** a site it owns whose preferred owner is another process that has been live
  for :data:`HANDOFF_SECONDS` (a process started, or restarted after a failure): new
  commands are refused ``moved``, the commits in flight finish, the site's connections are
  closed (the clients find the new owner), then the lock goes;
* **drops** at once a site whose lock it no longer holds (its session was lost) or whose
  commit was fenced off (the epoch moved on): it stops serving the site and never commits
  for it again.

The preferred owner of a site: among the live processes that list it in their ``[server]
sites``, else among those that list no site, else among all live processes, the one with
the highest hash of (site, process URL) that has room left (rendezvous hashing with bounded
load: an even split, and when a process goes, mostly its sites move). So when an owner dies,
its locks go with its session and the next preferred process takes its sites within a tick
or two, reading them back from the database; ``hello`` at a process that is not the owner
is answered ``moved`` with the owner's address (:meth:`owner_of` waits a moment for a site
that is being taken over).

SQLite (the embedded default) has none of this: one process serves every site.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from server import __version__
from server.domain.rules import local_date
from server.store.errors import StoreError
from server.store.ownership import Member, OwnershipConnection, OwnershipLost, OwnershipView
from server.store.writer import Recipe

if TYPE_CHECKING:  # the runtime imports this module
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.5
# A process must have been live this long before sites are handed back to it.
HANDOFF_SECONDS = 2.0
# A site free this long is taken by any live process, preferred or not.
FALLBACK_SECONDS = 2.0
# A call on the ownership connection slower than this counts as a lost connection.
CALL_SECONDS = 5.0
# A process restarted at once after a crash may find its former session still holding its
# member lock until the database notices that session gone: it waits this long for it.
JOIN_WAIT_SECONDS = 15.0

_Result = TypeVar("_Result")


def preferred_owners(sites: Sequence[str], live: Sequence[Member]) -> dict[str, Member]:
    """The live process that should own each of ``sites`` (module docstring); a site is left
    out when no process is live. Every process works this out from the same configuration
    and the same live list, so they all agree.

    Among a site's candidates (those listing it, else those listing no site, else all), the
    one with the highest rendezvous hash that still has room: sites sharing a candidate set
    are dealt in code order so that each candidate ends with ``sites // candidates`` or one
    more, so the split is even (a plain rendezvous hash may leave a process with none of a
    few sites), and when a process goes, mostly its own sites move."""
    candidates_of: dict[str, tuple[Member, ...]] = {}
    for site in sites:
        listing = [member for member in live if site in member.sites]
        unlisted = [member for member in live if not member.sites]
        candidates = listing or unlisted or list(live)
        if candidates:
            candidates_of[site] = tuple(sorted(candidates, key=lambda member: member.url))
    groups: dict[tuple[Member, ...], list[str]] = {}
    for site, candidates_of_site in candidates_of.items():
        groups.setdefault(candidates_of_site, []).append(site)
    owners: dict[str, Member] = {}
    for group, group_sites in groups.items():
        least, extra = divmod(len(group_sites), len(group))
        load = dict.fromkeys((member.url for member in group), 0)
        for site in sorted(group_sites):
            # Up to ``extra`` processes may take one more than ``least``; once they have,
            # the others are full at ``least``, so every load ends as ``least`` or one more.
            full = sum(1 for count in load.values() if count > least)
            room = least + 1 if full < extra else least
            ranked = sorted(group, key=lambda member: _weight(site, member.url), reverse=True)
            chosen = next(member for member in ranked if load[member.url] < room)
            load[chosen.url] += 1
            owners[site] = chosen
    return owners


def _weight(site: str, url: str) -> bytes:
    return hashlib.sha256(f"{site}\n{url}".encode()).digest()


class JoinRefused(StoreError):
    """Another live process already serves at this process's public URL."""


class SiteOwnership:
    """This process's sites (module docstring). ``url``: its public URL, which names it and
    which ``moved`` sends clients to; ``preferred``: its ``[server] sites``."""

    def __init__(self, service: QueueService, recipe: Recipe, url: str,
                 preferred: tuple[str, ...],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.url = url
        self.preferred = preferred
        self._recipe = recipe
        self._monotonic = monotonic
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ownership")
        self._connection: OwnershipConnection | None = None
        self._task: asyncio.Task[None] | None = None
        # site -> the public URL of its live owner (None: nobody holds it now).
        self.owners: dict[str, str | None] = {}
        self.view: OwnershipView | None = None
        self._ticked = asyncio.Event()
        self._tick_ended = asyncio.Condition()
        self._live_since: dict[str, float] = {}
        self._free_since: dict[str, float] = {}
        self._releasing: set[asyncio.Task[None]] = set()
        self.takeovers = 0

    # --- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Join (refused with :class:`JoinRefused` when another live process has this URL
        for :data:`JOIN_WAIT_SECONDS`), take this process's first sites, and keep ticking (a
        supervised task)."""
        deadline = self._monotonic() + JOIN_WAIT_SECONDS
        while True:
            try:
                await self._open()
                break
            except JoinRefused as refused:
                if self._monotonic() >= deadline:
                    raise
                logger.warning("%s; waiting for it to go", refused)
                await asyncio.sleep(TICK_SECONDS)
        await self._tick()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ownership")
        self.service.supervise(self._task)

    async def pause(self) -> None:
        """Stop ticking (the server is stopping): no site is taken or given up any more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def close(self) -> None:
        """Stop ticking and close the session: every lock goes. Called once the service has
        committed what was queued."""
        await self.pause()
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, connection.close)
        self._executor.shutdown(wait=False)

    async def _open(self) -> None:
        connection = OwnershipConnection(self._recipe)
        await self._run_blocking(connection.open)
        joined = await self._run_blocking(functools.partial(
            connection.join, self.url, socket.gethostname(), os.getpid(), self.preferred,
            __version__))
        if not joined:
            await self._run_blocking(connection.close)
            raise JoinRefused(f"another live qms server process already has the public URL "
                              f"{self.url!r}; each process needs its own [server] public_url")
        self._connection = connection
        logger.info("joined the server processes as %s (ownership session %s)", self.url,
                    connection.backend)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                if self._connection is None:
                    await self._open()
                await self._tick()
            except OwnershipLost as error:
                await self._lose_everything(str(error))
            except JoinRefused as error:
                # Our old session may still hold the member lock for a moment.
                logger.warning("%s; trying again", error)
            except (StoreError, SQLAlchemyError) as error:
                # The database on the other connections (reading a site back, the
                # configuration): tried again at the next look; a lock taken for a site not
                # served is given up then.
                logger.error("site ownership: %s; trying again", error)

    # --- what clients ask ----------------------------------------------------------------

    async def owner_of(self, code: str, wait: float) -> str | None:
        """The public URL of ``code``'s live owner: this process's own once it has the
        site; waits up to ``wait`` seconds for a site that has no owner right now (being
        taken over). ``None``: still no owner."""
        deadline = self._monotonic() + wait
        while True:
            if code in self.service.sites:
                return self.url
            owner = self.owners.get(code)
            if owner is not None and owner != self.url:
                return owner
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return None
            self._ticked.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ticked.wait(), min(remaining, TICK_SECONDS))

    # --- the tick ---------------------------------------------------------------------------

    async def _tick(self) -> None:
        connection = self._connection
        assert connection is not None
        configured = tuple(self.service.site_settings)
        view = await self._call(lambda: connection.view(configured))
        now = self._monotonic()
        live = [member for member in view.members if member.live]
        me = next((member for member in live if member.url == self.url), None)
        if me is None or me.backend != connection.backend:
            raise OwnershipLost("this process's member lock is no longer held")
        self._live_since = {member.url: self._live_since.get(member.url, now)
                            for member in live}
        self.view = view
        self.owners = {code: view.live_owner(code) for code in configured}
        if view.configuration_version > self.service.configuration.version:
            await self.service.configuration.follow()
        mine = connection.backend
        # Sites suspended while the database had no primary: a commit may have landed
        # unanswered, so each is read back under a new epoch, as at a takeover (below).
        for code in [code for code, runtime in self.service.sites.items()
                     if runtime.suspended is not None]:
            logger.warning("site %s: reading it back from the database after the outage", code)
            await self.service.give_up_site(code, None, wait=False,
                                            reason="the database failed over; reconnect")
        # Sites whose lock this session no longer holds: stop serving them now.
        for code in [code for code in self.service.sites if view.site_holders.get(code) != mine]:
            await self.service.give_up_site(code, self.owners.get(code), wait=False)
            logger.error("site %s: this process no longer holds it; stopped serving it", code)
        # Locks held for sites not served (removed from the configuration, dropped).
        for code, session in view.site_holders.items():
            if session == mine and code not in self.service.sites:
                await self._call(functools.partial(connection.release, code))
        preferred = preferred_owners(configured, live)
        for code in list(self.service.sites):
            target = preferred.get(code)
            if (target is not None and target.url != self.url
                    and now - self._live_since[target.url] >= HANDOFF_SECONDS):
                logger.info("site %s: handing it to its preferred process %s", code,
                            target.url)
                await self.service.give_up_site(code, target.url, wait=True)
                await self._call(functools.partial(connection.release, code))
                self.owners[code] = None
        taking = []
        for code in configured:
            if code in self.service.sites:
                self._free_since.pop(code, None)
                continue
            holder = view.site_holders.get(code)
            if holder is not None and holder != mine:
                self._free_since.pop(code, None)
                continue
            free_since = self._free_since.setdefault(code, now)
            target = preferred.get(code)
            if (target is not None and target.url == self.url) or \
                    now - free_since >= FALLBACK_SECONDS:
                taking.append(code)
        # Side by side: when a process dies, its sites' reading back overlaps (the locks are
        # still taken one at a time on the ownership connection), so the last of them is
        # served again sooner than if each waited for the one before.
        # Each finishes before a failure is raised: none is left running past this tick.
        outcomes = await asyncio.gather(*(self._take(connection, code) for code in taking),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if not any(runtime.suspended for runtime in self.service.sites.values()):
            self.service.database_restored()
        self._ticked.set()
        async with self._tick_ended:
            self._tick_ended.notify_all()

    async def next_tick(self) -> None:
        """Return once the next look at the database is done (tests wait on it)."""
        async with self._tick_ended:
            await self._tick_ended.wait()

    async def _take(self, connection: OwnershipConnection, code: str) -> None:
        settings = self.service.site_settings.get(code)
        if settings is None:
            return
        started = self._monotonic()
        today = local_date(settings, self.service.clock())
        epoch = await self._call(functools.partial(connection.take, code, self.url, today))
        if epoch is None:
            return  # another process was quicker
        try:
            await self.service.take_site(settings, epoch)
        except (StoreError, SQLAlchemyError) as error:
            logger.error("site %s: could not be read back (%s); giving it up", code, error)
            await self._call(functools.partial(connection.release, code))
            return
        self._free_since.pop(code, None)
        self.owners[code] = self.url
        self.takeovers += 1
        self._ticked.set()
        logger.info("site %s taken over (epoch %d) in %.0f ms", code, epoch,
                    (self._monotonic() - started) * 1000)

    def dropped(self, code: str) -> None:
        """``code`` was dropped outside a tick (a fenced commit): give its lock up, so that
        the next tick (here or elsewhere) takes it over afresh with a new epoch."""
        connection = self._connection
        if connection is None:
            return
        task = asyncio.get_running_loop().create_task(self._release_quietly(connection, code))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _release_quietly(self, connection: OwnershipConnection, code: str) -> None:
        try:
            await self._call(functools.partial(connection.release, code))
        except OwnershipLost as error:
            logger.warning("site %s: releasing its lock failed: %s", code, error)

    async def _lose_everything(self, reason: str) -> None:
        """The session is gone, and every lock with it: the sites are suspended (read from
        memory, no change saved) until joined again, then read back (:meth:`_tick`)."""
        if self._connection is not None:
            logger.error("the ownership connection was lost (%s): every site of this process "
                         "is suspended until the database answers again", reason)
        else:
            logger.debug("still no ownership connection: %s", reason)
        self.service.suspend_sites(reason)
        connection, self._connection = self._connection, None
        self.owners = {}
        # A call may still hang in the old thread: a new one serves the new session.
        self._executor.shutdown(wait=False)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ownership")
        if connection is not None:
            # On a thread of its own: a broken session may take a while to close.
            threading.Thread(target=connection.close, name="ownership-close",
                             daemon=True).start()

    async def _call(self, work: Callable[[], _Result]) -> _Result:
        if self._connection is None:
            raise OwnershipLost("not joined")
        return await self._run_blocking(work)

    async def _run_blocking(self, work: Callable[[], _Result]) -> _Result:
        """``work`` on the ownership thread, within :data:`CALL_SECONDS`."""
        future = asyncio.get_running_loop().run_in_executor(self._executor, work)
        try:
            return await asyncio.wait_for(future, CALL_SECONDS)
        except TimeoutError as error:
            raise OwnershipLost(f"no answer on the ownership connection within "
                                f"{CALL_SECONDS:g} s") from error
