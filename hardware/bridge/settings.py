"""Command line of ``qms bridge`` parsed once into frozen settings."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from hardware.bridge.device_map import DeviceMap, load_device_map
from hardware.bridge.errors import BridgeSettingsError
from hardware.serial_bus.protocol import (
    DEFAULT_BAUDRATE,
    DEFAULT_OFFLINE_AFTER_MISSES,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_REPLY_TIMEOUT_SECONDS,
    MAX_BLINK_COUNT,
)

DEFAULT_SERVER_URL = "ws://127.0.0.1:8765/ws"
DEFAULT_TOKEN = "demo-bridge-token-0001"
DEFAULT_BLINK_COUNT = 5
DEFAULT_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)
DEFAULT_PORT_RETRY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Everything the bridge runs with."""

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
    reconnect_delays: tuple[float, ...] = DEFAULT_RECONNECT_DELAYS
    port_retry_seconds: float = DEFAULT_PORT_RETRY_SECONDS
    """Wait before opening the serial port again after it failed (adapter unplugged)."""


def websocket_url(text: str) -> str:
    """The protocol endpoint for ``ws://``, ``http://`` or bare ``host:port`` addresses."""
    candidate = text.strip() if "://" in text else f"ws://{text.strip()}"
    parts = urlsplit(candidate)
    scheme = {"ws": "ws", "http": "ws", "wss": "wss", "https": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise BridgeSettingsError(f"--server: not a server address: {text!r}")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms bridge",
        description="Cầu nối bàn phím gọi số, bảng LED và thiết bị đánh giá với máy chủ / "
                    "joins the keypads, LED boards and rating pads on a serial bus to the "
                    "server")
    parser.add_argument("--server", default=DEFAULT_SERVER_URL,
                        help=f"server address (default {DEFAULT_SERVER_URL})")
    parser.add_argument("--token", default=DEFAULT_TOKEN,
                        help="an admin token (default: the demo bridge's)")
    parser.add_argument("--site", default=None,
                        help="site code (default: the site of the token; needed with a "
                             "server-wide admin token)")
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


def parse_settings(argv: Sequence[str]) -> BridgeSettings:
    """Parse the command line and read the map file.

    Raises :class:`BridgeSettingsError` or :class:`~hardware.bridge.errors.MapFileError`;
    argparse exits on ``--help`` and on unknown or missing options.
    """
    arguments = build_parser().parse_args(list(argv))
    if not 0.01 <= arguments.poll_interval <= 10:
        raise BridgeSettingsError("--poll-interval: between 0.01 and 10 seconds")
    if not 1 <= arguments.blink <= MAX_BLINK_COUNT:
        raise BridgeSettingsError(f"--blink: between 1 and {MAX_BLINK_COUNT}")
    return BridgeSettings(server_url=websocket_url(arguments.server), token=arguments.token,
                          site=arguments.site, port_url=arguments.port,
                          device_map=load_device_map(arguments.map), baudrate=arguments.baudrate,
                          poll_interval=arguments.poll_interval, blink_count=arguments.blink)
