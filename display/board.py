"""The lobby board: everything a lobby display shows, as a pure model (no Qt, no I/O, no clock).

A :class:`Board` is built from the server's ``state`` (the ``hello`` or ``snapshot`` reply) and
moved on by each event of the lobby subscription (``LOBBY_DISPLAY_EVENTS``). The Qt display
paints it; the web display (``display/web/assets/display.js``) implements the same rules.

Contract:

* **Zone.** With ``BoardSettings.zone`` set, the board shows the counters of that zone, the
  calls made at them and the services they serve; without it, everything of the site.
* **Order.** ``apply_snapshot(state, seq, ...)`` replaces everything the server owns and sets
  ``seq``; ``apply_event`` ignores an event whose ``seq`` is not above ``seq`` (the snapshot
  already holds it). The caller delivers snapshots and events in the order they were received
  (``display.connection`` guarantees it).
* **Calls.** ``ticket.called`` makes the ticket the newest call, puts it first in the recent
  calls (once) and starts the flash; ``ticket.recalled`` makes it the newest call again and
  restarts the flash. Each returns the call to announce in :attr:`BoardUpdate.calls`; calls at
  counters outside the zone change nothing shown and announce nothing.
* **Waiting per service** is the snapshot's ``waiting``, moved on by the events: issued,
  requeued and transferred-to-a-service add one; called and cancelled take one away. Tickets
  transferred to a counter wait in that counter's own queue, not the service's, and are
  tracked by id (at most ``MAX_COUNTER_TRANSFERS``) so that their call takes nothing away.
* ``day.reset`` clears the calls and counts and asks for a fresh snapshot
  (:attr:`BoardUpdate.snapshot_needed`).
* **Bounded.** Recent calls keep at most ``recent_limit``; counters and services are those of
  the snapshot (events about unknown codes are ignored); the transfer ids are capped. Memory
  does not grow with the number of events.
* **Time is injected.** ``now`` is a monotonic reading in seconds (``time.monotonic()``).
  The flash lasts ``flash_seconds``, lit for the first half of each ``flash_period_seconds``.
  While the connection is not ``CONNECTED`` for ``stale_after_seconds`` the board is *stale*:
  the display says so (:class:`Banner`) rather than show old numbers as live. A ``REFUSED``
  connection (wrong token or site) is shown at once, with what to do.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from display.errors import DisplaySettingsError, MalformedMessageError

__all__ = [
    "MAX_COUNTER_TRANSFERS",
    "Banner",
    "Board",
    "BoardSettings",
    "BoardUpdate",
    "Call",
    "CallKind",
    "ConnectionStatus",
    "CounterPanel",
    "CounterStatus",
    "EventLike",
    "ServiceQueue",
    "SiteInfo",
]

logger = logging.getLogger(__name__)

MAX_COUNTER_TRANSFERS = 1000
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class ConnectionStatus(StrEnum):
    """The display's link to the server."""

    CONNECTING = "connecting"  # not connected yet since start
    CONNECTED = "connected"  # hello answered; events flow
    LOST = "lost"  # was connected (or tried); reconnecting
    REFUSED = "refused"  # the server turned the hello down (token or site); retrying


class Banner(StrEnum):
    """What the display must say over its content, if anything."""

    NONE = "none"
    CONNECTING = "connecting"  # never had data: "Đang kết nối…"
    CONNECTION_LOST = "connection_lost"  # data is stale: "Mất kết nối"
    UNKNOWN_ZONE = "unknown_zone"  # the configured zone is not at this site
    REFUSED = "refused"  # the server refused this display: "Mã thiết bị không hợp lệ"


class CallKind(StrEnum):
    CALL = "call"
    RECALL = "recall"


class CounterStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Call:
    """A ticket called (or recalled) to a counter, as the display shows and announces it."""

    ticket_id: str
    number: str
    counter: str
    counter_name: str
    service: str
    service_name: str
    service_name_en: str
    kind: CallKind = CallKind.CALL


@dataclass(frozen=True, slots=True)
class CounterPanel:
    """One counter: its name and the number it is serving (``None``: none)."""

    code: str
    name: str
    zone: str
    status: CounterStatus
    number: str | None


@dataclass(frozen=True, slots=True)
class ServiceQueue:
    """How many wait for one service."""

    code: str
    name: str
    name_en: str
    waiting: int


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """The centre's name, notice and time zone, from the snapshot."""

    code: str = ""
    name: str = ""
    name_en: str = ""
    notice: str = ""
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class BoardSettings:
    """How the board behaves; validated on construction (DisplaySettingsError)."""

    zone: str | None = None
    recent_limit: int = 6
    flash_seconds: float = 10.0
    flash_period_seconds: float = 1.0
    stale_after_seconds: float = 3.0
    max_replayed_calls: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.recent_limit <= 50:
            raise DisplaySettingsError(f"recent_limit must be 1..50, got {self.recent_limit}")
        if self.flash_seconds < 0 or self.flash_period_seconds <= 0:
            raise DisplaySettingsError("flash_seconds must be >= 0 and flash_period_seconds > 0")
        if self.stale_after_seconds < 0:
            raise DisplaySettingsError("stale_after_seconds must be >= 0")
        if self.max_replayed_calls < 0:
            raise DisplaySettingsError("max_replayed_calls must be >= 0")
        if self.zone is not None and not self.zone.strip():
            raise DisplaySettingsError("zone must not be empty")


@dataclass(frozen=True, slots=True)
class BoardUpdate:
    """What applying a snapshot or an event did.

    ``changed``: something shown changed (repaint). ``calls``: calls to announce, in order.
    ``snapshot_needed``: the board was cleared (``day.reset``); fetch a snapshot.
    """

    changed: bool = False
    calls: tuple[Call, ...] = ()
    snapshot_needed: bool = False


class EventLike(Protocol):
    """An event frame as ``server.protocol.client.EventMessage`` carries it."""

    @property
    def seq(self) -> int: ...

    @property
    def event(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


_UNCHANGED = BoardUpdate()


class Board:
    """The lobby board model (see the module contract). Not thread-safe: use it on one thread."""

    def __init__(self, settings: BoardSettings | None = None) -> None:
        self.settings = settings if settings is not None else BoardSettings()
        self.site = SiteInfo()
        self.zone_name = ""
        self.zone_name_en = ""
        self.zone_known = True
        self.seq = 0
        self.has_data = False
        self.newest_call: Call | None = None
        self.status = ConnectionStatus.CONNECTING
        self._status_since: float | None = None
        self._flash_started: float | None = None
        self._recent: deque[Call] = deque(maxlen=self.settings.recent_limit)
        self._counters: dict[str, CounterPanel] = {}
        self._zone_counters: frozenset[str] = frozenset()
        self._services: dict[str, ServiceQueue] = {}
        self._zone_services: tuple[str, ...] = ()
        self._counter_transfers: dict[str, None] = {}  # ids, oldest first (an ordered set)

    # --- what is shown -----------------------------------------------------------------------

    @property
    def recent_calls(self) -> tuple[Call, ...]:
        """The latest calls in the zone, newest first (at most ``recent_limit``)."""
        return tuple(self._recent)

    @property
    def counters(self) -> tuple[CounterPanel, ...]:
        """The zone's counters in configured order."""
        return tuple(panel for code, panel in self._counters.items()
                     if code in self._zone_counters)

    @property
    def services(self) -> tuple[ServiceQueue, ...]:
        """The services the zone's counters serve, in configured order, with their waiting."""
        return tuple(self._services[code] for code in self._zone_services)

    def waiting(self, service: str) -> int:
        """How many wait for ``service`` (0 when unknown)."""
        queue = self._services.get(service)
        return 0 if queue is None else queue.waiting

    def counter(self, code: str) -> CounterPanel | None:
        return self._counters.get(code)

    def flashing(self, now: float) -> bool:
        """True while the newest call flashes."""
        started = self._flash_started
        return started is not None and 0 <= now - started < self.settings.flash_seconds

    def flash_lit(self, now: float) -> bool:
        """True in the lit half of a flash period (False when not flashing)."""
        if not self.flashing(now):
            return False
        assert self._flash_started is not None
        period = self.settings.flash_period_seconds
        return (now - self._flash_started) % period < period / 2

    def flash_ends_at(self) -> float | None:
        """When the current flash ends (``None``: no flash since start)."""
        if self._flash_started is None:
            return None
        return self._flash_started + self.settings.flash_seconds

    def stale(self, now: float) -> bool:
        """True when the connection has been down for ``stale_after_seconds`` or more."""
        if self.status is ConnectionStatus.CONNECTED:
            return False
        since = self._status_since
        return since is None or now - since >= self.settings.stale_after_seconds

    def banner(self, now: float) -> Banner:
        """What to say over the content: a refusal at once (waiting cannot fix a wrong token),
        then a stale connection, then a zone that does not exist."""
        if self.status is ConnectionStatus.REFUSED:
            return Banner.REFUSED
        if self.stale(now):
            return Banner.CONNECTION_LOST if self.has_data else Banner.CONNECTING
        if not self.has_data:
            return Banner.CONNECTING
        if not self.zone_known:
            return Banner.UNKNOWN_ZONE
        return Banner.NONE

    def stale_at(self) -> float | None:
        """When the board turns stale if nothing changes (``None``: connected)."""
        if self.status is ConnectionStatus.CONNECTED or self._status_since is None:
            return None
        return self._status_since + self.settings.stale_after_seconds

    def in_zone(self, counter: str) -> bool:
        return counter in self._zone_counters

    # --- inputs ------------------------------------------------------------------------------

    def set_connection(self, status: ConnectionStatus, now: float) -> bool:
        """Record the link's status; returns True when it changed."""
        if status is self.status and self._status_since is not None:
            return False
        self.status = status
        self._status_since = now
        return True

    def apply_snapshot(
        self,
        state: Mapping[str, Any],
        seq: int,
        now: float,
        replayed: Sequence[EventLike] = (),
        announce_replayed: bool = False,
    ) -> BoardUpdate:
        """Replace everything from ``state`` (a snapshot taken at ``seq``).

        ``replayed``: events the snapshot already holds that happened while the display was
        away (a reconnect's replay). With ``announce_replayed`` the last
        ``max_replayed_calls`` calls among them in the zone flash and are returned to be
        announced; otherwise they are shown without flash or sound.
        Raises MalformedMessageError (and changes nothing) when ``state`` is unusable.
        """
        site_data = _mapping(state, "site")
        site = SiteInfo(code=_text(site_data, "code"), name=_text(site_data, "name"),
                        name_en=_text(site_data, "name_en"), notice=_text(site_data, "notice"),
                        timezone=_text(site_data, "timezone") or DEFAULT_TIMEZONE)
        counter_items = [_mapping_item(item, "counter") for item in _list(state, "counters")]
        counters = [_counter_panel(item) for item in counter_items]
        services = [_service_queue(item) for item in _list(state, "services")]
        zones = {_text(item, "code"): item
                 for item in (_mapping_item(entry, "zone") for entry in _list(state, "zones"))}
        recent = [_call(item, CallKind.CALL) for item in _list(state, "recent_calls")]
        zone = self.settings.zone
        zone_counters = frozenset(panel.code for panel in counters
                                  if zone is None or panel.zone == zone)
        served = {code for item, panel in zip(counter_items, counters, strict=True)
                  if panel.code in zone_counters for code in _strings(item, "services")}
        zone_info = zones.get(zone) if zone is not None else None
        zone_name = "" if zone_info is None else _text(zone_info, "name")
        zone_name_en = "" if zone_info is None else _text(zone_info, "name_en")

        self.site = site
        self.zone_known = zone is None or zone_info is not None
        self.zone_name, self.zone_name_en = zone_name, zone_name_en
        self._counters = {panel.code: panel for panel in counters}
        self._zone_counters = zone_counters
        self._services = {queue.code: queue for queue in services}
        self._zone_services = tuple(queue.code for queue in services
                                    if zone is None or queue.code in served)
        self._counter_transfers.clear()
        self._recent.clear()
        # Newest first: keep the first recent_limit (extending a full deque would drop them).
        in_zone = [call for call in recent if call.counter in self._zone_counters]
        self._recent.extend(in_zone[:self.settings.recent_limit])
        current = self.newest_call
        if current is not None and any(c.ticket_id == current.ticket_id for c in self._recent):
            pass  # keep it (it may be a recall) and its flash
        else:
            self.newest_call = self._recent[0] if self._recent else None
            self._flash_started = None
        self.seq = seq
        self.has_data = True
        calls: tuple[Call, ...] = ()
        if announce_replayed and self.settings.max_replayed_calls:
            found = [call for call in (_replayed_call(event) for event in replayed)
                     if call is not None and call.counter in self._zone_counters]
            calls = tuple(found[-self.settings.max_replayed_calls:])
            if calls:
                self.newest_call = calls[-1]
                self._flash_started = now
        return BoardUpdate(changed=True, calls=calls)

    def apply_event(self, event: EventLike, now: float) -> BoardUpdate:
        """Apply one event (see the module contract); a malformed one is logged and skipped."""
        if event.seq <= self.seq:
            return _UNCHANGED
        self.seq = event.seq
        try:
            return self._apply(event.event, event.data, now)
        except MalformedMessageError as error:
            logger.error("skipped malformed %s event (seq %d): %s", event.event, event.seq, error)
            return _UNCHANGED

    # --- events ------------------------------------------------------------------------------

    def _apply(self, name: str, data: Mapping[str, Any], now: float) -> BoardUpdate:
        if name == "ticket.called":
            return self._called(_call(data, CallKind.CALL), now)
        if name == "ticket.recalled":
            return self._recalled(_call(data, CallKind.RECALL), now)
        if name in ("ticket.issued", "ticket.requeued"):
            return self._queued(data)
        if name == "ticket.transferred":
            return self._transferred(data)
        if name == "ticket.cancelled":
            return self._left_queue(data)
        if name == "counter.changed":
            return self._counter_changed(_counter_panel(data))
        if name == "day.reset":
            return self._day_reset()
        if name == "config.changed":
            # New names, services or counters: the snapshot has them; calls and counts stay.
            return BoardUpdate(changed=False, snapshot_needed=True)
        return _UNCHANGED  # an event the lobby does not show

    def _called(self, call: Call, now: float) -> BoardUpdate:
        waiting = self._left_queue_by_id(call.ticket_id, call.service)
        self._set_counter_number(call.counter, call.number)
        if call.counter not in self._zone_counters:
            return waiting
        for index, earlier in enumerate(self._recent):
            if earlier.ticket_id == call.ticket_id:
                del self._recent[index]
                break
        self._recent.appendleft(call)
        self.newest_call = call
        self._flash_started = now
        return BoardUpdate(changed=True, calls=(call,))

    def _recalled(self, call: Call, now: float) -> BoardUpdate:
        self._set_counter_number(call.counter, call.number)
        if call.counter not in self._zone_counters:
            return _UNCHANGED
        if not any(earlier.ticket_id == call.ticket_id for earlier in self._recent):
            self._recent.appendleft(replace(call, kind=CallKind.CALL))
        self.newest_call = call
        self._flash_started = now
        return BoardUpdate(changed=True, calls=(call,))

    def _queued(self, data: Mapping[str, Any]) -> BoardUpdate:
        if data.get("target_counter"):
            return self._remember_counter_transfer(_text(data, "id"))
        return self._add_waiting(_text(data, "service"), 1)

    def _transferred(self, data: Mapping[str, Any]) -> BoardUpdate:
        # The ticket leaves the counter (counter.changed follows) and waits at its target.
        return self._queued(data)

    def _left_queue(self, data: Mapping[str, Any]) -> BoardUpdate:
        return self._left_queue_by_id(_text(data, "id"), _text(data, "service"))

    def _left_queue_by_id(self, ticket_id: str, service: str) -> BoardUpdate:
        if ticket_id in self._counter_transfers:
            del self._counter_transfers[ticket_id]
            return _UNCHANGED
        return self._add_waiting(service, -1)

    def _remember_counter_transfer(self, ticket_id: str) -> BoardUpdate:
        self._counter_transfers[ticket_id] = None
        while len(self._counter_transfers) > MAX_COUNTER_TRANSFERS:
            del self._counter_transfers[next(iter(self._counter_transfers))]
        return _UNCHANGED

    def _add_waiting(self, service: str, change: int) -> BoardUpdate:
        queue = self._services.get(service)
        if queue is None:
            return _UNCHANGED
        waiting = max(0, queue.waiting + change)
        if waiting == queue.waiting:
            return _UNCHANGED
        self._services[service] = replace(queue, waiting=waiting)
        return BoardUpdate(changed=service in self._zone_services)

    def _set_counter_number(self, code: str, number: str | None) -> None:
        panel = self._counters.get(code)
        if panel is not None and panel.number != number:
            self._counters[code] = replace(panel, number=number)

    def _counter_changed(self, panel: CounterPanel) -> BoardUpdate:
        known = self._counters.get(panel.code)
        if known is None:
            logger.warning("counter.changed for counter %r, not in the snapshot: ignored",
                           panel.code)
            return _UNCHANGED
        if known == panel:
            return _UNCHANGED
        self._counters[panel.code] = panel
        return BoardUpdate(changed=panel.code in self._zone_counters)

    def _day_reset(self) -> BoardUpdate:
        self._recent.clear()
        self.newest_call = None
        self._flash_started = None
        self._counter_transfers.clear()
        for code, queue in self._services.items():
            self._services[code] = replace(queue, waiting=0)
        for code, panel in self._counters.items():
            self._counters[code] = replace(panel, number=None)
        return BoardUpdate(changed=True, snapshot_needed=True)


# --- reading the wire objects ----------------------------------------------------------------


def _replayed_call(event: EventLike) -> Call | None:
    kind = {"ticket.called": CallKind.CALL, "ticket.recalled": CallKind.RECALL}.get(event.event)
    if kind is None:
        return None
    try:
        return _call(event.data, kind)
    except MalformedMessageError as error:
        logger.error("skipped malformed replayed %s (seq %d): %s", event.event, event.seq, error)
        return None


def _call(data: Mapping[str, Any], kind: CallKind) -> Call:
    number = _text(data, "number")
    counter = _text(data, "counter")
    if not number or not counter:
        raise MalformedMessageError(f"a call needs a number and a counter, got {dict(data)!r:.200}")
    return Call(ticket_id=_text(data, "id") or number, number=number, counter=counter,
                counter_name=_text(data, "counter_name") or counter,
                service=_text(data, "service"), service_name=_text(data, "service_name"),
                service_name_en=_text(data, "service_name_en"), kind=kind)


def _counter_panel(data: object) -> CounterPanel:
    item = _mapping_item(data, "counter")
    code = _text(item, "code")
    if not code:
        raise MalformedMessageError("a counter without a code")
    ticket = item.get("ticket")
    number = (_text(ticket, "number") or None) if isinstance(ticket, Mapping) else None
    try:
        status = CounterStatus(_text(item, "status") or "closed")
    except ValueError:
        status = CounterStatus.CLOSED
    return CounterPanel(code=code, name=_text(item, "name") or code, zone=_text(item, "zone"),
                        status=status, number=number)


def _service_queue(data: object) -> ServiceQueue:
    item = _mapping_item(data, "service")
    code = _text(item, "code")
    if not code:
        raise MalformedMessageError("a service without a code")
    waiting = item.get("waiting", 0)
    if isinstance(waiting, bool) or not isinstance(waiting, int):
        raise MalformedMessageError(f"service {code}: waiting must be a whole number")
    return ServiceQueue(code=code, name=_text(item, "name") or code,
                        name_en=_text(item, "name_en"), waiting=max(0, waiting))


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise MalformedMessageError(f"{key!r} must be an object")
    return value


def _mapping_item(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedMessageError(f"a {what} must be an object")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise MalformedMessageError(f"{key!r} must be a list")
    return value


def _strings(data: Mapping[str, Any], key: str) -> Iterable[str]:
    value = data.get(key, [])
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise MalformedMessageError(f"{key!r} must be text, got {type(value).__name__}")
