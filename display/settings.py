"""The display app's settings: parsed once from the command line into frozen objects.

``parse_arguments(argv)`` is the only place that reads options; everything below it receives a
:class:`DisplaySettings`.

There is no default token: a display of a real centre must be given its own, and a default
that is the demo's would connect a misconfigured TV to nothing useful without saying why.
``--site`` is optional: the server finds the site from a device token.

Enrolled once (``qms display --enrol CODE --server http://10.0.0.5:8765``), the display
starts with no options from the stored settings (server.protocol.enrolment_client): server,
token, site, and the zone and voice pack of its profile, which the server's profile then
changes live (display.profile) unless ``--zone`` or ``--voice-pack`` fixed them.

Voice: every setting of ``display.voice.settings`` can come from ``--voice-config FILE.toml``
(its ``[voice]`` table); ``--voice-pack``, ``--number-reading`` and ``--lang``, when given,
override the file's ``pack``, ``ticket_reading`` and ``languages``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from display.board import BoardSettings
from display.connection import ConnectionSettings
from display.errors import DisplaySettingsError
from display.profile import DisplayProfile, pack_directory
from display.voice import VoiceError, VoiceSettings, parse_voice_settings, read_voice_file
from server.protocol import client_options, enrolment_client
from server.protocol.tls import CaFileError

__all__ = [
    "DEFAULT_SERVER",
    "DisplaySettings",
    "build_parser",
    "parse_arguments",
]

DEFAULT_SERVER = "ws://127.0.0.1:8765/ws"


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """Everything the display app needs. ``voice`` is None with ``--no-sound``.

    ``audio_folder``: when set, each announcement is written to a WAV file of its own in this
    folder (``display.voice.sinks.FolderSink``) instead of being played; for a machine without
    a sound device, where it would otherwise be lost.
    """

    connection: ConnectionSettings
    board: BoardSettings
    voice: VoiceSettings | None
    windowed: bool = False
    audio_folder: Path | None = None
    # Where the window opens (``--position``); None: where the window manager puts it.
    position: tuple[int, int] | None = None
    size: tuple[int, int] = (1280, 720)
    # The display's own zone and pack under the server's profile (display.profile).
    profile: DisplayProfile | None = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms display",
        description="Màn hình sảnh chờ — lobby display: calls, counters, waiting, voice")
    enrolment_client.add_enrol_options(parser)
    parser.add_argument("--server", action="append", metavar="URL",
                        help=f"server WebSocket URL (default: the enrolled one, else "
                             f"{DEFAULT_SERVER}); {client_options.SERVER_LIST_HELP}")
    parser.add_argument("--token",
                        help="this display's token (role display) from the site's config "
                             "(default: the enrolled one)")
    parser.add_argument("--site",
                        help="site code (default: the site whose display token --token is)")
    parser.add_argument("--zone", help="show only this zone's counters (default: every zone)")
    parser.add_argument("--windowed", action="store_true",
                        help="run in a window (--size, --position) instead of full screen")
    parser.add_argument("--position", metavar="X,Y",
                        help="with --windowed: where the window opens, in pixels")
    parser.add_argument("--size", default="1280x720", metavar="WIDTHxHEIGHT",
                        help="with --windowed: the window's size (default 1280x720)")
    sound = parser.add_mutually_exclusive_group()
    sound.add_argument("--no-sound", action="store_true", help="no chime and no voice")
    sound.add_argument("--audio-folder", type=Path, metavar="DIR",
                       help="write each announcement to DIR as a WAV file named by time and "
                            "number, instead of playing it (for a machine without a sound "
                            "device; the newest 200 are kept)")
    parser.add_argument("--voice-config", type=Path, metavar="FILE.toml",
                        help="voice settings: the [voice] table of this TOML file (linh/lẻ, "
                             "nghìn/ngàn, lăm/nhăm, tư/bốn, counter reading, chime, gaps, ...;"
                             " see docs/voice.md)")
    parser.add_argument("--voice-pack", type=Path, metavar="DIR",
                        help="voice pack directory (default: the file's pack, else the "
                             "shipped pack)")
    parser.add_argument("--number-reading", choices=["words", "digits"],
                        help="read ticket numbers as words or digit by digit (default: the "
                             "file's ticket_reading, else words)")
    parser.add_argument("--lang", nargs="+", choices=["vi", "en"], metavar="LANG",
                        help="announcement languages in order, e.g. --lang vi en (default: "
                             "the file's languages, else vi)")
    parser.add_argument("--recent", type=int, default=6, metavar="N",
                        help="how many recent calls to list (default 6)")
    parser.add_argument("--stale-after", type=float, default=3.0, metavar="SECONDS",
                        help="say 'Mất kết nối' once the link is down this long (default 3)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def parse_arguments(argv: Sequence[str], environment: Mapping[str, str] | None = None
                    ) -> tuple[DisplaySettings, str]:
    """Options -> (settings, log level). Raises DisplaySettingsError naming a bad option.

    ``environment`` locates the stored settings of an enrolled display (None: none are
    read)."""
    arguments = build_parser().parse_args(list(argv))
    arguments.server = client_options.joined(arguments.server)
    try:
        stored = (enrolment_client.load("display", environment)
                  if environment is not None else None)
    except enrolment_client.StoredSettingsError as error:
        raise DisplaySettingsError(f"stored settings: {error}") from error
    if arguments.token is None and stored is None:
        raise DisplaySettingsError("--token is required (or enrol this display once: "
                                   "qms display --enrol CODE --server ADDRESS)")
    enrolled = stored if arguments.token is None else None
    if enrolled is not None:
        url, token = arguments.server or enrolled.server, enrolled.token
        site = arguments.site or enrolled.site
    else:
        url, token, site = arguments.server or DEFAULT_SERVER, arguments.token, arguments.site
    try:
        ca_file = enrolment_client.ca_file_option(arguments.ca_file, enrolled)
    except CaFileError as error:
        raise DisplaySettingsError(str(error)) from error
    profile = stored.profile if stored is not None else {}
    connection = ConnectionSettings(url=url, token=token, site=site, ca_file=ca_file)
    zone = arguments.zone or str(profile.get("zone") or "") or None
    board = BoardSettings(zone=zone, recent_limit=arguments.recent,
                          stale_after_seconds=arguments.stale_after)
    if arguments.voice_pack is None and profile.get("voice"):
        arguments.voice_pack = pack_directory(str(profile["voice"]))
        arguments.voice_pack_from_profile = True
    voice = None if arguments.no_sound else _voice_settings(arguments)
    overridden = frozenset(key for key, value in (("zone", arguments.zone), (
        "voice", None if getattr(arguments, "voice_pack_from_profile", False)
        else arguments.voice_pack)) if value is not None)
    try:
        position = (client_options.window_position(arguments.position)
                    if arguments.position else None)
        size = client_options.window_size(arguments.size)
    except client_options.OptionError as error:
        raise DisplaySettingsError(str(error)) from error
    display_profile = DisplayProfile(arguments.zone or None,
                                     voice.pack_directory if voice is not None else None,
                                     overridden)
    return DisplaySettings(connection=connection, board=board, voice=voice,
                           windowed=arguments.windowed, audio_folder=arguments.audio_folder,
                           position=position, size=size,
                           profile=display_profile), arguments.log_level


def _voice_settings(arguments: argparse.Namespace) -> VoiceSettings:
    """The voice file's [voice] table (if any) with the command line's voice options on top."""
    path: Path | None = arguments.voice_config
    try:
        raw: dict[str, object] = {} if path is None else read_voice_file(path)
    except VoiceError as error:
        raise DisplaySettingsError(f"--voice-config: {error}") from error
    if arguments.number_reading is not None:
        raw["ticket_reading"] = arguments.number_reading
    if arguments.lang is not None:
        raw["languages"] = list(dict.fromkeys(arguments.lang))
    if arguments.voice_pack is not None:
        raw["pack"] = str(arguments.voice_pack)
    try:
        return parse_voice_settings(raw)
    except VoiceError as error:
        where = "" if path is None else f" in {path}"
        raise DisplaySettingsError(f"voice{where}: {error}") from error
