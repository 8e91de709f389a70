"""The counter's link to the server: a supervised :class:`ProtocolClient` on its own thread.

Qt-free. The GUI thread calls :meth:`CounterConnection.submit` (never blocks); everything the
connection learns is handed to the ``deliver`` callback, on the connection's thread, as
:mod:`counter.updates` values in order (the UI turns the callback into a Qt signal). The link
itself (reconnecting with back-off, resuming, pings, one request at a time) is the
:class:`~server.protocol.supervisor.ClientSupervisor`'s.

Rules that keep an action from applying twice:

* requests are sent one at a time, and only while connected; a request made while the link is
  down, or still queued when it drops, is refused (``not_connected``) and never sent later;
* a request in flight when the link drops (or unanswered within ``request_timeout_seconds``,
  which drops the link) is **not** sent again. After reconnecting (``hello`` with ``after`` =
  the last event applied, so the missed events are replayed), the officer is logged in again
  (the same officer logging in again changes nothing), the true state comes from the new
  snapshot, and the events since the request was sent tell whether it had been applied
  (:class:`counter.updates.ActionResolved`).

The officer's login is remembered (in memory only) to log in again after a reconnection, a
new day or a new configuration. A password change, once the server says it is made, replaces
the remembered password. One interrupted on the way is told by the login again: the old
password is tried first and, refused, the new one; the one that works says whether the change
was made.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from counter.errors import ConnectionStartError
from counter.requests import (
    Action,
    ActionRequest,
    ClientRequest,
    LoginRequest,
    PasswordChangeRequest,
    RateRequest,
    request_applied,
    wire_request,
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
    PasswordChanged,
    QueueLoaded,
    RatingSucceeded,
    SessionStarted,
    StatusChanged,
    Update,
)
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

RECENT_EVENTS_KEPT = 1000
"""Events remembered to tell whether an interrupted request was applied."""


class CounterConnection(SupervisorListener):
    """Owns the protocol link and its thread; see the module docstring for the rules.

    ``deliver`` is called on the connection thread and must not block for long. The
    :class:`SupervisorListener` methods are the supervisor's, called on that thread.
    """

    def __init__(self, settings: ConnectionSettings, deliver: Callable[[Update], None]) -> None:
        self._settings = settings
        self._deliver = deliver
        client = ProtocolClient(settings.server_url, "counter", settings.token, settings.site,
                                lang=settings.language.value, open_timeout=settings.open_timeout,
                                version=__version__, ca_file=settings.ca_file)
        self._supervisor = ClientSupervisor(client, settings.supervisor_settings(), self,
                                            name="counter-connection")
        # Everything below is touched on the connection thread only.
        self._refresh_wanted = asyncio.Event()
        self._credentials: LoginRequest | None = None
        # The session the last login or password change was given: logging in again with it
        # costs the server no password hashing (a takeover brings every counter back at once).
        self._session: str | None = None
        self._services: frozenset[str] = frozenset()
        # (request, the last event seq before it was sent, the counter it was for)
        self._interrupted: tuple[ClientRequest, int, str | None] | None = None
        # An interrupted password change, as the login again told it (None: not told).
        self._password_outcome: Outcome | None = None
        # The next snapshot is a new day's (asked for after day.reset, not config.changed).
        self._new_day = False
        self._recent_events: deque[EventMessage] = deque(maxlen=RECENT_EVENTS_KEPT)

    # --- called from any thread ----------------------------------------------------------

    def start(self, timeout: float = 5.0) -> None:
        """Start the thread; returns once it accepts requests (it connects in the background).

        Raises :class:`ConnectionStartError` if the thread's loop is not ready in ``timeout``.
        """
        try:
            self._supervisor.start(timeout)
        except SupervisorError as error:
            raise ConnectionStartError(str(error)) from error

    def submit(self, request: ClientRequest) -> None:
        """Send ``request`` when connected; otherwise it is refused with ``not_connected``."""
        if not self._supervisor.call_soon(self._send, request):
            self._refuse_unsent(request)  # stopped

    def request_refresh(self) -> None:
        """Ask for the waiting list and today's figures again."""
        self._supervisor.call_soon(self._refresh_wanted.set)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread (waits up to ``timeout``)."""
        self._supervisor.stop(timeout)

    # --- the supervisor's calls, on the connection thread --------------------------------

    def link_changed(self, change: LinkChange) -> None:
        if change.state is LinkState.CONNECTING:
            self._deliver(StatusChanged(ConnectionStatus.CONNECTING if change.sessions == 0
                                        else ConnectionStatus.RECONNECTING))
        elif change.state is LinkState.REFUSED and change.refusal is not None:
            logger.warning("the server refused the connection: %s", change.refusal)
            self._deliver(StatusChanged(ConnectionStatus.RECONNECTING, change.refusal.code,
                                        change.refusal.message))
        elif change.state is LinkState.OFFLINE:
            if change.ended_session:
                logger.warning("lost the connection to %s: %s", self._settings.server_url,
                               change.reason)
                self._deliver(StatusChanged(ConnectionStatus.RECONNECTING))
            else:
                logger.info("cannot reach %s: %s", self._settings.server_url, change.reason)
        elif change.state is LinkState.ONLINE:
            self._deliver(StatusChanged(ConnectionStatus.ONLINE))
            self._refresh_wanted.set()
            self._supervisor.spawn(self._refresh())
        elif change.state is LinkState.STOPPED:
            self._deliver(StatusChanged(ConnectionStatus.STOPPED))

    async def session_opened(self, session: SessionOpened) -> None:
        """The new snapshot; then, before anything else is sent, the officer logged in again
        and the interrupted request (if any) settled from the replayed events."""
        self._recent_events.extend(session.replayed)
        self._deliver(SessionStarted(session.state, session.seq,
                                     reconnected=session.reconnected, device=session.device))
        if self._credentials is not None:
            await self._log_in_again()
        if self._interrupted is not None:
            self._settle_interrupted(gap=session.gap)

    def event_received(self, event: EventMessage) -> None:
        self._recent_events.append(event)
        self._deliver(EventReceived(event.event, event.seq, event.data))
        if event.event in ("day.reset", "config.changed"):
            # The new day's state, or the new configuration's names and services.
            self._new_day = self._new_day or event.event == "day.reset"
            self._supervisor.refresh_snapshot()
        elif self._credentials is not None and self._concerns_counter(event):
            self._refresh_wanted.set()

    def snapshot_taken(self, snapshot: SnapshotTaken) -> None:
        """Asked for after ``day.reset`` or ``config.changed``: the new day's (or the new
        configuration's) state, and the officer again."""
        new_day, self._new_day = self._new_day, False
        self._deliver(SessionStarted(snapshot.state, snapshot.seq, new_day=new_day,
                                     device=snapshot.device))
        if self._credentials is not None:
            self._supervisor.spawn(self._start_new_day())

    # --- the connection thread -----------------------------------------------------------

    async def _log_in_again(self) -> None:
        credentials = self._credentials
        assert credentials is not None
        changing = self._interrupted[0] if self._interrupted is not None else None
        if await self._resumed(credentials, changing):
            return
        try:
            result = await self._log_in(credentials)
            if isinstance(changing, PasswordChangeRequest):
                self._password_outcome = Outcome.NOT_APPLIED  # the old one still works
        except RequestFailed as error:
            if not isinstance(changing, PasswordChangeRequest) or error.code != "unauthorized":
                self._refused_again(credentials, error)
                return
            # The interrupted change may have been made: then only the new password works.
            credentials = replace(credentials, password=changing.new_password)
            try:
                result = await self._log_in(credentials)
            except RequestFailed as again:
                self._refused_again(credentials, again)
                return
            self._credentials = credentials
            self._password_outcome = Outcome.APPLIED
        self._services = frozenset(result["counter"].get("services") or ())
        self._deliver(LoggedIn(result["counter"], credentials.user, reconnected=True))

    async def _resumed(self, credentials: LoginRequest, changing: ClientRequest | None) -> bool:
        """Log in again with the session, when there is one and the server still takes it;
        ``False`` when the password must be used (the session is then forgotten)."""
        session = self._session
        if session is None:
            return False
        try:
            result = await self._supervisor.request(
                "login", counter=credentials.counter, user=credentials.user, session=session)
        except RequestFailed as error:
            logger.info("logging in again at %s with the session was refused (%s): "
                        "with the password", credentials.counter, error)
            self._session = None
            return False
        if isinstance(changing, PasswordChangeRequest):
            # A session is made under one password: taken, the change was not made.
            self._password_outcome = Outcome.NOT_APPLIED
        self._services = frozenset(result["counter"].get("services") or ())
        self._deliver(LoggedIn(result["counter"], credentials.user, reconnected=True))
        return True

    async def _log_in(self, credentials: LoginRequest) -> dict[str, Any]:
        return await self._supervisor.request(
            "login", counter=credentials.counter, user=credentials.user,
            password=credentials.password)

    def _refused_again(self, credentials: LoginRequest, error: RequestFailed) -> None:
        logger.warning("logging in again at %s was refused: %s", credentials.counter, error)
        self._credentials = None
        self._session = None
        self._deliver(LoginRefused(error.code, error.message, reconnected=True))

    async def _start_new_day(self) -> None:
        await self._log_in_again()
        self._refresh_wanted.set()

    def _settle_interrupted(self, gap: bool) -> None:
        assert self._interrupted is not None
        request, sent_after, counter = self._interrupted
        self._interrupted = None
        events = [event for event in self._recent_events if event.seq > sent_after]
        if isinstance(request, PasswordChangeRequest):
            # No event marks it: the login again told (or nothing did: unknown).
            outcome = self._password_outcome or Outcome.UNKNOWN
            self._password_outcome = None
        elif request_applied(request, counter, events):
            outcome = Outcome.APPLIED
        else:
            outcome = Outcome.UNKNOWN if gap else Outcome.NOT_APPLIED
        logger.info("request %s, interrupted by a lost connection: %s", request, outcome)
        self._deliver(ActionResolved(request, outcome))

    def _send(self, request: ClientRequest) -> None:
        request_type, fields = wire_request(request)
        future = self._supervisor.submit(request_type, **fields)
        # Added here, on the connection thread, where the supervisor completes the future.
        future.add_done_callback(functools.partial(self._answered, request))

    def _answered(self, request: ClientRequest,
                  future: concurrent.futures.Future[dict[str, Any]]) -> None:
        error = future.exception()
        if error is None:
            self._succeeded(request, future.result())
        elif isinstance(error, NotSent):
            self._refuse_unsent(request)
        elif isinstance(error, RequestInterrupted):
            if isinstance(request, LoginRequest):
                self._deliver(LoginRefused("connection_lost", "connection closed"))
            else:
                # Requests go one at a time, so the credentials are still those it was sent
                # with: the counter it was for.
                counter = self._credentials.counter if self._credentials is not None else None
                self._interrupted = (request, error.sent_after, counter)
                self._deliver(ActionInterrupted(request))
        elif isinstance(error, RequestFailed):
            if isinstance(request, LoginRequest):
                self._deliver(LoginRefused(error.code, error.message))
            else:
                self._deliver(ActionRefused(request, error.code, error.message))
        else:
            raise error

    def _refuse_unsent(self, request: ClientRequest) -> None:
        if isinstance(request, LoginRequest):
            self._deliver(LoginRefused("not_connected", "not connected"))
        else:
            self._deliver(ActionRefused(request, "not_connected", "not connected"))

    def _succeeded(self, request: ClientRequest, result: dict[str, Any]) -> None:
        if isinstance(request, LoginRequest):
            self._credentials = request
            self._session = _session_of(result)
            self._services = frozenset(result["counter"].get("services") or ())
            self._deliver(LoggedIn(result["counter"], request.user))
            self._refresh_wanted.set()
        elif isinstance(request, RateRequest):
            self._deliver(RatingSucceeded(result["rating"]))
        elif isinstance(request, PasswordChangeRequest):
            # From now on the server takes only the new one: every login again must use it.
            if self._credentials is not None:
                self._credentials = replace(self._credentials, password=request.new_password)
            self._session = _session_of(result)
            self._deliver(PasswordChanged())
        else:
            assert isinstance(request, ActionRequest)
            if request.action is Action.LOG_OUT:
                self._credentials = None
                self._session = None
                self._services = frozenset()
            self._deliver(ActionSucceeded(request, result))

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

    async def _refresh(self) -> None:
        """Fetch the waiting list and today's figures whenever they may have changed."""
        while True:
            await self._refresh_wanted.wait()
            self._refresh_wanted.clear()
            if self._credentials is None:
                continue
            try:
                queue = await self._supervisor.request("queue")
                stats = await self._supervisor.request("counter_stats")
            except RequestFailed as error:
                logger.warning("cannot refresh the waiting list: %s", error)
                continue
            self._deliver(QueueLoaded(list(queue.get("tickets") or [])))
            self._deliver(FiguresLoaded(dict(stats.get("stats") or {})))


def _session_of(result: dict[str, Any]) -> str | None:
    """The session a reply gives (a server before sessions gives none)."""
    session = result.get("session")
    return session if isinstance(session, str) else None
