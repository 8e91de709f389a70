"""Command-line values every client app reads the same way: the server's address (or the
addresses of a deployment's server processes: ``--server`` repeated, or separated by commas)
and where a window goes. Qt-free and server-free, like the rest of this package.

Each function raises :class:`OptionError` (a ``ValueError``) naming the option and why; the
apps turn it into their own settings error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

_POSITION = re.compile(r"^\s*(-?\d{1,5})\s*,\s*(-?\d{1,5})\s*$")
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")
SMALLEST_WINDOW = 200
# Said in every app's --help for --server.
SERVER_LIST_HELP = ("several server processes of one deployment: repeat --server or separate "
                    "the addresses with commas")


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


def joined(values: Sequence[str] | None) -> str | None:
    """``--server`` given several times (``action="append"``) as one text, the addresses
    separated by commas (how they are kept and how :class:`ProtocolClient` takes them);
    ``None`` when not given."""
    if not values:
        return None
    return ",".join(value.strip() for value in values if value.strip()) or None


def addresses(text: str) -> list[str]:
    """The addresses of a ``--server`` text: one, or several separated by commas."""
    return [item.strip() for item in text.split(",") if item.strip()]


def websocket_urls(text: str) -> str:
    """Each address of ``text`` (one, or the server processes of one deployment separated by
    commas) made a protocol endpoint by :func:`websocket_url`, in order, each once, joined by
    commas again."""
    found: list[str] = []
    for item in addresses(text):
        url = websocket_url(item)
        if url not in found:
            found.append(url)
    if not found:
        raise OptionError(f"--server: not a server address: {text!r}")
    return ",".join(found)


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
