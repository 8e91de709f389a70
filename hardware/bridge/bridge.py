"""The running bridge: the bus worker thread and the protocol client on an asyncio loop.

The :class:`~hardware.bridge.core.BridgeCore` lives on the asyncio thread: bus inputs are
handed over with ``call_soon_threadsafe``, so the core has one owner and needs no lock.
Server requests go out one at a time, in order (a ``login`` before the key's action).

Nothing applies twice: a key arrives once (the bus acknowledges each event), its request is
sent once, and a request in flight when the server connection drops is not sent again; keys
pressed while the server is unreachable are dropped with a warning rather than applied
minutes later. Device status reports are kept while disconnected and sent (the latest per
device) once connected, and every known device status is reported again after a reconnection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from websockets.exceptions import WebSocketException

from hardware.bridge.bus_worker import BusWorker
from hardware.bridge.core import BridgeCore, BusInput, Reaction, ServerRequest
from hardware.bridge.errors import BridgeError
from hardware.bridge.settings import BridgeSettings
from hardware.serial_bus import BusPort, open_bus
from server.protocol.client import ClientError, ConnectionLost, ProtocolClient, RequestFailed

logger = logging.getLogger(__name__)

_CONNECT_ERRORS = (OSError, TimeoutError, WebSocketException, ClientError)
# Enough to know which ticket and counter each event concerns; not the issuing traffic.
SUBSCRIPTIONS = ["ticket.called", "ticket.recalled", "ticket.done", "counter.changed",
                 "rating.received", "day.reset"]


class Bridge:
    """Joins the bus to the server; :meth:`start` returns at once, :meth:`stop` ends both
    threads. ``open_port`` opens the serial port (default: ``open_bus(settings.port_url)``)."""

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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.connected = threading.Event()
        """Set while the server connection is up (for tests and diagnostics)."""
        self.disconnected = threading.Event()
        """Set while the server connection is down: before the first connection and from the
        moment a connection is lost until the next one is up (for tests and diagnostics)."""
        self.disconnected.set()
        # Loop thread only:
        self._stopping: asyncio.Event | None = None
        self._requests: asyncio.Queue[ServerRequest] | None = None
        self._online = False
        self._reports: dict[str, ServerRequest] = {}

    def start(self, timeout: float = 5.0) -> None:
        """Start the server link, then the bus; raises :class:`BridgeError` if the loop does
        not come up within ``timeout``."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()),
                                        name="bridge-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise BridgeError("the bridge's server thread did not start")
        self.bus.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.bus.stop(timeout)
        if self._loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Bridge:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- from the bus thread --------------------------------------------------------------

    def _from_bus(self, bus_input: BusInput) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended: shutting down
                self._loop.call_soon_threadsafe(self._handle_bus_input, bus_input)

    # --- the loop thread ------------------------------------------------------------------

    def _handle_bus_input(self, bus_input: BusInput) -> None:
        self._react(self.core.on_bus_input(bus_input, self._clock()))

    def _react(self, reaction: Reaction) -> None:
        if reaction.commands:
            self.bus.send(reaction.commands)
        for request in reaction.requests:
            self._queue_request(request)

    def _queue_request(self, request: ServerRequest) -> None:
        assert self._requests is not None
        if request.request_type == "device_status":
            # Latest news per device; sent when connected (again after each reconnection).
            self._reports[request.fields["device"]] = request
            if self._online:
                self._requests.put_nowait(request)
            return
        if not self._online:
            logger.warning("server unreachable: %s for counter %s not sent",
                           request.request_type, request.fields.get("as_counter")
                           or request.fields.get("counter"))
            return
        self._requests.put_nowait(request)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._requests = asyncio.Queue()
        self._ready.set()
        settings = self.settings
        client = ProtocolClient(settings.server_url, "admin", settings.token, settings.site,
                                subscribe=SUBSCRIPTIONS)
        failures = 0
        connected_before = False
        try:
            while not self._stopping.is_set():
                try:
                    await self._session(client, connected_before)
                    connected_before = True
                    failures = 0
                except RequestFailed as error:
                    logger.error("the server refused the bridge: %s", error)
                    failures += 1
                except _CONNECT_ERRORS as error:
                    logger.info("cannot reach %s: %s", settings.server_url, error)
                    failures += 1
                if self._stopping.is_set():
                    break
                delays = settings.reconnect_delays
                delay = delays[min(failures, len(delays) - 1)]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            await client.close()

    async def _session(self, client: ProtocolClient, connected_before: bool) -> None:
        assert self._stopping is not None and self._requests is not None
        # No resume: the snapshot is the truth, and old calls must not blink the boards.
        if connected_before:
            await client.close()
        hello = await client.connect()
        hello_seq = int(hello["seq"])
        live = []
        while not client.events.empty():
            event = client.events.get_nowait()
            if event.seq > hello_seq:  # older ones are in the snapshot already
                live.append(event)
        logger.info("connected to %s as the bridge of %s", self.settings.server_url,
                    hello["site"])
        self.bus.send(self.core.on_snapshot(hello["state"], self._clock()))
        for event in live:
            self.bus.send(self.core.on_event(event.event, event.data, self._clock()))
        self._online = True
        self.disconnected.clear()
        self.connected.set()
        for report in self._reports.values():
            self._requests.put_nowait(report)
        tasks = [asyncio.create_task(self._pump(client)),
                 asyncio.create_task(self._work(client))]
        ended = [asyncio.create_task(client.closed.wait()),
                 asyncio.create_task(self._stopping.wait())]
        try:
            await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._online = False
            self.connected.clear()
            self.disconnected.set()
            for task in (*tasks, *ended):
                task.cancel()
            await asyncio.gather(*tasks, *ended, return_exceptions=True)
            while not self._requests.empty():
                dropped = self._requests.get_nowait()
                if dropped.request_type != "device_status":
                    logger.warning("connection lost: %s not sent", dropped.request_type)
        if not self._stopping.is_set():
            logger.warning("lost the connection to the server; reconnecting")

    async def _pump(self, client: ProtocolClient) -> None:
        while True:
            event = await client.events.get()
            if event.event == "day.reset":
                self.bus.send(self.core.on_event(event.event, event.data, self._clock()))
                result = await client.request("snapshot")
                self.bus.send(self.core.on_snapshot(result["state"], self._clock()))
                continue
            self.bus.send(self.core.on_event(event.event, event.data, self._clock()))

    async def _work(self, client: ProtocolClient) -> None:
        assert self._requests is not None
        while True:
            request = await self._requests.get()
            try:
                await client.request(request.request_type, **request.fields)
            except ConnectionLost:
                logger.warning("connection lost with %s in flight; not sent again",
                               request.request_type)
                return
            except RequestFailed as error:
                logger.warning("%s for counter %s refused: %s", request.request_type,
                               request.fields.get("as_counter") or request.fields.get("counter"),
                               error)
