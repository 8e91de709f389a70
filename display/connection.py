"""The display's link to the server: a ProtocolClient on its own thread and asyncio loop.

Qt-free. :class:`DisplayConnection` connects as a ``display`` subscribed to
``LOBBY_DISPLAY_EVENTS``, reconnects by itself with back-off, resumes after the last event it
delivered, and hands every result to ``listener`` **on its own thread**, in the order received:
:class:`SnapshotReceived`, :class:`EventReceived`, :class:`StatusChanged`. The listener must be
quick and thread-safe (the Qt bridge only queues it).

Ordering contract (what ``display.board.Board`` relies on): a snapshot taken at ``seq`` S is
delivered after every event with ``seq`` ≤ S that is delivered on its own, and before every
event with ``seq`` > S. On a (re)connect the events the server replayed (``seq`` ≤ S) travel
inside the snapshot as ``replayed``; ``announce_replayed`` is True when the display was away for
at most ``replay_announce_seconds`` (a short outage: announce what was missed).

Liveness, without asking for data: every ``ping_interval_seconds`` (5 s) the display sends a
WebSocket ping; no pong within ``ping_timeout_seconds`` (5 s) counts as a lost connection. A
ping is a control frame the server's WebSocket layer answers by itself, so the display stays
events-only (it never sends a request just to see whether the server is there), and a server
that is hung or unreachable behind a connection that stays open is noticed within 10 s; with
the board's 3 s ``stale_after_seconds`` "Mất kết nối" is on screen within about 13 s. (A
connection that drops is noticed at once.) The websockets library's own keepalive does the same
but cannot be tuned through ``ProtocolClient``, so its 20 s + 20 s stay as a backstop.

A hello the server refuses (a wrong token or site) is reported as ``REFUSED``, not ``LOST``, so
the screen can say what to do; the display keeps retrying (the token may be added to the
config).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import WebSocketException

from display.board import ConnectionStatus
from display.errors import DisplaySettingsError
from server.protocol.client import (
    ClientError,
    EventMessage,
    ProtocolClient,
    RequestFailed,
)
from server.protocol.messages import LOBBY_DISPLAY_EVENTS

__all__ = [
    "ConnectionMessage",
    "ConnectionSettings",
    "DisplayConnection",
    "EventReceived",
    "SnapshotReceived",
    "StatusChanged",
]

logger = logging.getLogger(__name__)

_CLOSE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where and how to connect; validated on construction (DisplaySettingsError).

    ``site`` may be None: the server finds the site from a device token.
    ``reply_timeout_seconds`` bounds the wait for the hello and snapshot replies.
    """

    url: str
    token: str
    site: str | None = None
    lang: str = "vi"
    open_timeout_seconds: float = 10.0
    ping_interval_seconds: float = 5.0
    ping_timeout_seconds: float = 5.0
    reply_timeout_seconds: float = 10.0
    reconnect_initial_seconds: float = 0.5
    reconnect_max_seconds: float = 10.0
    replay_announce_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise DisplaySettingsError(f"server URL must start with ws:// or wss://: {self.url}")
        if not self.token.strip():
            raise DisplaySettingsError("token: a display needs its display token")
        if self.site is not None and not self.site.strip():
            raise DisplaySettingsError("site: must not be empty (leave it out instead)")
        if self.lang not in ("vi", "en"):
            raise DisplaySettingsError(f"lang must be vi or en, got {self.lang!r}")
        for name in ("open_timeout_seconds", "ping_interval_seconds", "ping_timeout_seconds",
                     "reply_timeout_seconds", "reconnect_initial_seconds",
                     "reconnect_max_seconds"):
            if getattr(self, name) <= 0:
                raise DisplaySettingsError(f"{name} must be positive")
        if self.reconnect_max_seconds < self.reconnect_initial_seconds:
            raise DisplaySettingsError("reconnect_max_seconds is below reconnect_initial_seconds")


@dataclass(frozen=True, slots=True)
class SnapshotReceived:
    """The server's state at ``seq``; ``replayed`` holds the events of a resume it includes."""

    state: Mapping[str, Any]
    seq: int
    replayed: tuple[EventMessage, ...]
    announce_replayed: bool
    received_at: float


@dataclass(frozen=True, slots=True)
class EventReceived:
    """One live event; ``received_at`` is the connection clock's reading on arrival."""

    event: EventMessage
    received_at: float


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The link went up (``CONNECTED``), down (``LOST``) or was refused (``REFUSED``: the
    server turned the hello down, e.g. a wrong token), with the reason."""

    status: ConnectionStatus
    reason: str
    at: float


ConnectionMessage = SnapshotReceived | EventReceived | StatusChanged

# What ends a session and makes the display reconnect.
_SESSION_ERRORS = (OSError, TimeoutError, ClientError, WebSocketException)


class _SessionLost(Exception):
    """The connection ended or stopped answering (internal: ends a session)."""


class DisplayConnection:
    """Runs the display's protocol connection on its own thread (see the module contract).

    ``start`` once; ``stop`` (from any thread) ends it and waits for the thread.
    ``request_snapshot`` (any thread) asks for a fresh snapshot, as after ``day.reset``.
    ``clock`` stamps the messages (monotonic seconds) and measures the outage.
    Callables in ``pong_listeners`` are called on the connection thread with each pong's
    round-trip time in seconds (tests and the bench watch the liveness check with them).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        listener: Callable[[ConnectionMessage], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._listener = listener
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._snapshot_wanted = threading.Event()
        self._last_seq: int | None = None  # of the last event or snapshot delivered
        self._lost_at: float | None = None
        self._lost_status: ConnectionStatus | None = None
        self.pong_listeners: list[Callable[[float], None]] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the connection thread (it connects, and reconnects, by itself)."""
        if self._thread is not None:
            raise RuntimeError("DisplayConnection.start() called twice")
        self._thread = threading.Thread(target=self._run, name="display-connection", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=5.0)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits at most ``timeout``)."""
        self._stopping.set()
        self._poke()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("display connection thread did not stop within %.1f s", timeout)

    def request_snapshot(self) -> None:
        """Ask for a fresh snapshot; delivered as SnapshotReceived (in order)."""
        self._snapshot_wanted.set()
        self._poke()

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            if not self._stopping.is_set():
                # Only an unexpected error ends the thread early; the screen must not stay "live".
                self._post(StatusChanged(ConnectionStatus.LOST, "connection thread ended",
                                         self._clock()))

    def _post(self, message: ConnectionMessage) -> None:
        if isinstance(message, EventReceived):
            self._last_seq = max(self._last_seq or 0, message.event.seq)
        elif isinstance(message, SnapshotReceived):
            self._last_seq = message.seq  # lower only when the server's events were reset
        self._listener(message)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._ready.set()
        delay = self.settings.reconnect_initial_seconds
        while not self._stopping.is_set():
            reason = "stopped"
            connected = False
            status = ConnectionStatus.LOST
            client = ProtocolClient(self.settings.url, "display", self.settings.token,
                                    self.settings.site, lang=self.settings.lang,
                                    subscribe=list(LOBBY_DISPLAY_EVENTS),
                                    open_timeout=self.settings.open_timeout_seconds)
            try:
                await self._hello(client)
                connected = True
                await self._serve(client)
            except RequestFailed as error:
                reason = f"refused: {error}"
                if not connected:  # the hello itself was turned down
                    status = ConnectionStatus.REFUSED
                logger.error("server refused the display: %s", error)
            except _SessionLost as error:
                reason = str(error)
                logger.warning("connection lost: %s", reason)
            except _SESSION_ERRORS as error:
                reason = f"{type(error).__name__}: {error}"
                logger.warning("cannot reach %s: %s", self.settings.url, reason)
            finally:
                if not self._stopping.is_set():
                    # Said before closing: the closing handshake with a dead peer takes seconds.
                    self._report_down(status, reason, connected)
                await _close_quietly(client)
            if self._stopping.is_set():
                break
            if connected:
                delay = self.settings.reconnect_initial_seconds
            await self._wait(delay)
            delay = min(delay * 2, self.settings.reconnect_max_seconds)

    def _report_down(self, status: ConnectionStatus, reason: str, connected: bool) -> None:
        now = self._clock()
        if connected or self._lost_at is None:
            self._lost_at = now
        if connected or status is not self._lost_status:
            # A retry that fails the same way as the last one changes nothing on screen.
            self._lost_status = status
            self._post(StatusChanged(status, reason, now))

    async def _wait(self, seconds: float) -> None:
        """Back-off that a stop (or snapshot request) cuts short."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
        self._snapshot_wanted.clear()  # the reconnect brings a snapshot anyway

    async def _hello(self, client: ProtocolClient) -> None:
        after = self._last_seq
        if after is not None:
            client.last_seq = after
        async with asyncio.timeout(self.settings.open_timeout_seconds
                                   + self.settings.reply_timeout_seconds):
            result = await client.connect(after=after)
        seq = _seq(result)
        if after is not None and seq < after:
            logger.warning("server's latest event is %d, below the %d seen: its events were "
                           "reset; starting over from its snapshot", seq, after)
            client.last_seq = seq
        now = self._clock()
        earlier, later = _split(_drain(client), seq)
        announce = (after is not None and self._lost_at is not None
                    and now - self._lost_at <= self.settings.replay_announce_seconds)
        self._post(SnapshotReceived(_state(result), seq, tuple(earlier), announce, now))
        self._post(StatusChanged(ConnectionStatus.CONNECTED, "", now))
        logger.info("connected to %s as a display of %s (seq %d%s)", self.settings.url,
                    self.settings.site, seq,
                    f", {len(earlier)} replayed" if after is not None else "")
        self._lost_at = None
        self._lost_status = None
        for event in later:
            self._post(EventReceived(event, now))

    async def _serve(self, client: ProtocolClient) -> None:
        """Deliver events until the connection is lost (_SessionLost) or a stop is asked."""
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        wake = self._wake
        getter: asyncio.Task[EventMessage] | None = None
        closed = loop.create_task(client.closed.wait())
        woken = loop.create_task(wake.wait())
        pinger = loop.create_task(self._keep_alive(client))
        try:
            while True:
                if self._stopping.is_set():
                    return
                if self._snapshot_wanted.is_set():
                    self._snapshot_wanted.clear()
                    await self._refresh(client, getter)
                    getter = None
                if getter is None:
                    getter = loop.create_task(client.events.get())
                done, _ = await asyncio.wait((getter, closed, woken, pinger),
                                             return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    event = getter.result()
                    getter = None
                    self._post(EventReceived(event, self._clock()))
                    continue
                if woken in done:
                    wake.clear()
                    woken = loop.create_task(wake.wait())
                    continue
                if closed in done:
                    raise _SessionLost(f"connection closed (code {client.close_code})")
                pinger.result()  # it only ends by raising (no pong, or the connection closed)
        finally:
            for task in (getter, closed, woken, pinger):
                if task is not None:
                    task.cancel()

    async def _keep_alive(self, client: ProtocolClient) -> None:
        """Ping every ping_interval_seconds; raise _SessionLost when a pong is late."""
        while True:
            await asyncio.sleep(self.settings.ping_interval_seconds)
            sent = self._clock()
            try:
                async with asyncio.timeout(self.settings.ping_timeout_seconds):
                    await client.ping()
            except TimeoutError as error:
                raise _SessionLost(f"no pong within {self.settings.ping_timeout_seconds:g} s "
                                   f"(the server or the network is not answering)") from error
            for listener in self.pong_listeners:
                listener(self._clock() - sent)

    async def _refresh(
        self, client: ProtocolClient, getter: asyncio.Task[EventMessage] | None
    ) -> None:
        """Ask for a snapshot; deliver queued events around it in seq order (module contract)."""
        pending: list[EventMessage] = []
        if getter is not None:
            if getter.done():
                pending.append(getter.result())
            else:
                getter.cancel()  # an item not yet taken stays in the queue
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
        try:
            async with asyncio.timeout(self.settings.reply_timeout_seconds):
                result = await client.request("snapshot")
        except TimeoutError as error:
            raise _SessionLost(f"no reply to a snapshot request within "
                               f"{self.settings.reply_timeout_seconds:g} s") from error
        now = self._clock()
        seq = _seq(result)
        earlier, later = _split([*pending, *_drain(client)], seq)
        for event in earlier:
            self._post(EventReceived(event, now))
        self._post(SnapshotReceived(_state(result), seq, (), False, now))
        for event in later:
            self._post(EventReceived(event, now))


async def _close_quietly(client: ProtocolClient) -> None:
    # A dead peer would hold the closing handshake for websockets' close timeout (10 s).
    with contextlib.suppress(TimeoutError, *_SESSION_ERRORS):
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await client.close()


def _drain(client: ProtocolClient) -> list[EventMessage]:
    events: list[EventMessage] = []
    while not client.events.empty():
        events.append(client.events.get_nowait())
    return events


def _split(
    events: list[EventMessage], seq: int
) -> tuple[list[EventMessage], list[EventMessage]]:
    return ([event for event in events if event.seq <= seq],
            [event for event in events if event.seq > seq])


def _seq(result: Mapping[str, Any]) -> int:
    seq = result.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise _SessionLost(f"reply without a seq: {dict(result)!r:.200}")
    return seq


def _state(result: Mapping[str, Any]) -> Mapping[str, Any]:
    state = result.get("state")
    if not isinstance(state, Mapping):
        raise _SessionLost("reply without a state")
    return state
