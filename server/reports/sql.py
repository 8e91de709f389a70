"""The few SQL expressions SQLite and PostgreSQL write differently.

Everything else in the reports' queries is plain SQLAlchemy Core that both databases run as
it is (GROUP BY, CASE, COUNT(DISTINCT ...), window functions). Times are naive UTC in both:
SQLite keeps them as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, PostgreSQL as ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    Numeric,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal_column,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from server.reports.timeline import OffsetPeriod

SQLITE = "sqlite"
# Julian day of 1970-01-01 00:00 UTC: SQLite's julianday() counts from 4714 BC.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5


def plain_time(column: Any) -> ColumnElement[Any]:
    """A UTC column as a plain ``DateTime`` (its type decorator refuses naive values, and
    the reports compare with naive UTC bounds)."""
    return type_coerce(column, DateTime())


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds. On SQLite, through Julian days (a double holds them to
    about 40 µs), rounded to the millisecond so that a wait of exactly 1,800 s is 1,800."""
    if dialect == SQLITE:
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)
    # date_part gives a double straight from the interval's exact microseconds (EXTRACT
    # gives numeric, several times slower over a month of tickets).
    return func.date_part("epoch", plain_time(later) - plain_time(earlier), type_=Float)


def round_milliseconds(dialect: str, seconds: Any) -> ColumnElement[float]:
    """``seconds`` rounded to the millisecond: differences of times held as seconds since
    1970 in a double are off by a few microseconds, which must not make a wait of exactly
    the target 1 µs too long."""
    if dialect == SQLITE:
        return func.round(seconds, 3)
    return cast(func.round(cast(seconds, Numeric), 3), Float)


def epoch_seconds(dialect: str, column: Any) -> ColumnElement[float]:
    """Seconds since 1970-01-01 UTC (for differences between rows)."""
    if dialect == SQLITE:
        return (func.julianday(column) - _UNIX_EPOCH_JULIAN_DAY) * 86400.0
    return func.date_part("epoch", plain_time(column), type_=Float)


def local_hour(dialect: str, site: Any, column: Any,
               periods: Mapping[str, Sequence[OffsetPeriod]]) -> ColumnElement[int]:
    """The local hour (0-23) of UTC ``column`` at the site in ``site``, from each site's
    offsets (one expression when every site has the same, as all Vietnamese sites do)."""
    distinct = {tuple(item) for item in periods.values()}
    if len(distinct) == 1:
        return _hour(dialect, column, next(iter(distinct)))
    return case(*((site == code, _hour(dialect, column, site_periods))
                  for code, site_periods in periods.items()))


def _hour(dialect: str, column: Any, periods: Sequence[OffsetPeriod]) -> ColumnElement[int]:
    if dialect == SQLITE:
        # The hour and minute straight from the stored text (``YYYY-MM-DD HH:MM:...``):
        # several times cheaper than strftime() over a month of tickets. Offsets are whole
        # minutes (every zone's are today).
        minutes = (cast(func.substr(column, 12, 2), Integer) * 60
                   + cast(func.substr(column, 15, 2), Integer)
                   + _offset(column, periods, lambda seconds: seconds // 60))
        return ((minutes % 1440 + 1440) % 1440) // 60
    shifted = plain_time(column) + _offset(column, periods, lambda seconds: seconds) \
        * literal_column("INTERVAL '1 second'")
    return cast(extract("hour", shifted), Integer)


def _offset(column: Any, periods: Sequence[OffsetPeriod],
            unit: Callable[[int], int]) -> ColumnElement[int]:
    """The offset in force at ``column``'s time, in ``unit(seconds)``, as SQL integers."""
    def number(period: OffsetPeriod) -> ColumnElement[int]:
        return literal_column(str(int(unit(period.seconds))), Integer)

    if len(periods) == 1:
        return number(periods[0])
    return case(*((plain_time(column) < bindparam(None, period.until, DateTime()),
                   number(period)) for period in periods[:-1]),
                else_=number(periods[-1]))


def minutes_since_epoch(column: Any) -> ColumnElement[int]:
    """SQLite: whole minutes since 1970-01-01 UTC of a stored time, exactly as its text says
    (``YYYY-MM-DD HH:MM:...``): the day through ``julianday`` of the date alone (a whole
    number and a half, exact in a double), the hour and minute cut from the text, as
    :func:`local_hour` does; ``NULL`` for ``NULL``. Seconds since 1970 from the whole text
    are a few microseconds off and would put a time just before a whole minute into the
    next."""
    days = cast(func.round(func.julianday(func.substr(column, 1, 10))
                           - _UNIX_EPOCH_JULIAN_DAY), Integer)
    return (days * 1440 + cast(func.substr(column, 12, 2), Integer) * 60
            + cast(func.substr(column, 15, 2), Integer))


def local_hour_of_minute(site: Any, minute: Any,
                         periods: Mapping[str, Sequence[OffsetPeriod]]) -> ColumnElement[int]:
    """The local hour (0-23) at the site in ``site`` of ``minute`` (whole minutes since 1970,
    UTC: :func:`minutes_since_epoch`), from each site's offsets: the same hour as
    :func:`local_hour` gives from the time's text (offset changes fall on whole minutes)."""
    distinct = {tuple(item) for item in periods.values()}

    def hour_of(site_periods: Sequence[OffsetPeriod]) -> ColumnElement[int]:
        def number(period: OffsetPeriod) -> ColumnElement[int]:
            return literal_column(str(int(period.seconds // 60)), Integer)

        if len(site_periods) == 1:
            offset: ColumnElement[int] = number(site_periods[0])
        else:
            offset = case(*((minute < literal_column(str(_minute_of(period.until)), Integer),
                             number(period)) for period in site_periods[:-1]),
                          else_=number(site_periods[-1]))
        hour: ColumnElement[int] = ((minute + offset) % 1440 + 1440) % 1440 // 60
        return hour

    if len(distinct) == 1:
        return hour_of(next(iter(distinct)))
    return case(*((site == code, hour_of(site_periods)) for code, site_periods in periods.items()))


def _minute_of(moment: datetime | None) -> int:
    """Whole minutes since 1970 of a naive UTC offset change (on a whole minute), rounded up:
    a time is before the change exactly when its minute is before this."""
    assert moment is not None
    seconds = (moment - datetime(1970, 1, 1)).total_seconds()
    return int(-(-seconds // 60))


def week_start(dialect: str, day: Any) -> ColumnElement[Any]:
    """The Monday of ``day``'s week (a ``date`` on PostgreSQL, ``YYYY-MM-DD`` text on
    SQLite)."""
    if dialect == SQLITE:
        # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is
        # the Monday of that ISO week.
        return func.date(day, "weekday 0", "-6 days")
    return cast(func.date_trunc("week", day), type_=day.type)
