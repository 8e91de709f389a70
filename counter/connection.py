"""The counter's link to the server: an asyncio :class:`ProtocolClient` in its own thread.

Qt-free. The GUI thread calls :meth:`CounterConnection.submit` (never blocks); everything the
connection learns is handed to the ``deliver`` callback, on the connection's thread, as
:mod:`counter.updates` values in order (the UI turns the callback into a Qt signal).

Rules that keep an action from applying twice:

* requests are sent one at a time, and only while connected; a request made while the link is
  down, or still queued when it drops, is refused (``not_connected``) and never sent later;
* a request in flight when the link drops is **not** sent again. After reconnecting (``hello``
  with ``after`` = the last event seen, so the missed events are replayed), the officer is
  logged in again (the same officer logging in again changes nothing), the true state comes
  from the new snapshot, and the replayed events tell whether the interrupted request had
  been applied (:class:`counter.updates.ActionResolved`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.exceptions import WebSocketException

from counter.errors import ConnectionStartError
from counter.requests import (
    Action,
    ActionRequest,
    ClientRequest,
    LoginRequest,
    RateRequest,
    request_applied,
)
from counter.settings import ConnectionSettings
from counter.updates import (
    ActionInterrupted,
    ActionRefused,
    ActionResolved,
    ActionSucceeded,
    ConnectionStatus,
    EventReceived,
    FiguresLoaded,
    LoggedIn,
    LoginRefused,
    Outcome,
    QueueLoaded,
    RatingSucceeded,
    SessionStarted,
    StatusChanged,
    Update,
)
from server.protocol.client import (
    ClientError,
    ConnectionLost,
    EventMessage,
    ProtocolClient,
    RequestFailed,
)

logger = logging.getLogger(__name__)

RECENT_EVENTS_KEPT = 1000
"""Events remembered to tell whether an interrupted request was applied."""

_CONNECT_ERRORS = (OSError, TimeoutError, WebSocketException, ClientError)


class CounterConnection:
    """Owns the protocol client and its thread; see the module docstring for the rules.

    ``deliver`` is called on the connection thread and must not block for long.
    """

    def __init__(self, settings: ConnectionSettings, deliver: Callable[[Update], None]) -> None:
        self._settings = settings
        self._deliver = deliver
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        # Everything below is touched on the connection thread only.
        self._stopping: asyncio.Event | None = None
        self._requests: asyncio.Queue[ClientRequest] | None = None
        self._refresh_needed: asyncio.Event | None = None
        self._online = False
        self._credentials: LoginRequest | None = None
        self._services: frozenset[str] = frozenset()
        # (request, the last event seq before it was sent, the counter it was for)
        self._in_flight: tuple[ClientRequest, int, str | None] | None = None
        self._interrupted: tuple[ClientRequest, int, str | None] | None = None
        self._recent_events: deque[EventMessage] = deque(maxlen=RECENT_EVENTS_KEPT)
        self._sessions = 0

    # --- called from any thread ----------------------------------------------------------

    def start(self, timeout: float = 5.0) -> None:
        """Start the thread; returns once it accepts requests (it connects in the background).

        Raises :class:`ConnectionStartError` if the thread's loop is not ready in ``timeout``.
        """
        self._thread = threading.Thread(target=self._thread_main, name="counter-connection",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ConnectionStartError("the connection thread did not start")

    def submit(self, request: ClientRequest) -> None:
        """Send ``request`` when connected; otherwise it is refused with ``not_connected``."""
        self._call_soon(self._accept, request)

    def request_refresh(self) -> None:
        """Ask for the waiting list and today's figures again."""
        self._call_soon(self._mark_refresh)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits up to ``timeout``)."""
        if self._loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _call_soon(self, function: Callable[..., None], *arguments: Any) -> None:
        if self._loop is None:
            raise ConnectionStartError("the connection was not started")
        self._loop.call_soon_threadsafe(function, *arguments)

    # --- the connection thread -----------------------------------------------------------

    def _thread_main(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._requests = asyncio.Queue()
        self._refresh_needed = asyncio.Event()
        self._ready.set()
        settings = self._settings
        client = ProtocolClient(settings.server_url, "counter", settings.token, settings.site,
                                lang=settings.language.value, open_timeout=settings.open_timeout)
        failures = 0
        try:
            while not self._stopping.is_set():
                self._deliver(StatusChanged(ConnectionStatus.CONNECTING if self._sessions == 0
                                            else ConnectionStatus.RECONNECTING))
                try:
                    await self._session(client)
                    failures = 0
                except RequestFailed as error:
                    logger.warning("the server refused the connection: %s", error)
                    self._deliver(StatusChanged(ConnectionStatus.RECONNECTING, error.code,
                                                error.message))
                    failures += 1
                except _CONNECT_ERRORS as error:
                    logger.info("cannot reach %s: %s", settings.server_url, error)
                    failures += 1
                if self._stopping.is_set():
                    break
                delays = settings.reconnect_delays
                delay = delays[min(failures, len(delays) - 1)] if failures else delays[0]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            await client.close()
            self._deliver(StatusChanged(ConnectionStatus.STOPPED))

    async def _session(self, client: ProtocolClient) -> None:
        """One connection: hello (resuming), log in again, settle the interrupted request,
        then serve requests and events until the connection drops or the app stops."""
        assert self._stopping is not None
        reconnecting = self._sessions > 0
        hello = await (client.reconnect() if reconnecting else client.connect())
        self._sessions += 1
        hello_seq = int(hello["seq"])
        backlog: list[EventMessage] = []
        while not client.events.empty():
            backlog.append(client.events.get_nowait())
        replayed = [event for event in backlog if event.seq <= hello_seq]
        live = [event for event in backlog if event.seq > hello_seq]
        self._recent_events.extend(replayed)
        self._deliver(SessionStarted(hello["state"], hello_seq, reconnected=reconnecting))
        if self._credentials is not None:
            await self._log_in_again(client)
        if self._interrupted is not None:
            self._settle_interrupted(gap=bool(hello.get("gap")))
        for event in live:
            self._handle_event(client, event)
        tasks: set[asyncio.Task[None]] = set()
        self._online = True
        try:
            self._deliver(StatusChanged(ConnectionStatus.ONLINE))
            self._mark_refresh()
            tasks = {asyncio.create_task(self._pump(client, tasks)),
                     asyncio.create_task(self._work(client)),
                     asyncio.create_task(self._refresh(client))}
            ended = [asyncio.create_task(client.closed.wait()),
                     asyncio.create_task(self._stopping.wait())]
            await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
            for waiter in ended:
                waiter.cancel()
            await asyncio.gather(*ended, return_exceptions=True)
        finally:
            self._online = False
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._end_session()

    async def _log_in_again(self, client: ProtocolClient) -> None:
        credentials = self._credentials
        assert credentials is not None
        try:
            result = await client.request("login", counter=credentials.counter,
                                          user=credentials.user, password=credentials.password)
        except RequestFailed as error:
            logger.warning("logging in again at %s was refused: %s", credentials.counter, error)
            self._credentials = None
            self._deliver(LoginRefused(error.code, error.message, reconnected=True))
            return
        self._services = frozenset(result["counter"].get("services") or ())
        self._deliver(LoggedIn(result["counter"], credentials.user, reconnected=True))

    def _settle_interrupted(self, gap: bool) -> None:
        assert self._interrupted is not None
        request, sent_after, counter = self._interrupted
        self._interrupted = None
        events = [event for event in self._recent_events if event.seq > sent_after]
        if request_applied(request, counter, events):
            outcome = Outcome.APPLIED
        else:
            outcome = Outcome.UNKNOWN if gap else Outcome.NOT_APPLIED
        logger.info("request %s, interrupted by a lost connection: %s", request, outcome)
        self._deliver(ActionResolved(request, outcome))

    def _end_session(self) -> None:
        if self._in_flight is not None:
            request = self._in_flight[0]
            if isinstance(request, LoginRequest):
                self._deliver(LoginRefused("connection_lost", "connection closed"))
            else:
                self._interrupted = self._in_flight
                self._deliver(ActionInterrupted(request))
            self._in_flight = None
        assert self._requests is not None
        while not self._requests.empty():
            self._refuse_unsent(self._requests.get_nowait())

    def _refuse_unsent(self, request: ClientRequest) -> None:
        if isinstance(request, LoginRequest):
            self._deliver(LoginRefused("not_connected", "not connected"))
        else:
            self._deliver(ActionRefused(request, "not_connected", "not connected"))

    def _accept(self, request: ClientRequest) -> None:
        assert self._requests is not None
        if not self._online:
            self._refuse_unsent(request)
            return
        self._requests.put_nowait(request)

    def _mark_refresh(self) -> None:
        if self._refresh_needed is not None:
            self._refresh_needed.set()

    async def _pump(self, client: ProtocolClient, tasks: set[asyncio.Task[None]]) -> None:
        while True:
            event = await client.events.get()
            if self._handle_event(client, event):
                tasks.add(asyncio.create_task(self._start_new_day(client)))

    def _handle_event(self, client: ProtocolClient, event: EventMessage) -> bool:
        """Pass ``event`` on; True when it opens a new day (a fresh snapshot is needed)."""
        self._recent_events.append(event)
        self._deliver(EventReceived(event.event, event.seq, event.data))
        if event.event == "day.reset":
            return True
        if self._credentials is not None and self._concerns_counter(event):
            self._mark_refresh()
        return False

    def _concerns_counter(self, event: EventMessage) -> bool:
        assert self._credentials is not None
        code = self._credentials.counter
        data = event.data
        if event.event.startswith("ticket."):
            return (data.get("service") in self._services or data.get("counter") == code
                    or data.get("target_counter") == code)
        if event.event == "counter.changed":
            return data.get("code") == code
        return event.event == "rating.received" and data.get("counter") == code

    async def _start_new_day(self, client: ProtocolClient) -> None:
        try:
            result = await client.request("snapshot")
        except ClientError as error:
            logger.warning("no snapshot after the day reset: %s", error)
            return
        self._deliver(SessionStarted(result["state"], int(result["seq"]), new_day=True))
        if self._credentials is not None:
            await self._log_in_again(client)
            self._mark_refresh()

    async def _work(self, client: ProtocolClient) -> None:
        assert self._requests is not None
        while True:
            request = await self._requests.get()
            counter = self._credentials.counter if self._credentials is not None else None
            self._in_flight = (request, client.last_seq, counter)
            try:
                result = await self._send(client, request)
            except ConnectionLost:
                return  # _end_session reports the request as interrupted
            except RequestFailed as error:
                self._in_flight = None
                if isinstance(request, LoginRequest):
                    self._deliver(LoginRefused(error.code, error.message))
                else:
                    self._deliver(ActionRefused(request, error.code, error.message))
                continue
            self._in_flight = None
            self._succeeded(request, result)

    async def _send(self, client: ProtocolClient, request: ClientRequest) -> dict[str, Any]:
        if isinstance(request, LoginRequest):
            return await client.request("login", counter=request.counter, user=request.user,
                                        password=request.password)
        if isinstance(request, RateRequest):
            return await client.request("rate", ticket_id=request.ticket_id,
                                        score=request.score)
        return await client.request(request.action.value, **request.wire_fields())

    def _succeeded(self, request: ClientRequest, result: dict[str, Any]) -> None:
        if isinstance(request, LoginRequest):
            self._credentials = request
            self._services = frozenset(result["counter"].get("services") or ())
            self._deliver(LoggedIn(result["counter"], request.user))
            self._mark_refresh()
        elif isinstance(request, RateRequest):
            self._deliver(RatingSucceeded(result["rating"]))
        else:
            assert isinstance(request, ActionRequest)
            if request.action is Action.LOG_OUT:
                self._credentials = None
                self._services = frozenset()
            self._deliver(ActionSucceeded(request, result))

    async def _refresh(self, client: ProtocolClient) -> None:
        assert self._refresh_needed is not None
        while True:
            await self._refresh_needed.wait()
            self._refresh_needed.clear()
            if self._credentials is None:
                continue
            try:
                queue = await client.request("queue")
                stats = await client.request("counter_stats")
            except RequestFailed as error:
                logger.warning("cannot refresh the waiting list: %s", error)
                continue
            self._deliver(QueueLoaded(list(queue.get("tickets") or [])))
            self._deliver(FiguresLoaded(dict(stats.get("stats") or {})))
