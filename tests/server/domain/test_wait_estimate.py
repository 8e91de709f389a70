"""People ahead and the estimated wait (server/domain/calling.py)."""

from __future__ import annotations

from support.domain import Desk, build_site

from server.config import SiteSettings
from server.domain.calling import (
    RECENT_SERVICE_TIMES,
    add_service_time,
    average_service_seconds,
    estimated_wait_minutes,
    open_counters,
    people_ahead,
)
from server.domain.commands import CallNext, Pause, Transfer


def eta(desk: Desk, service: str, ahead: int) -> int | None:
    return estimated_wait_minutes(desk.site, desk.state, service, ahead)


def test_no_estimate_without_an_open_counter(desk: Desk) -> None:
    desk.issue_many("DD", 3)
    assert open_counters(desk.site, desk.state, "DD") == 0
    assert eta(desk, "DD", 2) is None
    desk.login("Q1")  # open, but Q1 does not serve land
    assert eta(desk, "DD", 2) is None


def test_expected_minutes_before_any_service_time(desk: Desk) -> None:
    desk.login("Q4", "chi")
    assert average_service_seconds(desk.site, desk.state, "DD") == 15 * 60.0
    assert eta(desk, "DD", 3) == 45
    assert eta(desk, "DD", 0) == 0


def test_median_of_recent_service_times(desk: Desk) -> None:
    desk.issue_many("DD", 3)
    desk.login("Q4", "chi")
    for minutes in (4, 20, 6):
        desk.run(CallNext("Q4"))
        desk.serve("Q4", minutes)
    assert desk.state.service_seconds["DD"] == (240.0, 1200.0, 360.0)
    assert average_service_seconds(desk.site, desk.state, "DD") == 360.0
    assert eta(desk, "DD", 2) == 12
    # Other services still use their expectation.
    assert average_service_seconds(desk.site, desk.state, "CT") == 5 * 60.0


def test_the_wait_is_shared_among_open_counters(desk: Desk) -> None:
    desk.login("Q1")
    assert eta(desk, "KS", 3) == 30
    desk.login("Q2", "binh")
    assert open_counters(desk.site, desk.state, "KS") == 2
    assert eta(desk, "KS", 3) == 15
    desk.login("Q3", "dung")
    assert eta(desk, "KS", 3) == 10
    assert eta(desk, "KS", 4) == 14  # 40 minutes of work over 3 counters, rounded up


def test_paused_counters_do_not_count(desk: Desk) -> None:
    desk.login("Q1")
    desk.login("Q2", "binh")
    desk.run(Pause("Q2", reason="nghỉ trưa"))
    assert open_counters(desk.site, desk.state, "KS") == 1
    assert eta(desk, "KS", 3) == 30
    desk.run(Pause("Q1"))
    assert eta(desk, "KS", 3) is None


def test_recent_service_times_are_bounded() -> None:
    recent: tuple[float, ...] | None = None
    for seconds in range(RECENT_SERVICE_TIMES + 5):
        recent = add_service_time(recent, float(seconds))
    assert recent is not None
    assert len(recent) == RECENT_SERVICE_TIMES
    assert recent[-1] == RECENT_SERVICE_TIMES + 4
    assert add_service_time((), -5.0) == (0.0,)


def test_people_ahead_in_arrival_order(desk: Desk) -> None:
    numbers = desk.issue_many("KS", 4)
    tickets = [desk.ticket(number) for number in numbers]
    assert [people_ahead(desk.site, desk.state, ticket) for ticket in tickets] == [0, 1, 2, 3]
    desk.login("Q1")
    desk.call_next("Q1")
    assert people_ahead(desk.site, desk.state, desk.ticket(numbers[0])) == 0  # not queued
    assert people_ahead(desk.site, desk.state, desk.ticket(numbers[3])) == 2


def test_people_ahead_under_the_strict_policy(desk: Desk) -> None:
    normal = desk.issue_many("KS", 2)
    priority = desk.issue_many("KS", 2, priority="elderly")
    last = desk.issue("KS").number
    site: SiteSettings = desk.site

    def ahead(number: str) -> int:
        return people_ahead(site, desk.state, desk.ticket(number))

    assert [ahead(number) for number in priority] == [0, 1]
    assert [ahead(number) for number in normal] == [2, 3]
    assert ahead(last) == 4


def test_people_ahead_under_interleave_is_arrival_order() -> None:
    # Judgement call kept: under an interleave policy the estimate ignores priority.
    desk = Desk(build_site(priority_policy={"kind": "interleave"}))
    first = desk.issue("KS").number
    priority = desk.issue("KS", priority="elderly").number
    assert people_ahead(desk.site, desk.state, desk.ticket(first)) == 0
    assert people_ahead(desk.site, desk.state, desk.ticket(priority)) == 1


def test_people_ahead_at_a_target_counter(desk: Desk) -> None:
    desk.issue_many("KS", 3)
    desk.login("Q1")
    desk.login("Q2", "binh")
    desk.call_next("Q1")
    desk.run(Transfer("Q1", to_counter="Q3"))
    desk.call_next("Q2")
    desk.run(Transfer("Q2", to_counter="Q3"))
    first, second = desk.ticket("A001"), desk.ticket("A002")
    assert people_ahead(desk.site, desk.state, first) == 0
    assert people_ahead(desk.site, desk.state, second) == 1
    # The service queue no longer counts them.
    assert people_ahead(desk.site, desk.state, desk.ticket("A003")) == 0
