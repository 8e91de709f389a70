"""Opening hours: the queries' properties over generated hours, and worked examples of the
week a Vietnamese centre keeps (a lunch break, Friday evening to Monday, Tết, a make-up
Saturday, a service's narrower hours)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.config import parse_settings
from server.config.formats import (
    days_text,
    parse_days,
    parse_sessions,
    sessions_text,
)
from server.config.hours import (
    HORIZON_DAYS,
    MINUTES_PER_DAY,
    DayRange,
    OpeningHours,
    Schedule,
    Session,
    Sessions,
    intersect,
    moment_words,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = "07:30-11:30, 13:30-17:00"
MORNING = "07:30-11:30"


def hours(week: dict[str, str], closed: tuple[str, ...] = (),
          exceptions: tuple[tuple[str, str], ...] = ()) -> OpeningHours:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return OpeningHours(
        week=tuple(parse_sessions(week[name]) if name in week else None for name in names),
        closed=tuple(parse_days(item) for item in closed),
        exceptions=tuple((date.fromisoformat(day), parse_sessions(text))
                         for day, text in exceptions))


# A ward's week in 2027: two sessions Monday to Friday, Saturday morning, the holidays.
HOLIDAYS_2027 = ("2027-01-01", "2027-02-04..2027-02-10", "2027-04-16", "2027-04-30",
                 "2027-05-01", "2027-05-03", "2027-09-02..2027-09-03")
WARD = hours({"monday": DAY, "tuesday": DAY, "wednesday": DAY, "thursday": DAY,
              "friday": DAY, "saturday": MORNING},
             closed=HOLIDAYS_2027,
             # A make-up working Saturday after Tết, and the morning of 30/4 open.
             exceptions=(("2027-02-13", DAY), ("2027-04-30", MORNING)))


def at(text: str) -> datetime:
    """A local time in Hồ Chí Minh City: ``2027-02-08 11:30``."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


# --- worked examples -------------------------------------------------------------------------


def test_the_lunch_break() -> None:
    schedule = Schedule(WARD)
    assert schedule.is_open(at("2027-03-01 11:29:59"))
    assert not schedule.is_open(at("2027-03-01 11:30"))
    assert schedule.next_change(at("2027-03-01 09:00")) == at("2027-03-01 11:30")
    assert schedule.next_opening(at("2027-03-01 11:30")) == at("2027-03-01 13:30")
    assert schedule.next_opening(at("2027-03-01 12:15")) == at("2027-03-01 13:30")
    assert schedule.is_open(at("2027-03-01 13:30"))
    assert schedule.next_change(at("2027-03-01 13:30")) == at("2027-03-01 17:00")


def test_a_friday_evening_reopens_on_monday_when_saturday_is_closed() -> None:
    weekdays = hours({day: DAY for day in ("monday", "tuesday", "wednesday", "thursday",
                                           "friday")})
    schedule = Schedule(weekdays)
    friday = at("2027-03-05 17:00")
    assert friday.strftime("%A") == "Friday" and not schedule.is_open(friday)
    assert schedule.next_opening(friday) == at("2027-03-08 07:30")
    # With Saturday morning kept, the weekend starts on Saturday at 11:30.
    assert Schedule(WARD).next_opening(friday) == at("2027-03-06 07:30")
    assert Schedule(WARD).next_opening(at("2027-03-06 11:30")) == at("2027-03-08 07:30")


def test_tet_week_closes_until_the_make_up_saturday() -> None:
    schedule = Schedule(WARD)
    # Wednesday 3/2 is the last working day before Tết (29 Tết is Thursday 4/2).
    assert schedule.next_change(at("2027-02-03 15:00")) == at("2027-02-03 17:00")
    assert schedule.sessions_on(date(2027, 2, 6)) == ()
    assert schedule.next_opening(at("2027-02-03 17:00")) == at("2027-02-11 07:30")
    # The Saturday after it is a make-up working day, all day.
    assert schedule.sessions_on(date(2027, 2, 13)) == parse_sessions(DAY)
    assert schedule.next_opening(at("2027-02-13 12:00")) == at("2027-02-13 13:30")
    # The Saturday after that is an ordinary one: the morning only.
    assert schedule.sessions_on(date(2027, 2, 20)) == parse_sessions(MORNING)


def test_an_exception_opens_a_holiday_morning() -> None:
    schedule = Schedule(WARD)
    assert schedule.sessions_on(date(2027, 4, 30)) == parse_sessions(MORNING)
    assert schedule.sessions_on(date(2027, 5, 1)) == ()
    # 30/4 afternoon, then 1/5 (Saturday) and 3/5 (its day in lieu) closed: Tuesday 4/5.
    assert schedule.next_opening(at("2027-04-30 11:30")) == at("2027-05-04 07:30")


def test_a_service_keeps_the_mornings_within_the_site() -> None:
    land = hours({day: MORNING for day in ("monday", "tuesday", "wednesday", "thursday",
                                           "friday")}, closed=("2027-03-03",))
    schedule = Schedule(WARD, land)
    assert schedule.sessions_on(date(2027, 3, 1)) == parse_sessions(MORNING)
    assert schedule.next_opening(at("2027-03-01 11:30")) == at("2027-03-02 07:30")
    # Its own closed day, and the site's holidays.
    assert schedule.sessions_on(date(2027, 3, 3)) == ()
    assert schedule.sessions_on(date(2027, 4, 16)) == ()
    # Saturday is not in its hours: it follows the site (the morning).
    assert schedule.sessions_on(date(2027, 3, 6)) == parse_sessions(MORNING)
    # Narrower hours than the site cannot open it when the site is closed.
    evening = Schedule(WARD, hours({"monday": "16:00-20:00"}))
    assert evening.sessions_on(date(2027, 3, 1)) == parse_sessions("16:00-17:00")


def test_a_site_without_hours_is_always_open_and_a_service_may_close_it() -> None:
    assert Schedule().is_open(at("2027-02-06 03:00"))
    assert Schedule().next_change(at("2027-02-06 03:00")) is None
    assert Schedule().next_opening(at("2027-02-06 03:00")) == at("2027-02-06 03:00")
    service = Schedule(None, hours({"sunday": ""}))
    assert not service.is_open(at("2027-02-07 10:00"))
    assert service.next_opening(at("2027-02-07 10:00")) == at("2027-02-08 00:00")
    assert service.next_change(at("2027-02-06 10:00")) == at("2027-02-07 00:00")


def test_a_session_to_midnight_carries_on_into_the_next_day() -> None:
    night = Schedule(hours({"monday": "20:00-24:00", "tuesday": "00:00-02:00, 08:00-09:00"}))
    assert night.next_change(at("2027-03-01 21:00")) == at("2027-03-02 02:00")
    assert night.next_opening(at("2027-03-02 03:00")) == at("2027-03-02 08:00")


def test_hours_that_never_open_within_a_year_have_no_opening() -> None:
    schedule = Schedule(hours({"monday": DAY}), hours({"monday": ""}))
    assert schedule.next_opening(at("2027-03-01 09:00")) is None
    assert schedule.next_change(at("2027-03-01 09:00")) is None
    # An opening further than a year away is none too.
    far = Schedule(hours({"monday": DAY}, closed=("2027-01-01..2028-06-30",)))
    assert far.next_opening(at("2027-01-01 09:00")) is None
    assert far.next_opening(at("2027-12-01 09:00")) == at("2028-07-03 07:30")


def test_the_moment_in_words() -> None:
    today = date(2027, 2, 5)
    assert moment_words(at("2027-02-05 13:30"), today) == ("lúc 13:30", "at 13:30")
    assert moment_words(at("2027-02-08 07:30"), today) == (
        "lúc 07:30 thứ Hai 08/02", "on Monday 08/02 at 07:30")
    assert moment_words(at("2027-02-07 07:30"), today)[0] == "lúc 07:30 Chủ nhật 07/02"


def test_issue_hours_are_one_window_every_day() -> None:
    site = {"code": "s", "name_vi": "S", "issue_hours": "07:00-17:00",
            "fields": [{"code": "F", "name_vi": "F"}],
            "services": [{"code": "A", "field": "F", "name_vi": "A", "numbers": "A###",
                          "opening_hours": {"saturday": "07:30-11:30"}}],
            "zones": [{"code": "Z", "name_vi": "Z"}],
            "counters": [{"code": "Q", "zone": "Z", "services": ["A"]}]}
    loaded = parse_settings({"sites": [site]}).sites[0]
    assert loaded.schedule().sessions_on(date(2027, 2, 7)) == (Session(420, 1020),)
    assert loaded.schedule("A").sessions_on(date(2027, 2, 6)) == (Session(450, 690),)
    assert loaded.schedule("A").sessions_on(date(2027, 2, 8)) == (Session(420, 1020),)
    assert loaded.schedule("nope") == loaded.schedule()


# --- properties --------------------------------------------------------------------------------

START = datetime(2027, 1, 1, tzinfo=VIETNAM)


@st.composite
def day_sessions(draw: st.DrawFn) -> Sessions:
    moments = sorted(draw(st.lists(st.integers(0, MINUTES_PER_DAY), max_size=6, unique=True)))
    moments = moments[:len(moments) // 2 * 2]
    return tuple(Session(start, end)
                 for start, end in zip(moments[::2], moments[1::2], strict=True))


some_days = st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 3, 31))


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    week = tuple(draw(st.one_of(st.none(), day_sessions())) for _ in range(7))
    closed = tuple(DayRange(first, first + timedelta(days=draw(st.integers(0, 20))))
                   for first in draw(st.lists(some_days, max_size=3)))
    exceptions = tuple((day, draw(day_sessions()))
                       for day in draw(st.lists(some_days, max_size=3, unique=True)))
    return OpeningHours(week, closed, exceptions)


schedules = st.builds(Schedule, st.one_of(st.none(), opening_hours()),
                      st.one_of(st.none(), opening_hours()))
moments = st.integers(0, 90 * MINUTES_PER_DAY * 60).map(
    lambda seconds: START + timedelta(seconds=seconds))


def minutes_between(first: datetime, last: datetime) -> list[datetime]:
    """Every whole minute after ``first`` and before ``last``, ``first`` itself included."""
    moment = first.replace(second=0, microsecond=0) + timedelta(minutes=1)
    found = [first]
    while moment < last:
        found.append(moment)
        moment += timedelta(minutes=1)
    return found


@settings(max_examples=150, deadline=None)
@given(schedules, moments)
def test_is_open_agrees_with_sessions_on(schedule: Schedule, moment: datetime) -> None:
    minute = moment.hour * 60 + moment.minute
    sessions = schedule.sessions_on(moment.date())
    assert schedule.is_open(moment) == any(item.start <= minute < item.end
                                           for item in sessions)
    # A day's sessions are in order and apart.
    assert all(item.start < item.end for item in sessions)
    assert all(before.end < after.start for before, after in pairwise(sessions))


@settings(max_examples=150, deadline=None)
@given(schedules, moments)
def test_next_opening_is_open_and_nothing_before_it_is(schedule: Schedule,
                                                       moment: datetime) -> None:
    opening = schedule.next_opening(moment)
    if opening is None:
        # Then nothing is open for a year: sample every session's start on the way.
        for offset in range(HORIZON_DAYS):
            day = moment.date() + timedelta(days=offset)
            for item in schedule.sessions_on(day):
                start = datetime.combine(day, datetime.min.time(), tzinfo=VIETNAM) \
                    + timedelta(minutes=item.start)
                assert start + timedelta(minutes=item.end - item.start) <= moment
        return
    assert opening >= moment and schedule.is_open(opening)
    if opening - moment < timedelta(days=3):
        assert not any(schedule.is_open(between)
                       for between in minutes_between(moment, opening)[1:])
        if opening > moment:
            assert not schedule.is_open(moment)


@settings(max_examples=150, deadline=None)
@given(schedules, moments)
def test_next_change_is_the_first_moment_that_differs(schedule: Schedule,
                                                      moment: datetime) -> None:
    change = schedule.next_change(moment)
    state = schedule.is_open(moment)
    if change is None:
        return
    assert change > moment and schedule.is_open(change) != state
    assert change.second == 0 and change.microsecond == 0
    if change - moment < timedelta(days=3):
        assert all(schedule.is_open(between) == state
                   for between in minutes_between(moment, change))


@given(opening_hours(), opening_hours(), some_days)
def test_a_service_is_never_open_when_its_site_is_closed(
        site: OpeningHours, service: OpeningHours, day: date) -> None:
    narrowed = Schedule(site, service).sessions_on(day)
    assert intersect(narrowed, Schedule(site).sessions_on(day)) == narrowed
    assert intersect(narrowed, Schedule(None, service).sessions_on(day)) == narrowed


@given(day_sessions())
def test_sessions_read_back_from_their_text(sessions: Sessions) -> None:
    assert parse_sessions(sessions_text(sessions)) == sessions


@given(some_days, st.integers(0, 400))
def test_days_read_back_from_their_text(first: date, length: int) -> None:
    days = DayRange(first, first + timedelta(days=length))
    assert parse_days(days_text(days)) == days


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_day_is_closed(text: str) -> None:
    assert parse_sessions(text) == ()
