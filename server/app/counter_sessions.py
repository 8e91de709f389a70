"""Counter sessions: what lets a counter terminal log in again without its password.

A successful ``login`` with a password gets a **session**, a string signed with a key derived
from the deployment's secret (HMAC-SHA256). The terminal keeps it in memory and, after a lost
connection, logs in again with it instead of the password. Checking a signature costs
microseconds where a password costs a tenth of a second of scrypt on purpose: when a server
process dies and another takes its sites, hundreds of counters come back at once, and a
province's takeover must not wait a minute on password hashing.

Nothing is stored: any process of the deployment checks a session with the secret alone. A
session is taken (:meth:`CounterSessions.check`) only when all of these still hold:

- the signature is the deployment's, and it was made for this site, counter and officer;
- it has not expired (:data:`SESSION_SECONDS` after the password login that made it; logging
  in again with it does not extend it);
- the officer's password hash is the one it was made under, so changing or resetting a
  password ends every session made with the old one;
- the officer is still logged in at that counter (checked by the caller against the hall's
  state): a logout, another officer at that counter, or a new day's closing ends it.

A session that fails any of these is refused ``unauthorized``, and the terminal falls back to
its password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

# A working day with its overtime; the next morning's first login needs the password.
SESSION_SECONDS = 12 * 3600
# The longest session string accepted (they are about 200 characters).
MAXIMUM_SESSION_LENGTH = 512
_VERSION = "c1"


@dataclass(frozen=True, slots=True)
class CounterSession:
    """What a valid session string says: ``user`` logged in at ``counter`` of ``site``
    until ``expires`` (epoch seconds)."""

    site: str
    counter: str
    user: str
    expires: int


class CounterSessions:
    """Makes and checks counter sessions with the deployment's ``secret``."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode("utf-8"), b"qms counter sessions",
                             hashlib.sha256).digest()

    def make(self, site: str, counter: str, user: str, password_hash: str,
             now: float) -> str:
        """A session string for ``user`` at ``counter`` of ``site``, made at ``now`` (epoch
        seconds, so it expires :data:`SESSION_SECONDS` later), bound to the officer's
        ``password_hash``."""
        body = base64.urlsafe_b64encode(json.dumps(
            [site, counter, user, int(now) + SESSION_SECONDS],
            separators=(",", ":"), ensure_ascii=False).encode("utf-8")).decode("ascii")
        body = f"{_VERSION}.{body.rstrip('=')}"
        return f"{body}.{self._sign(body, password_hash)}"

    def read(self, text: str) -> CounterSession | None:
        """What ``text`` claims, signature unchecked (the officer's hash is needed for that:
        see :meth:`check`); ``None`` when it is not a session string at all."""
        if len(text) > MAXIMUM_SESSION_LENGTH:
            return None
        parts = text.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, TypeError):
            return None
        if not (isinstance(fields, list) and len(fields) == 4
                and all(isinstance(item, str) for item in fields[:3])
                and isinstance(fields[3], int) and not isinstance(fields[3], bool)):
            return None
        return CounterSession(fields[0], fields[1], fields[2], fields[3])

    def check(self, text: str, site: str, counter: str, user: str, password_hash: str,
              now: float) -> str | None:
        """Why ``text`` is not a live session (at ``now``) for ``user`` at ``counter`` of
        ``site`` made under ``password_hash``, or ``None`` when it is one."""
        claimed = self.read(text)
        if claimed is None:
            return "it is not a counter session"
        if (claimed.site, claimed.counter, claimed.user) != (site, counter, user):
            return "it was made for another counter or officer"
        body, _, signature = text.rpartition(".")
        if not hmac.compare_digest(signature.encode("utf-8"),
                                   self._sign(body, password_hash).encode("ascii")):
            # A forged one, or the password changed since: the signature covers the hash.
            return "it is not valid (forged, or the password was changed since)"
        if claimed.expires <= now:
            return "it has expired"
        return None

    def _sign(self, body: str, password_hash: str) -> str:
        # The hash is under the signature, not in the string: a copy of the session tells
        # nothing about the password.
        message = f"{body}\n{password_hash}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
