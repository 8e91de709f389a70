"""The kiosk's server connection: the asyncio protocol client on its own thread.

:class:`ServerConnection` runs :class:`~server.protocol.client.ProtocolClient` in a private
event loop on a daemon thread, so neither the Qt GUI thread nor the network ever waits for the
other. Its public methods are thread-safe and return at once; results go to a
:class:`ConnectionListener`, called **on the connection thread** (the Qt side turns the calls
into queued signals).

What it guarantees:

- It connects, and reconnects after any loss with a doubling back-off
  (``reconnect_min_seconds`` .. ``reconnect_max_seconds``), by itself, forever.
- Every (re)connection starts from the ``hello`` snapshot, so the menu is whole again at once.
  It does not replay missed events (``after``): the kiosk keeps no state that events build up,
  and a long outage would replay thousands of events only to take a snapshot anyway.
- An ``issue`` stays pending until the server answers it. If the connection is lost, or the
  reply takes longer than ``request_timeout_seconds`` (the connection is then dropped), the
  same request — same ``request_key`` — is sent again after reconnecting; the server returns
  the same ticket for it. Each pending press is answered to the listener exactly once.
- Retry-able refusals (``internal``: nothing was saved; ``rate_limited``) are retried with
  back-off; any other refusal is final and reported.
- Device reports keep the latest status per device and are re-sent after every reconnect, so a
  fault seen while the server was down still reaches it.
- Events (``ticket.``, ``counter.``, ``day.``) trigger a ``snapshot`` refresh, at most one per
  ``refresh_min_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from websockets.exceptions import WebSocketException

from kiosk.models.status import ConnectionState
from kiosk.settings import SUBSCRIBED_EVENTS, KioskSettings
from server.protocol.client import ClientError, ConnectionLost, ProtocolClient, RequestFailed

logger = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset({"internal", "rate_limited"})
"""Refusals after which the same request may simply be sent again."""
_CONNECT_ERRORS = (OSError, TimeoutError, ClientError, WebSocketException)

ClientFactory = Callable[[KioskSettings], ProtocolClient]
"""Makes the one protocol client the connection uses (tests give a client that loses replies)."""


def make_client(settings: KioskSettings) -> ProtocolClient:
    """The ordinary client: role ``kiosk``, subscribed to the events that change the menu."""
    return ProtocolClient(settings.server_url, "kiosk", settings.token, settings.site,
                          lang="vi", subscribe=list(SUBSCRIBED_EVENTS),
                          open_timeout=settings.request_timeout_seconds)


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
        """The server issued (or, on a retry, returned) the ticket for ``request_key``."""

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        """The server refused ``request_key`` for good (``closed``, ``bad_request`` ...)."""


@dataclass(frozen=True)
class _IssueRequest:
    request_key: str
    service: str
    priority: str | None


class ServerConnection:
    """See the module docstring. ``start()`` once, ``stop()`` once."""

    def __init__(self, settings: KioskSettings, listener: ConnectionListener,
                 client_factory: ClientFactory = make_client) -> None:
        self._settings = settings
        self._listener = listener
        self._client = client_factory(settings)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._thread_main, name="kiosk-connection",
                                        daemon=True)
        self._main: asyncio.Task[None] | None = None
        # Loop-owned state: touched only on the connection thread.
        self._pending: dict[str, _IssueRequest] = {}
        self._in_flight: set[str] = set()
        self._reports: dict[str, DeviceReport] = {}
        self._online = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresh_wanted: asyncio.Event | None = None

    # --- thread-safe API ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; it connects at once."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits at most ``timeout`` seconds)."""
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._cancel_main)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("the connection thread did not stop within %.1f s", timeout)

    def issue(self, request_key: str, service: str, priority: str | None) -> None:
        """Take a number; keeps trying with ``request_key`` until the server answers."""
        self._call(self._add_issue, _IssueRequest(request_key, service, priority))

    def report_device(self, report: DeviceReport) -> None:
        """Tell the server a device's status (sent now, and again after each reconnect)."""
        self._call(self._add_report, report)

    def _call(self, callback: Callable[[Any], None], argument: object) -> None:
        """Run ``callback(argument)`` on the connection thread; dropped once stopped."""
        try:
            self._loop.call_soon_threadsafe(callback, argument)
        except RuntimeError:  # the loop is closed: stop() has run
            logger.debug("connection stopped; dropped %r", argument)

    @property
    def running(self) -> bool:
        """The thread is alive."""
        return self._thread.is_alive()

    # --- the connection thread ---------------------------------------------------------------

    def _thread_main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._main = self._loop.create_task(self._run())
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._main)
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def _cancel_main(self) -> None:
        if self._main is not None:
            self._main.cancel()

    async def _run(self) -> None:
        self._refresh_wanted = asyncio.Event()
        delay = self._settings.reconnect_min_seconds
        try:
            while True:
                try:
                    await self._client.close()
                    hello = await self._client.connect()
                except RequestFailed as failure:
                    logger.error("the server refused this kiosk (%s); check --token and --site",
                                 failure)
                except _CONNECT_ERRORS as error:
                    logger.info("cannot reach %s: %s", self._settings.server_url, error)
                else:
                    delay = self._settings.reconnect_min_seconds
                    logger.info("connected to %s", self._settings.server_url)
                    await self._serve(hello)
                    logger.warning("lost the connection to %s", self._settings.server_url)
                self._set_offline()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.reconnect_max_seconds)
        finally:
            await self._stop_tasks()
            with contextlib.suppress(*_CONNECT_ERRORS):
                await self._client.close()

    async def _serve(self, hello: Mapping[str, Any]) -> None:
        """Live on one connection until it closes."""
        self._online = True
        self._listener.connection_changed(ConnectionState.ONLINE, hello.get("state", {}))
        for request in list(self._pending.values()):
            self._send_issue(request)
        for report in list(self._reports.values()):
            self._spawn(self._report(report))
        self._spawn(self._refresh_loop())
        self._spawn(self._event_loop())
        try:
            await self._client.closed.wait()
        finally:
            self._online = False
            await self._stop_tasks()

    def _set_offline(self) -> None:
        self._listener.connection_changed(ConnectionState.OFFLINE, None)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _stop_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_flight.clear()

    # issue ---------------------------------------------------------------------------------

    def _add_issue(self, request: _IssueRequest) -> None:
        self._pending[request.request_key] = request
        if self._online:
            self._send_issue(request)

    def _send_issue(self, request: _IssueRequest) -> None:
        if request.request_key not in self._in_flight:
            self._in_flight.add(request.request_key)
            self._spawn(self._issue(request))

    async def _issue(self, request: _IssueRequest) -> None:
        delay = self._settings.reconnect_min_seconds
        try:
            while request.request_key in self._pending:
                try:
                    async with asyncio.timeout(self._settings.request_timeout_seconds):
                        result = await self._client.request(
                            "issue", service=request.service, priority=request.priority,
                            request_key=request.request_key)
                except RequestFailed as failure:
                    if failure.code in RETRYABLE_CODES:
                        logger.warning("issue %s: %s; retrying", request.request_key, failure)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self._settings.reconnect_max_seconds)
                        continue
                    self._pending.pop(request.request_key, None)
                    logger.warning("issue %s refused: %s", request.request_key, failure)
                    self._listener.issue_refused(request.request_key, failure.code,
                                                 failure.message)
                    return
                except TimeoutError:
                    logger.warning("issue %s: no reply in %.1f s; reconnecting to re-send it",
                                   request.request_key, self._settings.request_timeout_seconds)
                    await self._client.close()
                    return
                except ConnectionLost:
                    logger.info("issue %s: connection lost; re-sent after reconnecting",
                                request.request_key)
                    return
                if self._pending.pop(request.request_key, None) is not None:
                    self._listener.issue_confirmed(request.request_key, result["ticket"])
                return
        finally:
            self._in_flight.discard(request.request_key)

    # device reports -------------------------------------------------------------------------

    def _add_report(self, report: DeviceReport) -> None:
        self._reports[report.device] = report
        if self._online:
            self._spawn(self._report(report))

    async def _report(self, report: DeviceReport) -> None:
        try:
            await self._client.request("device_status", device=report.device, kind=report.kind,
                                       status=report.status, message=report.message)
        except RequestFailed as failure:
            logger.warning("device status %s=%s refused: %s", report.device, report.status,
                           failure)
        except ConnectionLost:
            pass  # re-sent after reconnecting

    # menu refresh ---------------------------------------------------------------------------

    async def _event_loop(self) -> None:
        assert self._refresh_wanted is not None
        while True:
            await self._client.events.get()
            self._refresh_wanted.set()

    async def _refresh_loop(self) -> None:
        assert self._refresh_wanted is not None
        while True:
            await self._refresh_wanted.wait()
            # Let a burst of events settle: one snapshot per interval at most.
            await asyncio.sleep(self._settings.refresh_min_seconds)
            self._refresh_wanted.clear()
            try:
                result = await self._client.request("snapshot")
            except RequestFailed as failure:
                logger.warning("snapshot refused: %s", failure)
                continue
            except ConnectionLost:
                return
            self._listener.snapshot_received(result["state"])
