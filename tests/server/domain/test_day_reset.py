"""The business day turns over at local midnight in Asia/Ho_Chi_Minh (17:00 UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from support.domain import VIETNAM, Desk, build_site, names

from server.domain import (
    CounterState,
    CounterStatus,
    DayReset,
    EventName,
    Ticket,
    TicketStatus,
    advance_day,
    new_site_state,
)
from server.domain.commands import CancelTicket, IssueTicket, MarkNoShow, StartService, Transfer

LAST_SECOND = datetime(2026, 11, 23, 23, 59, 59, tzinfo=VIETNAM)
MIDNIGHT = datetime(2026, 11, 24, 0, 0, 0, tzinfo=VIETNAM)
MIDNIGHT_UTC = datetime(2026, 11, 23, 17, 0, 0, tzinfo=UTC)


def busy_evening() -> Desk:
    """A day with tickets in every state, ending one second before midnight."""
    desk = Desk(build_site(), now=datetime(2026, 11, 23, 16, 0, tzinfo=VIETNAM))
    for service in ("KS", "KS", "KS", "KS", "KS", "KS", "CT"):
        desk.issue(service)
    desk.login("Q1")
    desk.login("Q3", "dung")
    desk.call_next("Q1")
    desk.serve("Q1", minutes=5)  # A001 done
    desk.call_next("Q1")
    desk.run(MarkNoShow("Q1", requeue=False))  # A002 no-show
    desk.run(CancelTicket(desk.ticket("A003").id))  # A003 cancelled
    desk.call_next("Q1")
    desk.run(StartService("Q1"))
    desk.run(Transfer("Q1", to_service="CT"))  # A004 transferred
    desk.call_next("Q3")  # A004 called again at Q3: by arrival its place comes first
    desk.call_next("Q1")  # A005 called; A006 and B001 still wait
    desk.now = LAST_SECOND
    return desk


def test_the_same_local_day_until_the_last_second() -> None:
    desk = busy_evening()
    outcome = advance_day(desk.site, desk.state, LAST_SECOND)
    assert outcome.events == ()
    assert outcome.state == desk.state
    assert outcome.state.business_date == date(2026, 11, 23)


def test_midnight_in_vietnam_is_17_utc() -> None:
    assert MIDNIGHT == MIDNIGHT_UTC
    desk = busy_evening()
    before = advance_day(desk.site, desk.state,
                         datetime(2026, 11, 23, 16, 59, 59, tzinfo=UTC))
    assert before.events == ()
    after = advance_day(desk.site, desk.state, MIDNIGHT_UTC)
    # Q1 and Q3 were open: each says it closed, after the reset itself.
    assert names(after) == [EventName.DAY_RESET, EventName.COUNTER_CHANGED,
                            EventName.COUNTER_CHANGED]
    assert after.state.business_date == date(2026, 11, 24)


def test_the_reset_lists_unserved_tickets_and_closes_counters() -> None:
    desk = busy_evening()
    statuses = {ticket.number: ticket.status for ticket in desk.state.tickets.values()}
    unserved = {ticket.id for ticket in desk.state.tickets.values()
                if ticket.status in {TicketStatus.WAITING, TicketStatus.CALLED,
                                     TicketStatus.SERVING, TicketStatus.TRANSFERRED}}
    assert statuses["A001"] is TicketStatus.DONE
    assert statuses["A002"] is TicketStatus.NO_SHOW
    assert statuses["A003"] is TicketStatus.CANCELLED
    assert len(unserved) == 4
    seq = desk.state.seq
    outcome = advance_day(desk.site, desk.state, MIDNIGHT)
    event, *closed_counters = outcome.events
    assert [item.seq for item in outcome.events] == [seq + 1, seq + 2, seq + 3]
    assert outcome.state.seq == seq + 3
    assert {item.subject.code for item in closed_counters
            if isinstance(item.subject, CounterState)} == {"Q1", "Q3"}
    assert all(isinstance(item.subject, CounterState)
               and item.subject.status is CounterStatus.CLOSED
               and item.subject.officer is None and item.subject.changed_at == MIDNIGHT
               for item in closed_counters)
    assert event.at == MIDNIGHT
    reset = event.subject
    assert isinstance(reset, DayReset)
    assert (reset.previous_date, reset.business_date) == (date(2026, 11, 23), date(2026, 11, 24))
    assert set(reset.cancelled) == unserved
    state = outcome.state
    assert len(state.tickets) == 0
    assert all(counter.status is CounterStatus.CLOSED and counter.ticket_id is None
               for counter in state.counters.values())
    assert set(state.counters.keys()) == {"Q1", "Q2", "Q3", "Q4"}
    assert not state.recent_calls and not state.request_keys and not state.ratings
    # Recent service times are kept: yesterday's pace is the best guess for this morning.
    assert state.service_seconds == desk.state.service_seconds


def test_numbers_restart_after_midnight_and_seq_keeps_rising() -> None:
    desk = busy_evening()
    seq = desk.state.seq
    desk.now = MIDNIGHT_UTC
    outcome = desk.run(IssueTicket("KS", request_key="press-1"))
    # The new day opens first (the reset, then the two counters that close), inside the
    # same command.
    assert names(outcome) == [EventName.DAY_RESET, EventName.COUNTER_CHANGED,
                              EventName.COUNTER_CHANGED, EventName.TICKET_ISSUED]
    assert [event.seq for event in outcome.events] == [seq + 1, seq + 2, seq + 3, seq + 4]
    ticket = outcome.result
    assert isinstance(ticket, Ticket)
    assert ticket.number == "A001"
    assert ticket.id == "test-site:20261124:A001"
    assert desk.issue("DD").number == "1001"
    assert desk.issue("CT").number == "B001"


def test_advance_day_is_idempotent() -> None:
    desk = busy_evening()
    first = advance_day(desk.site, desk.state, MIDNIGHT)
    second = advance_day(desk.site, first.state, MIDNIGHT.replace(hour=6))
    assert second.events == ()
    assert second.state == first.state


def test_a_site_after_several_idle_days_resets_once() -> None:
    desk = busy_evening()
    outcome = advance_day(desk.site, desk.state, MIDNIGHT.replace(day=27, hour=7))
    assert names(outcome) == [EventName.DAY_RESET, EventName.COUNTER_CHANGED,
                              EventName.COUNTER_CHANGED]
    reset = outcome.events[0].subject
    assert isinstance(reset, DayReset)
    assert reset.business_date == date(2026, 11, 27)


def test_new_site_state_uses_the_local_date() -> None:
    site = build_site()
    state = new_site_state(site, MIDNIGHT_UTC)
    assert state.business_date == date(2026, 11, 24)
    assert state.seq == 0


def test_counters_already_closed_say_nothing_at_midnight() -> None:
    desk = Desk(build_site(), now=datetime(2026, 11, 23, 16, 0, tzinfo=VIETNAM))
    desk.issue("KS")
    outcome = advance_day(desk.site, desk.state, MIDNIGHT)
    assert names(outcome) == [EventName.DAY_RESET]
