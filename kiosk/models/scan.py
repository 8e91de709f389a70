"""What a scanned or typed code is: a booking code, or a chip ID card's QR. Pure.

Booking codes are 8 characters of :data:`CODE_ALPHABET` (no 0/O, 1/I), shown ``XXXX-XXXX``;
the booking's QR holds ``QMSB:XXXXXXXX``. A typed code is read case-insensitively with dashes
and spaces ignored. A text with ``|`` is an ID card (:mod:`kiosk.models.cccd`).

:func:`read_scan` never repeats the scanned text in an error: an unknown code may be anything,
an ID card's text is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.errors import KioskError
from kiosk.models.cccd import CccdError, IdCard, looks_like_id_card, parse_id_card

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
QR_PREFIX = "QMSB:"
MAX_SCAN_LENGTH = 4096
"""A scan longer than this is refused unread (no code or card is anywhere near it)."""
_IGNORED = str.maketrans("", "", "- \t")


class ScanProblem(StrEnum):
    """Why a scan or a typed code was not taken."""

    UNKNOWN = "unknown"
    """Neither a booking code nor an ID card (a ticket's QR, a product's barcode ...)."""
    BAD_BOOKING_CODE = "bad_booking_code"
    """``QMSB:`` followed by something that is not a booking code."""
    BAD_ID_CARD = "bad_id_card"
    """The shape of an ID card's QR with a field that is wrong (:attr:`ScanError.card_error`)."""


class ScanError(KioskError, ValueError):
    """A scan the kiosk cannot use; ``problem`` says why, ``card_error`` which field of an
    ID card. The message never contains the scanned text."""

    def __init__(self, problem: ScanProblem, card_error: CccdError | None = None) -> None:
        detail = f": {card_error}" if card_error is not None else ""
        super().__init__(f"{problem.value}{detail}")
        self.problem = problem
        self.card_error = card_error


@dataclass(frozen=True)
class BookingCode:
    """A booking code, normalised: 8 characters of :data:`CODE_ALPHABET`."""

    code: str

    @property
    def shown(self) -> str:
        """``ABCD-EFGH``."""
        return format_code(self.code)


Scan = BookingCode | IdCard


def normalise_code(text: str) -> str | None:
    """``abcd-efgh`` / ``ABCD EFGH`` -> ``ABCDEFGH``; None when it is not a booking code."""
    code = text.translate(_IGNORED)
    # ASCII only: "ſ".upper() is "S" and "ﬀ".upper() is "FF", which would pass otherwise.
    if not code.isascii():
        return None
    code = code.upper()
    if len(code) != CODE_LENGTH or any(character not in CODE_ALPHABET for character in code):
        return None
    return code


def format_code(partial: str) -> str:
    """How a code is shown while typed: ``ABC`` -> ``ABC``, ``ABCDE`` -> ``ABCD-E``."""
    return partial if len(partial) <= 4 else f"{partial[:4]}-{partial[4:]}"


def read_scan(text: str, today: date) -> Scan:
    """What a scanner read (or a citizen typed): a booking code or an ID card.

    Raises:
        ScanError: neither, or a booking QR or ID card that is wrong.
    """
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanError(ScanProblem.UNKNOWN)
    stripped = text.strip().lstrip("\ufeff")
    if stripped[:len(QR_PREFIX)].upper() == QR_PREFIX:
        code = normalise_code(stripped[len(QR_PREFIX):])
        if code is None:
            raise ScanError(ScanProblem.BAD_BOOKING_CODE)
        return BookingCode(code)
    if looks_like_id_card(stripped):
        try:
            return parse_id_card(stripped, today)
        except CccdError as error:
            raise ScanError(ScanProblem.BAD_ID_CARD, error) from error
    code = normalise_code(stripped)
    if code is not None:
        return BookingCode(code)
    raise ScanError(ScanProblem.UNKNOWN)
