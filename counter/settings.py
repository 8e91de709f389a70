"""Command line of ``qms counter`` parsed once into frozen settings."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import InitVar, dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from counter.errors import SettingsError
from server.protocol.supervisor import SupervisorSettings

DEFAULT_SERVER_URL = "ws://127.0.0.1:8765/ws"
MISSING_TOKEN = ("--token is required: this counter PC's device token (role counter) from "
                 "the site's configuration")


class Language(StrEnum):
    """Language of the screen (and of the server's messages)."""

    VIETNAMESE = "vi"
    ENGLISH = "en"


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where and how the counter connects.

    ``reconnect_min_seconds`` / ``reconnect_max_seconds``: the back-off range (jittered,
    doubling; the same names in every app). ``reconnect_delays``, the former list of waits, is
    still accepted: its first and last entries become the range. ``request_timeout_seconds``:
    a request unanswered this long counts as a lost connection (the request is then reported
    interrupted, never sent again).

    Raises :class:`SettingsError` without a token.
    """

    server_url: str
    token: str
    site: str | None  # None: the server finds the site from the device token
    language: Language = Language.VIETNAMESE
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 5.0
    open_timeout: float = 10.0
    request_timeout_seconds: float = 10.0
    reconnect_delays: InitVar[tuple[float, ...] | None] = None

    def __post_init__(self, reconnect_delays: tuple[float, ...] | None) -> None:
        if reconnect_delays:
            object.__setattr__(self, "reconnect_min_seconds", reconnect_delays[0])
            object.__setattr__(self, "reconnect_max_seconds", max(reconnect_delays))
        if not self.token:
            raise SettingsError(MISSING_TOKEN)

    def supervisor_settings(self) -> SupervisorSettings:
        """How the counter's link is kept: resumed (the missed events tell whether an
        interrupted action was applied), pinged, with these timings."""
        return SupervisorSettings(resume=True, reconnect_min_seconds=self.reconnect_min_seconds,
                                  reconnect_max_seconds=self.reconnect_max_seconds,
                                  request_timeout_seconds=self.request_timeout_seconds)


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
    parser.add_argument("--token", default="",
                        help="this counter PC's device token (role counter) from the site's "
                             "configuration (required)")
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

    Raises :class:`SettingsError` for a server address that cannot be used or a missing
    ``--token`` (there is no default: a counter PC of a real centre must not quietly try the
    demo's token).
    """
    arguments = build_parser().parse_args(list(argv))
    connection = ConnectionSettings(server_url=websocket_url(arguments.server),
                                    token=arguments.token, site=arguments.site,
                                    language=Language(arguments.lang))
    counter = arguments.counter.strip() if arguments.counter else None
    return CounterSettings(connection=connection, counter=counter or None,
                           windowed=arguments.windowed)
