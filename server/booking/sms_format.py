"""What an SMS gateway is sent, worked out from the ``[server.sms]`` templates (pure: no I/O).

The HTTP gateway is described by templates rather than code, since every Vietnamese
brandname gateway has its own request shape. A template holds placeholders written
``{name}``:

- ``url_template`` and ``body_template``: ``{phone}`` (the number, in ``phone_format``),
  ``{text}`` (the message) and ``{sender}`` (``sender_name``, the brandname). Values are
  URL-encoded in the URL and in a form body, JSON-escaped in a JSON body (so a JSON
  template puts them inside quotes: ``"{text}"``). Everything else, JSON's own braces
  included, is sent as written; filling is a single pass, so a value that itself reads
  ``{text}`` stays as it is.
- ``code_template``: the one-time code's message, with ``{code}`` and ``{minutes}``.

The ``*_problem`` functions say why a template cannot work (``None`` when it can); the
configuration's models report their reasons beside the key, and the reasons never repeat a
template (it may hold the gateway's key).

It imports nothing of :mod:`server.config` (whose models import it).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from enum import StrEnum
from urllib.parse import quote, quote_plus, urlsplit

GATEWAY_PLACEHOLDERS = ("phone", "text", "sender")
MESSAGE_PLACEHOLDERS = ("code", "minutes")
# One SMS: 160 characters of the GSM alphabet, or 70 once any other character is in it.
SINGLE_SMS_CHARACTERS = 160
SINGLE_UNICODE_SMS_CHARACTERS = 70
# The values a template is tried with when checked.
_SAMPLE = {"phone": "0912345678", "text": "Ma xac nhan 123456 \"a\" & b", "sender": "QMS"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# An HTTP header's name (RFC 9110 token) and a value: one line of printable ASCII (what every
# HTTP client sends as is; a line break would start another header).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_URL_CHARACTERS = re.compile(r"[^\s\x00-\x1f\x7f]+")
# The GSM 03.38 basic characters that plain ASCII text uses; other text is sent as Unicode.
_GSM_ASCII = re.compile(r"[A-Za-z0-9 @$_!\"#%&'()*+,\-./:;<=>?\n\r]*")
# Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans({"đ": "d", "Đ": "D"})


class BodyFormat(StrEnum):
    """How a gateway's request body is encoded (the values filled into its template)."""

    JSON = "json"
    FORM = "form"


class PhoneFormat(StrEnum):
    """How a gateway wants the number written: ``0912345678``, ``84912345678`` or
    ``+84912345678``."""

    NATIONAL = "national"
    INTERNATIONAL = "international"
    E164 = "e164"


# --- filling --------------------------------------------------------------------------------


def gateway_phone(phone: str, phone_format: PhoneFormat) -> str:
    """A normalised number (``0912345678``) as the gateway wants it."""
    national = phone[1:]
    if phone_format is PhoneFormat.INTERNATIONAL:
        return "84" + national
    if phone_format is PhoneFormat.E164:
        return "+84" + national
    return phone


def fill_url(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each known placeholder replaced by its URL-encoded value."""
    return _fill(template, values, lambda value: quote(_utf8(value), safe=""))


def fill_body(template: str, values: Mapping[str, str], body_format: BodyFormat) -> bytes:
    """``template`` with each known placeholder replaced by its value escaped for
    ``body_format`` (JSON string content, or form encoding), as UTF-8 (a lone surrogate,
    which is not text, as ``?``)."""
    if body_format is BodyFormat.JSON:
        filled = _fill(template, values,
                       lambda value: json.dumps(value, ensure_ascii=False)[1:-1])
    else:
        filled = _fill(template, values, lambda value: quote_plus(_utf8(value)))
    return _utf8(filled)


def fill_message(template: str, code: str, minutes: int) -> str:
    """The one-time code's message: ``template`` with ``{code}`` and ``{minutes}``."""
    return _fill(template, {"code": code, "minutes": str(minutes)}, lambda value: value)


def strip_diacritics(text: str) -> str:
    """Vietnamese ``text`` without its marks (``Mã xác nhận đặt lịch`` -> ``Ma xac nhan dat
    lich``), what gateways that take only unaccented text can send."""
    decomposed = unicodedata.normalize("NFD", text.translate(_UNDECOMPOSED))
    return unicodedata.normalize(
        "NFC", "".join(character for character in decomposed
                       if not unicodedata.combining(character)))


def single_sms_limit(text: str) -> int:
    """How many characters one SMS holds for text like ``text``."""
    return (SINGLE_SMS_CHARACTERS if _GSM_ASCII.fullmatch(text)
            else SINGLE_UNICODE_SMS_CHARACTERS)


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (which only a program can make) as ``?``."""
    return text.encode("utf-8", errors="replace")


def _fill(template: str, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return escape(values[name]) if name in values else match.group()

    return _PLACEHOLDER.sub(replace, template)


# --- checks ---------------------------------------------------------------------------------


def placeholders(template: str) -> set[str]:
    """The names of the placeholders ``template`` holds."""
    return set(_PLACEHOLDER.findall(template))


def url_template_problem(template: str) -> str | None:
    """Why ``template`` is not a gateway address (``http(s)://host/...{phone}...``)."""
    if not _URL_CHARACTERS.fullmatch(template):
        return "must be one address without spaces or line breaks"
    unknown = _unknown(template, GATEWAY_PLACEHOLDERS)
    if unknown:
        return unknown
    try:
        parts = urlsplit(template)
        filled = urlsplit(fill_url(template, _SAMPLE))
        filled.port  # noqa: B018 -- reading it checks it: a port that is no number raises
    except ValueError:
        return "is not a valid address (such as 'https://sms.example.vn/send?to={phone}')"
    if filled.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not filled.hostname:
        return "must name the gateway's host (such as 'https://sms.example.vn/send')"
    if placeholders(parts.netloc):
        return "the gateway's host must be written out: a placeholder may only follow it"
    return None


def body_template_problem(template: str, body_format: BodyFormat) -> str | None:
    """Why ``template`` cannot be a request body in ``body_format``."""
    unknown = _unknown(template, GATEWAY_PLACEHOLDERS)
    if unknown:
        return unknown
    if body_format is BodyFormat.JSON:
        try:
            json.loads(fill_body(template, _SAMPLE, body_format))
        except ValueError:
            return ("is not valid JSON once its placeholders are filled in (write them inside "
                    "quotes, as in '\"to\": \"{phone}\"')")
    return None


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be an HTTP header (the reason never shows the value)."""
    if not _HEADER_NAME.fullmatch(name):
        return "is not a header name (letters, digits and - only, such as 'Authorization')"
    if not _HEADER_VALUE.fullmatch(value):
        return "must be one line of plain ASCII text (no line breaks, no accented letters)"
    return None


def message_template_problem(template: str, unaccented: bool) -> str | None:
    """Why ``template`` cannot be the one-time code's message: it must hold ``{code}``, no
    other placeholder than ``{code}`` and ``{minutes}``, and fill one SMS (160 characters
    of plain text, 70 once it has letters with marks; ``unaccented``: once they are taken
    off), whatever two-digit number of minutes it says."""
    unknown = _unknown(template, MESSAGE_PLACEHOLDERS)
    if unknown:
        return unknown
    if "code" not in placeholders(template):
        return "must hold {code}, where the one-time code goes"
    text = fill_message(template, "123456", 10)
    if unaccented:
        text = strip_diacritics(text)
    if any(unicodedata.category(character) == "Cc" for character in text):
        return "must be one line of text without control characters"
    limit = single_sms_limit(text)
    if len(text) > limit:
        kind = ("of plain text" if limit == SINGLE_SMS_CHARACTERS
                else "once a character outside the SMS alphabet (a Vietnamese mark) is kept")
        return f"makes a message of {len(text)} characters; one SMS holds {limit} {kind}"
    return None


def _unknown(template: str, known: tuple[str, ...]) -> str | None:
    unknown = sorted(placeholders(template) - set(known))
    if not unknown:
        return None
    allowed = ", ".join("{" + name + "}" for name in known)
    return f"has an unknown placeholder {{{unknown[0]}}}; it may hold {allowed}"
