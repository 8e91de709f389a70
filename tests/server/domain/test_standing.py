"""Where a ticket stands among all the open counters equals pressing call-next again and again
(server/domain/forecast.py against tests/support/domain.py's press_everyone)."""

from __future__ import annotations

import gc
import weakref
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support.domain import Desk, build_site, pressed_standings

from server.config import load_settings
from server.domain import DomainError, Ticket, apply
from server.domain.calling import calling_order
from server.domain.commands import (
    CallNext,
    Command,
    Finish,
    IssueTicket,
    Login,
    Logout,
    MarkNoShow,
    Pause,
    ResumeCounter,
    StartService,
    Transfer,
)
from server.domain.forecast import NOT_WAITING, Forecast, Forecasts

COUNTERS = ("Q1", "Q2", "Q3", "Q4")
POLICIES = ({"kind": "strict"}, {"kind": "interleave", "priority": 1, "normal": 2},
            {"kind": "interleave", "priority": 2, "normal": 1})
ISSUE = st.tuples(st.just("issue"), st.sampled_from(("KS", "KT", "CT", "DD")),
                  st.sampled_from((None, "elderly")),
                  st.sampled_from((None, None, None, -30, -5, 20)))
COUNTER_ACTION = st.tuples(
    st.sampled_from(("call", "call", "call", "serve", "serve", "transfer_to_q3", "no_show",
                     "transfer_to_ks", "pause", "resume", "logout", "login")),
    st.sampled_from(COUNTERS))
IN_HAND = frozenset({"serve", "no_show", "transfer_to_q3", "transfer_to_ks"})
ACTION = st.one_of(  # issuing about half the time, so queues build up
    ISSUE, ISSUE, ISSUE, COUNTER_ACTION, COUNTER_ACTION, COUNTER_ACTION,
    st.tuples(st.just("later"), st.sampled_from((1, 4, 10))),
)


def act(desk: Desk, action: tuple[Any, ...]) -> None:
    """One step of a working morning; refusals (nobody waiting, a ticket in hand) are skipped."""
    kind = action[0]
    try:
        if kind == "issue":
            _, service, priority, appointment = action
            at = None if appointment is None else desk.now + timedelta(minutes=appointment)
            desk.issue(service, priority, appointment_at=at)
        elif kind == "later":
            desk.later(minutes=action[1])
        else:
            code = action[1]
            if kind in IN_HAND:
                # Aimed at a counter with a ticket in hand, having it call one when none has.
                holding = [counter for counter in COUNTERS if desk.counter(counter).ticket_id]
                if holding:
                    code = holding[COUNTERS.index(code) % len(holding)]
                else:
                    desk.run(CallNext(code))
            if kind == "serve":
                desk.run(StartService(code))
                # A service time of its own per counter, so medians differ between services.
                desk.later(minutes=3 + 2 * COUNTERS.index(code))
            commands: dict[str, Command] = {
                "call": CallNext(code),
                "serve": Finish(code),
                "no_show": MarkNoShow(code),
                "pause": Pause(code),
                "resume": ResumeCounter(code),
                "logout": Logout(code),
                "login": Login(code, None),
                "transfer_to_q3": Transfer(code, to_counter="Q3"),
                "transfer_to_ks": Transfer(code, to_service="KS"),
            }
            desk.run(commands[kind])
    except DomainError:
        pass


@settings(derandomize=True, max_examples=300, deadline=None)
@given(policy=st.sampled_from(POLICIES),
       opened=st.sets(st.sampled_from(COUNTERS), min_size=1),
       actions=st.lists(ACTION, min_size=10, max_size=45),
       moment=st.sampled_from((0, 0, 2, 30)))
def test_standings_equal_pressing_next_at_the_counter_free_soonest(
    policy: dict[str, object], opened: set[str], actions: list[tuple[Any, ...]], moment: int
) -> None:
    site = build_site(priority_policy=policy)
    desk = Desk(site)
    for code in sorted(opened):
        desk.login(code, None)
    for action in actions:
        act(desk, action)
    now = desk.now + timedelta(minutes=moment)  # a status page read a while after the last press
    forecast = Forecast(site, desk.state, now)
    pressed = pressed_standings(site, desk.state, now)
    for ticket in desk.state.tickets.values():
        standing = forecast.standing(ticket)
        if not ticket.queued:
            assert (standing.known, standing.ahead, standing.wait_seconds) == (True, 0, None)
        elif ticket.id in pressed:
            assert standing.known, ticket
            assert (standing.ahead, standing.wait_seconds) == pressed[ticket.id], ticket
        else:  # no open counter could call it
            assert not standing.known and standing.wait_seconds is None, ticket
    # A new ordinary ticket, as if issued now.
    for service in ("KS", "KT", "CT", "DD"):
        issued = apply(site, desk.state, IssueTicket(service), now)
        assert isinstance(issued.result, Ticket)
        expected = pressed_standings(site, issued.state, now).get(issued.result.id)
        standing = forecast.new_ticket(service)
        if expected is None:
            assert not standing.known and standing.wait_seconds is None, service
        else:
            assert standing.known, service
            assert (standing.ahead, standing.wait_seconds) == expected, service


def standing(desk: Desk, number: str, now: datetime | None = None) -> tuple[bool, int, int | None]:
    """(known, ahead, eta_minutes) of ticket ``number`` at ``now`` (the desk's clock)."""
    found = Forecast(desk.site, desk.state, now or desk.now).standing(desk.ticket(number))
    return found.known, found.ahead, found.eta_minutes


def test_people_of_a_preferred_service_at_the_same_counter_are_ahead(desk: Desk) -> None:
    # Issue 12: Q2 calls certification (CT) before civil status (KS), whoever came first.
    desk.login("Q2", "binh")
    first = desk.issue("CT").number
    civil = desk.issue("KS").number
    assert standing(desk, civil) == (True, 1, 5)  # one CT ticket of 5 minutes before it
    later = desk.issue("CT").number
    assert standing(desk, civil) == (True, 2, 10)
    assert standing(desk, later) == (True, 1, 5)
    assert desk.calls("Q2", 3) == [first, later, civil]


def test_the_demo_site_issue_12() -> None:
    # Demo site, only Q01 open (DD-NOP, DD-BD, DD-TRA in that order of preference).
    site = load_settings(None).site("hcc-tinh")
    assert site is not None
    desk = Desk(site)
    desk.login("Q01", None)
    desk.issue("DD-NOP")
    transfer = desk.issue("DD-BD").number
    assert standing(desk, transfer)[:2] == (True, 1)
    desk.issue("DD-NOP")
    assert standing(desk, transfer)[:2] == (True, 2)
    assert desk.calls("Q01", 3)[-1] == transfer


def test_counters_take_turns_and_share_the_queue(desk: Desk) -> None:
    desk.login("Q1")  # KS, KT
    desk.login("Q2", "binh")  # CT, then KS
    numbers = desk.issue_many("KS", 4)
    # Q1 and Q2 both idle: A001 at once at Q1, A002 at once at Q2, A003 and A004 after
    # one 10-minute service each.
    assert [standing(desk, number) for number in numbers] == [
        (True, 0, 0), (True, 1, 0), (True, 2, 10), (True, 3, 10)]
    # A CT ticket goes first at Q2 and is ahead of the other three: A002 goes to Q2 once CT
    # is done (5 min), A003 to Q1 (10 min), A004 to Q2 again (5 + 10 min).
    desk.issue("CT")
    assert [standing(desk, number) for number in numbers] == [
        (True, 0, 0), (True, 2, 5), (True, 3, 10), (True, 4, 15)]


def test_calls_at_counters_that_cannot_call_it_are_not_ahead(desk: Desk) -> None:
    desk.login("Q2", "binh")  # CT, then KS
    desk.login("Q3", "dung")  # everything, by arrival
    land = desk.issue("DD").number
    cert = desk.issue("CT").number
    civil = desk.issue("KS").number
    # Q2 calls CT, Q3 calls DD (first come), then Q3 (free at 15) and Q2 (free at 5): Q2 calls KS.
    assert standing(desk, land) == (True, 0, 0)
    assert standing(desk, cert) == (True, 0, 0)
    # Ahead of KS: the CT call at Q2 and the DD call at Q3, both counters serve KS.
    assert standing(desk, civil) == (True, 2, 5)


def test_a_counter_with_a_ticket_in_hand_is_free_when_its_service_time_is_up(desk: Desk) -> None:
    desk.login("Q1")
    desk.issue("KS")
    desk.call_next("Q1")
    waiting = desk.issue("KS").number
    assert standing(desk, waiting) == (True, 0, 10)
    desk.later(minutes=4)
    assert standing(desk, waiting) == (True, 0, 6)
    desk.later(minutes=30)  # longer than expected: free now, not in the past
    assert standing(desk, waiting) == (True, 0, 0)


def test_paused_and_closed_counters_do_not_call(desk: Desk) -> None:
    number = desk.issue_many("KS", 2)[1]
    assert standing(desk, number) == (False, 1, None)  # nobody open: only its queue's count
    desk.login("Q1")
    desk.login("Q2", "binh")
    desk.run(Pause("Q2", reason="nghỉ trưa"))
    assert standing(desk, number) == (True, 1, 10)
    desk.run(Pause("Q1"))
    assert standing(desk, number) == (False, 1, None)
    desk.login("Q4", "chi")  # open, but it does not serve KS
    assert standing(desk, number) == (False, 1, None)


def test_a_ticket_sent_to_a_counter_waits_for_that_counter_only(desk: Desk) -> None:
    desk.issue_many("KS", 3)
    desk.login("Q1")
    desk.call_next("Q1")
    desk.later(minutes=10)  # a service time, so KS's median is 10 minutes
    desk.run(Transfer("Q1", to_counter="Q3"))
    sent = desk.ticket("A001").number
    assert standing(desk, sent) == (False, 0, None)  # Q3 is closed; Q1 may not call it
    assert standing(desk, "A002") == (True, 0, 0)  # Q1 is free again
    desk.login("Q3", "dung")
    desk.issue("DD", appointment_at=desk.now)  # a due appointment waits behind a transfer
    assert standing(desk, sent) == (True, 0, 0)
    # A002 goes to Q1 at once; A003 at 10 minutes, after A002 at Q1 and A001 at Q3.
    assert standing(desk, "A003") == (True, 2, 10)


def test_a_due_appointment_goes_first_and_one_not_due_waits_its_turn(desk: Desk) -> None:
    desk.login("Q1")
    walk_in = desk.issue("KS").number
    booked = desk.issue("KS", appointment_at=desk.now + timedelta(minutes=20)).number
    assert standing(desk, walk_in) == (True, 0, 0)
    assert standing(desk, booked) == (True, 1, 10)
    slot = desk.now + timedelta(minutes=20)
    assert standing(desk, walk_in, slot) == (True, 1, 10)
    assert standing(desk, booked, slot) == (True, 0, 0)


def test_one_open_counter_calls_in_its_waiting_list_order() -> None:
    desk = Desk(build_site(priority_policy={"kind": "interleave", "priority": 1, "normal": 2}))
    desk.login("Q3")
    for index in range(12):
        desk.later(minutes=1)
        desk.issue(("KS", "CT", "DD", "KT")[index % 4], "elderly" if index % 3 == 1 else None)
    counter = desk.site.counter("Q3")
    assert counter is not None
    listed = calling_order(desk.site, desk.state, counter, desk.now)
    forecast = Forecast(desk.site, desk.state, desk.now)
    assert [forecast.standing(ticket).ahead for ticket in listed] == list(range(12))


def test_a_no_show_event_stands_nowhere_and_its_requeue_waits(desk: Desk) -> None:
    desk.login("Q1")
    desk.issue_many("KS", 2)
    desk.call_next("Q1")
    outcome = desk.run(MarkNoShow("Q1", requeue=True))
    no_show, requeued = (event.subject for event in outcome.events[:2])
    assert isinstance(no_show, Ticket) and isinstance(requeued, Ticket)
    forecast = Forecast(desk.site, desk.state, desk.now)
    assert forecast.standing(no_show) == NOT_WAITING
    assert forecast.standing(requeued).ahead == 1


def test_a_new_ticket_after_a_transfer_to_the_counter_and_a_priority_call() -> None:
    # Interleave 1:2: after a priority call the next goes to an ordinary ticket, but a
    # ticket transferred to the counter still comes before any new one.
    desk = Desk(build_site(priority_policy={"kind": "interleave", "priority": 1, "normal": 2}))
    desk.login("Q1")
    desk.login("Q3", "dung")
    desk.issue("KS", "elderly")
    desk.issue_many("KS", 2)
    desk.call_next("Q3")  # the priority ticket
    desk.call_next("Q1")
    desk.later(minutes=10)  # a service time, so KS's median is 10 minutes
    desk.run(Transfer("Q1", to_counter="Q3"))
    desk.run(Logout("Q1"))
    new = Forecast(desk.site, desk.state, desk.now).new_ticket("KS")
    # Q3's priority ticket has had its 10 minutes: it calls the transferred ticket now, A003
    # at 10 minutes, the new one at 20.
    assert (new.known, new.ahead, new.eta_minutes) == (True, 2, 20)


def test_a_new_ticket_where_nobody_serves_it(desk: Desk) -> None:
    desk.issue_many("DD", 2)
    new = Forecast(desk.site, desk.state, desk.now).new_ticket("DD")
    assert (new.known, new.ahead, new.wait_seconds) == (False, 2, None)


def test_forecasts_are_shared_for_one_state_and_moment(desk: Desk) -> None:
    forecasts = Forecasts(desk.site)
    first = forecasts.of(desk.state, desk.now)
    assert forecasts.of(desk.state, desk.now + timedelta(milliseconds=300)) is first
    assert forecasts.of(desk.state, desk.now + timedelta(seconds=5)) is not first
    desk.issue("KS")
    assert forecasts.of(desk.state, desk.now) is not first


def test_a_forecast_and_the_state_it_holds_are_freed_without_the_cycle_collector(
        desk: Desk) -> None:
    # A server makes a forecast per command: in a cycle, each would wait with its state for
    # the cycle collector, whose walks then paused the whole server.
    desk.login("Q1")
    desk.login("Q2", "binh")
    numbers = desk.issue_many("KS", 4)
    forecast = Forecast(desk.site, desk.state, desk.now)
    assert forecast.standing(desk.ticket(numbers[-1])).known
    assert forecast.new_ticket("KS").known
    gone = weakref.ref(forecast)
    gc.disable()
    try:
        del forecast
        assert gone() is None
    finally:
        gc.enable()
