"""Security headers on every HTTP answer of the server.

Every page is served whole by this server (no outside script, style, font or image), so the
Content-Security-Policy allows only the server itself: an injected script or a page framing
ours elsewhere gets nothing. ``Referrer-Policy: same-origin`` keeps a ticket's link (whose
query holds its rating key) out of any other site's logs; ``no-referrer`` would too, but then
browsers send ``Origin: null`` with our own forms, and the forms' origin check needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; media-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)



def policy_with_form_targets(origins: Iterable[str]) -> str:
    """:data:`CONTENT_SECURITY_POLICY` whose ``form-action`` also allows ``origins`` (the
    public URLs of the deployment's other server processes, reduced to scheme and host):
    a browser applies ``form-action`` to every redirect after a form's submission too, so
    signing in on one process and landing on a page that another process serves needs it."""
    allowed = sorted({f"{parts.scheme}://{parts.netloc}" for parts in map(urlsplit, origins)
                      if parts.scheme in ("http", "https") and parts.netloc})
    if not allowed:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'",
                                           "form-action 'self' " + " ".join(allowed))


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
# Over TLS only (a browser ignores it over plain HTTP, and it must not be sent by a server
# that may be reached without TLS): browsers that saw it use https:// for this host for a
# year, so a link or a typed http:// address cannot be downgraded. No includeSubDomains: the
# province's other hosts under the same name are not ours to decide.
STRICT_TRANSPORT_SECURITY = (b"strict-transport-security", b"max-age=31536000")

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def with_security_headers(app: Asgi) -> Asgi:
    """``app`` with :data:`SECURITY_HEADERS` added to each HTTP response it starts (a header
    the page set itself is kept), and :data:`STRICT_TRANSPORT_SECURITY` over TLS."""

    async def secured(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in SECURITY_HEADERS if item[0] not in present)
                if scope.get("scheme") == "https":
                    headers.append(STRICT_TRANSPORT_SECURITY)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return secured
