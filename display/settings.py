"""The display app's settings: parsed once from the command line into frozen objects.

``parse_arguments(argv)`` is the only place that reads options; everything below it receives a
:class:`DisplaySettings`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from display.board import BoardSettings
from display.connection import ConnectionSettings
from display.errors import DisplaySettingsError
from display.voice import VoiceError, VoiceSettings, parse_voice_settings

__all__ = [
    "DEFAULT_SERVER",
    "DEFAULT_SITE",
    "DEFAULT_TOKEN",
    "DisplaySettings",
    "build_parser",
    "parse_arguments",
]

DEFAULT_SERVER = "ws://127.0.0.1:8765/ws"
DEFAULT_TOKEN = "demo-display-token-0001"
DEFAULT_SITE = "hcc-tinh"


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """Everything the display app needs. ``voice`` is None with ``--no-sound``."""

    connection: ConnectionSettings
    board: BoardSettings
    voice: VoiceSettings | None
    windowed: bool = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms display",
        description="Màn hình sảnh chờ — lobby display: calls, counters, waiting, voice")
    parser.add_argument("--server", default=DEFAULT_SERVER,
                        help=f"server WebSocket URL (default {DEFAULT_SERVER})")
    parser.add_argument("--token", default=DEFAULT_TOKEN,
                        help="the site's display token (default: the demo's)")
    parser.add_argument("--site", default=DEFAULT_SITE, help=f"site code (default {DEFAULT_SITE})")
    parser.add_argument("--zone", help="show only this zone's counters (default: every zone)")
    parser.add_argument("--windowed", action="store_true",
                        help="run in a 1280x720 window instead of full screen")
    parser.add_argument("--no-sound", action="store_true", help="no chime and no voice")
    parser.add_argument("--voice-pack", type=Path, metavar="DIR",
                        help="voice pack directory (default: the shipped pack)")
    parser.add_argument("--number-reading", choices=["words", "digits"], default="words",
                        help="read ticket numbers as words (default) or digit by digit")
    parser.add_argument("--lang", nargs="+", choices=["vi", "en"], default=["vi"],
                        metavar="LANG",
                        help="announcement languages in order, e.g. --lang vi en (default vi)")
    parser.add_argument("--recent", type=int, default=6, metavar="N",
                        help="how many recent calls to list (default 6)")
    parser.add_argument("--stale-after", type=float, default=3.0, metavar="SECONDS",
                        help="say 'Mất kết nối' once the link is down this long (default 3)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def parse_arguments(argv: Sequence[str]) -> tuple[DisplaySettings, str]:
    """Options -> (settings, log level). Raises DisplaySettingsError naming a bad option."""
    arguments = build_parser().parse_args(list(argv))
    connection = ConnectionSettings(url=arguments.server, token=arguments.token,
                                    site=arguments.site)
    board = BoardSettings(zone=arguments.zone, recent_limit=arguments.recent,
                          stale_after_seconds=arguments.stale_after)
    voice: VoiceSettings | None = None
    if not arguments.no_sound:
        raw: dict[str, object] = {"ticket_reading": arguments.number_reading,
                                  "languages": list(dict.fromkeys(arguments.lang))}
        if arguments.voice_pack is not None:
            raw["pack"] = str(arguments.voice_pack)
        try:
            voice = parse_voice_settings(raw)
        except VoiceError as error:
            raise DisplaySettingsError(f"voice: {error}") from error
    return DisplaySettings(connection=connection, board=board, voice=voice,
                           windowed=arguments.windowed), arguments.log_level
