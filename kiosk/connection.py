"""The kiosk's server connection: a supervised protocol client on its own thread.

:class:`ServerConnection` runs :class:`~server.protocol.client.ProtocolClient` under a
:class:`~server.protocol.supervisor.ClientSupervisor` (a private event loop on a daemon
thread), so neither the Qt GUI thread nor the network ever waits for the other. Its public
methods are thread-safe and return at once; results go to a :class:`ConnectionListener`, called
**on the connection thread** (the Qt side turns the calls into queued signals).

What it guarantees:

- It connects, and reconnects after any loss with a jittered, doubling back-off
  (``reconnect_min_seconds`` .. ``reconnect_max_seconds``), by itself, forever. A WebSocket
  ping every 5 s notices a server that stopped answering behind an open connection.
- Every (re)connection starts from the ``hello`` snapshot, so the menu is whole again at once.
  It does not replay missed events (``after``): the kiosk keeps no state that events build up,
  and a long outage would replay thousands of events only to take a snapshot anyway.
- An ``issue`` (or a ``check_in``: a press too) stays pending until the server answers it.
  If the connection is lost, or the reply takes longer than ``request_timeout_seconds`` (the
  connection is then dropped), the
  same request — same ``request_key`` — is sent again after reconnecting; the server returns
  the same ticket for it. Each pending press is answered to the listener exactly once.
- Retry-able refusals (``internal``: nothing was saved; ``rate_limited``; ``moved``: the site
  went to another server process, nothing was saved, and the press goes to that process once
  reconnected; ``unavailable``: the database has no primary for now, and the same press,
  which may have been saved, gets its ticket once it has one) are retried with back-off; any
  other refusal is final and reported.
- A ``bookings`` lookup (an ID card's number) is asked once: its answer, refusal or a lost
  connection is reported, never retried (the citizen scans again). The number is held only
  while the request is out and never logged.
- Device reports keep the latest status per device and are re-sent after every reconnect, so a
  fault seen while the server was down still reaches it.
- Events (``ticket.``, ``counter.``, ``day.``) trigger a ``snapshot`` refresh, at most one per
  ``refresh_min_seconds``; :meth:`ServerConnection.refresh_snapshot` takes one at once (the
  opening hours' next change, which no event announces).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.models.status import ConnectionState
from kiosk.settings import SUBSCRIBED_EVENTS, KioskSettings
from server import __version__
from server.protocol.client import ConnectionLost, EventMessage, ProtocolClient, RequestFailed
from server.protocol.supervisor import (
    Backoff,
    ClientSupervisor,
    LinkChange,
    LinkState,
    NotSent,
    SessionOpened,
    SnapshotTaken,
    SupervisorListener,
)

logger = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset({"internal", "rate_limited", "moved", "unavailable"})
"""Refusals after which the same request may simply be sent again."""

ClientFactory = Callable[[KioskSettings], ProtocolClient]
"""Makes the one protocol client the connection uses (tests give a client that loses replies)."""


def make_client(settings: KioskSettings) -> ProtocolClient:
    """The ordinary client: role ``kiosk``, subscribed to the events that change the menu."""
    return ProtocolClient(settings.server_url, "kiosk", settings.token, settings.site,
                          lang="vi", subscribe=list(SUBSCRIBED_EVENTS),
                          open_timeout=settings.request_timeout_seconds, version=__version__,
                          ca_file=settings.ca_file)


@dataclass(frozen=True)
class DeviceReport:
    """One ``device_status`` request: ``status`` is a protocol value (``paper_out`` ...)."""

    device: str
    kind: str
    status: str
    message: str | None = None


class ConnectionListener(Protocol):
    """Receives the connection's results, on the connection thread."""

    def connection_changed(self, state: ConnectionState,
                           snapshot: Mapping[str, Any] | None) -> None:
        """ONLINE comes with the ``hello`` snapshot (``state``); OFFLINE with None."""

    def snapshot_received(self, snapshot: Mapping[str, Any]) -> None:
        """A fresh ``state`` after events."""

    def issue_confirmed(self, request_key: str, ticket: Mapping[str, Any]) -> None:
        """The server issued (or, on a retry, returned) the ticket for ``request_key`` (an
        ``issue`` or a ``check_in``)."""

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        """The server refused ``request_key`` for good (``closed``, ``bad_request`` ...)."""

    # Optional (a listener without them is not told): ``bookings_found(lookup_id, bookings)``
    # with the ``bookings`` list, and ``bookings_failed(lookup_id, code, message)``.

    # Optional (a listener without it is not told): ``profile_received(device)`` with the
    # ``device`` object (``name``, ``profile``) of every hello and snapshot that has one.


@dataclass(frozen=True)
class _IssueRequest:
    """A press: ``issue`` of ``service``, or ``check_in`` of the booking ``code``."""

    request_key: str
    service: str
    priority: str | None
    birth_date: str | None = None
    code: str | None = None

    @property
    def request_type(self) -> str:
        return "issue" if self.code is None else "check_in"

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"request_key": self.request_key}
        if self.code is None:
            fields.update(service=self.service, priority=self.priority)
        else:
            fields["code"] = self.code
        if self.birth_date is not None:
            fields["birth_date"] = self.birth_date
        return fields


@dataclass(frozen=True)
class _Lookup:
    lookup_id: str
    id_number: str

    def __repr__(self) -> str:  # the number is personal data
        return f"_Lookup({self.lookup_id})"


class ServerConnection(SupervisorListener):
    """See the module docstring. ``start()`` once, ``stop()`` once. The
    :class:`SupervisorListener` methods are the supervisor's, called on its thread."""

    def __init__(self, settings: KioskSettings, listener: ConnectionListener,
                 client_factory: ClientFactory = make_client) -> None:
        self._settings = settings
        self._listener = listener
        self._supervisor = ClientSupervisor(client_factory(settings),
                                            settings.supervisor_settings(), self,
                                            name="kiosk-connection")
        # Connection thread only:
        self._pending: dict[str, _IssueRequest] = {}
        self._in_flight: set[str] = set()
        self._reports: dict[str, DeviceReport] = {}
        self._refresh_planned = False

    # --- thread-safe API ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; it connects at once."""
        self._supervisor.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits at most ``timeout`` seconds)."""
        self._supervisor.stop(timeout)

    def issue(self, request_key: str, service: str, priority: str | None,
              birth_date: str | None = None) -> None:
        """Take a number; keeps trying with ``request_key`` until the server answers.
        ``birth_date`` (``YYYY-MM-DD``, from an ID card) lets the server apply its age rule."""
        self._call(self._add_issue, _IssueRequest(request_key, service, priority, birth_date))

    def check_in(self, request_key: str, code: str, birth_date: str | None = None) -> None:
        """Check the booking ``code`` in; a press like :meth:`issue` (same key on every try,
        answered once to ``issue_confirmed`` / ``issue_refused``)."""
        self._call(self._add_issue, _IssueRequest(request_key, "", None, birth_date, code))

    def find_bookings(self, lookup_id: str, id_number: str) -> None:
        """Ask once for the bookings of an ID number; the answer goes to the listener's
        ``bookings_found`` or ``bookings_failed`` with ``lookup_id``."""
        self._call(self._add_lookup, _Lookup(lookup_id, id_number))

    def report_device(self, report: DeviceReport) -> None:
        """Tell the server a device's status (sent now, and again after each reconnect)."""
        self._call(self._add_report, report)

    def refresh_snapshot(self) -> None:
        """Take a fresh snapshot (an opening or closing time has come); it reaches the
        listener's ``snapshot_received``. Without a connection, nothing: the next one starts
        from a snapshot anyway."""
        self._supervisor.refresh_snapshot()

    def _call(self, callback: Callable[[Any], None], argument: object) -> None:
        """Run ``callback(argument)`` on the connection thread; dropped once stopped."""
        if not self._supervisor.call_soon(callback, argument):
            logger.debug("connection stopped; dropped %r", argument)

    @property
    def running(self) -> bool:
        """The thread is alive."""
        return self._supervisor.running

    # --- the supervisor's calls, on the connection thread ---------------------------------

    def link_changed(self, change: LinkChange) -> None:
        if change.state is LinkState.ONLINE:
            logger.info("connected to %s", self._settings.server_url)
            return
        if change.state is LinkState.REFUSED:
            logger.error("the server refused this kiosk (%s); check --token and --site",
                         change.refusal)
        elif change.state is LinkState.OFFLINE and change.ended_session:
            logger.warning("lost the connection to %s: %s", self._settings.server_url,
                           change.reason)
        elif change.state is LinkState.OFFLINE:
            logger.info("cannot reach %s: %s", self._settings.server_url, change.reason)
        else:
            return
        self._listener.connection_changed(ConnectionState.OFFLINE, None)

    async def session_opened(self, session: SessionOpened) -> None:
        self._tell_profile(session.device)
        self._listener.connection_changed(ConnectionState.ONLINE, session.state)
        for request in list(self._pending.values()):
            self._send_issue(request)
        for report in list(self._reports.values()):
            self._supervisor.spawn(self._report(report))

    def event_received(self, event: EventMessage) -> None:
        if not self._refresh_planned:
            self._refresh_planned = True
            self._supervisor.spawn(self._refresh_soon())

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        self._tell_profile(snapshot.device)
        self._listener.snapshot_received(snapshot.state)

    def _tell_profile(self, device: Mapping[str, Any] | None) -> None:
        """The device's profile, before the snapshot it came with (its zone filters it)."""
        told = getattr(self._listener, "profile_received", None)
        if device is not None and told is not None:
            told(device)

    # issue ---------------------------------------------------------------------------------

    def _add_issue(self, request: _IssueRequest) -> None:
        self._pending[request.request_key] = request
        if self._supervisor.connected:
            self._send_issue(request)

    def _send_issue(self, request: _IssueRequest) -> None:
        if request.request_key not in self._in_flight:
            self._in_flight.add(request.request_key)
            self._supervisor.spawn(self._issue(request))

    async def _issue(self, request: _IssueRequest) -> None:
        """Until answered; a lost connection ends this task, and the next session sends the
        press again (it stays in ``_pending``)."""
        backoff = Backoff(self._settings.reconnect_min_seconds,
                          self._settings.reconnect_max_seconds)
        try:
            while request.request_key in self._pending:
                try:
                    result = await self._supervisor.request(request.request_type,
                                                            **request.fields())
                except RequestFailed as failure:
                    if failure.code in RETRYABLE_CODES:
                        logger.warning("issue %s: %s; retrying", request.request_key, failure)
                        await asyncio.sleep(backoff.next_delay())
                        continue
                    self._pending.pop(request.request_key, None)
                    logger.warning("issue %s refused: %s", request.request_key, failure)
                    self._listener.issue_refused(request.request_key, failure.code,
                                                 failure.message)
                    return
                except ConnectionLost as lost:
                    logger.info("issue %s: %s; sent again after reconnecting",
                                request.request_key, lost)
                    return
                if self._pending.pop(request.request_key, None) is not None:
                    self._listener.issue_confirmed(request.request_key, result["ticket"])
                return
        finally:
            self._in_flight.discard(request.request_key)

    # bookings lookup --------------------------------------------------------------------------

    def _add_lookup(self, lookup: _Lookup) -> None:
        if self._supervisor.connected:
            self._supervisor.spawn(self._lookup(lookup))
        else:
            self._tell_lookup_failed(lookup.lookup_id, "offline", "not connected")

    async def _lookup(self, lookup: _Lookup) -> None:
        """Once; whatever ends it (a refusal, a lost connection, the session's end cancelling
        this task) is reported, so the kiosk never waits forever."""
        told = False
        try:
            result = await self._supervisor.request("bookings", id_number=lookup.id_number)
            found = getattr(self._listener, "bookings_found", None)
            told = True
            if found is not None:
                found(lookup.lookup_id, result.get("bookings"))
        except RequestFailed as failure:
            logger.warning("bookings lookup %s refused: %s", lookup.lookup_id, failure.code)
            told = True
            self._tell_lookup_failed(lookup.lookup_id, failure.code, failure.message)
        except (ConnectionLost, NotSent) as lost:
            logger.info("bookings lookup %s: %s", lookup.lookup_id, lost)
        finally:
            if not told:
                self._tell_lookup_failed(lookup.lookup_id, "offline", "the connection ended")

    def _tell_lookup_failed(self, lookup_id: str, code: str, message: str) -> None:
        failed = getattr(self._listener, "bookings_failed", None)
        if failed is not None:
            failed(lookup_id, code, message)

    # device reports -------------------------------------------------------------------------

    def _add_report(self, report: DeviceReport) -> None:
        self._reports[report.device] = report
        if self._supervisor.connected:
            self._supervisor.spawn(self._report(report))

    async def _report(self, report: DeviceReport) -> None:
        try:
            await self._supervisor.request("device_status", device=report.device,
                                           kind=report.kind, status=report.status,
                                           message=report.message)
        except RequestFailed as failure:
            logger.warning("device status %s=%s refused: %s", report.device, report.status,
                           failure)

    # menu refresh ---------------------------------------------------------------------------

    async def _refresh_soon(self) -> None:
        """One snapshot for a burst of events: let it settle first."""
        try:
            await asyncio.sleep(self._settings.refresh_min_seconds)
        finally:
            self._refresh_planned = False
        self._supervisor.refresh_snapshot()
