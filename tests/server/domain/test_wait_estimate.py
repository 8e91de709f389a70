"""Expected service times, open counters, and the estimated wait they give
(server/domain/calling.py, server/domain/forecast.py)."""

from __future__ import annotations

from support.domain import Desk, build_site

from server.domain.calling import (
    RECENT_SERVICE_TIMES,
    add_service_time,
    average_service_seconds,
    open_counters,
)
from server.domain.commands import CallNext, Pause
from server.domain.forecast import Forecast


def new_ticket(desk: Desk, service: str) -> tuple[int, int | None]:
    """(ahead, eta_minutes) of an ordinary ticket for ``service`` issued now."""
    standing = Forecast(desk.site, desk.state, desk.now).new_ticket(service)
    return standing.ahead, standing.eta_minutes


def test_no_estimate_without_an_open_counter(desk: Desk) -> None:
    desk.issue_many("DD", 3)
    assert open_counters(desk.site, desk.state, "DD") == 0
    assert new_ticket(desk, "DD") == (3, None)
    desk.login("Q1")  # open, but Q1 does not serve land
    assert new_ticket(desk, "DD") == (3, None)


def test_expected_minutes_before_any_service_time(desk: Desk) -> None:
    desk.login("Q4", "chi")
    assert average_service_seconds(desk.site, desk.state, "DD") == 15 * 60.0
    assert new_ticket(desk, "DD") == (0, 0)
    desk.issue_many("DD", 3)
    assert new_ticket(desk, "DD") == (3, 45)


def test_median_of_recent_service_times(desk: Desk) -> None:
    desk.issue_many("DD", 5)
    desk.login("Q4", "chi")
    for minutes in (4, 20, 6):
        desk.run(CallNext("Q4"))
        desk.serve("Q4", minutes)
    assert desk.state.service_seconds["DD"] == (240.0, 1200.0, 360.0)
    assert average_service_seconds(desk.site, desk.state, "DD") == 360.0
    assert new_ticket(desk, "DD") == (2, 12)
    # Other services still use their expectation.
    assert average_service_seconds(desk.site, desk.state, "CT") == 5 * 60.0


def test_open_counters_share_the_queue(desk: Desk) -> None:
    desk.issue_many("KS", 4)
    desk.login("Q1")
    assert new_ticket(desk, "KS") == (4, 40)
    desk.login("Q2", "binh")
    assert open_counters(desk.site, desk.state, "KS") == 2
    # Two at once, two more after 10 minutes, the new one after 20.
    assert new_ticket(desk, "KS") == (4, 20)
    desk.login("Q3", "dung")
    assert new_ticket(desk, "KS") == (4, 10)


def test_paused_counters_do_not_count(desk: Desk) -> None:
    desk.issue_many("KS", 3)
    desk.login("Q1")
    desk.login("Q2", "binh")
    desk.run(Pause("Q2", reason="nghỉ trưa"))
    assert open_counters(desk.site, desk.state, "KS") == 1
    assert new_ticket(desk, "KS") == (3, 30)
    desk.run(Pause("Q1"))
    assert new_ticket(desk, "KS") == (3, None)


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
    desk.login("Q1")

    def ahead(number: str) -> int:
        return Forecast(desk.site, desk.state, desk.now).standing(desk.ticket(number)).ahead

    assert [ahead(number) for number in numbers] == [0, 1, 2, 3]
    desk.call_next("Q1")
    assert ahead(numbers[0]) == 0  # not queued
    assert ahead(numbers[3]) == 2


def test_people_ahead_under_the_strict_policy(desk: Desk) -> None:
    normal = desk.issue_many("KS", 2)
    priority = desk.issue_many("KS", 2, priority="elderly")
    last = desk.issue("KS").number
    desk.login("Q1")

    def ahead(number: str) -> int:
        return Forecast(desk.site, desk.state, desk.now).standing(desk.ticket(number)).ahead

    assert [ahead(number) for number in priority] == [0, 1]
    assert [ahead(number) for number in normal] == [2, 3]
    assert ahead(last) == 4


def test_people_ahead_under_interleave_follows_the_policy() -> None:
    # Before any call the priority group is owed its turn: it goes first under 1 : 2 too.
    desk = Desk(build_site(priority_policy={"kind": "interleave", "priority": 1, "normal": 2}))
    first = desk.issue("KS").number
    priority = desk.issue("KS", priority="elderly").number
    desk.login("Q1")
    forecast = Forecast(desk.site, desk.state, desk.now)
    assert forecast.standing(desk.ticket(priority)).ahead == 0
    assert forecast.standing(desk.ticket(first)).ahead == 1
