"""One-time codes that prove a citizen holds a phone: issued, sent by SMS, verified once.

- A code is 6 digits from :mod:`secrets`, good for 5 minutes and for one successful
  :meth:`OneTimeCodes.verify`; after 5 wrong tries it is dead. A new code replaces the
  phone's previous one.
- A phone gets a new code at most once a minute and 5 times an hour (each refusal is an
  :class:`OtpRefused` saying how long to wait, in Vietnamese and English), so the form cannot
  be used to flood someone's phone, nor to run up the centre's SMS bill.
- Only keyed hashes are kept (HMAC-SHA-256 under a key derived from the deployment's
  secret): of the phone number, to find its entry, and of the code bound to that phone. A
  memory dump shows neither numbers nor codes; a guess is compared in constant time.
- Memory is bounded: an entry is forgotten an hour after its last code (by then its code
  has expired and its hour's count no longer matters), and at most ``capacity`` phones are
  remembered. When that many have had a code within the hour, new phones are refused
  (``busy``) rather than an older entry dropped, which would reset its hourly count.

Kept in memory only: a server restart forgets pending codes (the citizen asks again) and
the counts. Not thread-safe: use it from the event loop's thread. Time comes from ``clock``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from server.booking.phone import PhoneError, normalise_phone

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
SENDS_PER_HOUR = 5
TRIES_PER_CODE = 5
DEFAULT_CAPACITY = 50_000
MINIMUM_SECRET_BYTES = 16
_HOUR = timedelta(hours=1)
# A typed code longer than this is wrong without being hashed.
_TYPED_LIMIT = 32


class RefusalReason(StrEnum):
    """Why no code was issued."""

    TOO_SOON = "too_soon"  # a code was sent less than a minute ago
    HOURLY_LIMIT = "hourly_limit"  # five codes in the last hour
    BUSY = "busy"  # as many phones as the memory holds had codes within the hour


class OtpRefused(Exception):
    """No code is issued now; ``retry_after_seconds`` (at least 1) says when one may be,
    ``message_vi`` and ``message_en`` say so to the citizen."""

    def __init__(self, reason: RefusalReason, retry_after_seconds: int, message_vi: str,
                 message_en: str) -> None:
        super().__init__(message_en)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(slots=True)
class _Entry:
    """One phone: when its codes of the last hour were issued, and its current code."""

    sends: deque[datetime] = field(default_factory=deque)
    code_hash: bytes | None = None
    expires_at: datetime | None = None
    tries_left: int = 0


class OneTimeCodes:
    """The codes of every phone asking for one; see the module's rules.

    ``secret``: at least 16 bytes (the deployment's secret); the key used is derived from it,
    so no other keyed hash of the server is comparable with these. ``clock`` gives the time
    (aware datetimes). The keyword arguments change the rules' numbers (tests, a deployment
    with other needs); the defaults are the module's constants.
    """

    def __init__(self, secret: bytes, clock: Callable[[], datetime], *,
                 lifetime: timedelta = CODE_LIFETIME, resend_after: timedelta = RESEND_AFTER,
                 sends_per_hour: int = SENDS_PER_HOUR, tries_per_code: int = TRIES_PER_CODE,
                 capacity: int = DEFAULT_CAPACITY) -> None:
        if len(secret) < MINIMUM_SECRET_BYTES:
            raise ValueError(f"the secret must be at least {MINIMUM_SECRET_BYTES} bytes")
        if min(sends_per_hour, tries_per_code, capacity) < 1:
            raise ValueError("sends_per_hour, tries_per_code and capacity must be at least 1")
        self._key = hmac.new(secret, b"qms one-time codes", hashlib.sha256).digest()
        self._clock = clock
        self.lifetime = lifetime
        self.resend_after = resend_after
        self.sends_per_hour = sends_per_hour
        self.tries_per_code = tries_per_code
        self.capacity = capacity
        # By phone hash, the phone whose last code is oldest first (forgotten first).
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()

    @property
    def lifetime_minutes(self) -> int:
        """A code's lifetime in whole minutes, rounded up (for the message: ``{minutes}``)."""
        return math.ceil(self.lifetime.total_seconds() / 60)

    def __len__(self) -> int:
        """How many phones are remembered (each for an hour after its last code)."""
        return len(self._entries)

    def issue(self, phone: str) -> str:
        """A new code for ``phone`` (any form :func:`normalise_phone` reads; a
        :class:`~server.booking.phone.PhoneError` otherwise), replacing its previous one;
        :class:`OtpRefused` when the phone, or the memory, has had enough for now."""
        phone = normalise_phone(phone)
        now = self._clock()
        self._forget_old(now)
        key = self._phone_key(phone)
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= self.capacity:
                oldest = next(iter(self._entries.values()))
                raise _busy(_seconds_until(oldest.sends[-1] + _HOUR, now))
            entry = _Entry()
        while entry.sends and entry.sends[0] <= now - _HOUR:
            entry.sends.popleft()
        if len(entry.sends) >= self.sends_per_hour:
            raise _hourly(self.sends_per_hour, _seconds_until(entry.sends[0] + _HOUR, now))
        if entry.sends and now - entry.sends[-1] < self.resend_after:
            raise _too_soon(_seconds_until(entry.sends[-1] + self.resend_after, now))
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        entry.sends.append(now)
        entry.code_hash = self._code_hash(key, code.encode("ascii"))
        entry.expires_at = now + self.lifetime
        entry.tries_left = self.tries_per_code
        self._entries[key] = entry
        self._entries.move_to_end(key)
        return code

    def verify(self, phone: str, code: str) -> bool:
        """Whether ``code`` is ``phone``'s current code, unexpired. True once: the code is
        then used up. Each call is a try, a malformed code too; after the last one the code
        is dead. A ``phone`` that is no mobile number has no code (False)."""
        try:
            phone = normalise_phone(phone)
        except PhoneError:
            return False
        key = self._phone_key(phone)
        entry = self._entries.get(key)
        if entry is None or entry.code_hash is None or entry.expires_at is None:
            return False
        if self._clock() >= entry.expires_at:
            entry.code_hash = None
            return False
        entry.tries_left -= 1
        typed = "".join(code.split())[:_TYPED_LIMIT]
        given = self._code_hash(key, typed.encode("utf-8", errors="replace"))
        if hmac.compare_digest(given, entry.code_hash):
            entry.code_hash = None
            return True
        if entry.tries_left <= 0:
            entry.code_hash = None
        return False

    def _forget_old(self, now: datetime) -> None:
        """Drop the phones whose last code was issued an hour ago or more."""
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.sends and oldest.sends[-1] > now - _HOUR:
                return
            self._entries.popitem(last=False)

    def _phone_key(self, phone: str) -> bytes:
        return hmac.new(self._key, b"phone:" + phone.encode("ascii"), hashlib.sha256).digest()

    def _code_hash(self, phone_key: bytes, code: bytes) -> bytes:
        return hmac.new(self._key, b"code:" + phone_key + b":" + code, hashlib.sha256).digest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _too_soon(seconds: int) -> OtpRefused:
    return OtpRefused(
        RefusalReason.TOO_SOON, seconds,
        f"Mã vừa được gửi; vui lòng chờ {seconds} giây rồi yêu cầu mã mới.",
        f"A code was just sent; please wait {seconds} "
        f"second{'s' if seconds != 1 else ''} before asking for another.")


def _hourly(count: int, seconds: int) -> OtpRefused:
    minutes = _minutes(seconds)
    return OtpRefused(
        RefusalReason.HOURLY_LIMIT, seconds,
        f"Số điện thoại này đã nhận {count} mã trong một giờ qua; vui lòng thử lại sau "
        f"{minutes} phút.",
        f"This phone number has had {count} codes in the last hour; please try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}.")


def _busy(seconds: int) -> OtpRefused:
    minutes = _minutes(seconds)
    return OtpRefused(
        RefusalReason.BUSY, seconds,
        f"Hệ thống đang nhận quá nhiều yêu cầu mã xác nhận; vui lòng thử lại sau {minutes} "
        "phút.",
        f"Too many codes are being asked for right now; please try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}.")
