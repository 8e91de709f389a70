"""Every refused command raises the right error and leaves the state exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from support.domain import MORNING, Desk, build_site

from server.domain import (
    Closed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidCommand,
    NotFound,
    RatingSource,
    Ticket,
    apply,
)
from server.domain.commands import (
    CallNext,
    CallNumber,
    CancelTicket,
    Command,
    Finish,
    IssueTicket,
    Login,
    Logout,
    MarkNoShow,
    Pause,
    Rate,
    Recall,
    ResumeCounter,
    StartService,
    Transfer,
)

TICKET_ID = "test-site:20261123:A001"


def nothing(desk: Desk) -> None:
    """A fresh day: every counter closed, nobody waiting."""


def open_q1(desk: Desk) -> None:
    desk.login("Q1")


def waiting_at_open_q1(desk: Desk) -> None:
    desk.issue("KS")
    desk.login("Q1")


def called_at_q1(desk: Desk) -> None:
    waiting_at_open_q1(desk)
    desk.call_next("Q1")


def serving_at_q1(desk: Desk) -> None:
    called_at_q1(desk)
    desk.run(StartService("Q1"))


def done_at_q1(desk: Desk) -> None:
    serving_at_q1(desk)
    desk.later(minutes=5)
    desk.run(Finish("Q1"))


def rated(desk: Desk) -> None:
    done_at_q1(desk)
    desk.run(Rate(TICKET_ID, 4, RatingSource.WEB))


def rating_window_passed(desk: Desk) -> None:
    done_at_q1(desk)
    desk.later(seconds=31)


def paused_q1(desk: Desk) -> None:
    waiting_at_open_q1(desk)
    desk.run(Pause("Q1"))


def a002_called_at_q3(desk: Desk) -> None:
    desk.issue("KS")
    desk.issue("KS")
    desk.login("Q1")
    desk.login("Q3", "dung")
    desk.call_number("Q3", "A002")


def certification_waiting(desk: Desk) -> None:
    desk.issue("CT")
    desk.login("Q1")


def transferred_to_q3(desk: Desk) -> None:
    called_at_q1(desk)
    desk.run(Transfer("Q1", to_counter="Q3"))
    desk.login("Q2", "binh")


REFUSALS: list[tuple[str, Callable[[Desk], None], Command, type[DomainError]]] = [
    # Counters.
    ("login at an unknown counter", nothing, Login("Q9", "an"), NotFound),
    ("login by an unknown officer", nothing, Login("Q1", "nobody"), Forbidden),
    ("login by an officer not assigned there", nothing, Login("Q4", "binh"), Forbidden),
    ("login over another officer's ticket", called_at_q1, Login("Q1", "binh"), Conflict),
    ("login elsewhere with a ticket in hand", called_at_q1, Login("Q3", "an"), Conflict),
    ("logout of a closed counter", nothing, Logout("Q1"), Conflict),
    ("logout with a ticket in hand", called_at_q1, Logout("Q1"), Conflict),
    ("pause a closed counter", nothing, Pause("Q1"), Conflict),
    ("pause with a ticket in hand", called_at_q1, Pause("Q1"), Conflict),
    ("pause while serving", serving_at_q1, Pause("Q1"), Conflict),
    ("pause twice", paused_q1, Pause("Q1"), Conflict),
    ("resume an open counter", open_q1, ResumeCounter("Q1"), Conflict),
    ("resume a closed counter", nothing, ResumeCounter("Q1"), Conflict),
    # Calling.
    ("call next when closed", waiting_at_open_q1, CallNext("Q2"), Conflict),
    ("call next when paused", paused_q1, CallNext("Q1"), Conflict),
    ("call next with nobody waiting", open_q1, CallNext("Q1"), NotFound),
    ("call next with nobody waiting for its services", certification_waiting, CallNext("Q1"),
     NotFound),
    ("call next at an unknown counter", nothing, CallNext("Q9"), NotFound),
    ("call a number when closed", waiting_at_open_q1, CallNumber("Q2", "A001"), Conflict),
    ("call a number nobody has", open_q1, CallNumber("Q1", "A999"), NotFound),
    ("call a number that is done", done_at_q1, CallNumber("Q1", "A001"), Conflict),
    ("call a number called at this counter", called_at_q1, CallNumber("Q1", "A001"),
     Conflict),
    ("call a number called elsewhere", a002_called_at_q3, CallNumber("Q1", "A002"), Conflict),
    ("call a number being served", serving_at_q1, CallNumber("Q1", "A001"), Conflict),
    ("call a number of a service not served", certification_waiting,
     CallNumber("Q1", "B001"), Conflict),
    ("call a number sent to another counter", transferred_to_q3, CallNumber("Q2", "A001"),
     Conflict),
    # The ticket in hand.
    ("recall with nothing in hand", open_q1, Recall("Q1"), Conflict),
    ("recall while serving", serving_at_q1, Recall("Q1"), Conflict),
    ("start with nothing in hand", open_q1, StartService("Q1"), Conflict),
    ("start twice", serving_at_q1, StartService("Q1"), Conflict),
    ("finish with nothing in hand", open_q1, Finish("Q1"), Conflict),
    ("finish after finishing", done_at_q1, Finish("Q1"), Conflict),
    ("no-show with nothing in hand", open_q1, MarkNoShow("Q1"), Conflict),
    ("no-show while serving", serving_at_q1, MarkNoShow("Q1"), Conflict),
    ("transfer with nothing in hand", open_q1, Transfer("Q1", to_service="CT"), Conflict),
    ("transfer to neither", serving_at_q1, Transfer("Q1"), InvalidCommand),
    ("transfer to both", serving_at_q1, Transfer("Q1", to_service="CT", to_counter="Q2"),
     InvalidCommand),
    ("transfer to an unknown service", serving_at_q1, Transfer("Q1", to_service="XX"),
     InvalidCommand),
    ("transfer to its own service", serving_at_q1, Transfer("Q1", to_service="KS"), Conflict),
    ("transfer to an unknown counter", serving_at_q1, Transfer("Q1", to_counter="Q9"),
     NotFound),
    ("transfer to its own counter", serving_at_q1, Transfer("Q1", to_counter="Q1"), Conflict),
    # Tickets.
    ("issue for an unknown service", nothing, IssueTicket("XX"), InvalidCommand),
    ("issue for an unknown priority group", nothing, IssueTicket("KS", "vip"), InvalidCommand),
    ("issue with a naive appointment", nothing,
     IssueTicket("KS", appointment_at=datetime(2026, 11, 23, 9, 0)), InvalidCommand),
    ("cancel an unknown ticket", nothing, CancelTicket("nope"), NotFound),
    ("cancel a called ticket", called_at_q1, CancelTicket(TICKET_ID), Conflict),
    ("cancel a done ticket", done_at_q1, CancelTicket(TICKET_ID), Conflict),
    # Ratings.
    ("rate an unknown ticket", nothing, Rate("nope", 4, RatingSource.KIOSK), NotFound),
    ("rate a waiting ticket", waiting_at_open_q1, Rate(TICKET_ID, 4, RatingSource.KIOSK),
     Conflict),
    ("rate a ticket being served", serving_at_q1, Rate(TICKET_ID, 4, RatingSource.WEB),
     Conflict),
    ("rate twice", rated, Rate(TICKET_ID, 3, RatingSource.WEB), Conflict),
    ("score above the scale", done_at_q1, Rate(TICKET_ID, 5, RatingSource.KIOSK),
     InvalidCommand),
    ("score below the scale", done_at_q1, Rate(TICKET_ID, 0, RatingSource.KIOSK),
     InvalidCommand),
    ("counter rating after the window", rating_window_passed,
     Rate(TICKET_ID, 4, RatingSource.COUNTER, counter="Q1"), Conflict),
    ("counter rating by another counter", done_at_q1,
     Rate(TICKET_ID, 4, RatingSource.COUNTER, counter="Q2"), Forbidden),
    ("kiosk rating where the site has no kiosk rating screen", done_at_q1,
     Rate(TICKET_ID, 1, RatingSource.KIOSK), Forbidden),
]


@pytest.mark.parametrize(("setup", "command", "error"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refused_command_changes_nothing(
    desk: Desk, setup: Callable[[Desk], None], command: Command, error: type[DomainError]
) -> None:
    setup(desk)
    refused = desk.refuse(command, error)
    assert refused.message


def test_issuing_closed_is_refused_without_change() -> None:
    desk = Desk(build_site(issue_hours="07:00-17:00"), now=MORNING.replace(hour=18))
    desk.refuse(IssueTicket("KS"), Closed)


def test_counter_rating_inside_the_window_is_accepted(desk: Desk) -> None:
    done_at_q1(desk)
    desk.later(seconds=30)
    rating = desk.run(Rate(TICKET_ID, 4, RatingSource.COUNTER, counter="Q1")).result
    assert rating is not None


def test_a_refusal_after_midnight_does_not_reset_the_day(desk: Desk) -> None:
    # A refused command is refused whole: the day's roll-over that preceded it is not kept.
    desk.issue("KS")
    desk.now = MORNING + timedelta(days=1)
    desk.refuse(CallNext("Q1"), Conflict)
    assert desk.state.business_date == MORNING.date()


def test_a_naive_clock_is_a_programming_error(desk: Desk) -> None:
    with pytest.raises(ValueError, match="time zone"):
        apply(desk.site, desk.state, IssueTicket("KS"), datetime(2026, 11, 23, 8, 0))


def test_ticket_id_constant_matches_the_first_ticket(desk: Desk) -> None:
    ticket = desk.issue("KS")
    assert isinstance(ticket, Ticket)
    assert ticket.id == TICKET_ID


def test_a_kiosk_rating_screen_rates_only_within_the_window() -> None:
    desk = Desk(build_site(kiosk_rating=True))
    done_at_q1(desk)
    desk.later(seconds=30)
    rating = desk.run(Rate(TICKET_ID, 4, RatingSource.KIOSK)).result
    assert rating is not None
    late = Desk(build_site(kiosk_rating=True))
    rating_window_passed(late)
    refused = late.refuse(Rate(TICKET_ID, 4, RatingSource.KIOSK), Conflict)
    assert "rating window" in refused.message
