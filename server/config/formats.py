"""The small text formats of the configuration, read and written back (pure).

Each reader takes the text a file or a form gives and returns the value the settings hold,
or raises :class:`ConfigError` with an empty key and the reason (the caller knows the key).
Each writer gives the text its reader reads back to the same value.
"""

from __future__ import annotations

import re
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.config.errors import ConfigError
from server.config.hours import DayRange, Session, Sessions
from server.config.settings import NumberFormat

# Every pattern is used with fullmatch: re's ``$`` also matches before a final newline.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_CODE = re.compile(CODE_PATTERN)
# ASCII digits only: Python's \d would take other scripts' digits, which a ticket never prints.
_PREFIX_FORMAT = re.compile(r"^([A-Z]{1,3})(#{1,6})$")
_RANGE_FORMAT = re.compile(r"^([0-9]{1,9})\s*-\s*([0-9]{1,9})$")
_HOURS = re.compile(r"^([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})$")
_SESSION = re.compile(r"^([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DAY_RANGE_SEPARATOR = ".."
_PUBLIC_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")
_PASSWORD_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$",
                            re.ASCII)
# Lone surrogates: Python strings may hold them, UTF-8 (and so a TOML file) cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_code(value: str) -> str:
    """A code (``Q01``, ``DD-NOP``): letters, digits, ``-``, ``_``, ``.``; at most 32."""
    if not _CODE.fullmatch(value):
        raise ConfigError("", f"{value!r} is not a code (letters, digits, '-', '_', '.'; "
                              "at most 32)")
    return value


# Words of the booking pages' own addresses (/dat-lich/ma/..., /dat-lich/tra-cuu), which a
# site's code would collide with in /dat-lich/<site>.
RESERVED_SITE_CODES = frozenset({"ma", "tra-cuu"})


def check_site_code(value: str) -> str:
    """A site's code: a code (:func:`check_code`) other than the booking pages' own words."""
    check_code(value)
    if value.lower() in RESERVED_SITE_CODES:
        raise ConfigError("", f"{value!r} cannot be a site's code: the booking pages use "
                              f"/dat-lich/{value.lower()} for themselves (choose another)")
    return value


def check_text(value: str) -> str:
    """Any text a UTF-8 file can hold (no lone surrogates, which only a program can make)."""
    if _SURROGATE.search(value):
        raise ConfigError("", "contains a character that is not valid text (a lone surrogate)")
    return value


def parse_number_format(text: str) -> NumberFormat:
    """``A###`` (prefix A, three digits) or ``1001-1999`` (a range)."""
    prefix_match = _PREFIX_FORMAT.fullmatch(text.strip())
    if prefix_match:
        return NumberFormat(prefix_match.group(1), len(prefix_match.group(2)), 1, None)
    range_match = _RANGE_FORMAT.fullmatch(text.strip())
    if range_match:
        first_text, last_text = range_match.groups()
        if any(len(part) > 1 and part.startswith("0") for part in (first_text, last_text)):
            raise ConfigError("", f"range {text!r} has leading zeros, which a range does not "
                                  "print (its first number would show as "
                                  f"{int(first_text)!r}); for zero-padded numbers use a prefix "
                                  "format like 'A###', or write the range without leading "
                                  "zeros, like '1-999'")
        first, last = int(first_text), int(last_text)
        if first < 1 or last < first:
            raise ConfigError("", f"range {text!r} must run upwards from 1 or more")
        return NumberFormat(None, 0, first, last)
    raise ConfigError("", f"{text!r} is not a number format: use a prefix like 'A###' or a "
                          "range like '1001-1999'")


def number_format_text(number_format: NumberFormat) -> str:
    """The text :func:`parse_number_format` reads back to ``number_format``."""
    if number_format.prefix is not None:
        return number_format.prefix + "#" * number_format.width
    return f"{number_format.first}-{number_format.last}"


def parse_hours(text: str) -> tuple[time, time]:
    """Opening hours ``07:00-17:00``: opening and closing time, closing the later."""
    match = _HOURS.fullmatch(text.strip())
    if not match:
        raise ConfigError("", f"{text!r} is not opening hours like '07:00-17:00'")
    hour_open, minute_open, hour_close, minute_close = (int(part) for part in match.groups())
    try:
        opens, closes = time(hour_open, minute_open), time(hour_close, minute_close)
    except ValueError as error:
        raise ConfigError("", f"{text!r}: {error}") from error
    if closes <= opens:
        raise ConfigError("", f"{text!r}: closing must come after opening")
    return opens, closes


def hours_text(hours: tuple[time, time]) -> str:
    """The text :func:`parse_hours` reads back to ``hours``."""
    opens, closes = hours
    return f"{opens:%H:%M}-{closes:%H:%M}"


def parse_sessions(text: str) -> Sessions:
    """A day's sessions, ``07:30-11:30, 13:30-17:00``: in order, none overlapping or
    touching the one before; ``""`` is a day without any (closed). A session may end at
    ``24:00``."""
    if not text.strip():
        return ()
    sessions: list[Session] = []
    for part in text.split(","):
        match = _SESSION.fullmatch(part.strip())
        if not match:
            raise ConfigError("", f"{part.strip()!r} is not a session like '07:30-11:30' "
                                  "(write a day's sessions like '07:30-11:30, 13:30-17:00', "
                                  "or '' for a day closed)")
        hour_open, minute_open, hour_close, minute_close = (int(item) for item in match.groups())
        if hour_open > 23 or minute_open > 59 or hour_close > 24 or minute_close > 59 \
                or (hour_close == 24 and minute_close):
            raise ConfigError("", f"{part.strip()!r}: a time must be 00:00 to 23:59 (a session "
                                  "may end at 24:00)")
        session = Session(hour_open * 60 + minute_open, hour_close * 60 + minute_close)
        if session.end <= session.start:
            raise ConfigError("", f"{part.strip()!r}: closing must come after opening")
        if sessions:
            before = sessions[-1]
            if session.start < before.start:
                raise ConfigError("", f"{text.strip()!r}: sessions must be in the order of the "
                                      f"day ({session.text()} comes before {before.text()})")
            if session.start < before.end:
                raise ConfigError("", f"{text.strip()!r}: {session.text()} overlaps "
                                      f"{before.text()}")
            if session.start == before.end:
                raise ConfigError("", f"{text.strip()!r}: {session.text()} starts as "
                                      f"{before.text()} ends; write them as one session "
                                      f"({Session(before.start, session.end).text()})")
        sessions.append(session)
    return tuple(sessions)


def sessions_text(sessions: Sessions) -> str:
    """The text :func:`parse_sessions` reads back to ``sessions``."""
    return ", ".join(item.text() for item in sessions)


def parse_day(text: str) -> date:
    """A date ``2027-04-30`` (year, month, day)."""
    if not _DAY.fullmatch(text.strip()):
        raise ConfigError("", f"{text!r} is not a date like '2027-04-30' (year-month-day)")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise ConfigError("", f"{text!r} is not a date: {error}") from error


def parse_days(text: str) -> DayRange:
    """A day ``2027-04-30``, or the days of a range ``2027-02-05..2027-02-11`` (both
    included)."""
    first_text, separator, last_text = text.partition(DAY_RANGE_SEPARATOR)
    first = parse_day(first_text)
    if not separator:
        return DayRange(first, first)
    last = parse_day(last_text)
    if last < first:
        raise ConfigError("", f"{text!r}: the range ends before it starts")
    return DayRange(first, last)


def days_text(days: DayRange) -> str:
    """The text :func:`parse_days` reads back to ``days``."""
    if days.first == days.last:
        return days.first.isoformat()
    return f"{days.first.isoformat()}{DAY_RANGE_SEPARATOR}{days.last.isoformat()}"


def parse_time_zone(name: str) -> ZoneInfo:
    """An IANA time zone (``Asia/Ho_Chi_Minh``) from the bundled or the system database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError("", f"unknown time zone {name!r}") from error


def check_public_url(text: str) -> str:
    """An address like ``http://192.168.1.10:8765``, as printed in the tickets' QR codes."""
    if not _PUBLIC_URL.fullmatch(text):
        raise ConfigError("", f"{text!r} is not an address like 'http://192.168.1.10:8765'")
    return text


def check_password_hash(text: str) -> str:
    """A hash made by ``qms hash-password``; the reason never repeats what was given."""
    if not text.startswith("scrypt$"):
        raise ConfigError("", "must be a hash made by 'qms hash-password', not a plain password")
    if not _PASSWORD_HASH.fullmatch(text):
        raise ConfigError("", "is not a complete hash; copy the whole output of "
                              "'qms hash-password'")
    return text
