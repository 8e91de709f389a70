"""Opening hours as centres keep them, and the pure questions asked of them.

A centre works in sessions (a morning and an afternoon, with a lunch break between), per
weekday; it closes on public holidays (``closed``: single days and ranges, Tết's week), and
keeps exceptions (a make-up working Saturday, a holiday morning open), each a date with its
own sessions. A service may keep narrower hours of its own: it is open only when the site is
open too, and a weekday its own hours leave out follows the site.

Times are whole minutes of the local day (``07:30`` is 450; a session may end at ``24:00``,
1440, and a session of the next day starting at ``00:00`` then carries on without a break).
A session holds its start and not its end: open at 11:29:59, closed at 11:30:00.

The queries take a **local** time: a naive datetime, or one aware in the site's own zone
(its wall-clock fields are read; what they return carries the same ``tzinfo``). Nothing here
reads a clock. :class:`Schedule` answers ``sessions_on``, ``is_open``, ``next_change`` and
``next_opening``; a change or an opening more than a year ahead counts as none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

MINUTES_PER_DAY = 24 * 60
HORIZON_DAYS = 366
"""How far ahead the queries look for an opening or a change (a year, a leap day too)."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""The keys of the week, Monday first (``date.weekday()`` is the index)."""
VIETNAMESE_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy",
                       "Chủ nhật")
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday")


@dataclass(frozen=True, slots=True, order=True)
class Session:
    """Open from ``start`` to ``end``, in minutes of the local day (``end`` at most 1440)."""

    start: int
    end: int

    def text(self) -> str:
        return f"{_clock_text(self.start)}-{_clock_text(self.end)}"


Sessions = tuple[Session, ...]
"""A day's sessions, in order, none touching or overlapping another; ``()`` is closed."""
ALL_DAY: Sessions = (Session(0, MINUTES_PER_DAY),)


@dataclass(frozen=True, slots=True)
class DayRange:
    """Closed from ``first`` to ``last``, both included (one day when they are equal)."""

    first: date
    last: date

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """One set of hours, a site's or a service's own.

    ``week`` has Monday's sessions first; ``None`` for a day the configuration does not give
    (a site is closed that day, a service follows its site). ``closed`` days have no
    sessions, unless ``exceptions`` gives the date sessions of its own, which win.
    """

    week: tuple[Sessions | None, ...] = (None,) * 7
    closed: tuple[DayRange, ...] = ()
    exceptions: tuple[tuple[date, Sessions], ...] = ()
    _by_date: dict[date, Sessions] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has seven days")
        object.__setattr__(self, "_by_date", dict(self.exceptions))

    @classmethod
    def every_day(cls, sessions: Sessions) -> OpeningHours:
        """The same sessions every day of the week (the older ``issue_hours``)."""
        return cls(week=(sessions,) * 7)

    def own(self, day: date) -> Sessions | None:
        """The sessions these hours give ``day``: its exception's, none on a closed day, else
        its weekday's (``None`` when not given)."""
        exception = self._by_date.get(day)
        if exception is not None:
            return exception
        if any(closed.holds(day) for closed in self.closed):
            return ()
        return self.week[day.weekday()]

    @property
    def opens_some_weekday(self) -> bool:
        return any(self.week[index] for index in range(7))


def intersect(first: Sessions, second: Sessions) -> Sessions:
    """The times both ``first`` and ``second`` are open."""
    result: list[Session] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i].start, second[j].start)
        end = min(first[i].end, second[j].end)
        if start < end:
            result.append(Session(start, end))
        if first[i].end < second[j].end:
            i += 1
        else:
            j += 1
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When numbers are issued: a site's hours (``None``: any time), narrowed by a service's
    own (``None``: the site's). A weekday the service's hours leave out follows the site."""

    site: OpeningHours | None = None
    service: OpeningHours | None = None

    @property
    def always_open(self) -> bool:
        return self.site is None and self.service is None

    def sessions_on(self, day: date) -> Sessions:
        """The sessions of ``day`` (a local date)."""
        sessions = ALL_DAY
        if self.site is not None:
            sessions = self.site.own(day) or ()
        if self.service is not None and sessions:
            own = self.service.own(day)
            if own is not None:
                sessions = intersect(sessions, own)
        return sessions

    def is_open(self, moment: datetime) -> bool:
        """Whether issuing is open at the local time ``moment``."""
        return _open_in(self.sessions_on(moment.date()), _minute(moment))

    def next_change(self, moment: datetime) -> datetime | None:
        """The first time after ``moment`` at which :meth:`is_open` answers otherwise: when
        an open site closes, or a closed one opens. ``None`` if not within a year."""
        if self.always_open:
            return None
        state = self.is_open(moment)
        minute = _minute(moment)
        start = moment.date()
        for offset in range(HORIZON_DAYS + 1):
            day = start + timedelta(days=offset)
            sessions = self.sessions_on(day)
            points = sorted({0, *(item.start for item in sessions),
                             *(item.end for item in sessions)} - {MINUTES_PER_DAY})
            for point in points:
                if offset == 0 and point <= minute:
                    continue
                if _open_in(sessions, point) != state:
                    return _at(day, point, moment)
        return None

    def next_opening(self, moment: datetime) -> datetime | None:
        """``moment`` itself when open, else the next time issuing opens; ``None`` if not
        within a year."""
        if self.is_open(moment):
            return moment
        return self.next_change(moment)


def moment_words(moment: datetime, today: date) -> tuple[str, str]:
    """When ``moment`` is, in Vietnamese and English, for "cấp số lại lúc ..." / "reopens
    ...": ``("lúc 13:30", "at 13:30")`` today, else ``("lúc 07:30 thứ Hai 08/02",
    "on Monday 08/02 at 07:30")``."""
    clock = f"{moment:%H:%M}"
    if moment.date() == today:
        return f"lúc {clock}", f"at {clock}"
    weekday = moment.weekday()
    return (f"lúc {clock} {VIETNAMESE_WEEKDAYS[weekday]} {moment:%d/%m}",
            f"on {ENGLISH_WEEKDAYS[weekday]} {moment:%d/%m} at {clock}")


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _open_in(sessions: Sessions, minute: int) -> bool:
    return any(item.start <= minute < item.end for item in sessions)


def _at(day: date, minute: int, like: datetime) -> datetime:
    hour, rest = divmod(minute, 60)
    return datetime.combine(day, time(hour, rest), tzinfo=like.tzinfo)


def _clock_text(minute: int) -> str:
    hour, rest = divmod(minute, 60)
    return f"{hour:02d}:{rest:02d}"
