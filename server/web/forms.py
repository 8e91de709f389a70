"""Reading a posted form safely: from our own pages only, small, in time, well encoded.

Every form of the server (the rating on the ticket's page, the managers' sign-in and
sign-out, ...) is read through :func:`read_form`, which refuses, with :class:`FormRefused`
(an HTTP status and a plain message in Vietnamese and English):

- a post from another site's page (``Origin``, ``Sec-Fetch-Site``): 403;
- a body over the form's limit: 413; one that trickles for longer than 10 s: 400;
- one that is not UTF-8 ``application/x-www-form-urlencoded``, or has too many fields: 400.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from starlette.requests import ClientDisconnect, Request

BODY_TIMEOUT_SECONDS = 10.0
# The longest form is a service's: its keys, its counters, its own opening hours (a day a
# field, the days closed, the exceptions), the comment and the CSRF token (23), and a box
# per priority group of the site with the choice of all of them or those ticked.
MAX_FIELDS = 64


class FormRefused(Exception):
    """A form refused before anything read it; ``status_code`` and ``message`` answer it."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


async def read_form(request: Request, public_url: str, limit: int) -> dict[str, str]:
    """The fields of a form posted from one of our own pages, each field's first value."""
    if not same_origin(request, public_url):
        raise FormRefused(403, "Biểu mẫu chỉ được gửi từ trang của trung tâm. / "
                               "Forms are accepted only from the centre's own pages.")
    body = await _limited_body(request, limit)
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise FormRefused(400, "Biểu mẫu không hợp lệ. / The form could not be read.") \
            from error
    return {name: values[0] for name, values in fields.items()}


async def _limited_body(request: Request, limit: int) -> bytes:
    too_large = FormRefused(413, "Biểu mẫu quá lớn. / The form is too large.")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise too_large
    except TimeoutError as error:
        raise FormRefused(400, "Biểu mẫu gửi quá chậm. / The form came too slowly.") \
            from error
    except ClientDisconnect as error:
        raise FormRefused(400, "Kết nối bị ngắt. / The connection was closed.") from error
    return bytes(body)


def same_origin(request: Request, public_url: str) -> bool:
    """Whether the browser says the request comes from one of our own pages.

    A browser sends ``Origin`` with every form post (``null`` from a sandboxed or local page,
    which is foreign too) and ``Sec-Fetch-Site``; a client that is not a browser sends
    neither, and is let through to the checks of the form itself (a key, a CSRF token)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    ours = {f"{request.url.scheme}://{host}".lower(), _origin_of(public_url)}
    return origin.lower() in ours


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
