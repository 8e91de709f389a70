"""The booking form, read (pure: no I/O): when (a number now or a slot's start) and who (a
mobile number or a CCCD number), or the problems with them, each naming its field and a
reason the page says in Vietnamese or English (a text key of server.booking.texts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.booking.identity import cccd_problem, normal_cccd
from server.booking.model import IdentityKind
from server.booking.phone import PhoneError, normalise_phone

NOW = "now"
# A slot's start as the form sends it: ISO 8601 with its offset.
_WHEN_LIMIT = 40


@dataclass(frozen=True, slots=True)
class Problem:
    """A refused field: ``key`` names the reason, ``values`` fill it in (``reason_vi`` and
    ``reason_en`` for a phone's own reason)."""

    field: str
    key: str
    values: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """What the form asks for: ``start`` of a slot, or ``None`` for a number now; who."""

    start: datetime | None
    identity_kind: IdentityKind
    identity: str


def read_when(text: str) -> tuple[datetime | None, Problem | None]:
    """``now`` (``None``) or a slot's start (aware), or the problem with ``text``."""
    text = text.strip()
    if not text:
        return None, Problem("when", "err_when_missing")
    if text == NOW:
        return None, None
    if len(text) > _WHEN_LIMIT:
        return None, Problem("when", "err_when_wrong")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        return None, Problem("when", "err_when_wrong")
    if start.utcoffset() is None or not 2000 <= start.year <= 2100:
        return None, Problem("when", "err_when_wrong")
    return start, None


def read_identity(fields: dict[str, str], today: date) -> tuple[tuple[IdentityKind, str] | None,
                                                                 Problem | None]:
    """The person the form names: ``by`` (``phone`` or ``cccd``) and its number."""
    by = fields.get("by", "")
    if by == IdentityKind.PHONE.value:
        text = fields.get("phone", "").strip()
        if not text:
            return None, Problem("phone", "err_phone_missing")
        try:
            return (IdentityKind.PHONE, normalise_phone(text)), None
        except PhoneError as error:
            return None, Problem("phone", "err_phone", (("reason_vi", error.message_vi),
                                                        ("reason_en", error.message_en)))
    if by == IdentityKind.CCCD.value:
        text = fields.get("cccd", "").strip()
        if not text:
            return None, Problem("cccd", "err_cccd_missing")
        problem = cccd_problem(text, today)
        if problem is not None:
            return None, Problem("cccd", problem)
        digits = normal_cccd(text)
        assert digits is not None
        return (IdentityKind.CCCD, digits), None
    return None, Problem("by", "err_identity_missing")


def read_choice(fields: dict[str, str], today: date) -> tuple[Choice | None, list[Problem]]:
    """The choice the form's ``fields`` hold, or every field's problem."""
    start, when_problem = read_when(fields.get("when", ""))
    identity, identity_problem = read_identity(fields, today)
    problems = [problem for problem in (when_problem, identity_problem) if problem is not None]
    if problems or identity is None:
        return None, problems
    return Choice(start, identity[0], identity[1]), []


def read_lookup_identity(text: str, today: date) -> tuple[IdentityKind, str] | None:
    """The phone or CCCD number typed in the "find my booking" form (12 digits: a CCCD),
    or ``None``."""
    digits = normal_cccd(text)
    if digits is not None:
        return (IdentityKind.CCCD, digits) if cccd_problem(digits, today) is None else None
    try:
        return IdentityKind.PHONE, normalise_phone(text)
    except PhoneError:
        return None
