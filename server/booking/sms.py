"""Sending text messages (one-time codes, reminders): to the log, or to an SMS gateway.

Every sender has one coroutine, ``send(phone, text)``, which returns once the message is
handed over and raises :class:`SmsError` when it could not be. The phone is read by
:func:`server.booking.phone.normalise_phone` (a number that is no mobile is an
:class:`SmsError` too). Choose one with :func:`sender_from_settings` (``[server.sms]``).

- :class:`LogSender` writes ``SMS to 091****678: <text>`` to the log and keeps the last
  messages in memory: the demo and tests, where nobody pays for an SMS.
- :class:`HttpGatewaySender` calls a gateway's HTTP API described by templates
  (:mod:`server.booking.sms_format`), with httpx, within ``timeout_seconds`` in all.

What leaves a gateway sender in errors and logs: the masked phone, the gateway's host, the
status; never the message (it holds the code), the address or body filled in (they hold the
phone, the message, perhaps the gateway's key), nor the gateway's own words.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from http import HTTPStatus
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from server.booking.phone import PhoneError, mask_phone, normalise_phone
from server.booking.sms_format import (
    BodyFormat,
    PhoneFormat,
    body_template_problem,
    fill_body,
    fill_message,
    fill_url,
    gateway_phone,
    strip_diacritics,
    url_template_problem,
)
from server.config.settings import HttpMethod, SmsKind, SmsSettings

logger = logging.getLogger(__name__)

# Messages a LogSender keeps (the last ones).
LOG_SENDER_KEEPS = 100
# Of a gateway's answer, at most this much is read to look for success_text.
ANSWER_LIMIT = 64 * 1024
_CONTENT_TYPES = {BodyFormat.JSON: "application/json; charset=utf-8",
                  BodyFormat.FORM: "application/x-www-form-urlencoded"}


class SmsError(Exception):
    """A message could not be sent; the text says why, never what the message said."""


class SmsSender(Protocol):
    """Anything that sends a text message to a phone."""

    async def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; :class:`SmsError` when it cannot be sent."""
        ...


def code_message(settings: SmsSettings, code: str, minutes: int) -> str:
    """The one-time code's message: ``[server.sms] code_template`` with ``{code}`` and
    ``{minutes}`` filled in (``Ma xac nhan dat lich cua ban la 123456, hieu luc 5 phut.``).
    Marks are taken off by the sender when ``strip_diacritics`` is set."""
    return fill_message(settings.code_template, code, minutes)


class LogSender:
    """Writes each message to the log (the phone masked) and keeps the last
    :data:`LOG_SENDER_KEEPS` in :attr:`sent` as ``(phone, text)``, oldest first, the phone
    normalised and the text as it would have been sent. ``unaccented``: take Vietnamese
    marks off first, as the gateway sender would."""

    def __init__(self, *, unaccented: bool = False, keep: int = LOG_SENDER_KEEPS) -> None:
        self.unaccented = unaccented
        self.keep = keep
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> None:
        phone = _mobile(phone)
        if self.unaccented:
            text = strip_diacritics(text)
        logger.info("SMS to %s: %s", mask_phone(phone), text)
        self.sent.append((phone, text))
        del self.sent[:-self.keep]


class HttpGatewaySender:
    """Sends each message with one HTTP request to a gateway.

    ``url_template`` and ``body_template`` (``None`` or empty: no body) hold ``{phone}``,
    ``{text}`` and ``{sender}`` (:mod:`server.booking.sms_format` says how each is filled
    and escaped); ``headers`` are sent as given, with a ``Content-Type`` for the body unless
    they name one. A template that cannot work is a ``ValueError`` here, with the reason
    the configuration would give. Any answer but 2xx (redirects are not followed), a 2xx
    without ``success_text`` when one is given, no connection, or no whole answer within
    ``timeout_seconds`` is an :class:`SmsError`.
    """

    def __init__(self, url_template: str, method: str = "POST",
                 body_template: str | None = None, headers: Mapping[str, str] | None = None,
                 timeout_seconds: float = 10, *, body_format: BodyFormat = BodyFormat.JSON,
                 phone_format: PhoneFormat = PhoneFormat.NATIONAL, sender_name: str = "",
                 success_text: str = "", unaccented: bool = False) -> None:
        problem = url_template_problem(url_template)
        if problem is not None:
            raise ValueError(f"url_template {problem}")
        self.method = HttpMethod(method.upper())
        self.body_template = body_template or ""
        if self.body_template:
            problem = body_template_problem(self.body_template, body_format)
            if problem is not None:
                raise ValueError(f"body_template {problem}")
            if self.method is HttpMethod.GET:
                raise ValueError("body_template: a GET request has no body")
        if not timeout_seconds > 0:
            raise ValueError("timeout_seconds must be more than 0")
        self.url_template = url_template
        self.headers = dict(headers or {})
        self.timeout_seconds = float(timeout_seconds)
        self.body_format = body_format
        self.phone_format = phone_format
        self.sender_name = sender_name
        self.success_text = success_text
        self.unaccented = unaccented
        # Named in errors and logs instead of the address, which may hold the gateway's key.
        self.host = urlsplit(url_template).hostname or "?"
        # Made once: loading the trusted certificates takes ~20 ms, which a client made for
        # each message would spend on the event loop. The system's store, so a gateway
        # whose certificate a province's own authority signed is trusted once the system is.
        self._tls = ssl.create_default_context()

    def __repr__(self) -> str:
        return f"HttpGatewaySender(host={self.host!r}, method={self.method.value!r})"

    async def send(self, phone: str, text: str) -> None:
        phone = _mobile(phone)
        if self.unaccented:
            text = strip_diacritics(text)
        values = {"phone": gateway_phone(phone, self.phone_format), "text": text,
                  "sender": self.sender_name}
        url = fill_url(self.url_template, values)
        headers = dict(self.headers)
        body = None
        if self.body_template:
            body = fill_body(self.body_template, values, self.body_format)
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = _CONTENT_TYPES[self.body_format]
        try:
            await self._request(url, body, headers)
        except SmsError as error:
            logger.warning("SMS to %s not sent: %s", mask_phone(phone), error)
            raise
        logger.info("SMS to %s sent through %s", mask_phone(phone), self.host)

    async def _request(self, url: str, body: bytes | None, headers: dict[str, str]) -> None:
        """One request within the timeout in all; its answer read only as far as needed."""
        try:
            async with asyncio.timeout(self.timeout_seconds), httpx.AsyncClient(
                    verify=self._tls, timeout=self.timeout_seconds,
                    follow_redirects=False) as client, \
                    client.stream(self.method.value, url, content=body,
                                  headers=headers) as response:
                status = response.status_code
                if not 200 <= status < 300:
                    raise SmsError(f"the SMS gateway {self.host} answered {_status(status)}")
                if self.success_text and not await _holds(response, self.success_text):
                    raise SmsError(f"the SMS gateway {self.host} answered {_status(status)} "
                                   "without the success_text of [server.sms] (it refused the "
                                   "message; its own log says why)")
        except (TimeoutError, httpx.TimeoutException):
            # from None: httpx's errors carry the request, whose address holds the message.
            raise SmsError(f"the SMS gateway {self.host} did not answer within "
                           f"{self.timeout_seconds:g} s") from None
        except httpx.HTTPError as error:
            raise SmsError(f"could not reach the SMS gateway {self.host} "
                           f"({_transport_reason(error)})") from None


def sender_from_settings(settings: SmsSettings) -> SmsSender:
    """The sender ``[server.sms]`` describes (the models have checked it)."""
    if settings.kind is SmsKind.HTTP:
        return HttpGatewaySender(
            settings.url_template, settings.method.value, settings.body_template or None,
            dict(settings.headers), settings.timeout_seconds,
            body_format=settings.body_format, phone_format=settings.phone_format,
            sender_name=settings.sender_name, success_text=settings.success_text,
            unaccented=settings.strip_diacritics)
    return LogSender(unaccented=settings.strip_diacritics)


def _mobile(phone: str) -> str:
    try:
        return normalise_phone(phone)
    except PhoneError as error:
        raise SmsError(f"cannot send an SMS to that number ({error})") from None


def _status(status: int) -> str:
    """``500 Internal Server Error``: the standard phrase, not the gateway's own."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _transport_reason(error: httpx.HTTPError) -> str:
    """What went wrong, in words that hold nothing of the request."""
    if isinstance(error, httpx.ConnectError):
        return "no connection: the address, the network or a firewall"
    if isinstance(error, httpx.RemoteProtocolError):
        return "its answer was not valid HTTP"
    if isinstance(error, httpx.UnsupportedProtocol):
        return "not an http:// or https:// address"
    return type(error).__name__


async def _holds(response: httpx.Response, text: str) -> bool:
    """Whether the first :data:`ANSWER_LIMIT` bytes of the answer hold ``text``."""
    received = bytearray()
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= ANSWER_LIMIT:
            break
    return text in bytes(received[:ANSWER_LIMIT]).decode("utf-8", errors="replace")
