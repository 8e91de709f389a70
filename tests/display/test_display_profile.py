"""A running Qt display follows its profile on the server (offscreen, a real server): a zone
and a voice pack set on its device token are applied at once without a restart (the next
call is read out with the new pack: here a silent copy of the default, so its audio is
silence), a zone given on the command line is kept, and taking the profile back restores the
display's own."""

from __future__ import annotations

import copy
import shutil
import wave
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from support.display import FakeClock, ServerThread
from support.servers import DISPLAY_TOKEN, SITE, site_config

from display.board import Board, BoardSettings, ConnectionStatus
from display.connection import ConnectionMessage, ConnectionSettings, SnapshotReceived
from display.profile import DisplayProfile
from display.ui.board_widget import BoardWidget
from display.ui.controller import DisplayController
from display.ui.fonts import load_fonts
from display.voice import (
    DEFAULT_PACK_DIRECTORY,
    AnnouncementQueue,
    AnnouncementRenderer,
    VoicePack,
    WavFileSink,
    parse_voice_settings,
)
from server.config import Settings, parse_settings

WAIT_MS = 8000


@pytest.fixture
def settings() -> Settings:
    config = site_config()
    site = config["sites"][0]
    site["zones"].append({"code": "T2", "name_vi": "Tầng 2"})
    site["counters"].append({"code": "4", "name": "Quầy 4", "zone": "T2", "services": ["HT"]})
    return parse_settings(config)


def set_profile(server_thread: ServerThread, **profile: str) -> None:
    running = server_thread.running
    assert running is not None
    configuration = running.service.configuration
    document = copy.deepcopy(configuration.document)
    token = next(item for item in document["sites"][0]["tokens"] if item["name"] == "display")
    for key in ("zone", "voice"):
        token.pop(key, None)
    token.update(profile)
    server_thread.call(configuration.change(document, "test", "display profile",
                                            confirmed=True))


def silent_copy(pack: Path, target: Path) -> Path:
    """``pack`` copied to ``target`` with every clip's samples made silence (same names,
    formats and lengths): a pack that is loaded and read like the default, but says
    nothing."""
    shutil.copytree(pack, target)
    for clip in target.rglob("*.wav"):
        with wave.open(str(clip), "rb") as source:
            parameters = source.getparams()
            length = len(source.readframes(source.getnframes()))
        with wave.open(str(clip), "wb") as silent:
            silent.setparams(parameters)
            silent.writeframes(bytes(length))
    return target


def frames_from(path: Path, start: int) -> bytes:
    """The PCM of ``path`` from frame ``start`` on."""
    with wave.open(str(path), "rb") as recording:
        recording.setpos(start)
        return recording.readframes(recording.getnframes() - start)


def frame_count(path: Path) -> int:
    with wave.open(str(path), "rb") as recording:
        return recording.getnframes()


def open_display(qtbot: QtBot, server_thread: ServerThread, clock: FakeClock, tmp_path: Path,
                 profile: DisplayProfile) -> DisplayController:
    load_fonts()
    board = Board(BoardSettings(zone=profile.zone))
    widget = BoardWidget(board, clock=clock)
    qtbot.addWidget(widget)
    voice = parse_voice_settings({})
    announcer = AnnouncementQueue(AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY)),
                                  WavFileSink(tmp_path / "calls.wav"))
    connection = ConnectionSettings(server_thread.ws_url, DISPLAY_TOKEN, SITE,
                                    reconnect_min_seconds=0.05, reconnect_max_seconds=0.2)
    controller = DisplayController(connection, board, widget, announcer, clock=clock,
                                   profile=profile, voice=voice)
    widget.resize(1280, 720)
    widget.show()
    controller.start()
    qtbot.waitUntil(lambda: board.status is ConnectionStatus.CONNECTED, timeout=WAIT_MS)
    return controller


def test_a_running_display_follows_its_zone_and_voice_pack(
        qtbot: QtBot, server_thread: ServerThread, clock: FakeClock, tmp_path: Path) -> None:
    other_pack = silent_copy(DEFAULT_PACK_DIRECTORY, tmp_path / "giong-nam")
    recording = tmp_path / "calls.wav"
    controller = open_display(qtbot, server_thread, clock, tmp_path,
                              DisplayProfile(None, DEFAULT_PACK_DIRECTORY))
    announcer = controller.announcer
    assert announcer is not None
    admin = server_thread.admin()
    try:
        board = controller.board
        assert board.settings.zone is None
        assert {panel.code for panel in board.counters} == {"1", "2", "3", "4"}
        # A call read out with the display's own pack: heard.
        admin.issue("HT")
        admin.call_next("3")
        qtbot.waitUntil(lambda: announcer.statistics.finished == 1, timeout=WAIT_MS)
        heard = frame_count(recording)
        assert heard > 0 and any(frames_from(recording, 0))

        set_profile(server_thread, zone="T2", voice=str(other_pack))
        qtbot.waitUntil(lambda: board.settings.zone == "T2"
                        and {panel.code for panel in board.counters} == {"4"},
                        timeout=WAIT_MS)
        assert controller.pack == other_pack
        # The next call, at the zone's counter, is read out with the new pack: silence.
        admin.issue("HT")
        admin.call_next("4")
        qtbot.waitUntil(lambda: announcer.statistics.finished == 2, timeout=WAIT_MS)
        second = frames_from(recording, heard)
        assert second and not any(second)
        # Taken back: every zone again, and the display's own pack.
        set_profile(server_thread)
        qtbot.waitUntil(lambda: board.settings.zone is None
                        and len(board.counters) == 4, timeout=WAIT_MS)
        assert controller.pack == DEFAULT_PACK_DIRECTORY
    finally:
        controller.stop()


def test_a_zone_given_on_the_command_line_stays(
        qtbot: QtBot, server_thread: ServerThread, clock: FakeClock, tmp_path: Path) -> None:
    controller = open_display(qtbot, server_thread, clock, tmp_path,
                              DisplayProfile("T1", None, frozenset({"zone"})))
    try:
        seen = len(controller.board.counters)
        messages: list[ConnectionMessage] = []
        controller.message_listeners.append(messages.append)
        set_profile(server_thread, zone="T2")
        # The snapshot after config.changed has come (its profile names T2) and changed
        # nothing: the counters of T1 still.
        qtbot.waitUntil(lambda: any(isinstance(message, SnapshotReceived)
                                    and message.device is not None
                                    and message.device.get("profile", {}).get("zone") == "T2"
                                    for message in messages), timeout=WAIT_MS)
        assert controller.board.settings.zone == "T1"
        assert len(controller.board.counters) == seen == 3
    finally:
        controller.stop()

