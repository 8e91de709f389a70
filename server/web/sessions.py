"""Signed sessions for the web pages, their CSRF tokens, and tickets for their live socket.

A session is a cookie holding the account, a random nonce and two times, signed with a key
derived from the deployment's secret (HMAC-SHA256): nothing to store on the server, so any
server process can check it. It is ``HttpOnly`` (no script reads it), ``SameSite=Strict``
(no other site's page sends it) and ``Secure`` when the server is reached over TLS.

- **Idle expiry**: a session unused for :attr:`SessionPolicy.idle_seconds` is over; each use
  renews the cookie (at most once a minute). **Absolute expiry**: after
  :attr:`SessionPolicy.longest_seconds` it is over whatever happens.
- **Sign-out** forgets the nonce (kept in memory until the session would have expired).
- **CSRF**: every form of a signed-in page carries :meth:`SessionKeeper.csrf_token`, derived
  from the nonce, and the server checks it (:meth:`SessionKeeper.csrf_valid`). The sign-in
  form, before any session, carries a random token also set as a cookie (double submit).
- **Socket tickets**: the dashboard's script says ``hello`` over the WebSocket with a short-
  lived ticket the page was given (:meth:`SessionKeeper.socket_ticket`), tied to the session:
  a signed-out session's tickets are refused.

The clock is injected (the server's), so tests move time by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

SESSION_COOKIE = "qms_session"
SIGN_IN_COOKIE = "qms_sign_in"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions and socket tickets live."""

    idle_seconds: float = 30 * 60.0
    longest_seconds: float = 12 * 3600.0
    renew_after_seconds: float = 60.0
    socket_ticket_seconds: float = 5 * 60.0


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in person: ``user`` (an account), the session's ``nonce``, when it began
    and when it was last used (epoch seconds)."""

    user: str
    nonce: str
    started: float
    used: float


@dataclass
class SessionKeeper:
    """Makes and checks session cookies, CSRF tokens and socket tickets with ``secret``."""

    secret: str
    clock: Callable[[], datetime]
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    _signed_out: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._key = hmac.new(self.secret.encode("utf-8"), b"qms web sessions",
                             hashlib.sha256).digest()

    # --- sessions -----------------------------------------------------------------------

    def start(self, user: str) -> WebSession:
        now = self._now()
        return WebSession(user, secrets.token_urlsafe(16), now, now)

    def cookie_value(self, session: WebSession) -> str:
        payload = json.dumps([session.user, session.nonce, round(session.started),
                              round(session.used)], separators=(",", ":")).encode("utf-8")
        body = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None) -> WebSession | None:
        """The live session the cookie holds, or ``None`` (absent, forged, expired, signed
        out). A session read here is not yet renewed: see :meth:`renewed`."""
        if not cookie or len(cookie) > 1024 or "." not in cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            user, nonce, started, used = json.loads(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            return None
        if not (isinstance(user, str) and isinstance(nonce, str)
                and isinstance(started, int) and isinstance(used, int)):
            return None
        now = self._now()
        if (nonce in self._signed_out or now - used > self.policy.idle_seconds
                or now - started > self.policy.longest_seconds or used > now + 60):
            return None
        return WebSession(user, nonce, float(started), float(used))

    def renewed(self, session: WebSession) -> WebSession | None:
        """``session`` marked as used now, when its cookie is due a renewal; else ``None``."""
        now = self._now()
        if now - session.used < self.policy.renew_after_seconds:
            return None
        return WebSession(session.user, session.nonce, session.started, now)

    def sign_out(self, session: WebSession) -> None:
        now = self._now()
        self._signed_out[session.nonce] = session.started + self.policy.longest_seconds
        for nonce, until in list(self._signed_out.items()):
            if until < now:
                del self._signed_out[nonce]

    # --- forms and sockets ----------------------------------------------------------------

    def csrf_token(self, session: WebSession) -> str:
        return self._sign(f"csrf:{session.nonce}")[:32]

    def csrf_valid(self, session: WebSession, token: str) -> bool:
        return hmac.compare_digest(token.encode("utf-8"),
                                   self.csrf_token(session).encode("utf-8"))

    def socket_ticket(self, session: WebSession) -> str:
        """A ticket for the WebSocket's ``hello``, valid :attr:`SessionPolicy.
        socket_ticket_seconds` (a page reconnecting later asks for a fresh one)."""
        expires = round(self._now() + self.policy.socket_ticket_seconds)
        body = f"{session.user}:{session.nonce}:{expires}"
        return f"{body}:{self._sign('socket:' + body)}"

    def socket_user(self, ticket: str) -> str | None:
        """The account a socket ticket was given to, or ``None`` when it is not valid."""
        body, _, signature = ticket.rpartition(":")
        parts = body.split(":")
        if len(parts) != 3 or not hmac.compare_digest(signature,
                                                      self._sign("socket:" + body)):
            return None
        user, nonce, expires = parts
        if not expires.isdigit() or int(expires) < self._now() or nonce in self._signed_out:
            return None
        return user

    def _sign(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _now(self) -> float:
        return self.clock().timestamp()
