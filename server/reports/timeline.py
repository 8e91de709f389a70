"""A site's UTC offsets over a report's days, so local hours can be worked out in SQL.

Times are stored as naive UTC. PostgreSQL knows time zones, SQLite does not; rather than two
ways of doing it, the report works out here, from the site's ``zoneinfo``, which offset holds
when (a zone without daylight saving, as ``Asia/Ho_Chi_Minh``, has one for the whole range)
and both databases add it: ``CASE WHEN issued_at < :change THEN 25200 ELSE ... END``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How finely an offset change is looked for: zones change on whole minutes.
_STEP = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class OffsetPeriod:
    """From the previous period's ``until`` (or the beginning) to ``until`` (naive UTC;
    ``None``: the end), local time is UTC plus ``seconds``."""

    until: datetime | None
    seconds: int


def offset_periods(zone: ZoneInfo, first: date, last: date) -> tuple[OffsetPeriod, ...]:
    """The offsets in force from the start of local day ``first`` to the end of ``last``
    (a day's margin either side)."""
    begin = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)
    periods: list[OffsetPeriod] = []
    current = _offset(zone, begin)
    moment = begin
    while moment < end:
        following = min(moment + _STEP, end)
        if _offset(zone, following) != current:
            change = _change_between(zone, moment, following, current)
            periods.append(OffsetPeriod(change.replace(tzinfo=None), current))
            current = _offset(zone, change)
            moment = change
            continue
        moment = following
    periods.append(OffsetPeriod(None, current))
    return tuple(periods)


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _change_between(zone: ZoneInfo, before: datetime, after: datetime, offset: int) -> datetime:
    """The first second after ``before`` (which has ``offset``) with another offset."""
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if _offset(zone, high.replace(microsecond=0)) != offset \
        else high
