"""Check-in at the kiosk: a booking as the server lists it, the citizen an ID card identified,
and the age rule. Pure.

The server owns every booking: the kiosk only reads what ``bookings`` and ``check_in``
answer (docs/protocol.md). From an ID card the kiosk keeps, for the one citizen at the
screen, only the birth date and the masked number (:class:`Person`); the whole number goes
to the server once, for the lookup, and is then dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from kiosk.errors import KioskError
from kiosk.models.catalogue import AgeRule, Catalogue
from kiosk.models.cccd import IdCard, age_on, mask_id_number
from kiosk.models.texts import Language


class BookingDataError(KioskError, ValueError):
    """A booking the server listed cannot be read; the message names the field."""


@dataclass(frozen=True)
class Booking:
    """One of the citizen's bookings of today that can still be checked in.

    Attributes:
        slot_start / slot_end: the slot's wall-clock times at the site (None: not said).
    """

    code: str
    service: str
    service_name: str
    slot_start: time | None
    slot_end: time | None
    status: str

    @classmethod
    def from_wire(cls, item: object, position: int = 0) -> Booking:
        """Read one item of the ``bookings`` reply (or ``check_in``'s ``booking``).

        Raises:
            BookingDataError: a field is missing or malformed (named with its position).
        """
        where = f"bookings[{position}]"
        if not isinstance(item, Mapping):
            raise BookingDataError(f"{where}: expected an object")

        def text(key: str) -> str:
            value = item.get(key)
            if not isinstance(value, str) or not value:
                raise BookingDataError(f"{where}.{key}: expected non-empty text")
            return value

        # Codes come shown (ABCD-2345); kept as the server reads them back, without the dash.
        code = text("code").replace("-", "").replace(" ", "").upper()
        return cls(code=code, service=text("service"),
                   service_name=text("service_name"),
                   slot_start=_slot_time(item.get("slot_start"), f"{where}.slot_start"),
                   slot_end=_slot_time(item.get("slot_end"), f"{where}.slot_end"),
                   status=str(item.get("status") or ""))

    @property
    def slot_text(self) -> str:
        """``09:00–09:30``, ``09:00``, or empty."""
        if self.slot_start is None:
            return ""
        start = f"{self.slot_start:%H:%M}"
        return start if self.slot_end is None else f"{start}–{self.slot_end:%H:%M}"

    @property
    def shown_code(self) -> str:
        """``ABCD-EFGH`` (a code of 8 characters), else as the server gave it."""
        code = self.code.replace("-", "")
        return f"{code[:4]}-{code[4:]}" if len(code) == 8 else self.code


def read_bookings(items: object) -> tuple[Booking, ...]:
    """The ``bookings`` reply's list.

    Raises:
        BookingDataError: not a list, or an item that cannot be read.
    """
    if not isinstance(items, list):
        raise BookingDataError("bookings: expected a list")
    return tuple(Booking.from_wire(item, position) for position, item in enumerate(items))


def _slot_time(value: Any, where: str) -> time | None:
    """A slot's time: ISO 8601 with or without the date (its wall clock is kept)."""
    if value is None:
        return None
    if isinstance(value, str):
        for parse in (datetime.fromisoformat, time.fromisoformat):
            try:
                moment = parse(value)
            except ValueError:
                continue
            return (moment.time() if isinstance(moment, datetime) else moment).replace(
                tzinfo=None)
    raise BookingDataError(f"{where}: expected a time (ISO 8601)")


@dataclass(frozen=True)
class Person:
    """The citizen an ID card identified, as far as the kiosk keeps them: the birth date
    (for the age rule) and the masked number (to show that the card was read)."""

    birth_date: date
    masked_id: str
    looked_up: bool = False
    """The server was asked for their bookings and had none for today."""

    @classmethod
    def from_card(cls, card: IdCard) -> Person:
        return cls(card.birth_date, mask_id_number(card.id_number))

    def __repr__(self) -> str:
        return f"Person({self.masked_id})"


def age_priority(person: Person | None, catalogue: Catalogue | None,
                 today: date | None) -> AgeRule | None:
    """The site's age rule when ``person`` is old enough for it on ``today`` and its group
    exists; else None."""
    if person is None or catalogue is None or today is None:
        return None
    rule = catalogue.site.priority_by_age
    if rule is None or catalogue.priority_group(rule.group) is None:
        return None
    return rule if age_on(person.birth_date, today) >= rule.age else None


_BOTH_LANGUAGES = re.compile(r"^(?P<english>[^()]+?)\s*\((?P<vietnamese>[^()]+)\)\s*\.?$")
_FIELD_PREFIX = re.compile(r"^[a-z_]+: ")


def server_sentence(message: str, language: Language) -> str:
    """The server's refusal in ``language``: its messages read ``field: English (Tiếng
    Việt)`` (``check-in opens at 09:15 (nhận lịch hẹn từ 09:15)``, ``code: this booking was
    cancelled (lịch hẹn đã bị hủy)``); the field's name is left out. A message of another
    shape is shown whole."""
    found = _BOTH_LANGUAGES.match(message.strip())
    if found is None:
        return message.strip()
    part = found["vietnamese"] if language is Language.VIETNAMESE else found["english"]
    part = _FIELD_PREFIX.sub("", part.strip())
    return part[:1].upper() + part[1:]
