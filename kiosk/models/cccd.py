"""The chip ID card's (căn cước công dân, CCCD) QR code, read into a typed record. Pure.

The QR on a chip card holds one line of fields separated by ``|``::

    001089000123|123456789|Nguyễn Văn Thử|15031948|Nam|Số 1 Đường Thử, Hà Nội|10052021

ID number (12 digits), old ID number (the 9-digit CMND, a 12-digit one, or empty), full name,
date of birth (DDMMYYYY), sex (``Nam`` / ``Nữ``), address, date of issue (DDMMYYYY). Newer
cards and some readers add fields after these; they are ignored.

Strict where the kiosk relies on a field, lenient where real cards and readers vary:

- The ID number must be exactly 12 ASCII digits (it is sent to the server for the booking
  lookup, so a misread must never pass). The dates must be real dates, the birth not in the
  future nor more than :data:`OLDEST_AGE_YEARS` ago, the issue not before the birth nor in
  the future. The old ID number must be empty, 9 or 12 digits.
- A birth date recorded with its day or month unknown (``00``, as on the cards of people
  whose registration gave only a year) is read as the *last* possible day: the age rule then
  never grants priority before the person has certainly reached the age.
- The name and address are kept as read (a keyboard-emulating scanner may garble
  Vietnamese letters; the kiosk needs neither); an unrecognised sex is None.
- Surrounding white space, a trailing newline or ``|`` and a byte-order mark are ignored.

The ID number is not checked against the birth date (its 4th to 6th digits say the century
and the year of birth): a corrected birth date keeps the lifelong number, so that check
would refuse genuine cards.

Errors never repeat what was read: a :class:`CccdError` names the field and the reason (in
Vietnamese and English), because the card's text is personal data and error messages end up
in logs.
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.errors import KioskError

SEPARATOR = "|"
ID_NUMBER_DIGITS = 12
REQUIRED_FIELDS = 7
"""ID number, old ID number, name, birth date, sex, address, date of issue."""
MAX_TEXT_LENGTH = 2000
"""Longer than any card's text: a longer scan is not a card (and is not read further)."""
OLDEST_AGE_YEARS = 130
"""A birth date further back than this is a misread."""
_ASCII_DIGITS = frozenset("0123456789")


class CardField(StrEnum):
    """The fields of the card's QR text, as error messages name them."""

    TEXT = "text"
    ID_NUMBER = "id_number"
    OLD_ID_NUMBER = "old_id_number"
    BIRTH_DATE = "birth_date"
    ISSUE_DATE = "issue_date"


FIELD_NAMES: dict[CardField, tuple[str, str]] = {
    CardField.TEXT: ("mã QR", "the QR code"),
    CardField.ID_NUMBER: ("số căn cước", "the ID number"),
    CardField.OLD_ID_NUMBER: ("số CMND cũ", "the old ID number"),
    CardField.BIRTH_DATE: ("ngày sinh", "the date of birth"),
    CardField.ISSUE_DATE: ("ngày cấp", "the date of issue"),
}
"""Each field's name in Vietnamese and English."""


class CccdError(KioskError, ValueError):
    """The text is not a readable ID card QR code.

    Attributes:
        field: the field that is wrong.
        reason_vi / reason_en: why, in Vietnamese and English (never the value itself).
    """

    def __init__(self, field: CardField, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{field.value}: {reason_en}")
        self.field = field
        self.reason_vi = reason_vi
        self.reason_en = reason_en

    def message(self, english: bool) -> str:
        """``Ngày sinh không phải ngày có thật`` / ``The date of birth is not a real date``."""
        vietnamese_name, english_name = FIELD_NAMES[self.field]
        sentence = (f"{english_name} {self.reason_en}" if english
                    else f"{vietnamese_name} {self.reason_vi}")
        return sentence[:1].upper() + sentence[1:]


class Sex(StrEnum):
    """As the card prints it."""

    MALE = "Nam"
    FEMALE = "Nữ"


@dataclass(frozen=True)
class IdCard:
    """What a chip ID card's QR says. Personal data: keep it no longer than the flow that
    needs it, show only :func:`mask_id_number`, never log it.

    Attributes:
        birth_date: the date of birth; with ``birth_date_exact`` False the card gave only the
            year (or month), and this is the last day it can be.
    """

    id_number: str
    old_id_number: str
    full_name: str
    birth_date: date
    birth_date_exact: bool
    sex: Sex | None
    address: str
    issue_date: date

    def __repr__(self) -> str:
        # A record in a traceback or a log line shows only the masked number.
        return f"IdCard({mask_id_number(self.id_number)})"

    __str__ = __repr__

    def age_on(self, day: date) -> int:
        """Whole years of age on ``day``."""
        return age_on(self.birth_date, day)


def age_on(birth: date, day: date) -> int:
    """Whole years between ``birth`` and ``day`` (a 29 February birthday counts from
    1 March in other years)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def mask_id_number(id_number: str) -> str:
    """``0010****1234``: the first four and last four digits; anything else is all stars."""
    if len(id_number) == ID_NUMBER_DIGITS:
        return f"{id_number[:4]}****{id_number[-4:]}"
    return "*" * min(len(id_number), ID_NUMBER_DIGITS)


def looks_like_id_card(text: str) -> bool:
    """True when ``text`` has the card's shape (fields separated by ``|``), so a failure to
    read it is reported as an ID card's error rather than an unknown code."""
    return SEPARATOR in text


def parse_id_card(text: str, today: date) -> IdCard:
    """Read the QR text of a chip ID card; ``today`` bounds the dates.

    Raises:
        CccdError: the text is not a card, or a field the kiosk relies on is wrong (the error
            names the field).
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise CccdError(CardField.TEXT, "quá dài, không phải mã thẻ căn cước",
                        "is too long to be an ID card's code")
    cleaned = unicodedata.normalize("NFC", text.strip().lstrip("\ufeff").strip())
    fields = [part.strip() for part in cleaned.split(SEPARATOR)]
    while len(fields) > REQUIRED_FIELDS and not fields[-1]:
        fields.pop()  # a trailing "|" (some readers add one)
    if len(fields) < REQUIRED_FIELDS:
        raise CccdError(CardField.TEXT, f"chỉ có {len(fields)} trên {REQUIRED_FIELDS} trường",
                        f"has {len(fields)} of its {REQUIRED_FIELDS} fields")
    id_number, old_id_number, full_name, birth_text, sex_text, address, issue_text = (
        fields[:REQUIRED_FIELDS])
    if len(id_number) != ID_NUMBER_DIGITS or not set(id_number) <= _ASCII_DIGITS:
        raise CccdError(CardField.ID_NUMBER, "phải gồm đúng 12 chữ số",
                        "must be exactly 12 digits")
    if old_id_number and (len(old_id_number) not in (9, 12)
                          or not set(old_id_number) <= _ASCII_DIGITS):
        raise CccdError(CardField.OLD_ID_NUMBER, "phải để trống hoặc gồm 9 hay 12 chữ số",
                        "must be empty or 9 or 12 digits")
    birth, exact = _card_date(birth_text, CardField.BIRTH_DATE, partial_allowed=True)
    if birth > today:
        raise CccdError(CardField.BIRTH_DATE, "ở tương lai", "is in the future")
    if age_on(birth, today) > OLDEST_AGE_YEARS:
        raise CccdError(CardField.BIRTH_DATE, f"quá {OLDEST_AGE_YEARS} năm trước",
                        f"is more than {OLDEST_AGE_YEARS} years ago")
    issued, _ = _card_date(issue_text, CardField.ISSUE_DATE, partial_allowed=False)
    if issued > today:
        raise CccdError(CardField.ISSUE_DATE, "ở tương lai", "is in the future")
    if issued < _earliest(birth_text, birth):
        raise CccdError(CardField.ISSUE_DATE, "trước ngày sinh", "is before the date of birth")
    return IdCard(
        id_number=id_number,
        old_id_number=old_id_number,
        full_name=full_name,
        birth_date=birth,
        birth_date_exact=exact,
        sex=_sex(sex_text),
        address=address,
        issue_date=issued,
    )


def _card_date(text: str, field: CardField, partial_allowed: bool) -> tuple[date, bool]:
    """``DDMMYYYY`` as a date, and whether it is exact; with ``partial_allowed`` a day or
    month of ``00`` means unknown and gives the last day it can be."""
    if len(text) != 8 or not set(text) <= _ASCII_DIGITS:
        raise CccdError(field, "phải có dạng NNTTNNNN (8 chữ số)",
                        "must be DDMMYYYY (8 digits)")
    day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    if year < 1:
        raise CccdError(field, "không phải ngày có thật", "is not a real date")
    exact = True
    if partial_allowed and month == 0:
        if day != 0:
            raise CccdError(field, "không phải ngày có thật", "is not a real date")
        month, day, exact = 12, 31, False
    elif partial_allowed and day == 0:
        if not 1 <= month <= 12:
            raise CccdError(field, "không phải ngày có thật", "is not a real date")
        day, exact = calendar.monthrange(year, month)[1], False
    try:
        return date(year, month, day), exact
    except ValueError as error:
        raise CccdError(field, "không phải ngày có thật", "is not a real date") from error


def _earliest(birth_text: str, birth: date) -> date:
    """The earliest day a partly known birth date can be (the issue must not precede it)."""
    month = int(birth_text[2:4])
    return date(birth.year, month or 1, 1) if birth_text[:2] == "00" else birth


def _sex(text: str) -> Sex | None:
    folded = text.casefold()
    for sex in Sex:
        if folded == sex.value.casefold():
            return sex
    return None
