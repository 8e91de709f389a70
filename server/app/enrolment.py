"""Enrolling a device with a short code instead of a typed token.

An administrator makes a code for one device token on its administration page
(:meth:`Enrolment.create`): eight characters from an alphabet without the look-alikes
0/O/1/I (:data:`ALPHABET`, 40 bits), shown once as ``XXXX-XXXX`` with a QR code of the
enrolment address, good for ``[server] enrolment_code_hours`` (24 by default) and for one
use. Making a new code for a device replaces its unused ones. Only the code's keyed hash
(HMAC-SHA-256 with the deployment's secret) is stored (server.store.enrolments).

The device posts the code to ``POST /enrol`` (:func:`enrol_routes`) and gets its settings:
the WebSocket address, its site, role, token, name and profile (:meth:`Enrolment.enrol`);
the code is used up in the same step. A wrong, used, replaced or expired code, or one whose
device was removed since, is refused with a message saying which; guessing is slowed per
address like a sign-in (server.app.throttle), every refusal logged with the address. Neither
the code nor the token is ever logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from server.app.device_registry import token_fingerprint
from server.app.throttle import SignInThrottle
from server.audit.model import Action, Actor, ActorKind, Channel
from server.config.settings import TokenSettings
from server.protocol.client_options import OptionError, websocket_url
from server.store.database import StoreError
from server.store.enrolments import EnrolmentCode, EnrolmentStore

if TYPE_CHECKING:
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
ENROL_PATH = "/enrol"
BODY_LIMIT = 1024
# The throttle's "account": every enrolment attempt counts against the address it comes from.
_THROTTLE_KEY = "enrolment"
DEVICE_ROLES = ("kiosk", "counter", "display", "bridge")
# The audit log's actor of a refused enrolment: the code typed is never kept.
UNKNOWN_DEVICE = "(mã đăng ký không hợp lệ / invalid code)"
_Read = TypeVar("_Read")


def new_code() -> str:
    """A fresh code, as typed without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """``ABCD2345`` as shown and printed: ``ABCD-2345``."""
    return f"{code[:4]}-{code[4:]}"


def normalized_code(text: str) -> str | None:
    """The code typed in ``text`` (any case, with or without the dash and spaces), or
    ``None`` when it cannot be one."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != CODE_LENGTH or any(character not in ALPHABET for character in cleaned):
        return None
    return cleaned


def code_hash(secret: str, code: str) -> str:
    """What is stored of a code: its HMAC-SHA-256 with the deployment's secret."""
    return hmac.new(secret.encode("utf-8"), b"enrolment-code:" + code.encode("ascii"),
                    hashlib.sha256).hexdigest()


def enrolment_url(public_url: str, code: str) -> str:
    """The address in the QR code: the server's ``/enrol`` with the code."""
    return f"{public_url.rstrip('/')}{ENROL_PATH}?code={shown_code(code)}"


class EnrolmentRefused(Exception):
    """A code that enrols nothing; ``reason`` is a stable word, ``message`` says it."""

    def __init__(self, reason: str, message: str, status_code: int = 403,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class MadeCode:
    """A code just made: shown once (``code``), with its address and end of validity."""

    code: str
    url: str
    expires_at: datetime

    @property
    def shown(self) -> str:
        return shown_code(self.code)


@dataclass(frozen=True, slots=True)
class Enrolled:
    """What a device is told when its code is good: everything it needs to connect."""

    server: str
    site: str
    role: str
    token: str
    name: str
    profile: dict[str, str | int]

    def as_json(self) -> dict[str, Any]:
        return {"server": self.server, "site": self.site, "role": self.role,
                "token": self.token, "name": self.name, "profile": self.profile}


class Enrolment:
    """Enrolment codes for ``service``'s devices (see the module docstring)."""

    def __init__(self, service: QueueService) -> None:
        self.service = service
        self.store = EnrolmentStore(service.repository.engines)
        self.throttle = SignInThrottle(time.monotonic)

    @property
    def valid_for(self) -> timedelta:
        return timedelta(hours=self.service.server.enrolment_code_hours)

    def fingerprint(self, token: str) -> str:
        return token_fingerprint(self.service.server.secret, token)

    async def create(self, site: str, token: TokenSettings, author: str) -> MadeCode:
        """A new code for ``token``'s device at ``site`` (replacing its unused ones).

        Raises StoreError when it could not be saved (nothing was)."""
        now = self.service.clock()
        code = new_code()
        row = EnrolmentCode(code_hash(self.service.server.secret, code), site, token.name,
                            token.role.value, self.fingerprint(token.token), now, author,
                            now + self.valid_for)
        await self.service.writer.write(self.store.create_plan(row))
        logger.info("enrolment code made for device %r (%s) of %s by %s, good until %s",
                    token.name, token.role.value, site, author,
                    row.expires_at.isoformat(timespec="minutes"))
        return MadeCode(code, enrolment_url(self.service.server.public_url, code),
                        row.expires_at)

    async def codes_of(self, site: str) -> list[EnrolmentCode]:
        """The site's codes, newest first."""
        return await self._read(self.store.of_site, site)

    async def _read(self, function: Callable[[str], _Read], argument: str) -> _Read:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.service.readers, function, argument)

    async def enrol(self, text: str, address: str, role: str | None = None) -> Enrolled:
        """The settings of the device ``text`` is the code of, the code used up (``role``:
        the app asking; a code for another role is refused and stays good).

        Raises :class:`EnrolmentRefused` (nothing used) or StoreError."""
        channel = Channel(role) if role in DEVICE_ROLES else Channel.WEB
        # The audit log never holds the code: a refusal is recorded with its reason.
        unknown = Actor(ActorKind.DEVICE, UNKNOWN_DEVICE, channel, address)
        wait = self.throttle.wait_seconds(_THROTTLE_KEY, address)
        if wait > 0:
            seconds = math.ceil(wait)
            await self.service.audit.refused(unknown, Action.DEVICE_ENROL, "slowed")
            raise EnrolmentRefused(
                "slowed", f"too many wrong codes from this address; try again in {seconds} s",
                429, seconds)
        try:
            found = await self._check(text, address, role)
        except EnrolmentRefused as refused:
            failures = self.throttle.failed(_THROTTLE_KEY, address)
            logger.warning("refused an enrolment from %s: %s (%d in a row)", address,
                           refused.reason, failures)
            await self.service.audit.refused(unknown, Action.DEVICE_ENROL, refused.reason)
            raise
        self.throttle.succeeded(_THROTTLE_KEY, address)
        audit = self.service.audit
        await audit.record(audit.entry(
            Actor(ActorKind.DEVICE, found.name, Channel(found.role), address, found.name),
            Action.DEVICE_ENROL, found.site, f"{found.site}/tokens/{found.name}"))
        return found

    async def _check(self, text: str, address: str, role: str | None) -> Enrolled:
        code = normalized_code(text)
        if code is None:
            raise EnrolmentRefused("malformed", f"field 'code': not an enrolment code: "
                                   f"{CODE_LENGTH} letters and digits, like ABCD-2345", 400)
        hashed = code_hash(self.service.server.secret, code)
        row = await self._read(self.store.find, hashed)
        now = self.service.clock()
        if row is None:
            raise EnrolmentRefused("unknown", "field 'code': no such enrolment code; check "
                                              "what you typed, or ask for a new code")
        if row.used_at is not None:
            raise EnrolmentRefused("used", "field 'code': this code was already used; ask "
                                           "the administrator for a new one")
        if row.replaced_at is not None:
            raise EnrolmentRefused("replaced", "field 'code': a newer code was made for this "
                                               "device; use that one")
        if row.expires_at <= now:
            raise EnrolmentRefused("expired", "field 'code': this code has expired; ask the "
                                              "administrator for a new one")
        runtime = self.service.sites.get(row.site)
        token = None if runtime is None else next(
            (item for item in runtime.settings.tokens
             if hmac.compare_digest(self.fingerprint(item.token), row.token_hash)), None)
        if runtime is None or token is None:
            raise EnrolmentRefused("removed", "field 'code': the device this code was made "
                                              "for has been removed or given a new token; "
                                              "ask for a new code")
        if role is not None and role != token.role.value:
            raise EnrolmentRefused("wrong_role", f"field 'code': this code is for a "
                                                 f"{token.role.value}, not a {role}; enrol "
                                                 f"it with qms {token.role.value} --enrol")
        counts = await self.service.writer.write(self.store.use_plan(hashed, now, address))
        if not counts or counts[0] != 1:
            # Another device used it a moment ago (or it expired meanwhile).
            raise EnrolmentRefused("used", "field 'code': this code was already used; ask "
                                           "the administrator for a new one")
        logger.info("device %r (%s) of %s enrolled from %s with a code made by %s",
                    token.name, token.role.value, row.site, address, row.created_by)
        # Every live server process of the deployment (several on PostgreSQL), this one
        # first: the device finds the one serving its site by itself.
        addresses = [self.service.server.public_url]
        ownership = self.service.ownership
        if ownership is not None and ownership.view is not None:
            addresses += [member.url for member in ownership.view.members
                          if member.live and member.url not in addresses]
        try:
            server = ",".join(websocket_url(address) for address in addresses)
        except OptionError:  # the public URL is checked at start; kept safe all the same
            server = self.service.server.public_url
        return Enrolled(server, row.site, token.role.value, token.token, token.name,
                        token.profile())


def enrol_routes(service: QueueService, enrolment: Enrolment) -> list[Route]:
    """``POST /enrol`` (JSON ``{"code": ...}``) and ``GET /enrol`` (what the QR opens: how
    to enrol with the code, nothing used)."""

    async def enrol(request: Request) -> Response:
        address = request.client.host if request.client else "unknown"
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            # A browser elsewhere cannot send JSON here without asking first (CORS), and is
            # never answered yes.
            return _refusal("bad_request", "send the code as JSON: {\"code\": \"ABCD-2345\"}",
                            415)
        body = await _body(request)
        if body is None:
            return _refusal("bad_request", "the request is too large or too slow", 413)
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _refusal("bad_request", "the body is not JSON", 400)
        code = document.get("code") if isinstance(document, dict) else None
        if not isinstance(code, str) or len(code) > 64:
            return _refusal("bad_request", "field 'code': required, a text", 400)
        role = document.get("role")
        if role is not None and role not in DEVICE_ROLES:
            return _refusal("bad_request", f"field 'role': one of {', '.join(DEVICE_ROLES)}",
                            400)
        try:
            enrolled = await enrolment.enrol(code, address, role)
        except EnrolmentRefused as refused:
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
            return _refusal(refused.reason, refused.message, refused.status_code, headers)
        except StoreError as error:
            logger.error("enrolment from %s not saved: %s", address, error)
            return _refusal("internal", "the server could not save this; try again", 503)
        return JSONResponse(enrolled.as_json(), headers={"Cache-Control": "no-store"})

    async def enrol_page(request: Request) -> Response:
        typed = request.query_params.get("code", "")
        code = normalized_code(typed)
        shown = shown_code(code) if code else "XXXX-XXXX"
        server = service.server.public_url
        text = (f"<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
                f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>QMS — đăng ký thiết bị / enrol a device</title>"
                f"<link rel=\"stylesheet\" href=\"/static/manage.css\"></head><body><main>"
                f"<section class=\"card\"><h1>Đăng ký thiết bị / Enrol a device</h1>"
                f"<p>Mã / code: <code id=\"code\">{escape(shown)}</code></p>"
                f"<p>Trên thiết bị, chạy / on the device, run:</p>"
                f"<pre>qms kiosk --enrol {escape(shown)} --server {escape(server)}</pre>"
                f"<p>(counter, display, bridge: qms counter / qms display / qms bridge)</p>"
                f"</section></main></body></html>")
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    return [Route(ENROL_PATH, enrol, methods=["POST"]),
            Route(ENROL_PATH, enrol_page, methods=["GET"])]


async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > BODY_LIMIT:
        return None
    body = bytearray()
    try:
        async with asyncio.timeout(10.0):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > BODY_LIMIT:
                    return None
    except Exception:  # noqa: BLE001 - a slow or broken upload is refused, whatever it was
        return None
    return bytes(body)


def _refusal(reason: str, message: str, status_code: int,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": reason, "message": message}}, status_code,
                        headers={"Cache-Control": "no-store", **(headers or {})})
