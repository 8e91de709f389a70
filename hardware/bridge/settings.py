"""Command line of ``qms bridge`` parsed once into frozen settings."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardware.bridge.device_map import DeviceMap, load_device_map
from hardware.bridge.errors import BridgeSettingsError
from hardware.serial_bus.protocol import (
    DEFAULT_BAUDRATE,
    DEFAULT_OFFLINE_AFTER_MISSES,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_REPLY_TIMEOUT_SECONDS,
    MAX_BLINK_COUNT,
)
from server.protocol import client_options, enrolment_client
from server.protocol.supervisor import SupervisorSettings
from server.protocol.tls import CaFileError

DEFAULT_SERVER_URL = "ws://127.0.0.1:8765/ws"
DEFAULT_BLINK_COUNT = 5
DEFAULT_PORT_RETRY_SECONDS = 2.0
MISSING_TOKEN = ("--token is required: the bridge's token (role bridge, listing the counters "
                 "of its device map) from the site's configuration")


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Everything the bridge runs with. Raises :class:`BridgeSettingsError` without a token.

    ``token`` is a ``bridge`` token of the site: it may act only for the counters it lists.
    ``reconnect_min_seconds`` / ``reconnect_max_seconds``: the back-off range (jittered,
    doubling; the same names in every app).
    """

    server_url: str
    token: str
    site: str | None  # None: the server finds the site from the token
    port_url: str
    device_map: DeviceMap
    baudrate: int = DEFAULT_BAUDRATE
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS
    """Seconds from the start of one polling round to the start of the next."""
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT_SECONDS
    offline_after_misses: int = DEFAULT_OFFLINE_AFTER_MISSES
    blink_count: int = DEFAULT_BLINK_COUNT
    """Blinks of an LED board on a call or a recall."""
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 5.0
    request_timeout_seconds: float = 10.0
    """A request unanswered this long counts as a lost connection (it is not sent again)."""
    port_retry_seconds: float = DEFAULT_PORT_RETRY_SECONDS
    """Wait before opening the serial port again after it failed (adapter unplugged)."""
    ca_file: str | None = None
    """A wss:// server's certificate is checked against this CA alone; None: the system's."""

    def __post_init__(self) -> None:
        if not self.token:
            raise BridgeSettingsError(MISSING_TOKEN)

    def supervisor_settings(self) -> SupervisorSettings:
        """How the bridge's link is kept: a fresh snapshot on every connection (no resume: old
        calls replayed would blink the boards again), pinged, with these timings."""
        return SupervisorSettings(resume=False, reconnect_min_seconds=self.reconnect_min_seconds,
                                  reconnect_max_seconds=self.reconnect_max_seconds,
                                  request_timeout_seconds=self.request_timeout_seconds)


def websocket_url(text: str) -> str:
    """The protocol endpoint for ``text``, or for each of its addresses separated by commas
    (:func:`server.protocol.client_options.websocket_urls`);
    raises :class:`BridgeSettingsError` when no host can be read."""
    try:
        return client_options.websocket_urls(text)
    except client_options.OptionError as error:
        raise BridgeSettingsError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms bridge",
        description="Cầu nối bàn phím gọi số, bảng LED và thiết bị đánh giá với máy chủ / "
                    "joins the keypads, LED boards and rating pads on a serial bus to the "
                    "server")
    enrolment_client.add_enrol_options(parser)
    parser.add_argument("--server", action="append", metavar="URL",
                        help=f"server address (default: the enrolled one, else "
                             f"{DEFAULT_SERVER_URL}); {client_options.SERVER_LIST_HELP}")
    parser.add_argument("--token", default="",
                        help="the bridge's token (role bridge) from the site's configuration, "
                             "listing the counters of the map file (required unless the "
                             "bridge was enrolled: qms bridge --enrol CODE --server ADDRESS)")
    parser.add_argument("--site", default=None,
                        help="site code (default: the site of the token)")
    parser.add_argument("--port", required=True,
                        help="serial port or pyserial URL: /dev/ttyUSB0, COM5, a pty path, "
                             "socket://127.0.0.1:7000")
    parser.add_argument("--map", required=True, type=Path,
                        help="TOML file: which bus address is which device of which counter")
    parser.add_argument("--baudrate", type=int, default=DEFAULT_BAUDRATE,
                        help=f"line speed (default {DEFAULT_BAUDRATE})")
    parser.add_argument("--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL_SECONDS,
                        help=f"seconds between polls of each device (default "
                             f"{DEFAULT_POLL_INTERVAL_SECONDS})")
    parser.add_argument("--blink", type=int, default=DEFAULT_BLINK_COUNT,
                        help=f"blinks of an LED board on a call (default {DEFAULT_BLINK_COUNT})")
    return parser


def parse_settings(argv: Sequence[str],
                   environment: Mapping[str, str] | None = None) -> BridgeSettings:
    """Parse the command line and read the map file.

    Raises :class:`BridgeSettingsError` (a missing ``--token`` too: there is no default, so a
    bridge of a real centre never quietly tries the demo's) or
    :class:`~hardware.bridge.errors.MapFileError`; argparse exits on ``--help`` and on unknown
    or missing options.
    """
    arguments = build_parser().parse_args(list(argv))
    arguments.server = client_options.joined(arguments.server)
    try:
        stored = (enrolment_client.load("bridge", environment)
                  if environment is not None else None)
    except enrolment_client.StoredSettingsError as error:
        raise BridgeSettingsError(f"stored settings: {error}") from error
    server = arguments.server or DEFAULT_SERVER_URL
    enrolled = stored if not arguments.token else None
    if enrolled is not None:
        # Enrolled: its token, server, site and CA file, unless options say otherwise.
        arguments.token = enrolled.token
        server = arguments.server or enrolled.server
        arguments.site = arguments.site or enrolled.site
    try:
        ca_file = enrolment_client.ca_file_option(arguments.ca_file, enrolled)
    except CaFileError as error:
        raise BridgeSettingsError(str(error)) from error
    if not arguments.token:
        raise BridgeSettingsError(MISSING_TOKEN)
    if not 0.01 <= arguments.poll_interval <= 10:
        raise BridgeSettingsError("--poll-interval: between 0.01 and 10 seconds")
    if not 1 <= arguments.blink <= MAX_BLINK_COUNT:
        raise BridgeSettingsError(f"--blink: between 1 and {MAX_BLINK_COUNT}")
    return BridgeSettings(server_url=websocket_url(server), token=arguments.token,
                          site=arguments.site, port_url=arguments.port,
                          device_map=load_device_map(arguments.map), baudrate=arguments.baudrate,
                          poll_interval=arguments.poll_interval, blink_count=arguments.blink,
                          ca_file=ca_file)
