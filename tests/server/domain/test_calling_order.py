"""Who a counter calls next: its services, preference or arrival, appointments, priority."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.domain import Desk, build_site, names

from server.domain import Conflict, EventName, NotFound, TicketStatus
from server.domain.commands import CallNext, CallNumber, Transfer

ELDERLY = "elderly"


def interleave(priority: int, normal: int) -> Desk:
    return Desk(build_site(priority_policy={"kind": "interleave", "priority": priority,
                                            "normal": normal}))


def test_a_counter_calls_only_its_services(desk: Desk) -> None:
    desk.issue("KS")
    desk.issue("CT")
    land = desk.issue("DD")
    desk.login("Q4", "chi")
    assert desk.call_next("Q4").id == land.id
    desk.refuse(CallNext("Q4"), NotFound)


def test_preference_order_serves_the_first_service_with_anyone_waiting(desk: Desk) -> None:
    # Q2 prefers certification (CT) to civil status (KS), whoever came first.
    civil = desk.issue_many("KS", 2)
    certification = desk.issue_many("CT", 2)
    desk.login("Q2", "binh")
    assert desk.calls("Q2", 4) == certification + civil


def test_arrival_order_serves_whoever_waited_longest(desk: Desk) -> None:
    order = [desk.issue(service).number for service in ("CT", "KS", "DD", "KT", "CT")]
    desk.login("Q3")
    assert desk.calls("Q3", 5) == order


def test_first_come_first_served_within_a_service(desk: Desk) -> None:
    numbers = desk.issue_many("KS", 4)
    desk.login("Q1")
    assert desk.calls("Q1", 4) == numbers


def test_an_appointment_whose_slot_has_come_goes_first(desk: Desk) -> None:
    walk_ins = desk.issue_many("KS", 2)
    slot = desk.now + timedelta(minutes=30)
    booked = desk.issue("KS", appointment_at=slot).number
    later_slot = desk.issue("KS", appointment_at=slot + timedelta(minutes=15)).number
    earlier_slot = desk.issue("KT", appointment_at=slot - timedelta(minutes=15)).number
    desk.login("Q1")
    # Before any slot: arrival order (judgement call kept: an early check-in is not held back).
    assert desk.call_next("Q1").number == walk_ins[0]
    desk.now = slot
    # Both due slots go first, the earliest first, across the counter's services.
    assert desk.calls("Q1", 2) == [earlier_slot, booked]
    assert desk.call_next("Q1").number == walk_ins[1]
    desk.now = slot + timedelta(minutes=15)
    assert desk.call_next("Q1").number == later_slot


def test_strict_policy_calls_every_priority_ticket_first(desk: Desk) -> None:
    normal = desk.issue_many("KS", 2)
    priority = desk.issue_many("KS", 2, priority=ELDERLY)
    normal += desk.issue_many("KS", 1)
    priority += desk.issue_many("KS", 1, priority="disabled")
    desk.login("Q1")
    assert desk.calls("Q1", 6) == priority + normal


def test_interleave_one_priority_to_two_normal() -> None:
    desk = interleave(1, 2)
    normal = desk.issue_many("KS", 6)
    priority = desk.issue_many("KS", 3, priority=ELDERLY)
    desk.login("Q1")
    expected = [priority[0], normal[0], normal[1], priority[1], normal[2], normal[3],
                priority[2], normal[4], normal[5]]
    assert desk.calls("Q1", 9) == expected


def test_interleave_two_priority_to_three_normal() -> None:
    desk = interleave(2, 3)
    normal = desk.issue_many("KS", 6)
    priority = desk.issue_many("KS", 4, priority=ELDERLY)
    desk.login("Q1")
    expected = [priority[0], priority[1], normal[0], normal[1], normal[2],
                priority[2], priority[3], normal[3], normal[4], normal[5]]
    assert desk.calls("Q1", 10) == expected


def test_interleave_with_one_kind_waiting_calls_it() -> None:
    desk = interleave(1, 2)
    normal = desk.issue_many("KS", 3)
    desk.login("Q1")
    assert desk.calls("Q1", 3) == normal
    # Three ordinary calls in a row: a priority ticket arriving now is owed its turn at once.
    priority = desk.issue("KS", priority=ELDERLY).number
    later = desk.issue("KS").number
    assert desk.calls("Q1", 2) == [priority, later]


def test_call_next_finishes_the_ticket_in_hand(desk: Desk) -> None:
    first, second = desk.issue_many("KS", 2)
    desk.login("Q1")
    desk.call_next("Q1")
    desk.later(minutes=6)
    outcome = desk.run(CallNext("Q1"))
    assert names(outcome) == [EventName.TICKET_DONE, EventName.TICKET_CALLED,
                              EventName.COUNTER_CHANGED]
    assert desk.ticket(first).status is TicketStatus.DONE
    assert desk.ticket(second).status is TicketStatus.CALLED
    assert desk.counter("Q1").ticket_id == desk.ticket(second).id
    assert desk.state.service_seconds["KS"] == (6 * 60.0,)


def test_call_number_finishes_the_ticket_in_hand(desk: Desk) -> None:
    first, _, third = desk.issue_many("KS", 3)
    desk.login("Q1")
    desk.call_next("Q1")
    outcome = desk.run(CallNumber("Q1", third.lower()))
    assert names(outcome)[0] is EventName.TICKET_DONE
    assert desk.ticket(first).status is TicketStatus.DONE
    assert desk.ticket(third).status is TicketStatus.CALLED


def test_a_called_ticket_is_never_called_by_another_counter(desk: Desk) -> None:
    first, second = desk.issue_many("KS", 2)
    desk.login("Q1", "binh")
    desk.login("Q3", "an")
    assert desk.call_next("Q1").number == first
    assert desk.call_next("Q3").number == second
    desk.refuse(CallNext("Q2"), Conflict)  # Q2 is closed
    desk.login("Q2", "dung")
    desk.refuse(CallNext("Q2"), NotFound)
    desk.refuse(CallNumber("Q2", first), Conflict)
    # Once served it stays served: finishing at Q1 does not put it back anywhere.
    desk.serve("Q1", minutes=3)
    desk.refuse(CallNext("Q2"), NotFound)
    desk.refuse(CallNumber("Q2", first), Conflict)


def test_a_ticket_sent_to_a_counter_comes_before_due_appointments(desk: Desk) -> None:
    desk.issue("KS")
    due = desk.issue("KS", appointment_at=desk.now).number
    desk.login("Q1")
    sent = desk.call_next("Q1")  # the due appointment
    assert sent.number == due
    desk.run(Transfer("Q1", to_counter="Q3"))
    desk.issue("KS", appointment_at=desk.now)
    desk.login("Q3", "dung")
    assert desk.call_next("Q3").number == due


@pytest.mark.parametrize("policy", ["strict", "interleave"])
def test_priority_tickets_are_first_come_first_served_among_themselves(policy: str) -> None:
    desk = Desk(build_site(priority_policy={"kind": policy}))
    priority = [desk.issue("KS", priority=group).number
                for group in (ELDERLY, "disabled", ELDERLY)]
    desk.login("Q1")
    assert desk.calls("Q1", 3) == priority
