"""A booking and its codes (pure: no I/O, no clock).

- **Booking code**: eight characters from an alphabet without the look-alikes 0/O/1/I
  (40 bits), shown as ``XXXX-XXXX``; its QR holds ``QMSB:XXXXXXXX`` so that a kiosk's
  scanner tells it apart from an ID card's QR (whose fields are separated by ``|``). The
  database keeps its keyed hash (to find it: ``code_hash``) and the code *sealed* with the
  deployment's secret (``code_sealed``: a kiosk reading a CCCD is told the codes of that
  person's bookings; a copy of the database alone gives no code).
- **Page key**: the booking's page is ``/dat-lich/ma/{code}?k={key}``, the key a keyed hash
  of the code (64 bits): the code alone, on a photographed QR or read over a shoulder at
  the kiosk, opens no page and cancels nothing.
- **Identity**: what the limits count is a keyed hash of the person's phone number or CCCD
  number (``identity_hash``); the number itself is never stored (the phone is, only while
  the booking is open, for its reminder).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
QR_PREFIX = "QMSB:"
# What a kiosk may send as a code: typed or scanned, with dashes and spaces.
MAX_TYPED_CODE = 32


class BookingStatus(StrEnum):
    """``booked`` until checked in (a ticket), cancelled by its holder, or expired (not
    checked in within its window: its place is free again)."""

    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The bookings that hold a place in their slot.
HOLDING = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
# The bookings a person's daily limits count (a cancelled one gives its turn back).
COUNTED = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.EXPIRED)


class BookingKind(StrEnum):
    """A slot booked ahead, or "a number now" taken from the phone for today."""

    SLOT = "slot"
    NOW = "now"


class IdentityKind(StrEnum):
    """How the person said who they are: a phone (checked by a one-time code) or a CCCD
    number (the chip ID card's 12 digits)."""

    PHONE = "phone"
    CCCD = "cccd"


@dataclass(frozen=True, slots=True)
class Booking:
    """One stored booking (times aware, in UTC as read back)."""

    id: int
    code_hash: str
    code_sealed: str
    site: str
    service: str
    field: str
    kind: BookingKind
    day: date
    slot_start: datetime
    slot_end: datetime
    check_in_from: datetime
    check_in_until: datetime
    status: BookingStatus
    ticket_id: str | None
    check_in_key: str | None
    identity_kind: IdentityKind
    identity_hash: str | None
    phone: str | None
    language: str
    remind_at: datetime | None
    reminded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    personal_erased_at: datetime | None


# --- codes ------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh booking code, without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """``ABCD2345`` as shown: ``ABCD-2345``."""
    return f"{code[:4]}-{code[4:]}"


def normalized_code(text: str) -> str | None:
    """The code in ``text`` as typed or scanned (any case, dashes and spaces ignored, the
    QR's ``QMSB:`` prefix allowed), or ``None`` when it cannot be one."""
    if not 1 <= len(text) <= MAX_TYPED_CODE:
        return None
    cleaned = "".join(text.split()).replace("-", "").upper()
    cleaned = cleaned.removeprefix(QR_PREFIX)
    if len(cleaned) != CODE_LENGTH or any(character not in ALPHABET for character in cleaned):
        return None
    return cleaned


def qr_text(code: str) -> str:
    """What the booking's QR code holds."""
    return QR_PREFIX + code


def _keyed(secret: str, purpose: bytes, value: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), purpose + value.encode("utf-8"),
                    hashlib.sha256).digest()


def code_hash(secret: str, code: str) -> str:
    """What finds a booking by its code: the code's HMAC-SHA-256 with the secret."""
    return _keyed(secret, b"booking-code:", code).hex()


def page_key(secret: str, code: str) -> str:
    """The key of the booking's page link (16 hex digits, keyed apart from the hash)."""
    return _keyed(secret, b"booking-page:", code).hex()[:16]


def keys_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _pad(secret: str, hashed: str) -> bytes:
    return _keyed(secret, b"booking-seal:", hashed)


def seal_code(secret: str, code: str) -> str:
    """The code sealed for storage: each letter shifted along the alphabet by a keyed pad
    drawn from the secret and the code's hash (unique per booking), so it reads as another
    code to anyone without the secret."""
    pad = _pad(secret, code_hash(secret, code))
    return "".join(ALPHABET[(ALPHABET.index(character) + pad[index]) % len(ALPHABET)]
                   for index, character in enumerate(code))


def unseal_code(secret: str, sealed: str, hashed: str) -> str:
    """The code :func:`seal_code` sealed into ``sealed`` (``hashed``: its hash)."""
    pad = _pad(secret, hashed)
    return "".join(ALPHABET[(ALPHABET.index(character) - pad[index]) % len(ALPHABET)]
                   for index, character in enumerate(sealed))


def identity_hash(secret: str, kind: IdentityKind, value: str) -> str:
    """What the limits count of a person: a keyed hash of their normalised phone or CCCD
    number, never the number."""
    return _keyed(secret, b"booking-person:" + kind.value.encode("ascii") + b":", value).hex()


def ticket_request_key(hashed: str) -> str:
    """The ``request_key`` of the ticket a booking becomes: one per booking, so a retried
    check-in (or "number now") gets the ticket it may already have."""
    return f"booking:{hashed[:40]}"
