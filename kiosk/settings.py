"""The kiosk's settings: parsed once from the command line into a frozen object.

``qms kiosk --server ws://10.0.0.5:8765/ws --token ... --site hcc-tinh --printer tcp://10.0.0.9``

or, enrolled once with ``qms kiosk --enrol CODE --server http://10.0.0.5:8765``, just
``qms kiosk``: the stored settings (server.protocol.enrolment_client) give the server, token,
site, name and the profile to start from. An option given on the command line wins over the
stored settings and over the profile the server sends (``overridden``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hardware.printer import PaperWidth, PrinterUrlError, parse_printer_url
from kiosk.errors import SettingsError
from kiosk.models.texts import Language
from server.protocol import client_options, enrolment_client
from server.protocol.supervisor import SupervisorSettings
from server.protocol.tls import CaFileError

DEFAULT_SERVER_URL = "ws://127.0.0.1:8765/ws"
TOKEN_VARIABLE = "QMS_KIOSK_TOKEN"
"""Environment variable read when ``--token`` is left out (keeps the token off ``ps``)."""
SUBSCRIBED_EVENTS = ("ticket.", "counter.", "day.", "config.")
"""Event prefixes that change how many wait; each batch of them refreshes the menu."""
_PAPERS = {"80": PaperWidth.MM80, "58": PaperWidth.MM58}


def default_printer_url(working_directory: Path) -> str:
    """``virtual:///<cwd>/data/tickets``: the demo's virtual printer beside its database."""
    return "virtual://" + (working_directory / "data" / "tickets").resolve().as_posix()


@dataclass(frozen=True)
class KioskSettings:
    """Everything the kiosk needs, checked at start-up.

    Attributes:
        server_url: the server's WebSocket address (``ws://`` or ``wss://``).
        token: the kiosk's device token (role ``kiosk``) for ``site``.
        site: the site code said in ``hello``; ``None``: the server finds the site from the
            device token.
        printer_url: see :mod:`hardware.printer.printer_url`.
        paper: the paper roll's width.
        language: the language shown first and after every return home.
        full_screen: False opens a window of ``window_size`` (development).
        window_size: (width, height) of the window when not full screen.
        idle_seconds: a menu left untouched this long goes home.
        ticket_seconds: the ticket confirmation stays this long.
        kiosk_name: names this kiosk's devices in ``device_status`` (``kiosk-1/printer``).
        one_level_max_services: up to this many services, HOME lists them directly.
        reconnect_min_seconds / reconnect_max_seconds: the reconnect back-off range
            (jittered, doubling; the same names in every app).
        request_timeout_seconds: an unanswered request (an ``issue``) after this long counts
            as lost: the connection is dropped and the press re-sent with the same key.
        refresh_min_seconds: at most one menu refresh (``snapshot``) per this many seconds.
        printer_poll_seconds: how often a printer that can report its status is asked;
            0 asks only when printing (and every 2 s while it has a fault).
        exit_when_ready: print the start-up time and quit once the menu shows (benchmark).
        zone: show only the services the counters of this zone serve (None: every one).
        scanner_url: the serial barcode scanner's port, any ``serial.serial_for_url`` URL
            (``/dev/ttyACM0``, ``COM5``, ``socket://host:port``); None: no serial scanner.
        scanner_baudrate: its line speed (a USB virtual COM port ignores it).
        keyboard_scanner: read keyboard-emulating (USB HID) scanners: keystroke bursts typed
            into the window.
        scanner_key_gap_ms: the longest pause between a keyboard scanner's keystrokes; a
            person types slower.
        overridden: the profile keys (``printer``, ``paper_width``, ``language``, ``zone``)
            given on the command line: the server's profile does not change them.
        ca_file: a ``wss://`` server's certificate is checked against this CA alone (a
            province's private CA); None: against the system's trusted CAs.
    """

    server_url: str
    token: str
    site: str | None
    printer_url: str
    paper: PaperWidth = PaperWidth.MM80
    language: Language = Language.VIETNAMESE
    full_screen: bool = True
    window_size: tuple[int, int] = (1280, 800)
    window_position: tuple[int, int] | None = None
    idle_seconds: float = 30.0
    ticket_seconds: float = 10.0
    kiosk_name: str = "kiosk-1"
    one_level_max_services: int = 8
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 10.0
    request_timeout_seconds: float = 10.0
    refresh_min_seconds: float = 1.0
    printer_poll_seconds: float = 5.0
    exit_when_ready: bool = False
    zone: str | None = None
    scanner_url: str | None = None
    scanner_baudrate: int = 9600
    keyboard_scanner: bool = True
    scanner_key_gap_ms: float = 40.0
    overridden: frozenset[str] = frozenset()
    ca_file: str | None = None

    def __post_init__(self) -> None:
        for address in client_options.addresses(self.server_url) or [self.server_url]:
            if urlsplit(address).scheme not in ("ws", "wss"):
                raise SettingsError(f"--server {address!r}: expected a ws:// or wss:// URL")
        if not self.token:
            raise SettingsError(f"--token is required (or set {TOKEN_VARIABLE}, or enrol this "
                                "kiosk once: qms kiosk --enrol CODE --server ADDRESS)")
        if self.site is not None and not self.site:
            raise SettingsError("--site must not be empty")
        try:
            parse_printer_url(self.printer_url)
        except PrinterUrlError as error:
            raise SettingsError(f"--printer: {error}") from error
        for name in ("idle_seconds", "ticket_seconds", "reconnect_min_seconds",
                     "request_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"--{name.replace('_', '-')} must be > 0")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise SettingsError("the reconnect maximum must not be below the minimum")
        if self.printer_poll_seconds < 0 or self.refresh_min_seconds < 0:
            raise SettingsError("poll and refresh intervals must be >= 0")
        if not 1 <= len(self.kiosk_name) <= 56:
            raise SettingsError("--kiosk-name must have 1 to 56 characters")
        if min(self.window_size) < client_options.SMALLEST_WINDOW:
            raise SettingsError("--size must be at least 200x200")
        if self.scanner_url is not None and not self.scanner_url.strip():
            raise SettingsError("--scanner must not be empty")
        if not 50 <= self.scanner_baudrate <= 4_000_000:
            raise SettingsError("--scanner-baudrate must be between 50 and 4000000")
        if not 1 <= self.scanner_key_gap_ms <= 500:
            raise SettingsError("--scanner-key-gap-ms must be between 1 and 500")

    def supervisor_settings(self) -> SupervisorSettings:
        """How the kiosk's link is kept: a fresh snapshot on every connection (no resume)."""
        return SupervisorSettings(resume=False, reconnect_min_seconds=self.reconnect_min_seconds,
                                  reconnect_max_seconds=self.reconnect_max_seconds,
                                  request_timeout_seconds=self.request_timeout_seconds)

    @property
    def printer_device(self) -> str:
        """The printer's name in ``device_status`` reports."""
        return f"{self.kiosk_name}/printer"

    @property
    def scanner_device(self) -> str:
        """The serial scanner's name in ``device_status`` reports."""
        return f"{self.kiosk_name}/scanner"


def build_parser(working_directory: Path) -> argparse.ArgumentParser:
    """The command line of ``qms kiosk`` / ``python -m kiosk.main``."""
    parser = argparse.ArgumentParser(
        prog="qms kiosk",
        description="Ki-ốt lấy số thứ tự: touch screen to printed Vietnamese ticket.",
    )
    enrolment_client.add_enrol_options(parser)
    parser.add_argument("--server", action="append", metavar="URL",
                        help=f"the server's WebSocket URL (default: the enrolled one, else "
                             f"{DEFAULT_SERVER_URL}); {client_options.SERVER_LIST_HELP}")
    parser.add_argument("--token", help=f"the kiosk's device token (default: ${TOKEN_VARIABLE})")
    parser.add_argument("--site", default=None,
                        help="site code (default: the site the token belongs to)")
    parser.add_argument("--printer",
                        help="printer URL: usb://VID:PID, serial:///dev/ttyUSB0, "
                             "tcp://HOST:9100, file:///path, virtual:///folder "
                             "(default: the device's profile, else a virtual printer in "
                             "./data/tickets)")
    parser.add_argument("--paper", choices=sorted(_PAPERS),
                        help="paper width in mm (default: the profile's, else 80)")
    parser.add_argument("--lang", choices=[language.value for language in Language],
                        help="default language (default: the profile's, else vi)")
    parser.add_argument("--zone", help="offer only the services of this zone's counters "
                                       "(default: the profile's, else every service)")
    parser.add_argument("--windowed", action="store_true",
                        help="open a window instead of full screen")
    parser.add_argument("--position", metavar="X,Y",
                        help="with --windowed: where the window opens, in pixels")
    parser.add_argument("--size", default="1280x800",
                        help="window size WIDTHxHEIGHT with --windowed (default 1280x800)")
    parser.add_argument("--idle-seconds", type=float, default=30.0,
                        help="go back home after this long untouched (default 30)")
    parser.add_argument("--ticket-seconds", type=float, default=10.0,
                        help="how long the ticket confirmation stays (default 10)")
    parser.add_argument("--kiosk-name",
                        help="names this kiosk's devices in status reports (default: the "
                             "enrolled name, else kiosk-1)")
    parser.add_argument("--one-level-max-services", type=int, default=8,
                        help="list services on the home screen when there are at most this "
                             "many (default 8)")
    parser.add_argument("--printer-poll-seconds", type=float, default=5.0,
                        help="ask the printer's status this often; 0: only when printing "
                             "and while it has a fault")
    parser.add_argument("--scanner", metavar="PORT",
                        help="a serial barcode scanner's port: /dev/ttyACM0, COM5, "
                             "socket://HOST:PORT (default: none)")
    parser.add_argument("--scanner-baudrate", type=int, default=9600,
                        help="the serial scanner's speed (default 9600)")
    parser.add_argument("--no-keyboard-scanner", action="store_true",
                        help="ignore keyboard-emulating (USB HID) scanners")
    parser.add_argument("--scanner-key-gap-ms", type=float, default=40.0,
                        help="the longest pause between a keyboard scanner's keystrokes "
                             "(default 40)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser


def parse_arguments(
    argv: Sequence[str], environment: Mapping[str, str], working_directory: Path
) -> tuple[KioskSettings, str]:
    """Parse the command line; returns the settings and the log level.

    Raises:
        SettingsError: a value is wrong (the message names the option).
        SystemExit: argparse's own errors and ``--help``.
    """
    arguments = build_parser(working_directory).parse_args(list(argv))
    try:
        window_size = client_options.window_size(arguments.size)
        position = (client_options.window_position(arguments.position)
                    if arguments.position else None)
    except client_options.OptionError as error:
        raise SettingsError(str(error)) from error
    try:
        stored = enrolment_client.load("kiosk", environment)
    except enrolment_client.StoredSettingsError as error:
        raise SettingsError(f"stored settings: {error}") from error
    token = arguments.token or environment.get(TOKEN_VARIABLE, "")
    enrolled = stored if not token else None
    if enrolled is not None:
        # Enrolled: the stored token, with its own server, site and CA file unless options say.
        token = enrolled.token
        server_url = client_options.joined(arguments.server) or enrolled.server
        site = arguments.site or enrolled.site
    else:
        server_url = client_options.joined(arguments.server) or DEFAULT_SERVER_URL
        site = arguments.site
    try:
        ca_file = enrolment_client.ca_file_option(arguments.ca_file, enrolled)
    except CaFileError as error:
        raise SettingsError(str(error)) from error
    profile = stored.profile if stored is not None else {}
    given = {"printer": arguments.printer, "paper_width": arguments.paper,
             "language": arguments.lang, "zone": arguments.zone}
    stored_paper = str(profile.get("paper_width", ""))
    stored_language = str(profile.get("language", ""))
    stored_name = stored.name.strip()[:56] if stored is not None else ""
    settings = KioskSettings(
        server_url=server_url,
        token=token,
        site=site,
        printer_url=arguments.printer or str(profile.get("printer") or "")
        or default_printer_url(working_directory),
        paper=_PAPERS[arguments.paper or (stored_paper if stored_paper in _PAPERS else "80")],
        language=Language(arguments.lang or (stored_language if stored_language
                                             in ("vi", "en") else "vi")),
        full_screen=not arguments.windowed,
        window_size=window_size,
        window_position=position,
        idle_seconds=arguments.idle_seconds,
        ticket_seconds=arguments.ticket_seconds,
        kiosk_name=arguments.kiosk_name or stored_name or "kiosk-1",
        one_level_max_services=arguments.one_level_max_services,
        printer_poll_seconds=arguments.printer_poll_seconds,
        exit_when_ready=arguments.exit_when_ready,
        zone=arguments.zone or str(profile.get("zone") or "") or None,
        scanner_url=arguments.scanner,
        scanner_baudrate=arguments.scanner_baudrate,
        keyboard_scanner=not arguments.no_keyboard_scanner,
        scanner_key_gap_ms=arguments.scanner_key_gap_ms,
        overridden=frozenset(key for key, value in given.items() if value is not None),
        ca_file=ca_file,
    )
    return settings, str(arguments.log_level)
