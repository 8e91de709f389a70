"""Issuing within opening hours: the site's sessions, its closed days and exceptions, and a
service's narrower hours; a refusal says when issuing reopens, in English and Vietnamese."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from support.domain import MORNING, Desk, build_site, services_with

from server.domain import Closed
from server.domain.commands import IssueTicket

DAY = "07:30-11:30, 13:30-17:00"
WEEK: dict[str, Any] = {"monday": DAY, "tuesday": DAY, "wednesday": DAY, "thursday": DAY,
                        "friday": DAY, "saturday": "07:30-11:30"}
# MORNING is Monday 23/11/2026, 08:00.
FRIDAY = MORNING + timedelta(days=4)


def ward(**hours: Any) -> dict[str, Any]:
    return {"opening_hours": {**WEEK, **hours}}


def at(desk: Desk, hour: int, minute: int = 0, days: int = 0) -> Desk:
    desk.now = (MORNING + timedelta(days=days)).replace(hour=hour, minute=minute)
    return desk


def test_the_lunch_break_refuses_and_says_when_it_reopens() -> None:
    desk = at(Desk(build_site(**ward())), 11, 29)
    assert desk.issue("KS").number == "A001"
    error = at(desk, 11, 30).refuse(IssueTicket("KS"), Closed)
    assert error.message == ("the centre is outside its opening hours; issuing reopens at "
                             "13:30 (ngoài giờ làm việc; cấp số lại lúc 13:30)")
    assert at(desk, 13, 30).issue("KS").number == "A002"


def test_friday_evening_names_the_day_it_reopens() -> None:
    desk = Desk(build_site(**ward(saturday="")), now=FRIDAY.replace(hour=17, minute=5))
    error = desk.refuse(IssueTicket("DD"), Closed)
    assert "issuing reopens on Monday 30/11 at 07:30" in error.message
    assert "cấp số lại lúc 07:30 thứ Hai 30/11" in error.message


def test_a_holiday_closes_and_an_exception_opens() -> None:
    site = build_site(**ward(closed=["2026-11-24..2026-11-25"],
                             exceptions=[{"date": "2026-11-25", "hours": "07:30-11:30"}]))
    desk = at(Desk(site), 9, days=1)
    error = desk.refuse(IssueTicket("KS"), Closed)
    assert "reopens on Wednesday 25/11 at 07:30" in error.message
    assert at(desk, 9, days=2).issue("KS").number == "A001"
    at(desk, 14, days=2).refuse(IssueTicket("KS"), Closed)
    assert at(desk, 14, days=3).issue("KS").number == "A001"  # a new day


def test_a_service_keeps_its_own_mornings() -> None:
    services = services_with("DD", opening_hours={
        day: "07:30-11:30" for day in ("monday", "tuesday", "wednesday", "thursday",
                                       "friday")})
    desk = at(Desk(build_site(services=services, **ward())), 14)
    error = desk.refuse(IssueTicket("DD"), Closed)
    assert error.message.startswith("service 'DD' is outside its own hours; issuing reopens "
                                    "on Tuesday 24/11 at 07:30")
    assert "thủ tục ngoài giờ tiếp nhận; cấp số lại lúc 07:30 thứ Ba 24/11" in error.message
    # The other services keep the site's afternoon.
    assert desk.issue("KS").number == "A001"
    # Saturday is not in its hours: it follows the site's morning.
    assert at(desk, 9, days=5).issue("DD").number == "1001"


def test_a_service_without_a_site_schedule_keeps_its_hours() -> None:
    services = services_with("CT", opening_hours={"monday": "13:30-17:00"})
    desk = at(Desk(build_site(services=services)), 9)
    error = desk.refuse(IssueTicket("CT"), Closed)
    assert "issuing reopens at 13:30" in error.message
    assert desk.issue("KS").number == "A001"
    assert at(desk, 3, days=1).issue("CT").number == "B001"


def test_hours_that_never_reopen_say_so() -> None:
    services = services_with("CT", opening_hours={day: "" for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")})
    desk = at(Desk(build_site(services=services, **ward())), 9)
    error = desk.refuse(IssueTicket("CT"), Closed)
    assert "does not reopen within a year" in error.message


def test_an_appointment_is_held_to_the_hours_too() -> None:
    # The rules do not know who asks: an admin's appointment check-in is refused like a
    # kiosk's press (docs/protocol.md, "Opening hours").
    desk = at(Desk(build_site(**ward())), 12)
    slot = desk.now.replace(hour=13, minute=30)
    desk.refuse(IssueTicket("KS", appointment_at=slot), Closed)
    assert at(desk, 13, 30).run(IssueTicket("KS", appointment_at=slot)).result is not None


def test_a_retry_after_closing_returns_the_ticket() -> None:
    desk = at(Desk(build_site(**ward())), 11, 29)
    first = desk.run(IssueTicket("KS", request_key="press-1")).result
    assert at(desk, 11, 31).run(IssueTicket("KS", request_key="press-1")).result == first


def test_the_time_is_the_site_s_local_time() -> None:
    desk = Desk(build_site(**ward()))
    # 04:00 UTC is 11:00 in Hồ Chí Minh City: open; 05:00 UTC is 12:00: closed.
    desk.now = datetime.fromisoformat("2026-11-23T04:00:00+00:00")
    assert desk.issue("KS").number == "A001"
    desk.now = datetime.fromisoformat("2026-11-23T05:00:00+00:00")
    desk.refuse(IssueTicket("KS"), Closed)
