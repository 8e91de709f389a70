"""Qt Multimedia sink: without an audio device (offscreen) it degrades, logged, never stuck."""

from __future__ import annotations

import logging
import time

import pytest
from PySide6.QtMultimedia import QAudioDevice
from pytestqt.qtbot import QtBot

from display.voice.announcer import AnnouncementQueue
from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import Announcement
from display.voice.qt_player import QtAudioSink
from display.voice.renderer import AnnouncementRenderer

FORMAT = AudioFormat(22050, 1, 2)


@pytest.fixture
def sink(qtbot: QtBot) -> QtAudioSink:
    """A sink whose output is the null device: what Qt gives on a machine with no audio
    output, reached here whatever this machine has."""
    sink = QtAudioSink(device=QAudioDevice())
    assert not sink.available
    return sink


def test_no_device_reports_finished_and_logs_once(
    sink: QtAudioSink, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    finished: list[int] = []
    with caplog.at_level(logging.ERROR, logger="display.voice.qt_player"):
        sink.play(FORMAT.silence(100), FORMAT, lambda: finished.append(1))
        assert finished == []  # reported from the event loop, not inside play()
        qtbot.waitUntil(lambda: finished == [1], timeout=2000)
        sink.play(FORMAT.silence(100), FORMAT, lambda: finished.append(2))
        qtbot.waitUntil(lambda: finished == [1, 2], timeout=2000)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "no audio output device" in errors[0].getMessage()
    assert not sink.busy


def test_queue_keeps_moving_without_a_device(sink: QtAudioSink, qtbot: QtBot) -> None:
    renderer = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY))
    queue = AnnouncementQueue(renderer, sink)
    queue.submit(Announcement("1005", "3"))
    queue.submit(Announcement("1006", "4"))
    qtbot.waitUntil(lambda: queue.statistics.finished == 2, timeout=3000)
    assert queue.playing is None


@pytest.mark.slow
def test_device_plays_announcements_back_to_back(qtbot: QtBot) -> None:
    """Runs only where an audio output exists, else skipped (CI starts a PulseAudio null
    sink for it: see .ci/run)."""
    sink = QtAudioSink()
    if not sink.available:
        pytest.skip("no audio output device")
    clock = time.monotonic
    pcm = FORMAT.silence(200)
    events: list[tuple[str, float]] = []
    start = clock()

    def finished(name: str) -> None:
        events.append((name, clock() - start))
        if name == "first":
            sink.play(pcm, FORMAT, lambda: finished("second"))

    sink.play(pcm, FORMAT, lambda: finished("first"))
    with pytest.raises(AudioSinkError):
        sink.play(pcm, FORMAT, lambda: None)  # never two at once
    qtbot.waitUntil(lambda: len(events) == 2, timeout=15000)
    assert [name for name, _ in events] == ["first", "second"]
    assert events[1][1] >= 2 * FORMAT.duration_seconds(pcm)
