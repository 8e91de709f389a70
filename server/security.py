"""Password hashing (scrypt), the one rule a new password must meet, and constant-time token
checks.

Hashes look like ``scrypt$16384$8$1$<salt b64>$<hash b64>`` so the cost can be raised later
without breaking stored hashes. Verifying takes tens of milliseconds by design: callers on an
event loop run it in a thread.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

_COST = 2**14
_BLOCK = 8
_PARALLEL = 1
_LENGTH = 32


MINIMUM_PASSWORD_LENGTH = 8


class PasswordHashError(ValueError):
    """A stored hash is not in the ``scrypt$...`` form."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Hash ``password`` with a fresh random salt (or the one given, for reproducible tests)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_COST, r=_BLOCK,
                            p=_PARALLEL, dklen=_LENGTH)
    return "$".join(["scrypt", str(_COST), str(_BLOCK), str(_PARALLEL),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; the comparison is constant-time."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PasswordHashError("not a scrypt hash")
    try:
        cost, block, parallel = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError as error:
        raise PasswordHashError("malformed scrypt hash") from error
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=cost, r=block, p=parallel,
                            dklen=len(expected), maxmem=128 * cost * block * parallel + 2**20)
    return hmac.compare_digest(digest, expected)


def password_problem(password: str, user: str, current: str | None = None) -> str | None:
    """Why ``password`` may not become the password of ``user`` (``current``: the one it
    replaces), or ``None`` when it may. The reason never repeats the password.

    The one rule, shared by the server (a ``change_password`` request) and the counter app (its
    dialog refuses before sending): at least :data:`MINIMUM_PASSWORD_LENGTH` characters, not
    only spaces, not the user name (in any case, spaces around it ignored), not the current
    password."""
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        return f"must have at least {MINIMUM_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "must not be only spaces"
    if password.strip().casefold() == user.strip().casefold():
        return "must not be the user name"
    if current is not None and password == current:
        return "must differ from the current password"
    return None


def tokens_equal(given: str, expected: str) -> bool:
    """Compare two tokens without leaking, through timing, how much of them matched."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# An issued ticket's code is needed three times at once (its event, the reply, the status-page
# index), and again on every change of it: an HMAC each time was ~2 % of the server's CPU.
@functools.lru_cache(maxsize=4096)
def track_code(secret: str, ticket_id: str) -> str:
    """A short, unguessable code for a ticket's status page and QR (8 base32 characters)."""
    digest = hmac.new(secret.encode("utf-8"), ticket_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


@functools.lru_cache(maxsize=4096)
def rating_key(secret: str, ticket_id: str) -> str:
    """The second code in a ticket's QR link: with it the status page accepts a rating.

    Printed only into the QR (and given only in the reply to the kiosk that took the number),
    never sent in an event, so a screen in the hall that sees every tracking code still
    cannot rate for the citizen. Keyed apart from :func:`track_code`."""
    digest = hmac.new(secret.encode("utf-8"), b"rating:" + ticket_id.encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()
