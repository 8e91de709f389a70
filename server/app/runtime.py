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

If the database itself has no primary for a while (PostgreSQL failing over), the server
stays up: every site is *suspended* (:meth:`QueueService.suspend_sites`): it keeps serving
what it holds in memory (hellos, snapshots, events already committed) and refuses every
change with :class:`~server.store.errors.DatabaseUnavailable` (answered ``unavailable``),
until the site ownership (:mod:`server.app.ownership`), connected again to the new primary,
takes each site back with a new epoch and reads it from the database, where a commit whose
answer was lost may or may not be.

On PostgreSQL several server processes may share the database: each serves only the sites it
owns (:mod:`server.app.ownership`). Every commit carries its site's fencing epoch; a commit
for a site that another process has taken over writes nothing, and the site is dropped here
at once: its commands are refused with :class:`~server.store.errors.NotOwner` (answered
``moved``) and its connections closed, so clients go to the new owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import SQLAlchemyError

from server.app.audience import public_event_data
from server.app.citizens import CitizenConnections
from server.app.configuration import Configuration
from server.app.counter_sessions import CounterSessions
from server.app.device_registry import DeviceRegistry
from server.app.ownership import SiteOwnership
from server.app.remote_tracks import RemoteTracks
from server.app.throttle import SignInThrottle
from server.audit.journal import AuditLog
from server.audit.model import AuditEntry
from server.booking.desk import BookingDesk
from server.config import settings_document
from server.config.settings import AccountSettings, ServerSettings, Settings, SiteSettings
from server.domain import rules
from server.domain.commands import ChangeConfiguration, Command
from server.domain.errors import Forbidden, NotFound
from server.domain.model import EventName, SiteState, Ticket
from server.feedback.desk import FeedbackDesk
from server.protocol.messages import encode_data, encode_event
from server.security import track_code
from server.store.configuration import ConfigurationStore
from server.store.database import StoreError, checkpoint, writer_recipe
from server.store.errors import DatabaseUnavailable, NotOwner
from server.store.plan import WritePlan
from server.store.repository import Repository, SiteChanges, StoredEvent
from server.store.writer import WriterFenced, WriterProcess
from server.web.sessions import SessionKeeper

if TYPE_CHECKING:  # reports load openpyxl: imported on first use
    from server.app.forwarder import Forwarder
    from server.reports.service import ReportService

logger = logging.getLogger(__name__)

# Each site's latest events kept in memory, so that a resume after a short loss (or a
# failover) needs no database read; an older one reads the database. About an hour of a busy
# centre: at 1.1 KB an event (its JSON text) a province's hundred sites hold 220 MB for it;
# 5,000 held 550 MB by the end of a day (``bench/province_bench.py --seconds 1100``).
RECENT_EVENTS_KEPT = 2000
# A hello for a site being taken over waits this long for its new owner.
HELLO_OWNER_WAIT_SECONDS = 2.0


# What the audit log records of a command: made from the site's state before it and its
# outcome (server.app.session builds these for officers' and administrators' actions).
AuditMaker = Callable[[SiteState, rules.Outcome], AuditEntry | None]


class Clock(Protocol):
    """Where the server reads the time; tests pass a fixed or manual clock."""

    def __call__(self) -> datetime: ...


class PlanWriter(Protocol):
    """Where committed plans go (:class:`~server.store.writer.WriterProcess`)."""

    async def write(self, plan: WritePlan) -> list[int]: ...


class Attached(Protocol):
    """A connection that said hello at a site: it may be closed when the configuration
    changes (a revoked token, a removed site)."""

    def still_valid(self) -> bool: ...

    async def close_for(self, reason: str, moved: bool = False) -> None: ...


class Subscriber(Protocol):
    """A connection that receives a site's events: ``frame`` as staff see it, and
    ``public_frame`` as a display or kiosk does (``None``: not for them)."""

    def deliver(self, seq: int, name: str, frame: str, public_frame: str | None) -> None: ...


@dataclass(eq=False)
class _Pending:
    runtime: SiteRuntime
    changes: SiteChanges
    epoch: int
    # Each event's data as public connections receive it (None: they do not).
    public: tuple[str | None, ...]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                       .create_future())


class Committer:
    """Writes queued changes in batches, one transaction per batch, through ``writer``.

    It never stops while the server runs: a change that cannot be written is refused (its
    caller gets a :class:`StoreError`, answered ``internal``), and the next ones go on. A
    change that fails even to be *prepared* (a value the database cannot hold, a bug) is
    found among the batch and refused alone, with every later change of its site, which was
    built on it; the rest of the batch is written.
    """

    def __init__(self, repository: Repository, writer: PlanWriter) -> None:
        self.repository = repository
        self.writer = writer
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.batches = 0
        self.commands = 0
        # Told the code of a site whose commit was fenced off (another process owns it).
        self.on_fenced: Callable[[str], None] | None = None
        # Told why, when the database has no primary (a failover): the sites are suspended.
        self.on_unavailable: Callable[[DatabaseUnavailable], None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Start the committing task; the caller supervises it (it should never end)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="committer")
        return self._task

    async def stop(self) -> None:
        """Commit what is queued (the batch being written included), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        if not self._task.done():
            await asyncio.wait({self._task})
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
        try:
            await self._commit(batch)
        except Exception:
            # A bug in this very loop must not leave callers waiting forever nor stop every
            # later write: the batch is refused, the sites fall back to what was committed.
            logger.exception("saving %d commands failed unexpectedly", len(batch))
            for runtime in {item.runtime for item in batch}:
                runtime.roll_back()
        finally:
            for item in batch:
                if not item.done.done():
                    item.done.set_exception(StoreError("internal error while saving"))

    async def _commit(self, batch: list[_Pending]) -> None:
        live = []
        for item in batch:
            if item.runtime.gone is not None:
                item.done.set_exception(item.runtime.not_owner())
            elif item.runtime.suspended is not None:
                item.done.set_exception(item.runtime.unavailable())
            elif item.epoch == item.runtime.epoch:
                live.append(item)
            else:
                # Built on a state whose commit failed: refuse it, the state it saw is gone.
                item.done.set_exception(StoreError("an earlier change could not be saved"))
        try:
            plan, refused = self._prepare(live)
        except StoreError as error:
            self._refuse_all(live, error)
            return
        live = [item for item in live if item not in refused]
        try:
            while plan:
                try:
                    await self.writer.write(plan)
                    break
                except WriterFenced as fenced:
                    # Nothing was written: the rest is written without the lost site.
                    live = self._fence_off(fenced.site, live)
                    plan = self.repository.plan([item.changes for item in live
                                                 if item.changes.persisted()])
        except DatabaseUnavailable as error:
            # Refused (the batch may have been saved: in doubt), and the sites suspended
            # until they are read back from the database.
            self._refuse_all(live, error)
            for runtime in {item.runtime for item in refused}:
                runtime.roll_back()
            if self.on_unavailable is not None:
                self.on_unavailable(error)
            return
        except StoreError as error:
            self._refuse_all(live, error)
            for runtime in {item.runtime for item in refused}:
                runtime.roll_back()
            return
        self.batches += 1
        self.commands += len(live)
        for item in live:
            item.runtime.publish(item.changes, item.public)
            item.done.set_result(None)
        # After the good changes moved the committed state on: the sites of refused changes
        # continue from there, and what was queued on top of a refused change is refused.
        for runtime in {item.runtime for item in refused}:
            runtime.roll_back()
        for item, reason in refused.items():
            item.done.set_exception(reason)

    def _prepare(self, live: list[_Pending]) -> tuple[WritePlan, dict[_Pending, StoreError]]:
        """The plan of ``live``; when it cannot be made, the plan without the changes that
        cannot be prepared, each with the changes of its site that came after it."""
        try:
            return self.repository.plan([item.changes for item in live
                                         if item.changes.persisted()]), {}
        except Exception as failure:  # noqa: BLE001 - narrowed down (and logged) below
            logger.warning("preparing a batch of %d changes failed (%s); finding which",
                           len(live), failure)
        refused: dict[_Pending, StoreError] = {}
        broken_sites: set[SiteRuntime] = set()
        for item in live:
            if item.runtime in broken_sites:
                refused[item] = StoreError("an earlier change could not be saved")
                continue
            try:
                self.repository.plan([item.changes])
            except Exception as error:
                # Logged with its traceback: a value that reaches here passed every check at
                # the edge and in the rules, so it is a bug to fix.
                logger.exception("refusing a change of site %s that cannot be saved",
                                 item.runtime.settings.code)
                refused[item] = StoreError(f"the change could not be saved: {error}")
                broken_sites.add(item.runtime)
        good = [item.changes for item in live if item not in refused and item.changes.persisted()]
        return self.repository.plan(good), refused

    def _fence_off(self, site: str, live: list[_Pending]) -> list[_Pending]:
        """``site`` belongs to another process now: refuse its changes (``NotOwner``), let
        the service drop it; the changes of the other sites."""
        logger.error("site %s: the commit was fenced off (another server process owns it "
                     "now); this process stops serving it", site)
        lost = [item for item in live if item.runtime.settings.code == site]
        for runtime in {item.runtime for item in lost}:
            runtime.fenced_off()
        for item in lost:
            item.done.set_exception(NotOwner(site))
        if self.on_fenced is not None:
            self.on_fenced(site)
        return [item for item in live if item.runtime.settings.code != site]

    @staticmethod
    def _refuse_all(live: list[_Pending], error: StoreError) -> None:
        logger.error("commit of %d changes failed: %s", len(live), error)
        for runtime in {item.runtime for item in live}:
            runtime.roll_back()
        for item in live:
            item.done.set_exception(error)


class SiteRuntime:
    """One site's state, its subscribers and its recent events."""

    def __init__(
        self,
        settings: SiteSettings,
        state: SiteState,
        committer: Committer,
        clock: Clock,
        server: ServerSettings,
        fence: int = 0,
    ) -> None:
        from server.app.views import Views

        self.settings = settings
        self.committed = state
        self.working = state
        self.epoch = 0
        # The site's owner_epoch when this process took it (server.app.ownership); every
        # commit is written only while the database still holds it.
        self.fence = fence
        # Set once this process no longer serves the site (handed over, lost, fenced off):
        # every command is refused with it.
        self.gone: NotOwner | None = None
        # Set (why) while the database has no primary: changes are refused ``unavailable``
        # until the site is read back (a new runtime).
        self.suspended: str | None = None
        # Set once the site is removed from the configuration: every command is refused.
        self.removed = False
        self._in_flight: set[asyncio.Future[None]] = set()
        self.committer = committer
        self.clock = clock
        self.server = server
        self.views = Views(settings, server.secret, server.public_url, clock)
        self.subscribers: set[Subscriber] = set()
        # Every connection that said hello here (subscribed or not).
        self.sessions: set[Attached] = set()
        self.connections = 0
        self.secret = server.secret
        # Tracking code (QR on the ticket) -> ticket id, for today's tickets.
        self.tracks: dict[str, str] = {
            track_code(server.secret, ticket_id): ticket_id for ticket_id in state.tickets}
        self.recent: deque[StoredEvent] = deque(maxlen=RECENT_EVENTS_KEPT)
        # Devices whose reporting connection has gone, and since when (the dashboard's
        # "silent" devices: devices report on change, so silence shows in their connection).
        self.silent_since: dict[str, datetime] = {}

    def follow(self, settings: SiteSettings) -> None:
        """Run on ``settings`` from now on (a new configuration version): the rules, the
        views and every name follow; the state is the site's own (server.app.configuration
        checked the change fits today's queue)."""
        from server.app.views import Views

        self.settings = settings
        self.views = Views(settings, self.server.secret, self.server.public_url, self.clock)

    async def close_sessions(self, reason: str, only_revoked: bool = False,
                             moved: bool = False) -> None:
        """Close the connections here (only those whose token the settings no longer know,
        with ``only_revoked``; ``moved``: the site went to another server process)."""
        if moved and self.sessions:
            logger.info("closing %d connections of site %s: %s", len(self.sessions),
                        self.settings.code, reason)
        for session in list(self.sessions):
            if not only_revoked or not session.still_valid():
                if not moved:
                    logger.info("closing a connection of site %s: %s", self.settings.code,
                                reason)
                await session.close_for(reason, moved)

    async def execute(self, command: Command, audit: AuditMaker | None = None
                      ) -> rules.Outcome:
        """Apply ``command``; returns its outcome once committed and its events published.

        The outcome's state is the site right after this command: replies describe the
        ticket as the command left it (a printed ticket shows who was ahead *then*).
        ``audit``: what the audit log records of it, made from the state before and the
        outcome, and written in the same transaction as its events (a kiosk's ``issue``
        passes none: its events are its record).
        Raises :class:`~server.domain.errors.DomainError` (nothing changed;
        :class:`~server.domain.errors.NotFound` once the site was removed) or
        :class:`StoreError` (nothing saved; :class:`NotOwner` when another process serves
        the site now).
        """
        if self.removed:
            raise NotFound(f"site: {self.settings.code!r} was removed from the configuration")
        if self.gone is not None:
            raise self.not_owner()
        if self.suspended is not None:
            raise self.unavailable()
        if self.settings.forwarded_from_centre:
            # Its queue runs on the centre's own server; this copy only takes its events.
            raise Forbidden(f"site {self.settings.code!r} is run by its centre's own server "
                            "(forwarded_from_centre): nothing is issued or called here")
        before = self.working
        outcome = rules.apply(self.settings, before, command, self.clock())
        entry = None if audit is None else audit(before, outcome)
        await self._commit(outcome, () if entry is None else (entry,))
        return outcome

    async def roll_over(self) -> None:
        """Open the new business day if local midnight has passed (the midnight timer)."""
        if self.gone is not None:
            raise self.not_owner()
        if self.suspended is not None:
            raise self.unavailable()
        if self.settings.forwarded_from_centre:
            return  # the centre opens its days; its day.reset comes with its events
        outcome = rules.advance_day(self.settings, self.working, self.clock())
        if outcome.events:
            await self._commit(outcome)

    async def _commit(self, outcome: rules.Outcome, audit: tuple[AuditEntry, ...] = ()
                      ) -> None:
        self.working = outcome.state
        wire: list[StoredEvent] = []
        public: list[str | None] = []
        for event in outcome.events:
            data = self.views.event_data(outcome.state, event)
            wire.append(StoredEvent(self.settings.code, event.seq, event.name.value, event.at,
                                    encode_data(data)))
            shown = public_event_data(event.name.value, data)
            public.append(None if shown is None else encode_data(shown))
        item = _Pending(self, SiteChanges(outcome.state, outcome.events, tuple(wire),
                                          self.fence, audit), self.epoch, tuple(public))
        self.committer.submit(item)
        self._in_flight.add(item.done)
        try:
            await item.done
        finally:
            self._in_flight.discard(item.done)

    def not_owner(self) -> NotOwner:
        """The refusal of a command once the site is gone from this process."""
        assert self.gone is not None
        return NotOwner(self.gone.site, self.gone.owner)

    def unavailable(self) -> DatabaseUnavailable:
        """The refusal of a command while the site is suspended (nothing was tried)."""
        return DatabaseUnavailable(f"no database primary ({self.suspended}); nothing was "
                                   "saved, send it again shortly")

    def suspend(self, reason: str) -> None:
        """The database has no primary: back to what was committed (changes queued on top
        are refused), and every change refused until the site is read back."""
        if self.suspended is None:
            self.suspended = reason
            self.roll_back()

    def leave(self, owner: str | None) -> None:
        """Serve no more commands: the site goes to ``owner`` (a public URL; ``None``:
        unknown yet)."""
        if self.gone is None:
            self.gone = NotOwner(self.settings.code, owner)

    def remove(self) -> None:
        """The site left the configuration: refuse every command from now on."""
        self.removed = True

    def fenced_off(self) -> None:
        """A commit was refused because another process took the site: back to what was
        committed, and no more commands."""
        self.leave(None)
        self.roll_back()

    async def settled(self) -> None:
        """Wait until the commits in flight are done (committed or refused)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def roll_back(self) -> None:
        self.working = self.committed
        self.epoch += 1

    def publish(self, changes: SiteChanges, public: tuple[str | None, ...]) -> None:
        """Make ``changes`` visible: the committed state moves, subscribers get the events
        (``public``: each event's data for public connections, ``None`` where not theirs)."""
        if not changes.events:
            return
        self.committed = changes.state
        for event in changes.events:
            if event.name is EventName.TICKET_ISSUED:
                assert isinstance(event.subject, Ticket)
                self.tracks[track_code(self.secret, event.subject.id)] = event.subject.id
            elif event.name is EventName.DAY_RESET:
                self.tracks.clear()
        for stored, public_data in zip(changes.wire, public, strict=True):
            self.recent.append(stored)
            self.deliver(stored, public_data)

    def deliver(self, stored: StoredEvent, public_data: str | None) -> None:
        """Send a committed event to every subscriber (``public_data``: its data as public
        connections see it, ``None``: not for them)."""
        frame = self.frame(stored)
        public_frame = None if public_data is None else self.frame(stored, public_data)
        for subscriber in tuple(self.subscribers):
            try:
                subscriber.deliver(stored.seq, stored.name, frame, public_frame)
            except Exception:  # one connection must not cost the others their events
                logger.exception("dropping a subscriber that failed to take event %d",
                                 stored.seq)
                self.subscribers.discard(subscriber)

    def frame(self, stored: StoredEvent, data: str | None = None) -> str:
        """The event frame of ``stored``, with ``data`` (JSON text) instead of its own."""
        at = stored.at.astimezone(self.settings.timezone).isoformat(timespec="seconds")
        return encode_event(stored.seq, stored.name, at, stored.data if data is None else data)

    def public_frame(self, stored: StoredEvent) -> str | None:
        """The frame a public connection receives for ``stored`` (a replay), or ``None``."""
        shown = public_event_data(stored.name, json.loads(stored.data))
        return None if shown is None else self.frame(stored, encode_data(shown))

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
        accounts: Iterable[AccountSettings] = (),
    ) -> None:
        self.server = server
        self.site_settings = {site.code: site for site in sites}
        # The managers who sign in to the web pages, and their signed sessions.
        self.accounts = {account.user: account for account in accounts}
        self.web_sessions = SessionKeeper(server.secret, clock)
        # The counter terminals' sessions, to log in again without a password (a takeover).
        self.counter_sessions = CounterSessions(server.secret)
        # The configuration in force and its versions (in the database).
        self.configuration = Configuration(self, ConfigurationStore(repository.engines))
        self.repository = repository
        self.clock = clock
        # Who did what (server.audit): officers', administrators' and managers' actions.
        self.audit = AuditLog(self)
        self.writer = WriterProcess(writer_recipe(repository.engines), self._writer_lost)
        self.readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-reader")
        self.committer = Committer(repository, self.writer)
        self.committer.on_fenced = self._fenced
        self.committer.on_unavailable = self._database_unavailable
        # Why the database cannot be written now (no primary), or None (server.app.health).
        self.database_problem: str | None = None
        # Several processes on PostgreSQL: which sites this one serves (None on SQLite,
        # where one process serves every site).
        self.ownership: SiteOwnership | None = None
        self._closing: set[asyncio.Task[None]] = set()
        # Citizens' feedback (server.feedback): received, answered, contacts erased in time.
        self.feedback = FeedbackDesk(self)
        # Citizens' bookings (server.booking): booked from the phone, checked in at kiosks.
        self.bookings = BookingDesk(self)
        # Which site a tracking code is of, for the sites other processes serve.
        self.remote_tracks = RemoteTracks(self)
        # The device tokens' connections, for the administration's device list.
        self.devices = DeviceRegistry(server.secret)
        # Failed officer sign-ins, shared by every connection (and the web sign-in).
        self.sign_ins = SignInThrottle(time.monotonic)
        # The citizens' status pages connected, counted per address, ticket and site.
        self.citizens = CitizenConnections()
        # Set (to the reason) when the writer process went away: the server must stop.
        self.failed: asyncio.Future[str] | None = None
        self.sites: dict[str, SiteRuntime] = {}
        self._background: list[asyncio.Task[None]] = []
        self._purged_on: date | None = None
        self._stopping = False
        self._reports: ReportService | None = None
        # A centre's own server ([server.upstream]): what forwards its events to the province.
        self.forwarder: Forwarder | None = None

    async def start(self, seed: Settings | None = None) -> None:
        """Load the configuration (the database's; ``seed``, the file's, the first time) and
        every site (opening a new day where midnight passed while stopped)."""
        loop = asyncio.get_running_loop()
        self.failed = loop.create_future()
        await self.writer.start()
        try:
            if seed is not None:
                # The [server] table stays the file's: only sites and accounts are kept.
                document = settings_document(seed)
                document.pop("server", None)
                settings = await self.configuration.load(seed, document)
                self.site_settings = {site.code: site for site in settings.sites}
                self.accounts = {account.user: account for account in settings.accounts}
            await self._load_sites()
        except BaseException:
            if self.ownership is not None:
                await self.ownership.close()
            await self.committer.stop()
            await self.writer.stop()
            raise
        self._background = [loop.create_task(self._watch_midnight(), name="midnight"),
                            loop.create_task(self._checkpoint_wal(), name="checkpoint"),
                            loop.create_task(self.bookings.jobs.run(), name="booking-jobs")]
        if self.server.upstream is not None:
            # A centre's own server: its site's events go to the province (store and
            # forward), supervised like every task the server needs.
            from server.app.forwarder import Forwarder

            self.forwarder = Forwarder(self, self.server.upstream, self.clock)
            self._background.append(loop.create_task(self.forwarder.run(), name="forwarder"))
        for task in self._background:
            self.supervise(task)

    def supervise(self, task: asyncio.Task[None]) -> None:
        """Watch a task that must run as long as the server: if it ends (an error no one
        caught), that is logged with its traceback, and the service reports itself failed
        (:attr:`failed`, ``/health``) so that the server stops and is started again, rather
        than running on without it."""
        task.add_done_callback(self._task_ended)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled():
            return
        error = task.exception()
        reason = (f"the {task.get_name()} task stopped: {error!r}" if error is not None
                  else f"the {task.get_name()} task ended")
        logger.error("%s; the server must be restarted", reason,
                     exc_info=(type(error), error, error.__traceback__) if error else None)
        self._fail(reason)

    def _fail(self, reason: str) -> None:
        if self.failed is not None and not self.failed.done():
            self.failed.set_result(reason)

    @property
    def failure(self) -> str | None:
        """Why the service failed, or ``None`` while it is healthy."""
        if self.failed is None or not self.failed.done():
            return None
        return self.failed.result()

    async def _load_sites(self) -> None:
        self.supervise(self.committer.start())
        # Before the sites load their recent events, so nothing purged is kept in memory.
        await self.purge_old_events()
        if self.repository.engines.is_sqlite:
            for settings in self.site_settings.values():
                await self._load_site(settings)
            return
        # PostgreSQL: this process serves the sites it takes (others may serve the rest).
        self.ownership = SiteOwnership(self, writer_recipe(self.repository.engines),
                                       self.server.public_url, self.server.sites)
        await self.ownership.start()

    async def _load_site(self, settings: SiteSettings, fence: int | None = None) -> SiteRuntime:
        """Start the site of ``settings`` from what the database holds of it (a new site
        starts an empty day); ``fence``: the epoch it was taken with (None: as stored)."""
        loop = asyncio.get_running_loop()
        code = settings.code
        if fence is None:
            fence = await loop.run_in_executor(self.readers, self.repository.owner_epoch, code)
        state = await loop.run_in_executor(self.readers, self.repository.load_site, settings)
        if state is None:
            state = rules.new_site_state(settings, self.clock())
        runtime = SiteRuntime(settings, state, self.committer, self.clock, self.server, fence)
        recent = await loop.run_in_executor(
            self.readers, self.repository.read_events, code,
            max(state.seq - RECENT_EVENTS_KEPT, 0), RECENT_EVENTS_KEPT)
        runtime.recent.extend(recent)
        await runtime.roll_over()
        # Served only now: its recent events and its day are in place.
        self.sites[code] = runtime
        logger.info("site %s loaded: day %s, seq %d, %d tickets", code,
                    runtime.committed.business_date, runtime.committed.seq,
                    len(runtime.committed.tickets))
        return runtime

    async def take_site(self, settings: SiteSettings, fence: int) -> SiteRuntime:
        """Serve the site of ``settings``, taken over with epoch ``fence``: read back from
        the database as at a restart (server.app.ownership)."""
        return await self._load_site(settings, fence)

    async def give_up_site(self, code: str, owner: str | None, wait: bool,
                           reason: str = "the site moved to another server process") -> None:
        """Stop serving site ``code`` (handed to ``owner``, a public URL, or lost): its
        commands are refused ``moved`` from now on; with ``wait``, the commits in flight
        finish first; then its connections are closed (saying ``reason``), and their clients
        find the owner."""
        runtime = self.sites.pop(code, None)
        if runtime is None:
            return
        runtime.leave(owner)
        if wait:
            await runtime.settled()
        await runtime.close_sessions(reason, moved=True)

    def suspend_sites(self, reason: str) -> None:
        """The database has no primary (``reason``): every site keeps serving what it holds
        and refuses changes ``unavailable`` until the ownership reads it back from the new
        primary. Logged once per outage."""
        if self.ownership is None:
            return  # SQLite: there is no primary to lose, and nothing would read back
        if self.database_problem is None:
            self.database_problem = f"no database primary: {reason}"
            logger.error("no database primary (%s): changes are refused until it is back; "
                         "%d sites keep serving what they hold", reason, len(self.sites))
        for runtime in self.sites.values():
            runtime.suspend(reason)

    def database_restored(self) -> None:
        """A primary answers again and no site is suspended any more (logged once)."""
        if self.database_problem is not None:
            self.database_problem = None
            logger.warning("the database has a primary again: every site of this process "
                           "is read back and takes changes")

    def _database_unavailable(self, error: DatabaseUnavailable) -> None:
        self.suspend_sites(str(error).removeprefix("no database primary: "))

    def _fenced(self, code: str) -> None:
        runtime = self.sites.pop(code, None)
        if runtime is not None:
            task = asyncio.get_running_loop().create_task(
                runtime.close_sessions("the site moved to another server process",
                                       moved=True))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if self.ownership is not None:
            self.ownership.dropped(code)

    async def site_for_hello(self, code: str) -> tuple[SiteRuntime | None, str | None]:
        """The site's runtime when this process serves it; else the public URL of the
        process that does (``None``: none right now), after waiting a moment for a site
        being taken over."""
        runtime = self.sites.get(code)
        if runtime is not None or self.ownership is None:
            return runtime, None
        owner = await self.ownership.owner_of(code, HELLO_OWNER_WAIT_SECONDS)
        runtime = self.sites.get(code)
        return runtime, None if runtime is not None else owner

    def owner_url(self, code: str) -> str | None:
        """The public URL of the process serving ``code``, as last seen (``None``: none)."""
        if code in self.sites:
            return self.server.public_url
        return None if self.ownership is None else self.ownership.owners.get(code)

    async def apply_settings(self, settings: Settings, version: int) -> None:
        """Run on ``settings`` (configuration ``version``) from now on, without a restart.

        Each site whose settings changed follows them and says so with ``config.changed``
        (the others hear nothing); a new site starts; a removed one's connections are closed
        (its day was checked to be empty); connections whose token or manager the new
        settings no longer know are closed. The impacts on today's queue were weighed before
        (server.app.configuration)."""
        self.site_settings = {site.code: site for site in settings.sites}
        self.accounts = {account.user: account for account in settings.accounts}
        for code in [code for code in self.sites if code not in self.site_settings]:
            runtime = self.sites.pop(code)
            # Stopped cleanly: no new command, the commits in flight finish, then its
            # connections close saying why.
            runtime.remove()
            await runtime.settled()
            await runtime.close_sessions(f"site {code!r} was removed from the configuration")
            logger.info("site %s removed (configuration version %d)", code, version)
        for site in settings.sites:
            existing = self.sites.get(site.code)
            if existing is None and self.ownership is not None:
                continue  # a new site: the ownership timer gives it a process
            if existing is None:
                existing = await self._load_site(site)
            elif existing.settings == site:
                continue  # not this site's change: its clients need no fresh snapshot
            else:
                existing.follow(site)
            if site.forwarded_from_centre:
                continue  # its events, config.changed included, are the centre's
            await existing.execute(ChangeConfiguration(version))
        for runtime in list(self.sites.values()):
            await runtime.close_sessions("token revoked", only_revoked=True)

    async def stop(self) -> None:
        self._stopping = True
        if self.ownership is not None:
            await self.ownership.pause()
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.committer.stop()
        await self.writer.stop()
        if self.ownership is not None:
            # After the last commit: closing the session lets the sites go.
            await self.ownership.close()
        self.readers.shutdown(wait=True)
        if self._reports is not None:
            await asyncio.to_thread(self._reports.close)

    @property
    def reports(self) -> ReportService:
        """The reports of this deployment's database, on the configuration in force (made
        on first use: a server nobody asks for a report never starts its worker)."""
        if self._reports is None:
            from server.reports.service import ReportService

            assert self.configuration.settings is not None
            self._reports = ReportService(self.configuration.settings,
                                          self.repository.engines.url)
        if self.configuration.settings is not None:
            self._reports.settings = self.configuration.settings
        return self._reports

    def _writer_lost(self, reason: str) -> None:
        self._fail(reason)

    async def _watch_midnight(self) -> None:
        # Waking every 30 s is cheap and survives clock jumps that a single long timer would
        # miss; roll_over() does nothing until the local date has changed.
        while True:
            await asyncio.sleep(30)
            for runtime in list(self.sites.values()):
                try:
                    await runtime.roll_over()
                except StoreError as error:
                    logger.error("day reset of %s failed: %s", runtime.settings.code, error)
            if self.clock().date() != self._purged_on:
                await self.purge_old_events()

    async def purge_old_events(self) -> int:
        """Delete stored events older than ``event_retention_days`` (once a day and at start),
        erase feedback contacts older than ``feedback_contact_days``, and delete audit
        entries older than ``audit_retention_days``.

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
        # Feedback contacts past feedback_contact_days go in the same daily pass, and audit
        # entries past audit_retention_days.
        await self.feedback.erase_old_contacts()
        await self.audit.purge_old()
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
