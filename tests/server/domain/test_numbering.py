"""Daily numbers: formats, shared groups, limits, issuing hours and idempotent issuing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.domain import MORNING, VIETNAM, Desk, build_site, services_with

from server.config import NumberFormat
from server.domain import Closed, EventName, Ticket, TicketStatus
from server.domain.commands import CancelTicket, IssueTicket


def test_prefix_format_counts_from_a001(desk: Desk) -> None:
    assert desk.issue_many("KS", 3) == ["A001", "A002", "A003"]
    assert [desk.ticket(number).sequence for number in ("A001", "A003")] == [1, 3]


def test_range_format_counts_from_its_first_number(desk: Desk) -> None:
    assert desk.issue_many("DD", 3) == ["1001", "1002", "1003"]


def test_services_sharing_a_group_get_consecutive_numbers(desk: Desk) -> None:
    numbers = [desk.issue(service).number for service in ("KS", "KT", "KS", "KT")]
    assert numbers == ["A001", "A002", "A003", "A004"]
    assert {desk.ticket(number).number_group for number in numbers} == {"civil"}


def test_groups_count_independently(desk: Desk) -> None:
    numbers = [desk.issue(service).number for service in ("KS", "CT", "DD", "KS", "CT")]
    assert numbers == ["A001", "B001", "1001", "A002", "B002"]


def test_a_spent_range_closes_its_group_only() -> None:
    groups = [{"code": "civil", "numbers": "A###"}, {"code": "cert", "numbers": "B###"},
              {"code": "land", "numbers": "1001-1002"}]
    desk = Desk(build_site(number_groups=groups))
    assert desk.issue_many("DD", 2) == ["1001", "1002"]
    error = desk.refuse(IssueTicket("DD"), Closed)
    assert "land" in error.message
    assert desk.issue("KS").number == "A001"


def test_daily_limit_closes_the_service_not_its_group() -> None:
    desk = Desk(build_site(services=services_with("KS", daily_limit=2)))
    assert desk.issue_many("KS", 2) == ["A001", "A002"]
    error = desk.refuse(IssueTicket("KS"), Closed)
    assert "daily limit" in error.message
    # KT shares the group but has its own limit (none).
    assert desk.issue("KT").number == "A003"


def test_a_cancelled_ticket_still_counts_towards_the_daily_limit() -> None:
    desk = Desk(build_site(services=services_with("KS", daily_limit=1)))
    ticket = desk.issue("KS")
    desk.run(CancelTicket(ticket.id))
    desk.refuse(IssueTicket("KS"), Closed)


@pytest.mark.parametrize(("hour", "minute", "second", "open_"), [
    (6, 59, 59, False),
    (7, 0, 0, True),
    (12, 0, 0, True),
    (16, 59, 59, True),
    (17, 0, 0, False),
    (23, 0, 0, False),
])
def test_issue_hours_are_local_time(hour: int, minute: int, second: int, open_: bool) -> None:
    site = build_site(issue_hours="07:00-17:00")
    desk = Desk(site, now=MORNING.replace(hour=hour, minute=minute, second=second))
    if open_:
        assert desk.issue("KS").number == "A001"
    else:
        error = desk.refuse(IssueTicket("KS"), Closed)
        assert "07:00" in error.message and "17:00" in error.message


def test_issue_hours_read_a_utc_clock_in_the_site_zone() -> None:
    site = build_site(issue_hours="07:00-17:00")
    # 00:30 UTC is 07:30 in Hồ Chí Minh City: open. 10:30 UTC is 17:30 there: closed.
    desk = Desk(site, now=datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    assert desk.issue("KS").number == "A001"
    desk.now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    desk.refuse(IssueTicket("KS"), Closed)


def test_request_key_makes_issuing_idempotent(desk: Desk) -> None:
    first = desk.run(IssueTicket("KS", request_key="kiosk-1:press-1"))
    seq = desk.state.seq
    again = desk.run(IssueTicket("KS", request_key="kiosk-1:press-1"))
    assert again.result == first.result
    assert again.events == ()
    assert desk.state.seq == seq
    other = desk.run(IssueTicket("KS", request_key="kiosk-1:press-2")).result
    assert other is not None and other != first.result
    assert [event.name for event in desk.events] == [EventName.TICKET_ISSUED] * 2


def test_a_retry_returns_the_ticket_as_it_is_now(desk: Desk) -> None:
    desk.run(IssueTicket("KS", request_key="press-1"))
    desk.login("Q1")
    desk.call_next("Q1")
    again = desk.run(IssueTicket("KS", request_key="press-1")).result
    assert isinstance(again, Ticket)
    assert again.status is TicketStatus.CALLED


def test_a_retry_after_closing_time_returns_the_ticket() -> None:
    desk = Desk(build_site(issue_hours="07:00-17:00"), now=MORNING.replace(hour=16, minute=59))
    first = desk.run(IssueTicket("KS", request_key="press-1")).result
    desk.now = MORNING.replace(hour=17, minute=1)
    assert desk.run(IssueTicket("KS", request_key="press-1")).result == first


def test_prefix_numbers_past_their_width_keep_counting() -> None:
    # Judgement call kept: a prefix format has no daily cap; the thousandth A-number is A1000.
    number_format = NumberFormat("A", 3, 1, None)
    assert number_format.capacity is None
    assert [number_format.render(sequence) for sequence in (1, 999, 1000)] == [
        "A001", "A999", "A1000"]


def test_numbers_use_the_site_zone_for_the_ticket_id() -> None:
    desk = Desk(build_site(), now=datetime(2026, 11, 23, 23, 30, tzinfo=VIETNAM))
    assert desk.issue("KS").id == "test-site:20261123:A001"
