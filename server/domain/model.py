"""Domain state: tickets, counters and one site's day, as frozen values.

Collections are ``immutables.Map`` (a hash array mapped trie): replacing one ticket among
thousands costs O(log n), so the rules can return a new state per command without copying
the day's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from immutables import Map


class TicketStatus(StrEnum):
    """A ticket's life: waiting -> called -> serving -> done, with the side roads."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    # Waits at its target service or counter, keeping its number and place.
    TRANSFERRED = "transferred"


QUEUED_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.TRANSFERRED})
ACTIVE_STATUSES = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})


class CounterStatus(StrEnum):
    """``closed``: nobody logged in; ``open``: an officer is there; ``paused``: away."""

    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class EventName(StrEnum):
    """Every event the server emits; the wire uses these strings."""

    TICKET_ISSUED = "ticket.issued"
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_SERVING = "ticket.serving"
    TICKET_DONE = "ticket.done"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_REQUEUED = "ticket.requeued"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_CANCELLED = "ticket.cancelled"
    COUNTER_CHANGED = "counter.changed"
    RATING_RECEIVED = "rating.received"
    DAY_RESET = "day.reset"
    CONFIG_CHANGED = "config.changed"
    DEVICE_STATUS = "device.status"


class RatingSource(StrEnum):
    """Where a rating came from; the rating window applies to the counter's pad and screen."""

    COUNTER = "counter"
    KIOSK = "kiosk"
    WEB = "web"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One queue number for one day at one site.

    ``queue_key`` orders a queue: smaller is earlier. A transfer keeps it (the ticket keeps its
    place at the target); a re-queue after a no-show gives a new, larger one.
    """

    id: str
    number: str
    sequence: int
    number_group: str
    service: str
    priority: str | None
    status: TicketStatus
    queue_key: int
    business_date: date
    issued_at: datetime
    request_key: str | None = None
    counter: str | None = None
    target_counter: str | None = None
    officer: str | None = None
    called_at: datetime | None = None
    serving_at: datetime | None = None
    finished_at: datetime | None = None
    call_count: int = 0
    requeue_count: int = 0
    transfer_count: int = 0
    case_code: str | None = None
    appointment_at: datetime | None = None
    first_called_at: datetime | None = None
    # Issued from a citizen's phone (/dat-lich, "a number now"), not at a kiosk in the hall:
    # the same numbering, limits, hours and events; calling order does not look at it.
    remote: bool = False

    @property
    def queued(self) -> bool:
        return self.status in QUEUED_STATUSES


@dataclass(frozen=True, slots=True)
class CounterState:
    """A counter at run time: who works there and the ticket in hand.

    ``normal_streak`` counts ordinary tickets called since the last priority one and
    ``priority_streak`` priority tickets in a row; the interleave policy reads both.
    """

    code: str
    status: CounterStatus = CounterStatus.CLOSED
    officer: str | None = None
    ticket_id: str | None = None
    pause_reason: str | None = None
    priority_streak: int = 0
    normal_streak: int | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Rating:
    """A citizen's satisfaction rating of one served ticket."""

    ticket_id: str
    score: int
    source: RatingSource
    rated_at: datetime
    counter: str | None
    officer: str | None
    service: str
    case_code: str | None


class DeviceKind(StrEnum):
    """What reports a status: a kiosk's printer, a counter's LED board, keypad or pad, ..."""

    PRINTER = "printer"
    LED_BOARD = "led_board"
    KEYPAD = "keypad"
    RATING_PAD = "rating_pad"
    AUDIO = "audio"
    OTHER = "other"


class DeviceCondition(StrEnum):
    """A device's condition as its client sees it; anything but ``ok`` needs a person."""

    OK = "ok"
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    PAPER_NEAR_END = "paper_near_end"
    COVER_OPEN = "cover_open"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """The last reported condition of one device (a printer, an LED board, ...).

    ``reported_at`` is when the condition last changed; ``seen_at`` when the device was last
    reported at all (the same news again changes nothing else)."""

    device: str
    kind: DeviceKind
    condition: DeviceCondition
    message: str | None
    counter: str | None
    reported_by: str
    reported_at: datetime
    seen_at: datetime | None = None

    @property
    def last_seen(self) -> datetime:
        return self.seen_at or self.reported_at


@dataclass(frozen=True, slots=True)
class DayReset:
    """The site's business day changed; ``cancelled`` are the tickets left unserved."""

    business_date: date
    previous_date: date
    cancelled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConfigurationChange:
    """The site's configuration changed (version ``version``): clients take a fresh snapshot
    (new names, services, counters) while every ticket keeps its number and place."""

    version: int


EventSubject = Ticket | CounterState | Rating | DayReset | DeviceReport | ConfigurationChange


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened; ``seq`` rises by one per event within a site."""

    seq: int
    name: EventName
    at: datetime
    subject: EventSubject


@dataclass(frozen=True, slots=True)
class SiteState:
    """Everything the rules need about one site's current business day.

    ``queues`` maps a service code to its queued tickets (ticket id -> queue key);
    ``counter_queues`` the same for tickets transferred to one counter.
    ``service_seconds`` holds recent service durations per service, newest last.
    """

    site: str
    business_date: date
    seq: int = 0
    tickets: Map[str, Ticket] = field(default_factory=Map)
    queues: Map[str, Map[str, int]] = field(default_factory=Map)
    counter_queues: Map[str, Map[str, int]] = field(default_factory=Map)
    counters: Map[str, CounterState] = field(default_factory=Map)
    last_sequence: Map[str, int] = field(default_factory=Map)
    issued_per_service: Map[str, int] = field(default_factory=Map)
    next_queue_key: int = 1
    request_keys: Map[str, str] = field(default_factory=Map)
    numbers: Map[str, str] = field(default_factory=Map)
    service_seconds: Map[str, tuple[float, ...]] = field(default_factory=Map)
    recent_calls: tuple[str, ...] = ()
    ratings: Map[str, Rating] = field(default_factory=Map)
    devices: Map[str, DeviceReport] = field(default_factory=Map)

    def counter(self, code: str) -> CounterState:
        return self.counters.get(code) or CounterState(code)

    def ticket_by_number(self, number: str) -> Ticket | None:
        ticket_id = self.numbers.get(number)
        return None if ticket_id is None else self.tickets[ticket_id]
