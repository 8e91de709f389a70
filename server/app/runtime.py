"""Run time of the queue: per-site state, group commit, and event fan-out.

A command is applied to the site's *working* state on the event loop (the rules are pure and
fast), then queued for the :class:`Committer`, which has every queued command written in one
transaction by the writer process (:mod:`server.store.writer`). Only after that commit are the
events published and the reply released, so a kiosk never prints a number the database does
not hold. If a commit fails, the site falls back to its last *committed* state and every
command built on the failed one is refused with ``internal``: nothing half-done is ever
visible. If the writer process itself goes, a commit may have happened or not: the service
reports itself failed (:attr:`QueueService.failed`) and the server stops, so that the next
start reads the truth back from the database (a kiosk's retried ``issue`` then gets the
ticket it may already have).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from server.config.settings import ServerSettings, SiteSettings
from server.domain import rules
from server.domain.commands import Command
from server.domain.model import Event, EventName, SiteState, Ticket
from server.protocol.messages import encode_data, encode_event
from server.security import track_code
from server.store.database import StoreError, checkpoint, writer_recipe
from server.store.plan import WritePlan
from server.store.repository import Repository, SiteChanges, StoredEvent
from server.store.writer import WriterProcess

logger = logging.getLogger(__name__)

RECENT_EVENTS_KEPT = 5000


class Clock(Protocol):
    """Where the server reads the time; tests pass a fixed or manual clock."""

    def __call__(self) -> datetime: ...


class PlanWriter(Protocol):
    """Where committed plans go (:class:`~server.store.writer.WriterProcess`)."""

    async def write(self, plan: WritePlan) -> list[int]: ...


class Subscriber(Protocol):
    """A connection that receives a site's events."""

    def deliver(self, seq: int, name: str, frame: str) -> None: ...


@dataclass(eq=False)
class _Pending:
    runtime: SiteRuntime
    changes: SiteChanges
    epoch: int
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                       .create_future())


class Committer:
    """Writes queued changes in batches, one transaction per batch, through ``writer``."""

    def __init__(self, repository: Repository, writer: PlanWriter) -> None:
        self.repository = repository
        self.writer = writer
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.batches = 0
        self.commands = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="committer")

    async def stop(self) -> None:
        """Commit what is queued (the batch being written included), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await self._task
        self._task = None

    def submit(self, item: _Pending) -> None:
        self._pending.append(item)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._commit_once()
            if self._stopping:
                return

    async def _commit_once(self) -> None:
        batch, self._pending = self._pending, []
        live = []
        for item in batch:
            if item.epoch == item.runtime.epoch:
                live.append(item)
            else:
                # Built on a state whose commit failed: refuse it, the state it saw is gone.
                item.done.set_exception(StoreError("an earlier change could not be saved"))
        to_save = [item.changes for item in live if item.changes.events]
        try:
            if to_save:
                await self.writer.write(self.repository.plan(to_save))
        except StoreError as error:
            logger.error("commit of %d changes failed: %s", len(to_save), error)
            for runtime in {item.runtime for item in live}:
                runtime.roll_back()
            for item in live:
                item.done.set_exception(error)
            return
        self.batches += 1
        self.commands += len(live)
        for item in live:
            item.runtime.publish(item.changes)
            item.done.set_result(None)


class SiteRuntime:
    """One site's state, its subscribers and its recent events."""

    def __init__(
        self,
        settings: SiteSettings,
        state: SiteState,
        committer: Committer,
        clock: Clock,
        server: ServerSettings,
    ) -> None:
        from server.app.views import Views

        self.settings = settings
        self.committed = state
        self.working = state
        self.epoch = 0
        self.committer = committer
        self.clock = clock
        self.views = Views(settings, server.secret, server.public_url)
        self.subscribers: set[Subscriber] = set()
        self.connections = 0
        self.secret = server.secret
        # Tracking code (QR on the ticket) -> ticket id, for today's tickets.
        self.tracks: dict[str, str] = {
            track_code(server.secret, ticket_id): ticket_id for ticket_id in state.tickets}
        self.recent: deque[StoredEvent] = deque(maxlen=RECENT_EVENTS_KEPT)

    async def execute(self, command: Command) -> rules.Outcome:
        """Apply ``command``; returns its outcome once committed and its events published.

        The outcome's state is the site right after this command: replies describe the
        ticket as the command left it (a printed ticket shows who was ahead *then*).
        Raises :class:`~server.domain.errors.DomainError` (nothing changed) or
        :class:`StoreError` (nothing saved).
        """
        outcome = rules.apply(self.settings, self.working, command, self.clock())
        await self._commit(outcome)
        return outcome

    async def roll_over(self) -> None:
        """Open the new business day if local midnight has passed (the midnight timer)."""
        outcome = rules.advance_day(self.settings, self.working, self.clock())
        if outcome.events:
            await self._commit(outcome)

    async def _commit(self, outcome: rules.Outcome) -> None:
        self.working = outcome.state
        wire = tuple(self._stored(outcome.state, event) for event in outcome.events)
        item = _Pending(self, SiteChanges(outcome.state, outcome.events, wire), self.epoch)
        self.committer.submit(item)
        await item.done

    def _stored(self, state: SiteState, event: Event) -> StoredEvent:
        data = encode_data(self.views.event_data(state, event))
        return StoredEvent(self.settings.code, event.seq, event.name.value, event.at, data)

    def roll_back(self) -> None:
        self.working = self.committed
        self.epoch += 1

    def publish(self, changes: SiteChanges) -> None:
        """Make ``changes`` visible: the committed state moves, subscribers get the events."""
        if not changes.events:
            return
        self.committed = changes.state
        for event in changes.events:
            if event.name is EventName.TICKET_ISSUED:
                assert isinstance(event.subject, Ticket)
                self.tracks[track_code(self.secret, event.subject.id)] = event.subject.id
            elif event.name is EventName.DAY_RESET:
                self.tracks.clear()
        for stored in changes.wire:
            self.recent.append(stored)
            frame = self.frame(stored)
            for subscriber in tuple(self.subscribers):
                subscriber.deliver(stored.seq, stored.name, frame)

    def frame(self, stored: StoredEvent) -> str:
        at = stored.at.astimezone(self.settings.timezone).isoformat(timespec="seconds")
        return encode_event(stored.seq, stored.name, at, stored.data)

    def recent_after(self, after: int) -> list[StoredEvent] | None:
        """Kept events with ``seq > after``, or ``None`` when memory no longer reaches back."""
        if after >= self.committed.seq:
            return []
        if not self.recent or self.recent[0].seq > after + 1:
            return None
        return [stored for stored in self.recent if stored.seq > after]


class QueueService:
    """All sites of a deployment, their committer, writer process and reader threads."""

    CHECKPOINT_SECONDS = 1.0

    def __init__(
        self,
        server: ServerSettings,
        sites: Iterable[SiteSettings],
        repository: Repository,
        clock: Clock,
    ) -> None:
        self.server = server
        self.site_settings = {site.code: site for site in sites}
        self.repository = repository
        self.clock = clock
        self.writer = WriterProcess(writer_recipe(repository.engines), self._writer_lost)
        self.readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-reader")
        self.committer = Committer(repository, self.writer)
        # Set (to the reason) when the writer process went away: the server must stop.
        self.failed: asyncio.Future[str] | None = None
        self.sites: dict[str, SiteRuntime] = {}
        self._background: list[asyncio.Task[None]] = []
        self._purged_on: date | None = None

    async def start(self) -> None:
        """Load every site (opening a new day where midnight passed while stopped)."""
        loop = asyncio.get_running_loop()
        self.failed = loop.create_future()
        await self.writer.start()
        try:
            await self._load_sites()
        except BaseException:
            await self.committer.stop()
            await self.writer.stop()
            raise
        self._background = [loop.create_task(self._watch_midnight(), name="midnight"),
                            loop.create_task(self._checkpoint_wal(), name="checkpoint")]

    async def _load_sites(self) -> None:
        loop = asyncio.get_running_loop()
        self.committer.start()
        # Before the sites load their recent events, so nothing purged is kept in memory.
        await self.purge_old_events()
        now = self.clock()
        for code, settings in self.site_settings.items():
            state = await loop.run_in_executor(self.readers, self.repository.load_site, settings)
            if state is None:
                state = rules.new_site_state(settings, now)
            runtime = SiteRuntime(settings, state, self.committer, self.clock, self.server)
            self.sites[code] = runtime
            recent = await loop.run_in_executor(
                self.readers, self.repository.read_events, code,
                max(state.seq - RECENT_EVENTS_KEPT, 0), RECENT_EVENTS_KEPT)
            runtime.recent.extend(recent)
            await runtime.roll_over()
            logger.info("site %s loaded: day %s, seq %d, %d tickets", code,
                        runtime.committed.business_date, runtime.committed.seq,
                        len(runtime.committed.tickets))

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.committer.stop()
        await self.writer.stop()
        self.readers.shutdown(wait=True)

    def _writer_lost(self, reason: str) -> None:
        if self.failed is not None and not self.failed.done():
            self.failed.set_result(reason)

    async def _watch_midnight(self) -> None:
        # Waking every 30 s is cheap and survives clock jumps that a single long timer would
        # miss; roll_over() does nothing until the local date has changed.
        while True:
            await asyncio.sleep(30)
            for runtime in self.sites.values():
                try:
                    await runtime.roll_over()
                except StoreError as error:
                    logger.error("day reset of %s failed: %s", runtime.settings.code, error)
            if self.clock().date() != self._purged_on:
                await self.purge_old_events()

    async def purge_old_events(self) -> int:
        """Delete stored events older than ``event_retention_days`` (once a day and at start).

        Runs in the writer process, between commits. Resume beyond what is kept answers
        ``gap``; each site's ``seq`` lives in its own row, so it never goes back.
        """
        now = self.clock()
        cutoff = now - timedelta(days=self.server.event_retention_days)
        self._purged_on = now.date()
        try:
            purged = (await self.writer.write(self.repository.purge_plan(cutoff)))[0]
        except StoreError as error:
            logger.error("purging events older than %s failed (retried tomorrow): %s",
                         cutoff.isoformat(), error)
            return 0
        if purged:
            logger.info("purged %d events older than %s", purged, cutoff.isoformat())
        return purged

    def find_track(self, track: str) -> tuple[SiteRuntime, Ticket] | None:
        """Today's ticket with tracking code ``track``, and its site."""
        for runtime in self.sites.values():
            ticket_id = runtime.tracks.get(track)
            if ticket_id is not None:
                ticket = runtime.committed.tickets.get(ticket_id)
                if ticket is not None:
                    return runtime, ticket
        return None

    async def _checkpoint_wal(self) -> None:
        loop = asyncio.get_running_loop()
        written = self.committer.commands
        while True:
            await asyncio.sleep(self.CHECKPOINT_SECONDS)
            if self.committer.commands == written:
                continue
            written = self.committer.commands
            try:
                await loop.run_in_executor(self.readers, checkpoint, self.repository.engines)
            except SQLAlchemyError as error:
                logger.warning("WAL checkpoint failed (will retry): %s", error)

    async def read_events(self, site: str, after: int, limit: int) -> list[StoredEvent]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.readers, self.repository.read_events, site,
                                          after, limit)

    async def oldest_event_seq(self, site: str) -> int | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.readers, self.repository.oldest_event_seq, site)

    async def run_blocking(self, function: Callable[..., object], *args: object) -> object:
        """Run CPU-heavy or blocking work (password hashing) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.readers, function, *args)
