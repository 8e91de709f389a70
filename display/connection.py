"""The display's link to the server: a supervised ProtocolClient on its own thread.

Qt-free. :class:`DisplayConnection` connects as a ``display`` subscribed to
``LOBBY_DISPLAY_EVENTS`` under a :class:`~server.protocol.supervisor.ClientSupervisor`, which
reconnects by itself with back-off, resumes after the last event delivered, and pings. Every
result goes to ``listener`` **on the connection thread**, in the order received:
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
connection that drops is noticed at once.)

A hello the server refuses (a wrong token or site) is reported as ``REFUSED``, not ``LOST``, so
the screen can say what to do; the display keeps retrying (the token may be added to the
config).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from display.board import ConnectionStatus
from display.errors import DisplaySettingsError
from server import __version__
from server.protocol.client import EventMessage, ProtocolClient
from server.protocol.messages import LOBBY_DISPLAY_EVENTS
from server.protocol.supervisor import (
    ClientSupervisor,
    LinkChange,
    LinkState,
    SessionOpened,
    SnapshotTaken,
    SupervisorListener,
    SupervisorSettings,
)

__all__ = [
    "ConnectionMessage",
    "ConnectionSettings",
    "DisplayConnection",
    "EventReceived",
    "SnapshotReceived",
    "StatusChanged",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where and how to connect; validated on construction (DisplaySettingsError).

    ``site`` may be None: the server finds the site from a device token.
    ``request_timeout_seconds`` bounds the wait for the hello and snapshot replies.
    ``reconnect_min_seconds`` / ``reconnect_max_seconds``: the back-off range (jittered,
    doubling; the same names in every app).
    """

    url: str
    token: str
    site: str | None = None
    lang: str = "vi"
    open_timeout_seconds: float = 10.0
    ping_interval_seconds: float = 5.0
    ping_timeout_seconds: float = 5.0
    request_timeout_seconds: float = 10.0
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 10.0
    replay_announce_seconds: float = 60.0
    # A wss:// server's certificate is checked against this CA alone; None: the system's.
    ca_file: str | None = None

    def __post_init__(self) -> None:
        # One address, or the server processes of a deployment separated by commas.
        for address in self.url.split(",") if self.url.strip(", ") else [self.url]:
            if not address.strip().startswith(("ws://", "wss://")):
                raise DisplaySettingsError(f"server URL must start with ws:// or wss://: "
                                           f"{address.strip()}")
        if not self.token.strip():
            raise DisplaySettingsError("token: a display needs its display token")
        if self.site is not None and not self.site.strip():
            raise DisplaySettingsError("site: must not be empty (leave it out instead)")
        if self.lang not in ("vi", "en"):
            raise DisplaySettingsError(f"lang must be vi or en, got {self.lang!r}")
        for name in ("open_timeout_seconds", "ping_interval_seconds", "ping_timeout_seconds",
                     "request_timeout_seconds", "reconnect_min_seconds",
                     "reconnect_max_seconds"):
            if getattr(self, name) <= 0:
                raise DisplaySettingsError(f"{name} must be positive")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise DisplaySettingsError("reconnect_max_seconds is below reconnect_min_seconds")

    def supervisor_settings(self) -> SupervisorSettings:
        """How the display's link is kept: resumed, pinged, with these timings."""
        return SupervisorSettings(
            resume=True, reconnect_min_seconds=self.reconnect_min_seconds,
            reconnect_max_seconds=self.reconnect_max_seconds,
            request_timeout_seconds=self.request_timeout_seconds,
            ping_interval_seconds=self.ping_interval_seconds,
            ping_timeout_seconds=self.ping_timeout_seconds)


@dataclass(frozen=True, slots=True)
class SnapshotReceived:
    """The server's state at ``seq``; ``replayed`` holds the events of a resume it includes;
    ``device``: the display's name and profile as the server keeps them (None: not told)."""

    state: Mapping[str, Any]
    seq: int
    replayed: tuple[EventMessage, ...]
    announce_replayed: bool
    received_at: float
    device: Mapping[str, Any] | None = None


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


class DisplayConnection(SupervisorListener):
    """Runs the display's protocol connection on its own thread (see the module contract).

    ``start`` once; ``stop`` (from any thread) ends it and waits for the thread.
    ``request_snapshot`` (any thread) asks for a fresh snapshot, as after ``day.reset``.
    ``clock`` stamps the messages (monotonic seconds) and measures the outage.
    Callables in ``pong_listeners`` are called on the connection thread with each pong's
    round-trip time in seconds (tests and the bench watch the liveness check with them).
    The :class:`SupervisorListener` methods are the supervisor's, called on that thread.
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
        client = ProtocolClient(settings.url, "display", settings.token, settings.site,
                                lang=settings.lang, subscribe=list(LOBBY_DISPLAY_EVENTS),
                                open_timeout=settings.open_timeout_seconds,
                                version=__version__, ca_file=settings.ca_file)
        self._supervisor = ClientSupervisor(client, settings.supervisor_settings(), self,
                                            name="display-connection", clock=clock)
        self._started = False
        self._stopping = threading.Event()
        # Connection thread only:
        self._lost_at: float | None = None
        self._lost_status: ConnectionStatus | None = None
        self.pong_listeners: list[Callable[[float], None]] = []

    @property
    def running(self) -> bool:
        return self._supervisor.running

    def start(self) -> None:
        """Start the connection thread (it connects, and reconnects, by itself)."""
        if self._started:
            raise RuntimeError("DisplayConnection.start() called twice")
        self._started = True
        self._supervisor.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits at most ``timeout``)."""
        self._stopping.set()
        self._supervisor.stop(timeout)

    def request_snapshot(self) -> None:
        """Ask for a fresh snapshot; delivered as SnapshotReceived (in order)."""
        self._supervisor.refresh_snapshot()

    # --- the supervisor's calls, on the connection thread ----------------------------------

    def link_changed(self, change: LinkChange) -> None:
        if change.state is LinkState.ONLINE:
            self._listener(StatusChanged(ConnectionStatus.CONNECTED, "", self._clock()))
        elif change.state is LinkState.REFUSED:
            logger.error("server refused the display: %s", change.refusal)
            self._report_down(ConnectionStatus.REFUSED, change.reason, change.ended_session)
        elif change.state is LinkState.OFFLINE:
            if change.ended_session:
                logger.warning("connection lost: %s", change.reason)
            else:
                logger.warning("cannot reach %s: %s", self.settings.url, change.reason)
            self._report_down(ConnectionStatus.LOST, change.reason, change.ended_session)
        elif change.state is LinkState.STOPPED and not self._stopping.is_set():
            # Only an unexpected error ends the thread early; the screen must not stay "live".
            self._listener(StatusChanged(ConnectionStatus.LOST, "connection thread ended",
                                         self._clock()))

    def _report_down(self, status: ConnectionStatus, reason: str, connected: bool) -> None:
        now = self._clock()
        if connected or self._lost_at is None:
            self._lost_at = now
        if connected or status is not self._lost_status:
            # A retry that fails the same way as the last one changes nothing on screen.
            self._lost_status = status
            self._listener(StatusChanged(status, reason, now))

    async def session_opened(self, session: SessionOpened) -> None:
        now = self._clock()
        resumed = session.resumed_after is not None
        announce = (resumed and self._lost_at is not None
                    and now - self._lost_at <= self.settings.replay_announce_seconds)
        self._listener(SnapshotReceived(session.state, session.seq, session.replayed, announce,
                                        now, session.device))
        logger.info("connected to %s as a display of %s (seq %d%s)", self.settings.url,
                    session.site, session.seq,
                    f", {len(session.replayed)} replayed" if resumed else "")
        self._lost_at = None
        self._lost_status = None

    def event_received(self, event: EventMessage) -> None:
        self._listener(EventReceived(event, self._clock()))

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        self._listener(SnapshotReceived(snapshot.state, snapshot.seq, (), False, self._clock(),
                                        snapshot.device))

    def pong_received(self, round_trip_seconds: float) -> None:
        for listener in self.pong_listeners:
            listener(round_trip_seconds)
