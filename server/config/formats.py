"""The small text formats of the configuration, read and written back (pure).

Each reader takes the text a file or a form gives and returns the value the settings hold,
or raises :class:`ConfigError` with an empty key and the reason (the caller knows the key).
Each writer gives the text its reader reads back to the same value.
"""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.config.errors import ConfigError
from server.config.settings import NumberFormat

# Every pattern is used with fullmatch: re's ``$`` also matches before a final newline.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_CODE = re.compile(CODE_PATTERN)
# ASCII digits only: Python's \d would take other scripts' digits, which a ticket never prints.
_PREFIX_FORMAT = re.compile(r"^([A-Z]{1,3})(#{1,6})$")
_RANGE_FORMAT = re.compile(r"^([0-9]{1,9})\s*-\s*([0-9]{1,9})$")
_HOURS = re.compile(r"^([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})$")
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
