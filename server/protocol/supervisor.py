"""One supervised protocol connection: a :class:`ProtocolClient` kept connected on a thread.

Every app (kiosk, counter terminal, lobby display, hardware bridge) needs the same things from
its link to the server, and :class:`ClientSupervisor` does them once:

* a private asyncio loop on a daemon thread, so neither a Qt GUI thread nor a serial-bus thread
  ever waits for the network, and the network never waits for them;
* connect and say ``hello``; after any loss connect again by itself, until
  :meth:`~ClientSupervisor.stop`, waiting a jittered, doubling back-off (:class:`Backoff`)
  between attempts, so devices restarted together do not retry together;
* with ``resume``, a reconnection's ``hello`` carries ``after`` = the last ``seq`` applied, and
  the events missed meanwhile come with the new session's snapshot; a ``gap`` answer (the
  server no longer holds them) is just the snapshot;
* liveness: a WebSocket ping every ``ping_interval_seconds`` (the server's WebSocket layer
  answers it, so the app asks for no data); no pong within ``ping_timeout_seconds`` counts as
  a lost connection, as does a request unanswered within ``request_timeout_seconds`` (the
  connection is then dropped): a hung server or a network that swallows packets behind an open
  connection is noticed, not waited on for ever;
* requests: :meth:`~ClientSupervisor.submit` from any thread (sent one at a time, in order;
  the answer is a :class:`concurrent.futures.Future`), :meth:`~ClientSupervisor.request`
  from the supervisor's own thread (concurrent);
* a :class:`SupervisorListener` told, on the supervisor's thread, of everything in order.

Listener calls, all on the supervisor's thread, one at a time::

    link_changed(CONNECTING)
    ├─ hello refused:  link_changed(REFUSED)            → back-off → link_changed(CONNECTING) …
    ├─ no connection:  link_changed(OFFLINE)            → back-off → link_changed(CONNECTING) …
    └─ hello answered: await session_opened(session)    (the snapshot, and replayed events)
                       link_changed(ONLINE)
                       event_received / snapshot_taken / pong_received …
                       link_changed(OFFLINE, ended_session=True) → back-off → CONNECTING …
    stop():            link_changed(STOPPED)            (the last call)

Event order: ``event_received`` gets events in ``seq`` order, each once. A request's events are
delivered before its result is returned or its future completed (the server sends them before
the reply). A snapshot taken at ``seq`` S (:meth:`~ClientSupervisor.refresh_snapshot`) is
delivered after every event with ``seq`` <= S and before every event with ``seq`` > S.

What a failed request means:

* :class:`NotSent`: no session was open, or it ended while the request waited its turn: the
  server never saw it.
* :class:`RequestInterrupted` (a :class:`~server.protocol.client.ConnectionLost`): sent, and
  the session ended before the reply (lost, timed out, or stopped): the server may or may not
  have applied it. ``sent_after`` is the last ``seq`` applied when it was sent; with resume,
  the events after it tell. The supervisor never sends a request again by itself.
* :class:`~server.protocol.client.RequestFailed`: the server refused it; nothing changed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from websockets.exceptions import WebSocketException

from server.protocol.client import (
    ClientError,
    ConnectionLost,
    EventMessage,
    ProtocolClient,
    RequestFailed,
)

__all__ = [
    "Backoff",
    "ClientSupervisor",
    "LinkChange",
    "LinkState",
    "NotSent",
    "RequestInterrupted",
    "SessionOpened",
    "SnapshotTaken",
    "SupervisorError",
    "SupervisorListener",
    "SupervisorSettings",
]

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")
# What makes a connection attempt fail (and be tried again after the back-off).
_CONNECT_ERRORS = (OSError, TimeoutError, WebSocketException, ClientError)


class SupervisorError(ClientError):
    """The supervisor's thread did not start."""


class NotSent(ClientError):
    """The request was not sent (no open session, or it ended first): nothing changed."""


class RequestInterrupted(ConnectionLost):
    """The session ended after the request was sent and before its reply: it may or may not
    have been applied. ``sent_after`` is the last ``seq`` applied when it was sent."""

    def __init__(self, message: str, sent_after: int) -> None:
        super().__init__(message)
        self.sent_after = sent_after


class InvalidReply(ClientError):
    """A ``hello`` or ``snapshot`` reply without its ``seq`` or ``state``."""


class LinkState(StrEnum):
    """Where the link is; see the module docstring for the order of changes."""

    CONNECTING = "connecting"
    """An attempt starts."""
    ONLINE = "online"
    """The session is open and the listener has its snapshot."""
    OFFLINE = "offline"
    """An attempt failed or the session ended; the next attempt follows the back-off."""
    REFUSED = "refused"
    """The server turned the ``hello`` down (token, site, protocol); retried like OFFLINE,
    since the configuration may be corrected on the server."""
    STOPPED = "stopped"
    """The supervisor stopped (:meth:`ClientSupervisor.stop`, or its thread ended)."""


@dataclass(frozen=True, slots=True)
class LinkChange:
    """One change of :class:`LinkState`.

    Attributes:
        state: the new state.
        reason: why, in words (OFFLINE, REFUSED, STOPPED).
        refusal: with REFUSED, the server's answer (``code``, ``message``).
        ended_session: with OFFLINE, True when this ends a session that had been opened
            (``session_opened`` was called), False for an attempt that never got that far.
        sessions: how many sessions have been opened so far (0: never connected).
        requested: with STOPPED, True when :meth:`ClientSupervisor.stop` asked for it.
    """

    state: LinkState
    reason: str = ""
    refusal: RequestFailed | None = None
    ended_session: bool = False
    sessions: int = 0
    requested: bool = False


@dataclass(frozen=True, slots=True)
class SessionOpened:
    """A ``hello`` was answered.

    Attributes:
        state: the server's snapshot (``hello`` result ``state``): the truth as of ``seq``.
        seq: the latest event included in ``state``.
        site: the site code the server answered for.
        replayed: with resume, the missed events (``seq`` <= ``seq``, in order) that came
            before the reply; ``state`` already includes them (they tell what happened).
        resumed_after: the ``after`` said in ``hello``; None on a fresh start.
        gap: the server no longer held every event after ``resumed_after``: ``state`` is all
            there is.
        number: 1 for the first session, 2 for the first reconnection, ...
        device: with a device token, the hello's ``device`` (``name``, ``profile``): the
            device's settings kept on the server, for the app to apply; None otherwise.
    """

    state: dict[str, Any] = field(repr=False)
    seq: int
    site: str
    replayed: tuple[EventMessage, ...] = ()
    resumed_after: int | None = None
    gap: bool = False
    number: int = 1
    device: dict[str, Any] | None = None

    @property
    def reconnected(self) -> bool:
        """Not the first session of this supervisor."""
        return self.number > 1


@dataclass(frozen=True, slots=True)
class SnapshotTaken:
    """A fresh snapshot asked for with :meth:`ClientSupervisor.refresh_snapshot`;
    ``device`` as in :class:`SessionOpened` (the profile as configured now)."""

    state: dict[str, Any] = field(repr=False)
    seq: int
    device: dict[str, Any] | None = None


class SupervisorListener:
    """What a :class:`ClientSupervisor` tells its app; every method runs on the supervisor's
    thread and must not block (a Qt app only queues the news for its GUI thread). The defaults
    do nothing: override what the app needs."""

    def link_changed(self, change: LinkChange) -> None:
        """The link's state changed (see the module docstring for the order)."""

    async def session_opened(self, session: SessionOpened) -> None:
        """A session opened: take the snapshot. Awaited before ONLINE and before the session's
        other events are delivered; it may make requests (:meth:`ClientSupervisor.request`)
        that must come first, such as logging the officer in again (the events that come
        before their replies are delivered before the replies, as always). Cancelled if the
        session ends meanwhile."""

    def event_received(self, event: EventMessage) -> None:
        """One live event, in ``seq`` order."""

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        """A snapshot asked for with :meth:`ClientSupervisor.refresh_snapshot`."""

    def pong_received(self, round_trip_seconds: float) -> None:
        """The server answered a liveness ping after ``round_trip_seconds``."""


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    """How the supervisor keeps its link; apps check their own options first (naming them), so
    a wrong value here is a programming error (ValueError).

    Attributes:
        resume: reconnect with ``hello`` ``after`` = the last ``seq`` applied (the counter and
            the display follow events); False takes a fresh snapshot each time (the kiosk keeps
            nothing events build up; the bridge must not blink its boards with old calls).
        reconnect_min_seconds / reconnect_max_seconds: the back-off range (:class:`Backoff`).
        reconnect_jitter: the share of each wait drawn at random (0: none).
        request_timeout_seconds: a request (the ``hello`` too) unanswered this long counts as
            a lost connection.
        ping_interval_seconds / ping_timeout_seconds: the liveness ping.
    """

    resume: bool = False
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 10.0
    reconnect_jitter: float = 0.5
    request_timeout_seconds: float = 10.0
    ping_interval_seconds: float = 5.0
    ping_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        for name in ("reconnect_min_seconds", "request_timeout_seconds",
                     "ping_interval_seconds", "ping_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds is below reconnect_min_seconds")
        if not 0 <= self.reconnect_jitter < 1:
            raise ValueError("reconnect_jitter must be from 0 up to (not including) 1")


class Backoff:
    """The waits between attempts after a failure.

    The n-th wait since the last :meth:`reset` (n = 0, 1, ...) is drawn at random between
    ``(1 - jitter)`` times and all of ``min_seconds`` x 2^n, never more than ``max_seconds``:
    with the defaults 0.25-0.5 s, 0.5-1 s, 1-2 s, ... up to 5-10 s. ``chooser`` draws the
    random share (a seeded one makes the waits repeatable).
    """

    def __init__(self, min_seconds: float, max_seconds: float, jitter: float = 0.5,
                 chooser: random.Random | None = None) -> None:
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds
        self.jitter = jitter
        self._chooser = chooser or random.Random()
        self._ceiling = min_seconds

    def next_delay(self) -> float:
        """The next wait, in seconds; each call doubles the ceiling up to ``max_seconds``."""
        ceiling = self._ceiling
        self._ceiling = min(self.max_seconds, ceiling * 2)
        return ceiling * (1 - self.jitter * self._chooser.random())

    def reset(self) -> None:
        """Start again from ``min_seconds`` (after a success)."""
        self._ceiling = self.min_seconds


@dataclass(frozen=True, slots=True)
class _Submission:
    request_type: str
    fields: dict[str, Any]
    future: concurrent.futures.Future[dict[str, Any]]


@dataclass(eq=False)
class _Session:
    """One open connection's state (supervisor thread only)."""

    ending: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    submissions: asyncio.Queue[_Submission] = field(default_factory=asyncio.Queue)
    snapshot_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    held: list[EventMessage] | None = None
    """Events held back while a snapshot request is in flight (None: none is)."""

    def end(self, reason: str) -> None:
        """Make the session end (the first reason is kept)."""
        if not self.ending.is_set():
            self.reason = reason
            self.ending.set()


class ClientSupervisor:
    """Keeps ``client`` connected on its own thread; see the module docstring for the contract.

    ``start()`` once, ``stop()`` once (from another thread than the supervisor's). The client
    is the app's own (its URL, role, token, site and subscriptions); the supervisor alone
    connects and closes it from then on. ``clock`` times the pings; ``chooser`` draws the
    back-off's jitter.
    """

    def __init__(self, client: ProtocolClient, settings: SupervisorSettings,
                 listener: SupervisorListener, *, name: str = "protocol-client",
                 clock: Callable[[], float] = time.monotonic,
                 chooser: random.Random | None = None) -> None:
        self.settings = settings
        self._client = client
        self._listener = listener
        self._clock = clock
        self._backoff = Backoff(settings.reconnect_min_seconds, settings.reconnect_max_seconds,
                                settings.reconnect_jitter, chooser)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._thread_main, name=name, daemon=True)
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._finished = False  # under _lock: the loop runs no more callbacks
        # Supervisor thread only:
        self._stop_requested = asyncio.Event()
        self._session: _Session | None = None
        self._sessions = 0
        self._applied_seq: int | None = None

    # --- any thread ---------------------------------------------------------------------------

    def start(self, timeout: float = 5.0) -> None:
        """Start the thread; it connects at once. Returns when its loop runs.

        Raises :class:`SupervisorError` if the loop is not running within ``timeout``.
        """
        self._thread.start()
        if not self._running.wait(timeout):
            raise SupervisorError(f"the thread {self._thread.name} did not start")

    def stop(self, timeout: float = 5.0) -> None:
        """End the session (a request in flight is interrupted, queued ones not sent), close the
        connection, say STOPPED and end the thread; waits at most ``timeout`` for it."""
        if not self._thread.is_alive():
            with self._lock:
                self._finished = True  # never started: later calls are refused, not queued
            return
        self.call_soon(self._begin_stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("%s did not stop within %.1f s", self._thread.name, timeout)

    @property
    def running(self) -> bool:
        """The thread is alive."""
        return self._thread.is_alive()

    def call_soon(self, callback: Callable[..., object], *arguments: object) -> bool:
        """Run ``callback(*arguments)`` on the supervisor's thread, after what was asked
        before. False (and not run) once the supervisor has stopped."""
        with self._lock:
            if self._finished:
                return False
            self._loop.call_soon_threadsafe(callback, *arguments)
            return True

    def submit(self, request_type: str, **fields: Any) -> concurrent.futures.Future[dict[str, Any]]:
        """Send a request when its turn comes: submitted requests go one at a time, in the order
        submitted (a ``login`` before the key's action). The future gets the ``result``, or
        :class:`NotSent`, :class:`RequestInterrupted` or ``RequestFailed``; it is completed
        on the supervisor's thread (where callbacks added there run)."""
        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        if not self.call_soon(self._accept, _Submission(request_type, fields, future)):
            _fail(future, NotSent("the connection is stopped"))
        return future

    def refresh_snapshot(self) -> None:
        """Take a fresh snapshot, delivered to ``snapshot_taken`` in order with the events.
        Asked again while one is on its way: one more follows. Without a session, nothing
        (the next session opens with a snapshot)."""
        self.call_soon(self._want_snapshot)

    # --- supervisor thread only ---------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """A session is open: requests are accepted (from ``session_opened`` on, until the
        session ends)."""
        return self._session is not None and not self._session.ending.is_set()

    @property
    def last_seq(self) -> int | None:
        """The ``seq`` of the last event or snapshot delivered (None before the first)."""
        return self._applied_seq

    async def request(self, request_type: str, **fields: Any) -> dict[str, Any]:
        """Send a request now and return its ``result`` (concurrent with others).

        Raises :class:`NotSent`, :class:`RequestInterrupted` or ``RequestFailed``.
        """
        session = self._session
        if session is None or session.ending.is_set():
            raise NotSent("not connected")
        result = await self._request(session, request_type, self._applied_seq or 0, fields)
        self._deliver_received(session)
        return result

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task of the current session: cancelled when the session ends.
        Ending with :class:`NotSent` or a ``ConnectionLost`` is quiet (its session is over);
        any other error is logged and ends the session. Without a session it is not run."""
        session = self._session
        if session is None or session.ending.is_set():
            work.close()
            return
        self._spawn(session, work)

    # --- the thread ---------------------------------------------------------------------------

    def _thread_main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            with self._lock:
                self._finished = True
            # Run what was asked before the flag was set: a late submit is answered NotSent.
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def _begin_stop(self) -> None:
        self._stop_requested.set()
        if self._session is not None:
            self._session.end("stopped")

    async def _main(self) -> None:
        self._running.set()
        try:
            while not self._stop_requested.is_set():
                await self._attempt()
                if self._stop_requested.is_set():
                    break
                await self._unless(self._stop_requested, asyncio.sleep(self._backoff.next_delay()))
        finally:
            await self._close_client()
            requested = self._stop_requested.is_set()
            self._emit(LinkChange(LinkState.STOPPED,
                                  "stopped" if requested else "the connection thread ended",
                                  sessions=self._sessions, requested=requested))

    async def _attempt(self) -> None:
        """One connection: open it, serve it until it ends, say why."""
        self._emit(LinkChange(LinkState.CONNECTING, sessions=self._sessions))
        after = self._applied_seq if self.settings.resume else None
        try:
            hello = await self._unless(self._stop_requested, self._hello(after))
        except RequestFailed as refusal:
            self._emit(LinkChange(LinkState.REFUSED, f"refused: {refusal}", refusal,
                                  sessions=self._sessions))
            await self._close_client()
            return
        except _CONNECT_ERRORS as error:
            self._emit(LinkChange(LinkState.OFFLINE, f"{type(error).__name__}: {error}",
                                  sessions=self._sessions))
            await self._close_client()
            return
        if hello is None:  # stopped while connecting
            return
        self._backoff.reset()
        session = self._session = _Session()
        try:
            await self._serve(session, hello, after)
        finally:
            self._session = None
            await self._end(session)
        if not self._stop_requested.is_set():
            # Said before closing: the closing handshake with a dead peer takes a while.
            self._emit(LinkChange(LinkState.OFFLINE, session.reason, ended_session=True,
                                  sessions=self._sessions))
        await self._close_client()

    async def _hello(self, after: int | None) -> dict[str, Any]:
        client = self._client
        _take_all(client)  # a reused client may still hold events of its last connection
        if after is not None:
            client.last_seq = after
        async with asyncio.timeout(client.open_timeout + self.settings.request_timeout_seconds):
            hello = await client.connect(after=after)
        _seq_and_state(hello)  # an unusable answer fails the attempt, not the session
        return hello

    async def _serve(self, session: _Session, hello: dict[str, Any], after: int | None) -> None:
        """Hand the session's snapshot to the listener, then deliver until the session ends."""
        seq, state = _seq_and_state(hello)
        if after is not None and seq < after:
            logger.warning("the server's latest event is %d, below the %d applied: its events "
                           "were reset; starting over from its snapshot", seq, after)
        replayed, live = _split(_take_all(self._client), seq)
        for event in live:  # back in the queue, in order, for the pump
            self._client.events.put_nowait(event)
        self._applied_seq = seq
        self._sessions += 1
        opened = SessionOpened(state, seq, str(hello.get("site", "")), tuple(replayed), after,
                               bool(hello.get("gap")), self._sessions, _device(hello))
        self._spawn(session, self._watch_closed(session))
        try:
            await self._unless(session.ending, self._listener.session_opened(opened))
        except ClientError as error:  # a request of the hook failed with the connection
            session.end(str(error))
        if session.ending.is_set():
            return
        for work in (self._pump(session), self._work(session), self._snapshots(session),
                     self._keep_alive(session)):
            self._spawn(session, work)
        self._emit(LinkChange(LinkState.ONLINE, sessions=self._sessions))
        await session.ending.wait()

    async def _end(self, session: _Session) -> None:
        """Stop the session's tasks (a request in flight is interrupted) and refuse the queued
        requests, in that order."""
        session.end("stopped")
        tasks = list(session.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        while not session.submissions.empty():
            _fail(session.submissions.get_nowait().future,
                  NotSent(f"the connection ended before it was sent ({session.reason})"))
        session.held = None

    async def _close_client(self) -> None:
        # The client's close_timeout bounds the handshake with a dead peer.
        try:
            await self._client.close()
        except _CONNECT_ERRORS as error:
            logger.debug("closing the connection: %s", error)

    def _emit(self, change: LinkChange) -> None:
        self._listener.link_changed(change)

    # --- session tasks --------------------------------------------------------------------

    def _spawn(self, session: _Session, work: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(work)
        session.tasks.add(task)
        task.add_done_callback(lambda done: self._task_done(session, done))

    def _task_done(self, session: _Session, task: asyncio.Task[None]) -> None:
        session.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, NotSent | ConnectionLost):
            session.end(str(error))  # the session is over already; nothing more to say
        elif error is not None:
            # A fault in the app's code or ours: start over with a new session rather than
            # carry on with a part missing.
            logger.error("a task of the connection failed; reconnecting", exc_info=error)
            session.end(f"internal error: {error!r}")

    async def _watch_closed(self, session: _Session) -> None:
        await self._client.closed.wait()
        session.end(f"connection closed (code {self._client.close_code})")

    async def _pump(self, session: _Session) -> None:
        while True:
            self._deliver(session, await self._client.events.get())

    def _deliver(self, session: _Session, event: EventMessage) -> None:
        if session.held is not None:
            session.held.append(event)
            return
        self._applied_seq = max(self._applied_seq or 0, event.seq)
        self._listener.event_received(event)

    def _deliver_received(self, session: _Session) -> None:
        """Deliver what has arrived now (a reply's events, before the reply is handed on)."""
        for event in _take_all(self._client):
            self._deliver(session, event)

    async def _keep_alive(self, session: _Session) -> None:
        interval = self.settings.ping_interval_seconds
        timeout = self.settings.ping_timeout_seconds
        while True:
            await asyncio.sleep(interval)
            sent = self._clock()
            try:
                async with asyncio.timeout(timeout):
                    await self._client.ping()
            except TimeoutError:
                session.end(f"no pong within {timeout:g} s "
                            "(the server or the network is not answering)")
                return
            except ConnectionLost:
                return  # _watch_closed ends the session
            self._listener.pong_received(self._clock() - sent)

    async def _request(self, session: _Session, request_type: str, sent_after: int,
                       fields: dict[str, Any]) -> dict[str, Any]:
        timeout = self.settings.request_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                return await self._client.request(request_type, **fields)
        except TimeoutError as error:
            reason = f"no reply to {request_type} within {timeout:g} s"
            session.end(reason)
            raise RequestInterrupted(reason, sent_after) from error
        except ConnectionLost as error:
            session.end(str(error))
            raise RequestInterrupted(f"connection lost: {error}", sent_after) from error

    def _accept(self, submission: _Submission) -> None:
        session = self._session
        if session is None or session.ending.is_set():
            _fail(submission.future, NotSent("not connected"))
            return
        session.submissions.put_nowait(submission)

    async def _work(self, session: _Session) -> None:
        """Send the submitted requests one at a time."""
        while True:
            submission = await session.submissions.get()
            if not submission.future.set_running_or_notify_cancel():
                continue  # the caller cancelled it before its turn
            sent_after = self._applied_seq or 0
            try:
                result = await self._request(session, submission.request_type, sent_after,
                                             submission.fields)
            except RequestInterrupted as error:
                submission.future.set_exception(error)
                return  # the session is ending; the rest are refused as not sent
            except RequestFailed as error:
                submission.future.set_exception(error)
                continue
            except asyncio.CancelledError:
                submission.future.set_exception(
                    RequestInterrupted(f"the session ended ({session.reason})", sent_after))
                raise
            self._deliver_received(session)
            submission.future.set_result(result)

    def _want_snapshot(self) -> None:
        if self._session is not None:
            self._session.snapshot_wanted.set()

    async def _snapshots(self, session: _Session) -> None:
        """Take each snapshot asked for, holding events back meanwhile (module contract)."""
        while True:
            await session.snapshot_wanted.wait()
            session.snapshot_wanted.clear()
            session.held = []
            try:
                result = await self._request(session, "snapshot", self._applied_seq or 0, {})
            except RequestFailed as refusal:
                logger.warning("snapshot refused: %s", refusal)
                for event in self._release(session, _take_all(self._client)):
                    self._deliver(session, event)
                continue
            except RequestInterrupted:
                return
            seq, state = _seq_and_state(result)
            earlier, later = _split(self._release(session, _take_all(self._client)), seq)
            for event in earlier:
                self._deliver(session, event)
            self._applied_seq = seq
            self._listener.snapshot_taken(SnapshotTaken(state, seq, _device(result)))
            for event in later:
                self._deliver(session, event)

    @staticmethod
    def _release(session: _Session, received: list[EventMessage]) -> list[EventMessage]:
        """End the holding; the held events, then ``received``."""
        held = session.held or []
        session.held = None
        return [*held, *received]

    async def _unless(self, event: asyncio.Event,
                      work: Coroutine[Any, Any, _Result]) -> _Result | None:
        """Run ``work``; if ``event`` is set first, cancel it and return None."""
        task = self._loop.create_task(work)
        waiter = self._loop.create_task(event.wait())
        try:
            await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return None if task.cancelled() else task.result()


def _fail(future: concurrent.futures.Future[dict[str, Any]], error: BaseException) -> None:
    """Complete a future that has not started (one the caller cancelled stays cancelled)."""
    if future.set_running_or_notify_cancel():
        future.set_exception(error)


def _take_all(client: ProtocolClient) -> list[EventMessage]:
    events: list[EventMessage] = []
    while not client.events.empty():
        events.append(client.events.get_nowait())
    return events


def _split(events: list[EventMessage], seq: int) -> tuple[list[EventMessage], list[EventMessage]]:
    """The events up to ``seq`` (a snapshot at ``seq`` includes them) and those after it."""
    return ([event for event in events if event.seq <= seq],
            [event for event in events if event.seq > seq])


def _device(result: dict[str, Any]) -> dict[str, Any] | None:
    """A reply's ``device`` object, when it has a usable one."""
    device = result.get("device")
    if not isinstance(device, dict) or not isinstance(device.get("profile", {}), dict):
        return None
    return device


def _seq_and_state(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    seq = result.get("seq")
    state = result.get("state")
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise InvalidReply(f"a reply without a seq: {result!r:.200}")
    if not isinstance(state, dict):
        raise InvalidReply("a reply without a state")
    return seq, state
