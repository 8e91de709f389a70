"""Command-line values every client app reads the same way: the server's address and where a
window goes. Qt-free and server-free, like the rest of this package.

Each function raises :class:`OptionError` (a ``ValueError``) naming the option and why; the
apps turn it into their own settings error.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_POSITION = re.compile(r"^\s*(-?\d{1,5})\s*,\s*(-?\d{1,5})\s*$")
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")
SMALLEST_WINDOW = 200


class OptionError(ValueError):
    """A command-line value that cannot be used; the message names the option."""


def websocket_url(text: str) -> str:
    """The protocol endpoint for ``text``: ``ws://host:port/ws`` from ``ws://``/``wss://``,
    ``http://``/``https://`` (the server's page address) or a bare ``host:port``."""
    candidate = text.strip()
    if "://" not in candidate:
        candidate = f"ws://{candidate}"
    parts = urlsplit(candidate)
    scheme = {"ws": "ws", "http": "ws", "wss": "wss", "https": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise OptionError(f"--server: not a server address: {text!r}")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def window_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` in pixels for ``--size``, each at least :data:`SMALLEST_WINDOW`."""
    found = _SIZE.match(text)
    if found is None:
        raise OptionError(f"--size {text!r}: expected WIDTHxHEIGHT in pixels, like 1280x720")
    width, height = int(found.group(1)), int(found.group(2))
    if min(width, height) < SMALLEST_WINDOW:
        raise OptionError(f"--size must be at least {SMALLEST_WINDOW}x{SMALLEST_WINDOW}")
    return width, height


def window_position(text: str) -> tuple[int, int]:
    """``X,Y`` (pixels from the screen's top left) for ``--position``: where a window opens
    when there is no window manager to place it (the demo puts its windows side by side)."""
    found = _POSITION.match(text)
    if found is None:
        raise OptionError(f"--position {text!r}: expected X,Y in pixels, like 1280,0")
    return int(found.group(1)), int(found.group(2))
