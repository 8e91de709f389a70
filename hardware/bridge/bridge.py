"""The running bridge: the bus worker thread and the supervised protocol client's thread.

The :class:`~hardware.bridge.core.BridgeCore` lives on the protocol client's thread (that of
its :class:`~server.protocol.supervisor.ClientSupervisor`): bus inputs are handed over with
:meth:`~server.protocol.supervisor.ClientSupervisor.call_soon`, so the core has one owner and
needs no lock. The bridge connects with role ``bridge``: its token lets it act only for the
counters it lists. Server requests go out one at a time, in order (a ``login`` before the key's
action).

Nothing applies twice: a key arrives once (the bus acknowledges each event), its request is
sent once, and a request in flight when the server connection drops is not sent again; keys
pressed while the server is unreachable are dropped with a warning rather than applied
minutes later. Device status reports are kept while disconnected and sent (the latest per
device) once connected, and every known device status is reported again after a reconnection.
Each connection starts from a fresh snapshot (no resume: replayed calls would blink the boards
again).
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from hardware.bridge.bus_worker import BusWorker
from hardware.bridge.core import BridgeCore, BusInput, Reaction, ServerRequest
from hardware.bridge.errors import BridgeError
from hardware.bridge.settings import BridgeSettings
from hardware.serial_bus import BusPort, open_bus
from server import __version__
from server.protocol.client import EventMessage, ProtocolClient, RequestFailed
from server.protocol.supervisor import (
    ClientSupervisor,
    LinkChange,
    LinkState,
    NotSent,
    RequestInterrupted,
    SessionOpened,
    SnapshotTaken,
    SupervisorError,
    SupervisorListener,
)

logger = logging.getLogger(__name__)

# Enough to know which ticket and counter each event concerns; not the issuing traffic.
SUBSCRIPTIONS = ["ticket.called", "ticket.recalled", "ticket.done", "counter.changed",
                 "rating.received", "day.reset", "config.changed"]


class Bridge(SupervisorListener):
    """Joins the bus to the server; :meth:`start` returns at once, :meth:`stop` ends both
    threads. ``open_port`` opens the serial port (default: ``open_bus(settings.port_url)``).
    The :class:`SupervisorListener` methods are the supervisor's, called on its thread."""

    def __init__(self, settings: BridgeSettings,
                 open_port: Callable[[], BusPort] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self.core = BridgeCore(settings.device_map, settings.blink_count)
        self.bus = BusWorker(
            open_port or (lambda: open_bus(settings.port_url, baudrate=settings.baudrate)),
            settings.device_map.addresses, self._from_bus, poll_interval=settings.poll_interval,
            reply_timeout=settings.reply_timeout,
            offline_after_misses=settings.offline_after_misses,
            port_retry_seconds=settings.port_retry_seconds, clock=clock)
        client = ProtocolClient(settings.server_url, "bridge", settings.token, settings.site,
                                subscribe=SUBSCRIPTIONS, version=__version__,
                                ca_file=settings.ca_file)
        self._supervisor = ClientSupervisor(client, settings.supervisor_settings(), self,
                                            name="bridge-server", clock=clock)
        self.connected = threading.Event()
        """Set while the server connection is up (for tests and diagnostics)."""
        self.disconnected = threading.Event()
        """Set while the server connection is down: before the first connection and from the
        moment a connection is lost until the next one is up (for tests and diagnostics)."""
        self.disconnected.set()
        # The supervisor's thread only:
        self._reports: dict[str, ServerRequest] = {}

    def start(self, timeout: float = 5.0) -> None:
        """Start the server link, then the bus; raises :class:`BridgeError` if the link's
        thread does not come up within ``timeout``."""
        try:
            self._supervisor.start(timeout)
        except SupervisorError as error:
            raise BridgeError(str(error)) from error
        self.bus.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.bus.stop(timeout)
        self._supervisor.stop(timeout)

    def __enter__(self) -> Bridge:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- from the bus thread --------------------------------------------------------------

    def _from_bus(self, bus_input: BusInput) -> None:
        self._supervisor.call_soon(self._handle_bus_input, bus_input)  # dropped once stopped

    # --- the supervisor's thread ----------------------------------------------------------

    def _handle_bus_input(self, bus_input: BusInput) -> None:
        self._react(self.core.on_bus_input(bus_input, self._clock()))

    def _keep_reports(self, reports: tuple[ServerRequest, ...]) -> None:
        """Remember ``reports`` as the latest news of their devices (sent when connected)."""
        for report in reports:
            self._reports[report.fields["device"]] = report

    def _react(self, reaction: Reaction) -> None:
        if reaction.commands:
            self.bus.send(reaction.commands)
        for request in reaction.requests:
            if request.request_type == "device_status":
                # Latest news per device; sent when connected (again after each reconnection).
                self._reports[request.fields["device"]] = request
                if not self._supervisor.connected:
                    continue
            self._send(request)

    def _send(self, request: ServerRequest) -> None:
        future = self._supervisor.submit(request.request_type, **request.fields)
        # Added on this thread, where the supervisor completes the future.
        future.add_done_callback(functools.partial(self._answered, request))

    def _answered(self, request: ServerRequest,
                  future: concurrent.futures.Future[dict[str, Any]]) -> None:
        error = future.exception()
        counter = request.fields.get("as_counter") or request.fields.get("counter")
        if error is None:
            return
        reported_again = (request.request_type == "device_status"
                          and isinstance(error, NotSent | RequestInterrupted))
        if reported_again:
            return  # the latest report of each device is sent again after reconnecting
        if isinstance(error, NotSent):
            logger.warning("server unreachable: %s for counter %s not sent",
                           request.request_type, counter)
        elif isinstance(error, RequestInterrupted):
            logger.warning("connection lost with %s for counter %s in flight; not sent again",
                           request.request_type, counter)
        elif isinstance(error, RequestFailed):
            logger.warning("%s for counter %s refused: %s", request.request_type, counter,
                           error)
        else:
            raise error

    def link_changed(self, change: LinkChange) -> None:
        if change.state is LinkState.ONLINE:
            self.disconnected.clear()
            self.connected.set()
            return
        if change.state is LinkState.CONNECTING:
            return
        self.connected.clear()
        self.disconnected.set()
        if change.state is LinkState.REFUSED:
            logger.error("the server refused the bridge: %s (--token must be a bridge token "
                         "of the site)", change.refusal)
        elif change.state is LinkState.OFFLINE and change.ended_session:
            logger.warning("lost the connection to the server (%s); reconnecting",
                           change.reason)
        elif change.state is LinkState.OFFLINE:
            logger.info("cannot reach %s: %s", self.settings.server_url, change.reason)

    async def session_opened(self, session: SessionOpened) -> None:
        logger.info("connected to %s as the bridge of %s", self.settings.server_url,
                    session.site)
        self.bus.send(self.core.on_snapshot(session.state, self._clock()))
        self._keep_reports(self.core.status_reports())
        for report in self._reports.values():
            self._send(report)

    def event_received(self, event: EventMessage) -> None:
        self.bus.send(self.core.on_event(event.event, event.data, self._clock()))
        if event.event in ("day.reset", "config.changed"):
            # The new day's state, or the new configuration (a new rating scale, say).
            self._supervisor.refresh_snapshot()

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        self.bus.send(self.core.on_snapshot(snapshot.state, self._clock()))
        # The snapshot may change what a device's report says (a pad whose keys do not fit
        # the site's rating scale is in error): report the devices as they are now.
        self._react(Reaction(requests=self.core.status_reports()))
