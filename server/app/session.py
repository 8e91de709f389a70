"""One client connection: handshake, roles, rate limits, request dispatch, ordered output.

Requests of one connection are handled one after another, and every frame to the client
(replies and events alike) goes through one queue, so a client always sees a command's events
before the reply that says it is done, and events strictly in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from server import SERVER_NAME, __version__
from server.app.audience import (
    CITIZEN_EVENT,
    PUBLIC_ROLES,
    citizen_sees_change,
    public_state,
    public_ticket,
)
from server.app.citizens import view_of
from server.app.configuration import ChangeRecord, ConfigurationChangeError
from server.app.frames import FrameSender, PeerGone
from server.audit.model import UNKNOWN_USER, Action, Actor, ActorKind, AuditEntry, Channel
from server.booking.desk import age_priority, booking_object
from server.config import ConfigError
from server.config.settings import Role, SiteSettings, TokenSettings
from server.domain import commands
from server.domain.calling import calling_order
from server.domain.errors import DomainError
from server.domain.figures import counter_figures
from server.domain.model import (
    CounterState,
    CounterStatus,
    DeviceCondition,
    DeviceKind,
    DeviceReport,
    Rating,
    RatingSource,
    SiteState,
    Ticket,
)
from server.domain.rules import Outcome
from server.protocol import messages as wire
from server.protocol.client_options import OptionError, websocket_url
from server.protocol.messages import ErrorCode, ProtocolError
from server.security import (
    PasswordHashError,
    hash_password,
    password_problem,
    tokens_equal,
    verify_password,
)
from server.store.database import StoreError
from server.store.errors import DatabaseUnavailable, NotOwner
from server.store.repository import StoredEvent

if TYPE_CHECKING:  # runtime imports session: a type-only import keeps the cycle harmless
    from server.app.device_registry import DeviceContact
    from server.app.runtime import AuditMaker, SiteRuntime

logger = logging.getLogger(__name__)

CLOSE_POLICY = 1008
# The site is served by another server process now (or for a moment by none): reconnect.
CLOSE_MOVED = 1012
CLOSE_TRY_LATER = 1013
# How long a connection being closed may take to go before it is cut.
CLOSE_GRACE_SECONDS = 5.0
REPLAY_LIMIT = 100_000
# ``bookings`` a kiosk connection may ask a minute: a CCCD number is 12 digits, and a kiosk
# in the hall must not serve as an oracle of who booked.
BOOKINGS_PER_MINUTE = 10
# A citizen's view is worked out again at most this often: a burst of events costs each
# status page one view, and a busy hall with many pages open costs the loop a bounded share.
CITIZEN_UPDATE_SECONDS = 0.5

_COUNTER_SIDE = frozenset({Role.COUNTER, Role.ADMIN, Role.BRIDGE})
# A citizen's status page reads its own ticket only: no other ticket, no event log. A
# centre's server only forwards its events (server.app.forwarding).
_READERS = frozenset(Role) - {Role.CITIZEN, Role.CENTRE}
# A site fed by its centre's own server serves no device that issues or calls here.
_CENTRE_DEVICES = frozenset({Role.KIOSK, Role.COUNTER, Role.BRIDGE})
_PERMISSIONS: dict[str, frozenset[Role]] = {
    # A citizen's snapshot is its own view (its ticket and its queue's figures).
    "snapshot": frozenset(Role),
    "forward": frozenset({Role.CENTRE}),
    "ticket": _READERS,
    "resume": _READERS,
    "issue": frozenset({Role.KIOSK, Role.ADMIN}),
    # A booking checked in at the kiosk, and the bookings an ID card's number holds today.
    "check_in": frozenset({Role.KIOSK, Role.ADMIN}),
    "bookings": frozenset({Role.KIOSK, Role.ADMIN}),
    # A kiosk rates only where the site has a kiosk rating screen (checked per request).
    "rate": frozenset({Role.KIOSK, Role.COUNTER, Role.ADMIN, Role.BRIDGE}),
    "cancel": frozenset({Role.ADMIN}),
    # A display only reads; kiosks report printers, the bridge and a counter PC the devices
    # they drive.
    "device_status": frozenset({Role.KIOSK, Role.COUNTER, Role.ADMIN, Role.BRIDGE}),
    "queue": _COUNTER_SIDE,
    "counter_stats": _COUNTER_SIDE,
    "devices": _COUNTER_SIDE | {Role.MANAGER},
    # The officer logged in on a counter terminal, for their own password only.
    "change_password": frozenset({Role.COUNTER}),
    **{name: _COUNTER_SIDE for name in (
        "login", "logout", "call_next", "call", "recall", "start", "no_show", "finish",
        "transfer", "pause", "resume_counter")},
}

# The requests the audit log records (server.audit), each as its action: done (with the
# queue command, in its transaction) or refused as forbidden. A kiosk's own ``issue``,
# ``check_in`` and ``rate`` are the citizen's, kept by the events: not recorded.
REQUEST_ACTIONS: dict[str, Action] = {
    "issue": Action.TICKET_ISSUE, "call_next": Action.TICKET_CALL_NEXT,
    "call": Action.TICKET_CALL, "recall": Action.TICKET_RECALL,
    "start": Action.TICKET_START, "no_show": Action.TICKET_NO_SHOW,
    "finish": Action.TICKET_FINISH, "transfer": Action.TICKET_TRANSFER,
    "cancel": Action.TICKET_CANCEL, "rate": Action.TICKET_RATE,
    "login": Action.COUNTER_LOGIN, "logout": Action.COUNTER_LOGOUT,
    "pause": Action.COUNTER_PAUSE, "resume_counter": Action.COUNTER_RESUME,
    "change_password": Action.PASSWORD_CHANGE,
}
# What a refused hello records as its actor: the token is never written.
BAD_TOKEN = "(mã thiết bị không hợp lệ / invalid token)"
SERVER_ADMIN_TOKEN = "(mã quản trị máy chủ / server admin token)"


def _channel(role: Role) -> Channel:
    """The audit log's channel of a connection of ``role``."""
    try:
        return Channel(role.value)
    except ValueError:
        return Channel.WEB  # a manager's page, a citizen's


def _ticket_summary(ticket: Ticket | None) -> dict[str, Any] | None:
    """What the audit log keeps of a ticket before and after an action."""
    if ticket is None:
        return None
    summary: dict[str, Any] = {"number": ticket.number, "service": ticket.service,
                               "status": ticket.status.value, "counter": ticket.counter}
    if ticket.priority is not None:
        summary["priority"] = ticket.priority
    if ticket.target_counter is not None:
        summary["target_counter"] = ticket.target_counter
    if ticket.case_code is not None:
        summary["case_code"] = ticket.case_code
    return summary


def _counter_summary(counter: CounterState) -> dict[str, Any]:
    """What the audit log keeps of a counter before and after an action."""
    summary: dict[str, Any] = {"status": counter.status.value, "officer": counter.officer}
    if counter.pause_reason is not None:
        summary["pause_reason"] = counter.pause_reason
    return summary


@dataclass(frozen=True, slots=True)
class _Grant:
    """What a valid token allows: ``counters`` a bridge may act for (``None``: any)."""

    counters: frozenset[str] | None


class TokenBucket:
    """``rate`` requests a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.now = now
        self.updated = now()

    def take(self) -> bool:
        current = self.now()
        self.tokens = min(self.burst, self.tokens + (current - self.updated) * self.rate)
        self.updated = current
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Session:
    """Serves one WebSocket connection; ``sender``/``close`` are the transport's (``sender``
    takes every frame waiting, in order)."""

    def __init__(
        self,
        service: Any,
        sender: FrameSender,
        close: Callable[[int, str], Coroutine[Any, Any, None]],
        address: str = "unknown",
    ) -> None:
        from server.app.runtime import QueueService

        self.service: QueueService = service
        self.settings = service.server
        self.sender = sender
        self._close = close
        self.role: Role | None = None
        self.runtime: SiteRuntime | None = None
        self.counter: str | None = None
        self.user: str | None = None
        self.subscribe: tuple[str, ...] | None = None
        # The counters a bridge token lists; ``None``: no such limit.
        self.allowed_counters: frozenset[str] | None = None
        # A display or kiosk: sees only what the hall shows (server.app.audience).
        self.public = False
        # A citizen's status page: the ticket it follows (its id), the view last sent, and
        # whether an update is due (once per burst of events: server.app.citizens).
        self.citizen: str | None = None
        self._citizen_sent: dict[str, Any] | None = None
        self._citizen_due = False
        self._citizen_next = 0.0  # the loop's time before which no view is worked out
        # The sites whose events a manager's page receives (the first is ``runtime``).
        self.watched: list[SiteRuntime] = []
        self._token = ""  # the hello's token: checked again when the configuration changes
        self.bad_frames = 0
        self.closing = False
        self.bucket = TokenBucket(self.settings.rate_per_second, self.settings.rate_burst,
                                  time.monotonic)
        self._lookups = TokenBucket(BOOKINGS_PER_MINUTE / 60.0, BOOKINGS_PER_MINUTE,
                                    time.monotonic)
        # Frames of this loop step, handed to the sender together at the step's end: a call's
        # ticket.done, ticket.called and counter.changed reach a display in one socket write.
        self._waiting: list[str] = []
        self._flush_scheduled = False
        self._holding: list[tuple[int, str]] | None = None
        self._waiting_bytes = 0
        self._closer: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        # The peer's IP address: failed sign-ins are counted and logged per address.
        self.address = address
        # Device names this connection has reported (bounded: see _do_device_status).
        self.devices: set[str] = set()
        # The device token's contact on the administration's device list (device roles).
        self.contact: DeviceContact | None = None
        # The device token's label (None: a server-wide admin token), for the audit log.
        self.device_name: str | None = None
        # A connection that never says hello is closed, not kept open forever.
        self._timers: list[asyncio.TimerHandle] = [self._loop.call_later(
            self.settings.hello_timeout_seconds, self._hello_overdue)]

    # --- output ---------------------------------------------------------------------------

    def _enqueue(self, frame: str) -> None:
        if self.closing:
            return
        settings = self.settings
        if (self.sender.backlog + len(self._waiting) >= settings.outgoing_queue_limit
                or self.sender.backlog_bytes + self._waiting_bytes + len(frame)
                > settings.outgoing_queue_bytes):
            self._drop_slow_client()
            return
        self._waiting.append(frame)
        self._waiting_bytes += len(frame)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        frames, self._waiting = self._waiting, []
        self._waiting_bytes = 0
        if not frames:
            return
        try:
            self.sender.send(frames)
        except PeerGone as error:  # the receive side sees the disconnect and detaches
            logger.debug("dropping %d frames: %s", len(frames), error)

    def _drop_slow_client(self) -> None:
        """Let go of a client that stopped reading: holding its backlog would grow forever.

        Its events stop and its backlog is dropped at once. A close frame (1013) is attempted,
        but a peer that reads nothing may never take it; the transport's ping timeout then
        closes the socket. The client reconnects and resumes from the last event it applied.
        """
        logger.warning("dropping a %s connection from %s that fell %d frames (%d bytes) "
                       "behind", self.role, self.address,
                       self.sender.backlog + len(self._waiting),
                       self.sender.backlog_bytes + self._waiting_bytes)
        self.closing = True
        if self.runtime is not None:
            self.runtime.subscribers.discard(self)
        self._waiting.clear()
        self._waiting_bytes = 0
        self.sender.stop()
        self._closer = self._loop.create_task(
            self._close(CLOSE_TRY_LATER, "too slow: reconnect and resume"))
        self._abort_later()

    def _abort_later(self) -> None:
        """Cut the connection if it is still there after a grace period: a peer that reads
        nothing never takes the close frame, and its socket would hold what the transport
        buffered for it until TCP itself gave up."""
        # Not one of self._timers: it must outlive detach(), which comes as soon as the
        # session stops reading, long before a peer that reads nothing has gone.
        self._loop.call_later(CLOSE_GRACE_SECONDS, self.sender.abort)

    def _hello_overdue(self) -> None:
        if self.role is not None or self.closing:
            return
        logger.info("closing a connection from %s that said no hello within %g s",
                    self.address, self.settings.hello_timeout_seconds)
        self._error(None, ErrorCode.UNAUTHORIZED,
                    f"no hello within {self.settings.hello_timeout_seconds:g} s")
        self._closer = self._loop.create_task(self._refuse(CLOSE_POLICY, "hello expected"))
        self._abort_later()

    def deliver(self, seq: int, name: str, frame: str, public_frame: str | None) -> None:
        """Called by the site runtime for every committed event."""
        if self.citizen is not None:
            # Never the event itself: its view is worked out again once the burst is out.
            if citizen_sees_change(name) and not self._citizen_due:
                self._citizen_due = True
                wait = self._citizen_next - self._loop.time()
                if wait > 0:
                    self._loop.call_later(wait, self._citizen_update)
                else:
                    self._loop.call_soon(self._citizen_update)
            return
        if self.subscribe is not None and not name.startswith(self.subscribe):
            return
        if self.public:
            if public_frame is None:
                return
            frame = public_frame
        if self._holding is not None:
            self._holding.append((seq, frame))
            return
        self._enqueue(frame)

    def _citizen_update(self) -> None:
        """Send a citizen its view again when the events just published changed it."""
        self._citizen_due = False
        if self.closing or self.runtime is None or self.citizen is None:
            return
        self._citizen_next = self._loop.time() + CITIZEN_UPDATE_SECONDS
        runtime = self.runtime
        view = view_of(runtime, self.citizen)
        if view is None:
            # A new day: the ticket is gone, and the page's next hello is refused saying so.
            self._closer = self._loop.create_task(self._refuse(CLOSE_POLICY,
                                                               "the ticket is not today's"))
            self._abort_later()
            return
        if view == self._citizen_sent:
            return
        self._citizen_sent = view
        at = runtime.clock().astimezone(runtime.settings.timezone)
        self._enqueue(wire.encode_event(runtime.committed.seq, CITIZEN_EVENT,
                                        at.isoformat(timespec="seconds"),
                                        wire.encode_data(view)))

    def _reply(self, request_id: int | str | None, result: dict[str, Any]) -> None:
        self._enqueue(wire.encode_reply(request_id, result))

    def _error(self, request_id: int | str | None, code: ErrorCode, message: str) -> None:
        self._enqueue(wire.encode_error(request_id, code, message))

    async def detach(self) -> None:
        """The connection is gone: stop receiving events and writing, release its backlog."""
        for other in self.watched[1:]:  # a province page's other sites
            other.subscribers.discard(self)
            other.sessions.discard(self)
            other.connections -= 1
        if self.runtime is not None:
            self.runtime.subscribers.discard(self)
            self.runtime.sessions.discard(self)
            self.runtime.connections -= 1
            if self.citizen is not None:
                self.service.citizens.release(self.address, self.runtime.settings.code,
                                              self.citizen)
                self.citizen = None
            gone = self.runtime.clock()
            for device in self.devices:
                self.runtime.silent_since[device] = gone
            if self.contact is not None:
                self.service.devices.closed(self.contact, gone)
        self.closing = True
        for timer in self._timers:
            timer.cancel()
        self._waiting.clear()
        self._waiting_bytes = 0
        self.sender.stop()
        if self._closer is not None:
            self._closer.cancel()
            try:
                await self._closer
            except (asyncio.CancelledError, OSError):
                pass
            except RuntimeError as error:  # the transport refused a send after closing
                logger.debug("close stopped: %s", error)

    async def _refuse(self, code: int, reason: str) -> None:
        self.closing = True
        # Let the error reply go out before the close frame.
        self._flush()
        await self.sender.flushed()
        await self._close(code, reason)

    # --- input ----------------------------------------------------------------------------

    async def handle(self, text: str | bytes) -> None:
        """Handle one frame from the client."""
        try:
            request = wire.decode_request(text, self.settings.max_frame_bytes)
        except ProtocolError as error:
            if self.role is None:
                self._error(error.request_id, ErrorCode.UNAUTHORIZED,
                            f"the first frame must be a valid hello: {error.message}")
                await self._refuse(CLOSE_POLICY, "hello expected")
                return
            self._error(error.request_id, error.code, error.message)
            await self._count_bad_frame()
            return
        if self.role is None:
            if request.type != "hello":
                self._error(request.id, ErrorCode.UNAUTHORIZED,
                            "the first frame must be hello")
                await self._refuse(CLOSE_POLICY, "hello expected")
                return
            await self._hello(request)
            return
        if not self.bucket.take():
            self._error(request.id, ErrorCode.RATE_LIMITED,
                        f"more than {self.settings.rate_per_second:g} requests a second; "
                        "slow down")
            await self._count_bad_frame()
            return
        try:
            self._reply(request.id, await self._dispatch(request))
        except ProtocolError as error:
            if error.code is ErrorCode.FORBIDDEN and request.type in REQUEST_ACTIONS:
                # Recorded before the answer: whoever reads the log after it finds it.
                await self._audit_refused(REQUEST_ACTIONS[request.type], error.code,
                                          getattr(request, "as_counter", None)
                                          or self.counter)
            self._error(request.id, error.code, error.message)
            if error.code in (ErrorCode.UNAUTHORIZED, ErrorCode.RATE_LIMITED):
                # A wrong password, or a sign-in while guessing is being slowed: a
                # connection that keeps at it is closed like one sending bad frames.
                await self._count_bad_frame()
        except DomainError as error:
            self._error(request.id, ErrorCode(error.code), error.message)
        except NotOwner as error:
            # Nothing was saved; the client reconnects and finds the site's new process.
            self._moved(request.id, error.site, error.owner)
            await self.close_for("the site moved to another server process", moved=True)
        except DatabaseUnavailable as error:
            # Not logged per request: the service logged the outage once.
            self._error(request.id, ErrorCode.UNAVAILABLE, unavailable_message(error))
        except StoreError as error:
            logger.error("request %s failed to save: %s", request.type, error)
            self._error(request.id, ErrorCode.INTERNAL,
                        "the change could not be saved; nothing was changed, try again")
        except Exception:
            # The adapter boundary: a bug in one request must not drop a kiosk's connection.
            # Logged with its traceback, answered with the protocol's own code.
            logger.exception("request %s failed", request.type)
            self._error(request.id, ErrorCode.INTERNAL,
                        "internal error; ask for a snapshot to see the current state")

    async def _count_bad_frame(self) -> None:
        self.bad_frames += 1
        if self.bad_frames >= self.settings.max_bad_frames:
            await self._refuse(CLOSE_POLICY, "too many bad or excess frames")

    # --- handshake ------------------------------------------------------------------------

    async def _hello(self, request: wire.Hello) -> None:
        if request.protocol != wire.PROTOCOL_VERSION:
            self._error(request.id, ErrorCode.UNAUTHORIZED,
                        f"field 'protocol': this server speaks protocol "
                        f"{wire.PROTOCOL_VERSION}, not {request.protocol}")
            await self._refuse(CLOSE_POLICY, "protocol version")
            return
        role = Role(request.role)
        if role is Role.CITIZEN:
            await self._citizen_hello(request)
            return
        token = request.token
        assert token is not None  # the hello's own rule: every role but a citizen's has one
        if role is Role.MANAGER:
            await self._manager_hello(request, token)
            return
        site = (self.service.site_settings.get(request.site) if request.site is not None
                else self._site_of_token(role, token))
        granted = None if site is None else self._grant(site, role, token)
        runtime = None
        if site is not None and granted is not None:
            # Several processes on one database: another may serve the site.
            runtime = await self._served_here(request.id, site.code)
            if runtime is None:
                return
            granted = self._grant(runtime.settings, role, token)
            if granted is not None and role in _CENTRE_DEVICES \
                    and runtime.settings.forwarded_from_centre:
                await self._refuse_at_centre(request.id, runtime.settings)
                return
        if runtime is None or granted is None:
            logger.warning("refused a %s hello from %s: token not valid%s", role.value,
                           self.address, f" at site {request.site!r}" if request.site else "")
            self.service.devices.refused(token, self.address, self.service.clock())
            await self.service.audit.refused(
                Actor(ActorKind.DEVICE, BAD_TOKEN, _channel(role), self.address),
                Action.DEVICE_CONNECT, ErrorCode.UNAUTHORIZED.value,
                site=request.site if request.site in self.service.site_settings else None)
            # One message for both, so a token cannot be used to probe site codes.
            self._error(request.id, ErrorCode.UNAUTHORIZED,
                        "field 'token': not valid for this role at this site"
                        if request.site is not None else
                        "field 'token': not a device token of any site for this role "
                        "(a server-wide admin token needs field 'site')")
            await self._refuse(CLOSE_POLICY, "bad token")
            return
        self.role = role
        self.runtime = runtime
        self._token = token
        runtime.sessions.add(self)
        self.allowed_counters = granted.counters
        self.public = role in PUBLIC_ROLES
        self.subscribe = None if request.subscribe is None else tuple(request.subscribe)
        result: dict[str, Any] = {
            "protocol": wire.PROTOCOL_VERSION,
            "server": {"name": SERVER_NAME, "version": __version__},
            "role": role.value,
            "site": runtime.settings.code,
            "seq": runtime.committed.seq,
            "state": self._state(runtime.committed),
        }
        device = self._site_token(runtime.settings, role, token)
        if device is not None:
            self.device_name = device.name
            # The device's name and profile (zone, printer, ...): it applies them.
            result["device"] = _device(device)
            self.contact = self.service.devices.opened(runtime.settings.code, device,
                                                       self.address, request.version,
                                                       runtime.clock())
        # Subscribe in the same step as the snapshot: no event can fall between them. A
        # connection that asked for no events is not visited by every publish at all.
        runtime.connections += 1
        if self.subscribe != ():
            runtime.subscribers.add(self)
        if request.after is not None and request.after > runtime.committed.seq:
            # The client saw events this server never had (its database was replaced, say):
            # nothing can be replayed, the snapshot is the truth.
            result["gap"] = True
        elif request.after is not None:
            try:
                result["replayed"] = await self._replay(request.after)
            except ProtocolError as error:
                if error.code is not ErrorCode.GAP:
                    raise
                result["gap"] = True
        self._reply(request.id, result)

    async def _refuse_at_centre(self, request_id: int | str | None,
                                site: SiteSettings) -> None:
        """A kiosk, counter or bridge of a site run by its centre's own server: ``moved`` to
        that server when its address is configured, else ``forbidden``; then closed."""
        url = None
        if site.centre_url:
            try:
                url = websocket_url(site.centre_url)
            except OptionError:
                url = None
        message = (f"site {site.code!r} is run by its centre's own server: {url}" if url else
                   f"site {site.code!r} is run by its centre's own server "
                   "(forwarded_from_centre); connect this device to that server")
        self._enqueue(wire.encode_error(request_id, ErrorCode.MOVED if url else
                                        ErrorCode.FORBIDDEN, message, url))
        logger.info("refused a hello from %s for site %s: run by its centre's own server",
                    self.address, site.code)
        await self._refuse(CLOSE_MOVED if url else CLOSE_POLICY, "run by the centre's server")

    async def _served_here(self, request_id: int | str | None,
                           code: str) -> SiteRuntime | None:
        """Site ``code``'s runtime when this process serves it (several processes: after
        waiting a moment for a takeover); else ``None``, the hello answered ``moved`` with the
        owner's address and the connection closed."""
        runtime, owner = await self.service.site_for_hello(code)
        if runtime is None:
            self._moved(request_id, code, owner)
            await self._refuse(CLOSE_MOVED, "moved")
        return runtime

    async def _citizen_hello(self, request: wire.Hello) -> None:
        """A ticket's status page (server.app.citizens): its tracking code admits it to that
        one ticket of today, read-only, within the citizens' connection limits."""
        assert request.track is not None  # the hello's own rule
        found = self.service.find_track(request.track)
        if found is None and self.service.ownership is not None:
            # Several processes: the ticket's site may be served by another one.
            site = await self.service.remote_tracks.site_of(request.track)
            if site is not None and request.site in (None, site):
                if await self._served_here(request.id, site) is None:
                    return
                found = self.service.find_track(request.track)
        if found is None or request.site not in (None, found[0].settings.code):
            # Tickets are kept for their day: yesterday's code is as unknown as a made-up one.
            self._error(request.id, ErrorCode.NOT_FOUND,
                        "field 'track': no ticket of today has this tracking code (a ticket "
                        "is followed only on the day it was issued)")
            logger.info("refused a citizen hello from %s: no such ticket today", self.address)
            await self._refuse(CLOSE_POLICY, "no such ticket today")
            return
        runtime, ticket = found
        refused = self.service.citizens.admit(self.settings, self.address,
                                              runtime.settings.code, ticket.id)
        if refused is not None:
            self._error(request.id, ErrorCode.RATE_LIMITED, refused)
            logger.warning("refused a citizen hello from %s: %s", self.address, refused)
            await self._refuse(CLOSE_POLICY, "too many ticket pages")
            return
        self.role = Role.CITIZEN
        self.runtime = runtime
        self.citizen = ticket.id
        runtime.sessions.add(self)
        # The view and the subscription in one step: no event can fall between them.
        runtime.connections += 1
        runtime.subscribers.add(self)
        view = view_of(runtime, ticket.id)
        assert view is not None  # found in the committed state just now
        self._citizen_sent = view
        self._reply(request.id, {
            "protocol": wire.PROTOCOL_VERSION,
            "server": {"name": SERVER_NAME, "version": __version__},
            "role": Role.CITIZEN.value,
            "site": runtime.settings.code,
            "seq": runtime.committed.seq,
            **view,
        })

    async def _manager_hello(self, request: wire.Hello, token: str) -> None:
        """A manager's page: its socket ticket names a signed-in account; it watches one site
        it may see (``site``) or every site it may see (the province view), read-only."""
        user = self.service.web_sessions.socket_user(token)
        account = self.service.accounts.get(user) if user is not None else None
        watched = [runtime for code, runtime in self.service.sites.items()
                   if account is not None and account.may_see(code)
                   and request.site in (None, code)]
        if account is None or not watched:
            self._error(request.id, ErrorCode.UNAUTHORIZED,
                        "field 'token': not a valid ticket of a signed-in manager for this "
                        "site; reload the page")
            logger.warning("refused a manager hello from %s: socket ticket not valid",
                           self.address)
            await self._refuse(CLOSE_POLICY, "bad ticket")
            return
        self.role = Role.MANAGER
        self.runtime = watched[0]
        self.watched = watched
        self.user = account.user
        for runtime in watched:
            runtime.sessions.add(self)
        self.subscribe = None if request.subscribe is None else tuple(request.subscribe)
        for runtime in watched:
            runtime.connections += 1
            if self.subscribe != ():
                runtime.subscribers.add(self)
        result: dict[str, Any] = {
            "protocol": wire.PROTOCOL_VERSION,
            "server": {"name": SERVER_NAME, "version": __version__},
            "role": Role.MANAGER.value,
            "sites": [runtime.settings.code for runtime in watched],
            # Several sites number their events apart: no one ``seq`` (0) for the province.
            "seq": 0,
        }
        if request.site is not None:
            result.update(site=self.runtime.settings.code, seq=self.runtime.committed.seq,
                          state=self._state(self.runtime.committed))
        self._reply(request.id, result)

    def still_valid(self) -> bool:
        """Whether the configuration in force still admits this connection (its device
        token, or its manager's account and sites)."""
        if self.runtime is None or self.role is None or self.role is Role.CITIZEN:
            return True  # a citizen's ticket outlives any configuration change of its day
        if self.role is Role.MANAGER:
            account = self.service.accounts.get(self.user or "")
            return account is not None and all(account.may_see(runtime.settings.code)
                                               for runtime in self.watched)
        granted = self._grant(self.runtime.settings, self.role, self._token)
        if granted is None:
            return False
        self.allowed_counters = granted.counters  # a bridge's counters may have changed
        return True

    async def close_for(self, reason: str, moved: bool = False) -> None:
        """Close this connection because of ``reason`` (1008; 1012 when the site ``moved``
        to another server process)."""
        if self.closing:
            return
        self._closer = self._loop.create_task(
            self._refuse(CLOSE_MOVED if moved else CLOSE_POLICY, reason))
        self._abort_later()

    def _moved(self, request_id: int | str | None, site: str, owner: str | None) -> None:
        """Answer ``moved``: the WebSocket address of the process that serves ``site``
        (``owner``, a public URL; else the last one seen), or none right now."""
        owner = owner or self.service.owner_url(site)
        url = None
        if owner is not None:
            try:
                url = websocket_url(owner)
            except OptionError:
                logger.warning("site %s: the owner's public URL %r is not an address", site,
                               owner)
        message = (f"site {site!r} is served by another server process: {url}" if url else
                   f"site {site!r} is being moved to another server process; try again "
                   "shortly (or another address of the deployment)")
        self._enqueue(wire.encode_error(request_id, ErrorCode.MOVED, message, url))

    def _site_of_token(self, role: Role, token: str) -> SiteSettings | None:
        """The one site whose device tokens hold ``token`` for ``role`` (a hello without
        ``site``). Every site is compared, so the time taken does not reveal which matched."""
        found = [site for site in self.service.site_settings.values()
                 if self._site_token(site, role, token) is not None]
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _site_token(site: SiteSettings, role: Role, token: str) -> TokenSettings | None:
        found = None
        # Compare against every candidate so the time taken does not reveal which matched.
        for candidate in site.tokens:
            if tokens_equal(token, candidate.token) and candidate.role is role:
                found = candidate
        return found

    def _grant(self, site: SiteSettings, role: Role, token: str) -> _Grant | None:
        """What ``token`` allows at ``site`` for ``role``, or ``None`` when it is not valid."""
        device = self._site_token(site, role, token)
        server_wide = False
        if role is Role.ADMIN:
            for admin_token in self.settings.admin_tokens:
                server_wide |= tokens_equal(token, admin_token)
        if device is None and not server_wide:
            return None
        if role is Role.BRIDGE and device is not None:
            return _Grant(frozenset(device.counters))
        return _Grant(None)

    async def _replay(self, after: int) -> int:
        """Send every kept event with ``seq > after`` in order, then continue live."""
        assert self.runtime is not None
        runtime = self.runtime
        if after > runtime.committed.seq:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"field 'after': {after} is beyond the latest event "
                                f"{runtime.committed.seq}")
        self._holding = []
        replay: list[StoredEvent] = []
        last = after
        try:
            while last < runtime.committed.seq:
                memory = runtime.recent_after(last)
                if memory is not None:
                    replay.extend(memory)
                    last = memory[-1].seq if memory else last
                    break
                chunk = await self.service.read_events(runtime.settings.code, last, 2000)
                if not chunk or chunk[0].seq != last + 1 or len(replay) > REPLAY_LIMIT:
                    raise ProtocolError(ErrorCode.GAP, f"events after {after} are no longer "
                                                       "kept; take a snapshot")
                replay.extend(chunk)
                last = chunk[-1].seq
            for stored in replay:
                self.deliver_replayed(stored)
        finally:
            held, self._holding = self._holding, None
        for seq, frame in held:
            if seq > last:
                self._enqueue(frame)
        return len(replay)

    def deliver_replayed(self, stored: StoredEvent) -> None:
        assert self.runtime is not None
        if self.subscribe is not None and not stored.name.startswith(self.subscribe):
            return
        frame = self.runtime.public_frame(stored) if self.public else self.runtime.frame(stored)
        if frame is not None:
            self._enqueue(frame)

    # --- requests -------------------------------------------------------------------------

    async def _dispatch(self, request: Any) -> dict[str, Any]:
        assert self.role is not None and self.runtime is not None
        kind: str = request.type
        if kind == "hello":
            raise ProtocolError(ErrorCode.BAD_REQUEST, "hello was already done")
        if self.role not in _PERMISSIONS[kind]:
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"a {self.role.value} connection may not {kind}")
        handler: Callable[[Any], Awaitable[dict[str, Any]]] = getattr(self, f"_do_{kind}")
        return await handler(request)

    async def _do_snapshot(self, request: wire.SnapshotRequest) -> dict[str, Any]:
        assert self.runtime is not None and self.role is not None
        if self.citizen is not None:
            view = view_of(self.runtime, self.citizen)
            if view is None:
                raise ProtocolError(ErrorCode.NOT_FOUND,
                                    "field 'track': the ticket is not today's any more")
            self._citizen_sent = view
            return {**view, "seq": self.runtime.committed.seq}
        result = {"state": self._state(self.runtime.committed),
                  "seq": self.runtime.committed.seq}
        if self.contact is not None:
            # The profile as configured now: a config.changed is followed by a snapshot.
            device = self._site_token(self.runtime.settings, self.role, self._token)
            if device is not None:
                result["device"] = _device(device)
        return result

    def _state(self, state: SiteState) -> dict[str, Any]:
        assert self.runtime is not None
        snapshot = self.runtime.views.snapshot(state)
        return public_state(snapshot) if self.public else snapshot

    async def _do_forward(self, request: wire.ForwardRequest) -> dict[str, Any]:
        """A centre's own server forwards its site's events (server.app.forwarding)."""
        from server.app.forwarding import apply_forward

        assert self.runtime is not None
        return await apply_forward(self.service, self.runtime, request)

    async def _do_devices(self, request: wire.DevicesRequest) -> dict[str, Any]:
        assert self.runtime is not None
        views = self.runtime.views
        return {"devices": [views.device(report)
                            for report in self.runtime.committed.devices.values()]}

    async def _do_ticket(self, request: wire.TicketRequest) -> dict[str, Any]:
        assert self.runtime is not None
        state = self.runtime.committed
        if request.number is not None:
            ticket = state.ticket_by_number(request.number.strip().upper())
            missing = f"field 'number': no ticket {request.number!r} today"
        else:
            assert request.ticket_id is not None
            ticket = state.tickets.get(request.ticket_id)
            missing = f"field 'ticket_id': no ticket {request.ticket_id!r} today"
        if ticket is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, missing)
        shown = self.runtime.views.ticket(state, ticket)
        return {"ticket": public_ticket(shown) if self.public else shown}

    async def _do_resume(self, request: wire.ResumeRequest) -> dict[str, Any]:
        assert self.runtime is not None
        replayed = await self._replay(request.after)
        return {"replayed": replayed, "seq": self.runtime.committed.seq}

    async def _do_issue(self, request: wire.IssueRequest) -> dict[str, Any]:
        if request.appointment_at is not None and self.role is not Role.ADMIN:
            # Due appointments are called before walk-ins: only the centre's own booking
            # system (an admin connection) may say a ticket has one.
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                "field 'appointment_at': a kiosk cannot claim an appointment; "
                                "appointments come from the centre's own bookings")
        assert self.runtime is not None
        priority = request.priority
        if request.birth_date is not None and priority is None:
            priority = age_priority(self.runtime.settings,
                                    self._birth_date(request.birth_date), self._today(),
                                    request.service)
        command = commands.IssueTicket(request.service, priority, request.request_key,
                                       request.appointment_at)
        # A kiosk's press is the citizen's (its events keep it); an admin connection's
        # ticket (the centre's booking system) is recorded.
        result = await self._ticket_result(
            command, Action.TICKET_ISSUE if self.role is Role.ADMIN else None)
        # Only the press that took the number learns the link with the rating key: it goes
        # into the QR printed on the ticket and into no event (server.app.audience).
        assert self.runtime is not None
        ticket = result["ticket"]
        ticket["track_url"] = self.runtime.views.rating_url(ticket["id"])
        return result

    def _today(self) -> date:
        assert self.runtime is not None
        return self.runtime.clock().astimezone(self.runtime.settings.timezone).date()

    def _birth_date(self, birth_date: date) -> date:
        """A birth date from an ID card, which cannot lie after the site's today."""
        if birth_date > self._today():
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"field 'birth_date': {birth_date.isoformat()} is after today")
        return birth_date

    async def _do_check_in(self, request: wire.CheckInRequest) -> dict[str, Any]:
        """A booking checked in (server.booking.desk): its ticket, as ``issue`` gives it
        (with the rating key for the QR), and the booking."""
        assert self.runtime is not None
        birth_date = None if request.birth_date is None else self._birth_date(
            request.birth_date)
        checked = await self.service.bookings.check_in(self.runtime, request.code,
                                                       request.request_key, birth_date)
        runtime = checked.runtime
        state = runtime.committed
        ticket = runtime.views.ticket(state, state.tickets.get(checked.ticket.id,
                                                               checked.ticket))
        ticket["track_url"] = runtime.views.rating_url(ticket["id"])
        code = self.service.bookings.code_of(checked.booking)
        return {"ticket": ticket,
                "booking": booking_object(runtime.settings, code, checked.booking)}

    async def _do_bookings(self, request: wire.BookingsRequest) -> dict[str, Any]:
        """The bookings a CCCD number can check in today here; a kiosk may ask
        :data:`BOOKINGS_PER_MINUTE` times a minute."""
        assert self.runtime is not None
        if self.role is Role.KIOSK and not self._lookups.take():
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"more than {BOOKINGS_PER_MINUTE} booking lookups a minute "
                                "from this kiosk; try again in a minute")
        desk = self.service.bookings
        found = await desk.bookings_today(self.runtime, request.id_number)
        site = self.runtime.settings
        return {"bookings": [booking_object(site, desk.code_of(booking), booking)
                             for booking in found]}

    async def _do_cancel(self, request: wire.CancelRequest) -> dict[str, Any]:
        return await self._ticket_result(commands.CancelTicket(request.ticket_id),
                                         Action.TICKET_CANCEL)

    async def _do_login(self, request: wire.LoginRequest) -> dict[str, Any]:
        assert self.runtime is not None
        site = self.runtime.settings
        if self.role is Role.BRIDGE:
            self._check_allowed(request.counter)
        session = None
        if self.role is Role.COUNTER:
            if request.user is None or (request.password is None) == (request.session is None):
                raise ProtocolError(ErrorCode.BAD_REQUEST,
                                    "fields 'user' and 'password' or 'session': a user and "
                                    "exactly one of the password and a session are required")
            if request.session is not None:
                await self._check_session(site, request.counter, request.user,
                                          request.session)
                session = request.session  # it keeps its expiry: a session never extends
            else:
                await self._check_password(site, request.counter, request.user,
                                           request.password or "")
        elif request.session is not None:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                "field 'session': only a counter terminal logs in with one")
        outcome = await self.runtime.execute(
            commands.Login(request.counter, request.user),
            self._audit_counter(Action.COUNTER_LOGIN, request.counter,
                                request.user if self.role is Role.COUNTER else None))
        self.counter = request.counter
        self.user = request.user
        result = self._counter_result(outcome)
        if self.role is Role.COUNTER and request.user is not None:
            officer = site.officer(request.user)
            assert officer is not None  # the password was just checked
            result["session"] = session or self._new_session(site, request.counter,
                                                             request.user, officer.password_hash)
        return result

    def _new_session(self, site: SiteSettings, counter: str, user: str,
                     password_hash: str) -> str:
        """A counter session for ``user`` at ``counter``, made now under ``password_hash``
        (server.app.counter_sessions)."""
        return self.service.counter_sessions.make(site.code, counter, user, password_hash,
                                                  self.service.clock().timestamp())

    def _officer_actor(self, site: SiteSettings, user: str, counter: str) -> Actor:
        """Who signs in as ``user`` at ``counter`` from this connection, for the audit log. A
        name that is no officer's is not kept: it may be a password typed in the wrong field."""
        return Actor(ActorKind.OFFICER, user if site.officer(user) is not None else UNKNOWN_USER,
                     _channel(self.role or Role.COUNTER), self.address, self.device_name,
                     counter)

    async def _check_session(self, site: SiteSettings, counter: str, user: str,
                             session: str) -> None:
        """Refuse a counter session that is not live for ``user`` at ``counter`` (see
        server.app.counter_sessions for what makes one live), recording the refusal in the
        audit log. No hashing: a session costs no scrypt, and it cannot be guessed, so a
        refusal is not counted against the sign-in throttle."""
        assert self.runtime is not None
        officer = site.officer(user)
        problem: str | None
        if officer is None:
            problem = "it was made for another counter or officer"
        else:
            problem = self.service.counter_sessions.check(
                session, site.code, counter, user, officer.password_hash,
                self.service.clock().timestamp())
        if problem is None:
            assert officer is not None
            state = self.runtime.working.counter(counter)
            if not officer.active:
                problem = f"officer {user!r} is disabled"
            elif state.status is CounterStatus.CLOSED or state.officer != user:
                problem = f"{user!r} is no longer logged in at counter {counter}"
        if problem is None:
            return
        await self.service.audit.refused(self._officer_actor(site, user, counter),
                                         Action.SIGN_IN_FAILED, "session",
                                         site.code, f"counter/{counter}")
        raise ProtocolError(ErrorCode.UNAUTHORIZED,
                            f"field 'session': {problem}; log in with the password")

    async def _check_password(self, site: SiteSettings, counter: str, user: str,
                              password: str, action: Action = Action.SIGN_IN_FAILED) -> None:
        """Refuse a wrong password, slowing guessing down (server.app.throttle); each
        refusal is recorded in the audit log as ``action``."""
        throttle = self.service.sign_ins
        account = f"{site.code}/{user}"
        officer = site.officer(user)
        actor = self._officer_actor(site, user, counter)
        wait = throttle.wait_seconds(account, self.address)
        if wait > 0:
            await self.service.audit.refused(actor, action, ErrorCode.RATE_LIMITED.value,
                                             site.code, f"counter/{counter}")
            # Refused unchecked: a guesser learns nothing and costs no hashing.
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                f"too many failed sign-ins for {user!r} from this machine; "
                                f"try again in {math.ceil(wait)} s")
        # Hash even for an unknown user so timing does not tell which users exist.
        stored = officer.password_hash if officer else site.officers[0].password_hash \
            if site.officers else None
        matches = False
        if stored is not None:
            try:
                matches = bool(await self.service.run_blocking(verify_password, password,
                                                               stored))
            except PasswordHashError:
                logger.error("officer %s has a malformed password hash", user)
        if officer is None or not matches:
            failures = throttle.failed(account, self.address)
            logger.warning("failed sign-in of %r at counter %s of %s from %s (%d in a row)",
                           user, counter, site.code, self.address, failures)
            await self.service.audit.refused(actor, action, ErrorCode.UNAUTHORIZED.value,
                                             site.code, f"counter/{counter}")
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "user or password is wrong")
        throttle.succeeded(account, self.address)
        if not officer.active:
            # Said only to whoever knows the password: they need to know to ask.
            logger.warning("disabled officer %r tried to log in at counter %s of %s from %s",
                           user, counter, site.code, self.address)
            await self.service.audit.refused(actor, action, "disabled", site.code,
                                             f"counter/{counter}")
            raise ProtocolError(ErrorCode.UNAUTHORIZED,
                                f"officer {user!r} is disabled; ask the centre's administrator")

    async def _do_change_password(self, request: wire.ChangePasswordRequest
                                  ) -> dict[str, Any]:
        """The officer logged in on this connection changes their own password: the current
        one checked as a sign-in is (throttled alike), the new one held to the one rule
        (server.security.password_problem), then saved as a new configuration version. This
        connection stays logged in; the new password is the one for the next login."""
        assert self.runtime is not None
        site = self.runtime.settings
        counter, user = self.counter, self.user
        if counter is None or user is None:
            raise ProtocolError(ErrorCode.UNAUTHORIZED,
                                "log in to a counter first: only the officer logged in on "
                                "this connection may change their password")
        if self.runtime.working.counter(counter).officer != user:
            self.counter = None  # as for a counter action: someone else logged in there since
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"you are no longer logged in at counter {counter}")
        problem = password_problem(request.new_password, user, request.current_password)
        if problem is not None:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"field 'new_password': {problem}")
        try:
            await self._check_password(site, counter, user, request.current_password,
                                       Action.PASSWORD_CHANGE)
        except ProtocolError as error:
            if error.code is not ErrorCode.UNAUTHORIZED:
                raise  # slowed down: the message says when to try again
            raise ProtocolError(ErrorCode.UNAUTHORIZED,
                                "field 'current_password': the password is wrong") from None
        new_hash = str(await self.service.run_blocking(hash_password, request.new_password))

        def new_password(document: dict[str, Any]) -> None:
            # Edits the configuration in force, under its lock: no other change is lost.
            officer = next((item for entry in document.get("sites", [])
                            if entry.get("code") == site.code
                            for item in entry.get("officers", []) if item.get("user") == user),
                           None)
            if officer is None:
                raise ProtocolError(ErrorCode.NOT_FOUND,
                                    f"user: no officer {user!r} at this site any more")
            officer["password_hash"] = new_hash

        try:
            version = await self.service.configuration.edit(
                new_password, author=f"{site.code}/{user}",
                comment=f"changed own password at counter {counter}", confirmed=True,
                record=ChangeRecord(self._actor(counter), Action.PASSWORD_CHANGE,
                                    f"{site.code}/officers/{user}"))
        except (ConfigError, ConfigurationChangeError) as error:
            logger.warning("the password change of %s at %s was refused by the "
                           "configuration: %s", user, site.code, error)
            raise ProtocolError(ErrorCode.CONFLICT,
                                f"the configuration refused the change: {error}") from None
        logger.info("officer %s of %s changed their password at counter %s from %s "
                    "(configuration version %d)", user, site.code, counter, self.address,
                    version)
        # The sessions made under the old password are over: this connection gets one under
        # the new one, to log in again with after a lost connection.
        return {"changed": True, "session": self._new_session(site, counter, user, new_hash)}

    async def _do_logout(self, request: wire.LogoutRequest) -> dict[str, Any]:
        assert self.runtime is not None
        code = self._acting_counter(request)
        outcome = await self.runtime.execute(commands.Logout(code),
                                             self._audit_counter(Action.COUNTER_LOGOUT, code))
        if code == self.counter:
            self.counter = None
            self.user = None
        return self._counter_result(outcome)

    async def _do_call_next(self, request: wire.CallNextRequest) -> dict[str, Any]:
        return await self._ticket_result(commands.CallNext(self._acting_counter(request)),
                                         Action.TICKET_CALL_NEXT)

    async def _do_call(self, request: wire.CallRequest) -> dict[str, Any]:
        return await self._ticket_result(
            commands.CallNumber(self._acting_counter(request), request.number),
            Action.TICKET_CALL)

    async def _do_recall(self, request: wire.RecallRequest) -> dict[str, Any]:
        return await self._ticket_result(commands.Recall(self._acting_counter(request)),
                                         Action.TICKET_RECALL)

    async def _do_start(self, request: wire.StartRequest) -> dict[str, Any]:
        return await self._ticket_result(
            commands.StartService(self._acting_counter(request)), Action.TICKET_START)

    async def _do_no_show(self, request: wire.NoShowRequest) -> dict[str, Any]:
        return await self._ticket_result(
            commands.MarkNoShow(self._acting_counter(request), request.requeue),
            Action.TICKET_NO_SHOW)

    async def _do_finish(self, request: wire.FinishRequest) -> dict[str, Any]:
        return await self._ticket_result(
            commands.Finish(self._acting_counter(request), request.case_code),
            Action.TICKET_FINISH)

    async def _do_transfer(self, request: wire.TransferRequest) -> dict[str, Any]:
        return await self._ticket_result(
            commands.Transfer(self._acting_counter(request), request.service, request.counter),
            Action.TICKET_TRANSFER)

    async def _do_pause(self, request: wire.PauseRequest) -> dict[str, Any]:
        assert self.runtime is not None
        code = self._acting_counter(request)
        return self._counter_result(await self.runtime.execute(
            commands.Pause(code, request.reason),
            self._audit_counter(Action.COUNTER_PAUSE, code)))

    async def _do_resume_counter(self, request: wire.ResumeCounterRequest) -> dict[str, Any]:
        assert self.runtime is not None
        code = self._acting_counter(request)
        return self._counter_result(await self.runtime.execute(
            commands.ResumeCounter(code), self._audit_counter(Action.COUNTER_RESUME, code)))

    async def _do_rate(self, request: wire.RateRequest) -> dict[str, Any]:
        assert self.runtime is not None
        counter: str | None = None
        if self.role is Role.KIOSK:
            source = RatingSource.KIOSK
        elif self.role in (Role.COUNTER, Role.BRIDGE) or request.as_counter is not None:
            source = RatingSource.COUNTER
            counter = self._acting_counter(request)
        else:
            source = RatingSource.ADMIN
        # A rating entered for the citizen at a counter (or by an admin connection) is
        # recorded; the citizen's own at a kiosk is not.
        outcome = await self.runtime.execute(
            commands.Rate(request.ticket_id, request.score, source, counter),
            None if source is RatingSource.KIOSK else self._audit_rating(counter))
        rating = outcome.result
        assert isinstance(rating, Rating)
        return {"rating": self.runtime.views.rating(rating)}

    async def _do_device_status(self, request: wire.DeviceStatusRequest) -> dict[str, Any]:
        assert self.runtime is not None and self.role is not None
        if request.counter is not None:
            self._check_allowed(request.counter)
        self._check_device_quota(request.device)
        outcome = await self.runtime.execute(commands.ReportDevice(
            request.device, DeviceKind(request.kind), DeviceCondition(request.status),
            self.role.value, request.message, request.counter))
        self.runtime.silent_since.pop(request.device, None)
        if self.contact is not None:
            self.contact.reported.add(request.device)
        assert isinstance(outcome.result, DeviceReport)
        return {"device": self.runtime.views.device(outcome.result)}

    async def _do_queue(self, request: wire.QueueRequest) -> dict[str, Any]:
        assert self.runtime is not None
        code = self._acting_counter(request)
        settings = self.runtime.settings.counter(code)
        if settings is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"counter: no counter {code!r}")
        state = self.runtime.committed
        order = calling_order(self.runtime.settings, state, settings, self.runtime.clock())
        return {"tickets": [self.runtime.views.ticket(state, ticket) for ticket in order]}

    async def _do_counter_stats(self, request: wire.CounterStatsRequest) -> dict[str, Any]:
        assert self.runtime is not None
        figures = counter_figures(self.runtime.committed, self._acting_counter(request))
        return {"stats": {
            "served": figures.served,
            "no_show": figures.no_show,
            "average_wait_seconds": figures.average_wait_seconds,
            "average_service_seconds": figures.average_service_seconds,
            "ratings": {str(score): count for score, count in figures.ratings.items()},
            "average_score": figures.average_score,
        }}

    # --- helpers --------------------------------------------------------------------------

    def _acting_counter(self, request: Any) -> str:
        """The counter a counter action applies to, checking this connection may act for it."""
        assert self.runtime is not None
        if self.role in (Role.ADMIN, Role.BRIDGE):
            code = request.as_counter or self.counter
            if code is None:
                raise ProtocolError(ErrorCode.BAD_REQUEST,
                                    f"field 'as_counter': a {self.role.value} connection must "
                                    "name the counter it acts for")
            self._check_allowed(str(code))
            return str(code)
        if self.counter is None:
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "log in to a counter first")
        if request.as_counter is not None and request.as_counter != self.counter:
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"field 'as_counter': this connection acts for counter "
                                f"{self.counter} only")
        if self.runtime.working.counter(self.counter).officer != self.user:
            # Someone else logged in there since; this connection no longer speaks for it.
            code, self.counter = self.counter, None
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"you are no longer logged in at counter {code}")
        return self.counter

    def _check_device_quota(self, device: str) -> None:
        """Bound the devices one connection and one site may register: each is kept in
        memory, and a flood of new names would grow the server without end."""
        assert self.runtime is not None
        known = self.runtime.working.devices
        if device in known or device in self.devices:
            return
        per_connection = self.settings.max_devices_per_connection
        if self.allowed_counters is not None:  # a bridge drives a few devices per counter
            per_connection += 4 * len(self.allowed_counters)
        if len(self.devices) >= per_connection:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"field 'device': this connection has reported "
                                f"{len(self.devices)} devices, the most one may")
        if len(known) >= self.settings.max_devices_per_site:
            raise ProtocolError(ErrorCode.BAD_REQUEST,
                                f"field 'device': the site already has "
                                f"{self.settings.max_devices_per_site} devices; unknown "
                                "ones are forgotten after a day without a report")
        self.devices.add(device)

    def _check_allowed(self, counter: str) -> None:
        """Refuse a counter this connection's token does not list (a bridge's device map)."""
        if self.allowed_counters is not None and counter not in self.allowed_counters:
            raise ProtocolError(ErrorCode.FORBIDDEN,
                                f"field 'as_counter': this token may act only for counters "
                                f"{', '.join(sorted(self.allowed_counters))}")

    async def _ticket_result(self, command: commands.Command,
                             action: Action | None = None) -> dict[str, Any]:
        """Run a ticket command (recorded in the audit log as ``action``); its reply."""
        assert self.runtime is not None
        audit = None if action is None else self._audit_ticket(
            action, getattr(command, "counter", None))
        outcome = await self.runtime.execute(command, audit)
        ticket = outcome.result
        assert isinstance(ticket, Ticket)
        state = outcome.state
        return {"ticket": self.runtime.views.ticket(state, state.tickets.get(ticket.id, ticket))}

    def _counter_result(self, outcome: Outcome) -> dict[str, Any]:
        assert self.runtime is not None and isinstance(outcome.result, CounterState)
        state = outcome.state
        return {"counter": self.runtime.views.counter(state, state.counter(outcome.result.code))}

    # --- the audit log --------------------------------------------------------------------

    def _actor(self, counter: str | None = None, officer: str | None = None) -> Actor:
        """Who acts on this connection: its officer (logged in here, or ``officer``, the
        one at the counter a bridge acts for), an admin token, or the device itself."""
        role = self.role or Role.COUNTER
        name = officer or (self.user if role is Role.COUNTER else None)
        if role is Role.ADMIN:
            kind, name = ActorKind.ADMINISTRATOR, self.device_name or SERVER_ADMIN_TOKEN
        elif name is not None:
            kind = ActorKind.OFFICER
        else:
            kind, name = ActorKind.DEVICE, self.device_name or role.value
        return Actor(kind, name, _channel(role), self.address, self.device_name, counter)

    def _audit_ticket(self, action: Action, counter: str | None) -> AuditMaker:
        """The audit entry of a ticket command at ``counter``: the ticket before and after."""
        def make(before: SiteState, outcome: Outcome) -> AuditEntry | None:
            ticket = outcome.result
            if not isinstance(ticket, Ticket):
                return None
            after = outcome.state.tickets.get(ticket.id, ticket)
            officer = before.counter(counter).officer if counter is not None else None
            return self.service.audit.entry(
                self._actor(counter, officer), action, outcome.state.site, ticket.id,
                _ticket_summary(before.tickets.get(ticket.id)), _ticket_summary(after))
        return make

    def _audit_counter(self, action: Action, counter: str,
                       officer: str | None = None) -> AuditMaker:
        """The audit entry of a counter command: the counter before and after."""
        def make(before: SiteState, outcome: Outcome) -> AuditEntry:
            return self.service.audit.entry(
                self._actor(counter, officer or before.counter(counter).officer), action,
                outcome.state.site, f"counter/{counter}",
                _counter_summary(before.counter(counter)),
                _counter_summary(outcome.state.counter(counter)))
        return make

    def _audit_rating(self, counter: str | None) -> AuditMaker:
        """The audit entry of a rating entered at ``counter`` (or by an admin connection)."""
        def make(before: SiteState, outcome: Outcome) -> AuditEntry | None:
            rating = outcome.result
            if not isinstance(rating, Rating):
                return None
            officer = before.counter(counter).officer if counter is not None else None
            return self.service.audit.entry(
                self._actor(counter, officer), Action.TICKET_RATE, outcome.state.site,
                rating.ticket_id, None, {"score": rating.score,
                                         "source": rating.source.value})
        return make

    async def _audit_refused(self, action: Action, code: ErrorCode,
                             counter: str | None) -> None:
        """Record a request of this connection refused as ``code``."""
        site = self.runtime.settings.code if self.runtime is not None else None
        officer = None
        if counter is not None and self.runtime is not None and self.role is Role.BRIDGE:
            officer = self.runtime.working.counter(str(counter)).officer
        await self.service.audit.refused(self._actor(counter and str(counter), officer),
                                         action, code.value, site)


def _device(token: TokenSettings) -> dict[str, Any]:
    """A device token's ``device`` object in the hello and snapshot replies."""
    return {"name": token.name, "profile": token.profile()}


def unavailable_message(error: DatabaseUnavailable) -> str:
    """The ``unavailable`` answer's message: whether the change may have been saved."""
    if error.in_doubt:
        return ("the database lost its primary while saving this change, which may or may "
                "not have been saved; send the same request again shortly (an issue with "
                "the same request_key gets its ticket) or take a snapshot")
    return ("the database has no primary right now (it is failing over); nothing was "
            "changed, send the request again shortly")
