"""The configuration's value types and the checks its models share (pydantic types).

Each type says what one value may be (``Code``, ``Text``, ``Positive``, ``Token``, ...) and
reports a wrong one with the reason the TOML file's reader gives; the functions at the end
are the checks between tables the models run (a value given twice, a reference to nothing).
Every error goes through :func:`server.config.errors.rule_error`, so it names its key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticKnownError

from server.config.errors import ConfigError, rule_error
from server.config.formats import (
    check_code,
    check_password_hash,
    check_public_url,
    check_site_code,
    check_text,
    parse_day,
    parse_days,
    parse_hours,
    parse_number_format,
    parse_sessions,
    parse_time_zone,
)

MINIMUM_TOKEN_LENGTH = 12
MINIMUM_SECRET_LENGTH = 16
# TOML integers are 64-bit; a larger one could be neither written back nor read by others.
LARGEST_WHOLE_NUMBER = 2**63 - 1

# Marks a field whose value is a secret: messages name its key, never its value. Also in the
# JSON schema, so a form knows to use a password input.
SECRET_FIELD: dict[str, Any] = {"secret": True}

E = TypeVar("E", bound=StrEnum)


def checked(check: Callable[[str], object]) -> AfterValidator:
    """A validator running ``check`` (a reader of :mod:`server.config.formats`) on a text;
    the text is kept as given, the reader's reason reported."""

    def validate(value: str) -> str:
        try:
            check(value)
        except ConfigError as error:
            raise rule_error("", error.reason) from None
        return value

    return AfterValidator(validate)


def choice(kind: type[E], refused: Mapping[str, str] | None = None) -> BeforeValidator:
    """A validator reading one of ``kind``'s values from its text (strict pydantic takes
    only members); ``refused`` values are not offered and say why (``{value: why}``)."""
    refused = refused or {}
    allowed = [member for member in kind if member.value not in refused]
    names = [member.value for member in allowed]
    spoken = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

    def validate(value: object) -> E:
        if isinstance(value, kind) and value in allowed:
            return value
        if not isinstance(value, str):
            raise PydanticKnownError("string_type")
        if value in names:
            return kind(value)
        why = f": {refused[value]}" if value in refused else ""
        raise rule_error("", f"must be {spoken}, got {value!r}{why}")

    return BeforeValidator(validate)


def at_least_one(reason: str) -> AfterValidator:
    """A validator refusing an empty list with ``reason``."""

    def validate(items: list[Any]) -> list[Any]:
        if not items:
            raise rule_error("", reason)
        return items

    return AfterValidator(validate)


def whole(minimum: int, maximum: int = LARGEST_WHOLE_NUMBER) -> Any:
    """The bounds of a whole number (``must be at least 1, got 0``)."""
    return Field(ge=minimum, le=maximum)


def _each_once(items: list[str]) -> list[str]:
    distinct((f"[{index}]", item) for index, item in enumerate(items))
    return items


def _long_secret(value: str) -> str:
    if len(value) < MINIMUM_SECRET_LENGTH:
        raise rule_error("", f"must be at least {MINIMUM_SECRET_LENGTH} characters (a long "
                             "random string), or leave it out to have one made in the data "
                             "directory")
    return value


def _optional_number_format(text: str) -> object:
    return parse_number_format(text) if text else None


def _optional_hours(text: str) -> object:
    return parse_hours(text) if text else None


def _date_as_text(value: object) -> object:
    """A TOML date (``2027-04-30`` unquoted) read as the text it was written as."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value


# Any text a UTF-8 file can hold.
Text = Annotated[str, checked(check_text)]
Code = Annotated[str, checked(check_code)]
SiteCode = Annotated[str, checked(check_site_code)]
# Codes of other tables, each named once (``code 'Q1' appears twice``).
Codes = Annotated[list[Text], AfterValidator(_each_once)]
NumberFormatText = Annotated[str, checked(parse_number_format)]
# A service's own format, or "" when it names a shared group.
OptionalNumberFormatText = Annotated[str, checked(_optional_number_format)]
# Opening hours "07:00-17:00", or "" for any time.
HoursText = Annotated[str, checked(_optional_hours)]
# A day's sessions "07:30-11:30, 13:30-17:00"; "" is a day closed.
SessionsText = Annotated[str, checked(parse_sessions)]
# A date "2027-04-30" (a TOML date too), or a range of them "2027-02-05..2027-02-11".
DayText = Annotated[str, BeforeValidator(_date_as_text), checked(parse_day)]
DaysText = Annotated[str, BeforeValidator(_date_as_text), checked(parse_days)]
TimeZoneName = Annotated[str, checked(parse_time_zone)]
PublicUrl = Annotated[str, checked(check_public_url)]
# Minutes, seconds, rates: more than zero and finite (``inf`` and ``nan`` are valid TOML).
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
# A device or admin token: long enough not to be guessed (its value is never shown).
Token = Annotated[str, Field(min_length=MINIMUM_TOKEN_LENGTH), checked(check_text)]
PasswordHash = Annotated[str, checked(check_password_hash), Field(json_schema_extra=SECRET_FIELD)]
SecretText = Annotated[str, AfterValidator(_long_secret), checked(check_text)]


# --- checks between tables ---------------------------------------------------------------


def distinct(items: Iterable[tuple[str, Hashable]], what: str = "code") -> None:
    """Refuse a value seen twice; ``items`` pairs each key with its value. The error names
    the second key and the first (``code 'KS' appears twice (also at services[0].code)``)."""
    seen: dict[Hashable, str] = {}
    for key, value in items:
        if value in seen:
            raise rule_error(key, f"{what} {value!r} appears twice (also at ", seen[value], ")")
        seen[value] = key


def distinct_tokens(items: Iterable[tuple[str, str]]) -> None:
    """Refuse a token given twice, naming both keys and never the token."""
    seen: dict[str, str] = {}
    for key, token in items:
        if token in seen:
            raise rule_error(key, "is the same token as ", seen[token],
                             "; every token must be unique")
        seen[token] = key


def one_of(*allowed: int) -> AfterValidator:
    """A whole number that must be one of ``allowed`` (a paper roll is 58 or 80 mm)."""
    spoken = " or ".join(str(value) for value in allowed)

    def validate(value: int) -> int:
        if value not in allowed:
            raise rule_error("", f"must be {spoken}, got {value}")
        return value

    return AfterValidator(validate)


def known(key: str, code: str, codes: Iterable[str], what: str) -> None:
    """Refuse a reference to nothing (``no zone 'B2'``)."""
    if code not in codes:
        raise rule_error(key, f"no {what} {code!r}")
