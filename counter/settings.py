"""Command line of ``qms counter`` parsed once into frozen settings."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from counter.errors import SettingsError

DEFAULT_SERVER_URL = "ws://127.0.0.1:8765/ws"
DEFAULT_TOKEN = "demo-counter-token-0001"
DEFAULT_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)
"""Seconds between reconnection attempts; the last one repeats."""


class Language(StrEnum):
    """Language of the screen (and of the server's messages)."""

    VIETNAMESE = "vi"
    ENGLISH = "en"


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where and how the counter connects. ``reconnect_delays``: waits between attempts."""

    server_url: str
    token: str
    site: str | None  # None: the server finds the site from the device token
    language: Language = Language.VIETNAMESE
    reconnect_delays: tuple[float, ...] = DEFAULT_RECONNECT_DELAYS
    open_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class CounterSettings:
    """Everything ``qms counter`` was started with."""

    connection: ConnectionSettings
    counter: str | None
    """Counter code to log in to (``None``: the officer picks one on the login screen)."""
    windowed: bool = False


def websocket_url(text: str) -> str:
    """The protocol endpoint for ``text``: ``ws://host:port/ws`` from ``ws://``/``wss://``,
    ``http://``/``https://`` (the server's page address) or a bare ``host:port``.

    Raises :class:`SettingsError` when no host can be read.
    """
    candidate = text.strip()
    if "://" not in candidate:
        candidate = f"ws://{candidate}"
    parts = urlsplit(candidate)
    scheme = {"ws": "ws", "http": "ws", "wss": "wss", "https": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise SettingsError(f"--server: not a server address: {text!r}")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms counter",
        description="Máy tính quầy cho cán bộ / the officer's counter terminal")
    parser.add_argument("--server", default=DEFAULT_SERVER_URL,
                        help=f"server address (default {DEFAULT_SERVER_URL})")
    parser.add_argument("--token", default=DEFAULT_TOKEN,
                        help="counter device token (default: the demo's)")
    parser.add_argument("--site", default=None,
                        help="site code (default: the site the token belongs to)")
    parser.add_argument("--counter", help="counter code, e.g. Q01 (default: chosen at login)")
    parser.add_argument("--lang", choices=[item.value for item in Language],
                        default=Language.VIETNAMESE.value, help="screen language (default vi)")
    parser.add_argument("--windowed", action="store_true",
                        help="run in a window instead of full screen")
    return parser


def parse_settings(argv: Sequence[str]) -> CounterSettings:
    """Parse the command line; argparse exits on ``--help`` and on unknown options.

    Raises :class:`SettingsError` for a server address that cannot be used.
    """
    arguments = build_parser().parse_args(list(argv))
    connection = ConnectionSettings(server_url=websocket_url(arguments.server),
                                    token=arguments.token, site=arguments.site,
                                    language=Language(arguments.lang))
    counter = arguments.counter.strip() if arguments.counter else None
    return CounterSettings(connection=connection, counter=counter or None,
                           windowed=arguments.windowed)
