"""Command line of ``qms counter`` parsed once into frozen settings."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from counter.errors import SettingsError
from server.protocol import client_options, enrolment_client
from server.protocol.supervisor import SupervisorSettings
from server.protocol.tls import CaFileError

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
    doubling; the same names in every app). ``request_timeout_seconds``:
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
    # A wss:// server's certificate is checked against this CA alone; None: the system's.
    ca_file: str | None = None

    def __post_init__(self) -> None:
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
    # Where the window opens (``--position``); None: where the window manager puts it.
    position: tuple[int, int] | None = None
    size: tuple[int, int] = (1366, 768)
    # The profile keys (``counter``, ``language``) given on the command line: the server's
    # profile does not change them.
    overridden: frozenset[str] = frozenset()


def websocket_url(text: str) -> str:
    """The protocol endpoint for ``text``, or for each of its addresses separated by commas
    (:func:`server.protocol.client_options.websocket_urls`); raises :class:`SettingsError`
    when no host can be read."""
    try:
        return client_options.websocket_urls(text)
    except client_options.OptionError as error:
        raise SettingsError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms counter",
        description="Máy tính quầy cho cán bộ / the officer's counter terminal")
    enrolment_client.add_enrol_options(parser)
    parser.add_argument("--server", action="append", metavar="URL",
                        help=f"server address (default: the enrolled one, else "
                             f"{DEFAULT_SERVER_URL}); {client_options.SERVER_LIST_HELP}")
    parser.add_argument("--token", default="",
                        help="this counter PC's device token (role counter) from the site's "
                             "configuration (required unless enrolled: qms counter --enrol "
                             "CODE --server ADDRESS)")
    parser.add_argument("--site", default=None,
                        help="site code (default: the site the token belongs to)")
    parser.add_argument("--counter", help="counter code, e.g. Q01 (default: the profile's, "
                                          "else chosen at login)")
    parser.add_argument("--lang", choices=[item.value for item in Language],
                        help="screen language (default: the profile's, else vi)")
    parser.add_argument("--windowed", action="store_true",
                        help="run in a window instead of full screen")
    parser.add_argument("--position", metavar="X,Y",
                        help="with --windowed: where the window opens, in pixels")
    parser.add_argument("--size", default="1366x768", metavar="WIDTHxHEIGHT",
                        help="with --windowed: the window's size (default 1366x768)")
    return parser


def parse_settings(argv: Sequence[str],
                   environment: Mapping[str, str] | None = None) -> CounterSettings:
    """Parse the command line; argparse exits on ``--help`` and on unknown options.

    Raises :class:`SettingsError` for a server address that cannot be used or a missing
    ``--token`` (there is no default: a counter PC of a real centre must not quietly try the
    demo's token).
    """
    arguments = build_parser().parse_args(list(argv))
    arguments.server = client_options.joined(arguments.server)
    try:
        stored = (enrolment_client.load("counter", environment)
                  if environment is not None else None)
    except enrolment_client.StoredSettingsError as error:
        raise SettingsError(f"stored settings: {error}") from error
    server, token, site = arguments.server or DEFAULT_SERVER_URL, arguments.token, arguments.site
    enrolled = stored if not token else None
    if enrolled is not None:
        # Enrolled: its token, server, site and CA file, unless options say otherwise.
        server, token = arguments.server or enrolled.server, enrolled.token
        site = arguments.site or enrolled.site
    try:
        ca_file = enrolment_client.ca_file_option(arguments.ca_file, enrolled)
    except CaFileError as error:
        raise SettingsError(str(error)) from error
    profile = stored.profile if stored is not None else {}
    stored_language = str(profile.get("language", ""))
    connection = ConnectionSettings(
        server_url=websocket_url(server), token=token, site=site, ca_file=ca_file,
        language=Language(arguments.lang or (stored_language if stored_language in ("vi", "en")
                                             else Language.VIETNAMESE.value)))
    counter = (arguments.counter.strip() if arguments.counter
               else str(profile.get("counter") or ""))
    try:
        position = (client_options.window_position(arguments.position)
                    if arguments.position else None)
        size = client_options.window_size(arguments.size)
    except client_options.OptionError as error:
        raise SettingsError(str(error)) from error
    overridden = frozenset(key for key, value in (("counter", arguments.counter),
                                                  ("language", arguments.lang))
                           if value is not None)
    return CounterSettings(connection=connection, counter=counter or None,
                           windowed=arguments.windowed, position=position, size=size,
                           overridden=overridden)
