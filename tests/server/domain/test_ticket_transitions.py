"""Every state transition of tickets and counters, with the events it emits."""

from __future__ import annotations

from support.domain import Desk, build_site, names, queued_ids

from server.domain import (
    Conflict,
    CounterStatus,
    EventName,
    Forbidden,
    Ticket,
    TicketStatus,
)
from server.domain.commands import (
    CallNext,
    CancelTicket,
    Finish,
    IssueTicket,
    Login,
    Logout,
    MarkNoShow,
    Pause,
    Recall,
    ResumeCounter,
    StartService,
    Transfer,
)


def test_issue_makes_a_waiting_ticket_with_one_event(desk: Desk) -> None:
    outcome = desk.run(IssueTicket("KS"))
    ticket = outcome.result
    assert isinstance(ticket, Ticket)
    assert (ticket.number, ticket.status, ticket.service) == ("A001", TicketStatus.WAITING, "KS")
    assert ticket.issued_at == desk.now
    assert ticket.counter is None and ticket.called_at is None
    assert names(outcome) == [EventName.TICKET_ISSUED]
    assert outcome.events[0].subject == ticket
    assert outcome.events[0].at == desk.now
    assert dict(desk.state.queues["KS"]) == {ticket.id: ticket.queue_key}
    assert desk.state.tickets[ticket.id] == ticket


def test_login_opens_the_counter(desk: Desk) -> None:
    outcome = desk.run(Login("Q1", "an"))
    assert names(outcome) == [EventName.COUNTER_CHANGED]
    counter = desk.counter("Q1")
    assert outcome.result == counter == outcome.events[0].subject
    assert (counter.status, counter.officer) == (CounterStatus.OPEN, "an")


def test_call_next_calls_the_ticket_and_changes_the_counter(desk: Desk) -> None:
    issued = desk.issue("KS")
    desk.login("Q1")
    desk.later(minutes=3)
    outcome = desk.run(CallNext("Q1"))
    assert names(outcome) == [EventName.TICKET_CALLED, EventName.COUNTER_CHANGED]
    called = outcome.result
    assert isinstance(called, Ticket)
    assert called.id == issued.id
    assert called.status is TicketStatus.CALLED
    assert (called.counter, called.officer) == ("Q1", "an")
    assert called.called_at == called.first_called_at == desk.now
    assert called.call_count == 1
    assert desk.counter("Q1").ticket_id == called.id
    assert outcome.events[1].subject == desk.counter("Q1")
    assert called.id not in queued_ids(desk.state)
    assert desk.state.recent_calls == (called.id,)


def test_recall_re_announces_with_the_call_count(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")
    first = desk.call_next("Q1")
    desk.later(minutes=1)
    outcome = desk.run(Recall("Q1"))
    assert names(outcome) == [EventName.TICKET_RECALLED]
    recalled = outcome.result
    assert isinstance(recalled, Ticket)
    assert recalled.status is TicketStatus.CALLED
    assert recalled.call_count == 2
    assert recalled.called_at == desk.now
    assert recalled.first_called_at == first.called_at
    assert desk.state.recent_calls[0] == recalled.id


def test_start_serves_the_ticket(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    desk.later(minutes=1)
    outcome = desk.run(StartService("Q1"))
    assert names(outcome) == [EventName.TICKET_SERVING]
    ticket = outcome.result
    assert isinstance(ticket, Ticket)
    assert ticket.status is TicketStatus.SERVING
    assert ticket.serving_at == desk.now
    assert desk.counter("Q1").ticket_id == ticket.id


def test_finish_records_the_case_code_and_learns_the_service_time(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    desk.later(minutes=1)
    desk.run(StartService("Q1"))
    desk.later(minutes=7)
    outcome = desk.run(Finish("Q1", case_code="000.00.07.H01-261123-0001"))
    assert names(outcome) == [EventName.TICKET_DONE, EventName.COUNTER_CHANGED]
    ticket = outcome.result
    assert isinstance(ticket, Ticket)
    assert ticket.status is TicketStatus.DONE
    assert ticket.case_code == "000.00.07.H01-261123-0001"
    assert ticket.finished_at == desk.now
    assert desk.state.service_seconds["KS"] == (7 * 60.0,)
    assert desk.counter("Q1").ticket_id is None
    assert desk.counter("Q1").status is CounterStatus.OPEN


def test_finish_without_start_counts_from_the_call(desk: Desk) -> None:
    # Judgement call kept: finishing a called ticket is allowed (the officer skipped "start").
    desk.issue("KS")
    desk.login("Q1")
    called = desk.call_next("Q1")
    desk.later(minutes=4)
    done = desk.run(Finish("Q1")).result
    assert isinstance(done, Ticket)
    assert done.status is TicketStatus.DONE
    assert done.serving_at == called.called_at
    assert desk.state.service_seconds["KS"] == (4 * 60.0,)


def test_no_show_requeues_once_at_the_end_then_is_final(desk: Desk) -> None:
    first, second, third = (desk.issue("KS") for _ in range(3))
    desk.login("Q1")
    assert desk.call_next("Q1").id == first.id
    outcome = desk.run(MarkNoShow("Q1"))
    assert names(outcome) == [EventName.TICKET_NO_SHOW, EventName.TICKET_REQUEUED,
                              EventName.COUNTER_CHANGED]
    no_show, requeued = outcome.events[0].subject, outcome.events[1].subject
    assert isinstance(no_show, Ticket) and isinstance(requeued, Ticket)
    assert no_show.status is TicketStatus.NO_SHOW
    assert requeued.status is TicketStatus.WAITING
    assert requeued.number == "A001"
    assert requeued.requeue_count == 1
    assert requeued.queue_key > third.queue_key  # a new key: the end of its queue
    assert requeued.counter is None
    assert outcome.result == requeued
    assert desk.counter("Q1").ticket_id is None
    assert desk.calls("Q1", 3) == [second.number, third.number, "A001"]

    # The second no-show is final.
    outcome = desk.run(MarkNoShow("Q1"))
    assert names(outcome) == [EventName.TICKET_NO_SHOW, EventName.COUNTER_CHANGED]
    final = desk.ticket("A001")
    assert final.status is TicketStatus.NO_SHOW
    assert final.id not in queued_ids(desk.state)


def test_no_show_is_final_when_requeue_is_off() -> None:
    desk = Desk(build_site(requeue_no_show=False))
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    outcome = desk.run(MarkNoShow("Q1"))
    assert names(outcome) == [EventName.TICKET_NO_SHOW, EventName.COUNTER_CHANGED]
    assert desk.ticket("A001").status is TicketStatus.NO_SHOW
    assert not queued_ids(desk.state)


def test_no_show_command_may_override_the_site(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    outcome = desk.run(MarkNoShow("Q1", requeue=False))
    assert EventName.TICKET_REQUEUED not in names(outcome)
    assert desk.ticket("A001").status is TicketStatus.NO_SHOW


def test_transfer_to_a_service_keeps_number_and_place() -> None:
    desk = Desk(build_site())
    early = desk.issue("CT")  # B001, issued before the citizen who will be transferred
    moving = desk.issue("KS")  # A001
    late = desk.issue("CT")  # B002
    desk.login("Q1")
    assert desk.call_next("Q1").id == moving.id
    desk.run(StartService("Q1"))
    desk.later(minutes=5)
    outcome = desk.run(Transfer("Q1", to_service="CT"))
    assert names(outcome) == [EventName.TICKET_TRANSFERRED, EventName.COUNTER_CHANGED]
    moved = outcome.result
    assert isinstance(moved, Ticket)
    assert moved.status is TicketStatus.TRANSFERRED
    assert (moved.number, moved.queue_key) == (moving.number, moving.queue_key)
    assert moved.service == "CT"
    assert moved.transfer_count == 1
    assert desk.counter("Q1").ticket_id is None
    assert desk.state.queues["CT"][moved.id] == moving.queue_key
    # The time spent at the first counter counts for the first service.
    assert desk.state.service_seconds["KS"] == (5 * 60.0,)
    # At the target it slots into the place its number earned: between B001 and B002.
    desk.login("Q2", "binh")
    assert desk.calls("Q2", 3) == [early.number, moving.number, late.number]


def test_transfer_to_a_counter_is_called_first_and_only_there(desk: Desk) -> None:
    waiting = desk.issue("KS")  # A001 waits longer than the transferred one
    moving = desk.issue("KS")  # A002
    desk.login("Q1")
    desk.login("Q3", "dung")
    assert desk.call_number("Q1", moving.number).id == moving.id
    desk.run(StartService("Q1"))
    outcome = desk.run(Transfer("Q1", to_counter="Q3"))
    moved = outcome.result
    assert isinstance(moved, Ticket)
    assert moved.status is TicketStatus.TRANSFERRED
    assert moved.target_counter == "Q3"
    assert moved.id in desk.state.counter_queues["Q3"]
    assert moved.id not in desk.state.queues["KS"]
    # Q2 serves KS too but never calls a ticket sent to Q3; it gets the ordinary queue.
    desk.login("Q2", "binh")
    assert desk.call_next("Q2").id == waiting.id
    desk.run(Finish("Q2"))
    desk.issue("KS")
    # Q3 calls it first, ahead of anyone waiting for its services.
    called = desk.call_next("Q3")
    assert called.id == moved.id
    assert called.target_counter is None and called.counter == "Q3"


def test_cancel_a_waiting_ticket(desk: Desk) -> None:
    ticket = desk.issue("KS")
    outcome = desk.run(CancelTicket(ticket.id))
    assert names(outcome) == [EventName.TICKET_CANCELLED]
    cancelled = outcome.result
    assert isinstance(cancelled, Ticket)
    assert cancelled.status is TicketStatus.CANCELLED
    assert cancelled.finished_at == desk.now
    assert not queued_ids(desk.state)
    # The number is spent: the next one is A002, never A001 again.
    assert desk.issue("KS").number == "A002"


def test_cancel_a_transferred_ticket(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")
    desk.call_next("Q1")
    moved = desk.run(Transfer("Q1", to_counter="Q4")).result
    assert isinstance(moved, Ticket)
    desk.run(CancelTicket(moved.id))
    assert not queued_ids(desk.state)
    assert desk.ticket(moved.number).status is TicketStatus.CANCELLED


def test_pause_and_resume(desk: Desk) -> None:
    desk.login("Q1")
    outcome = desk.run(Pause("Q1", reason="họp giao ban"))
    assert names(outcome) == [EventName.COUNTER_CHANGED]
    paused = desk.counter("Q1")
    assert (paused.status, paused.pause_reason, paused.officer) == (
        CounterStatus.PAUSED, "họp giao ban", "an")
    outcome = desk.run(ResumeCounter("Q1"))
    assert names(outcome) == [EventName.COUNTER_CHANGED]
    resumed = desk.counter("Q1")
    assert (resumed.status, resumed.pause_reason) == (CounterStatus.OPEN, None)


def test_logout_closes_the_counter(desk: Desk) -> None:
    desk.login("Q1")
    outcome = desk.run(Logout("Q1"))
    assert names(outcome) == [EventName.COUNTER_CHANGED]
    closed = desk.counter("Q1")
    assert (closed.status, closed.officer) == (CounterStatus.CLOSED, None)


def test_logout_of_a_paused_counter(desk: Desk) -> None:
    desk.login("Q1")
    desk.run(Pause("Q1"))
    desk.run(Logout("Q1"))
    assert desk.counter("Q1").status is CounterStatus.CLOSED


def test_logging_in_again_changes_nothing(desk: Desk) -> None:
    desk.login("Q1")
    outcome = desk.run(Login("Q1", "an"))
    assert outcome.events == ()
    assert outcome.result == desk.counter("Q1")


def test_officer_not_assigned_is_forbidden(desk: Desk) -> None:
    desk.refuse(Login("Q4", "binh"), Forbidden)
    desk.refuse(Login("Q1", "nobody"), Forbidden)


def test_login_while_another_officer_holds_a_ticket_is_a_conflict(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1", "an")
    desk.call_next("Q1")
    desk.refuse(Login("Q1", "binh"), Conflict)


def test_another_officer_takes_over_a_free_counter(desk: Desk) -> None:
    # Judgement call kept: with no ticket in hand a second officer may take the counter over.
    desk.login("Q1", "an")
    desk.login("Q1", "binh")
    assert desk.counter("Q1").officer == "binh"


def test_logging_in_elsewhere_closes_the_other_counter(desk: Desk) -> None:
    desk.login("Q1", "an")
    outcome = desk.run(Login("Q3", "an"))
    assert names(outcome) == [EventName.COUNTER_CHANGED, EventName.COUNTER_CHANGED]
    closed, opened = (event.subject for event in outcome.events)
    assert closed == desk.counter("Q1")
    assert opened == desk.counter("Q3")
    assert desk.counter("Q1").status is CounterStatus.CLOSED
    assert desk.counter("Q1").officer is None
    assert (desk.counter("Q3").status, desk.counter("Q3").officer) == (CounterStatus.OPEN, "an")


def test_logging_in_elsewhere_with_a_ticket_in_hand_is_a_conflict(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1", "an")
    desk.call_next("Q1")
    desk.refuse(Login("Q3", "an"), Conflict)


def test_an_admin_opens_a_counter_without_an_officer(desk: Desk) -> None:
    counter = desk.login("Q4", None)
    assert (counter.status, counter.officer) == (CounterStatus.OPEN, None)
    desk.issue("DD")
    assert desk.call_next("Q4").officer is None


def test_an_admin_opening_an_open_counter_leaves_its_officer() -> None:
    desk = Desk(build_site())
    desk.login("Q1", "binh")
    outcome = desk.run(Login("Q1", None))
    assert outcome.events == ()
    assert desk.counter("Q1").officer == "binh"
