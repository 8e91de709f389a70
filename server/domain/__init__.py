"""Pure queue rules: ``apply(site, state, command, now) -> Outcome``. No I/O, no clock."""

from server.domain.errors import Closed, Conflict, DomainError, Forbidden, InvalidCommand, NotFound
from server.domain.model import (
    CounterState,
    CounterStatus,
    DayReset,
    Event,
    EventName,
    Rating,
    RatingSource,
    SiteState,
    Ticket,
    TicketStatus,
)
from server.domain.rules import Outcome, advance_day, apply, local_date, new_site_state

__all__ = [
    "Closed",
    "Conflict",
    "CounterState",
    "CounterStatus",
    "DayReset",
    "DomainError",
    "Event",
    "EventName",
    "Forbidden",
    "InvalidCommand",
    "NotFound",
    "Outcome",
    "Rating",
    "RatingSource",
    "SiteState",
    "Ticket",
    "TicketStatus",
    "advance_day",
    "apply",
    "local_date",
    "new_site_state",
]
