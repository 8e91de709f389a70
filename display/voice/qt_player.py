"""Speaker output through Qt Multimedia: the only module of display.voice that imports PySide6.

QtAudioSink pushes the announcement's PCM from a QBuffer into a QAudioSink on the default (or a
given) audio output. It needs PySide6 6.7 or later (the ``QtAudio`` namespace), lives on the Qt
GUI thread and needs a running Qt event loop.

Degrading, never crashing: with no audio device (e.g. offscreen, or a TV with HDMI audio
unplugged), or a format the device refuses, it logs an error (once until a device appears) and
reports the announcement finished on the next event-loop turn, so the queue keeps moving. A
watchdog reports it finished if the device never drains the buffer (duration + margin).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEventLoop,
    QIODevice,
    QObject,
    QTimer,
)
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio

from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError
from display.voice.phrases import Announcement

__all__ = ["QtAudioSink", "output_devices", "play_and_wait"]

logger = logging.getLogger(__name__)

_SAMPLE_FORMATS = {
    1: QAudioFormat.SampleFormat.UInt8,
    2: QAudioFormat.SampleFormat.Int16,
    4: QAudioFormat.SampleFormat.Int32,
}


class QtAudioSink(QObject):
    """AudioSink playing on a Qt audio output (see the module docstring)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        device: QAudioDevice | None = None,
        watchdog_margin_ms: int = 3000,
    ) -> None:
        super().__init__(parent)
        self._fixed_device = device
        self._watchdog_margin_ms = watchdog_margin_ms
        self._audio: QAudioSink | None = None
        self._buffer: QBuffer | None = None
        self._on_finished: Callable[[], None] | None = None
        self._reported_no_device = False
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(self._on_watchdog)

    def device(self) -> QAudioDevice:
        """The output used: the one given, else the system default (null when there is none)."""
        if self._fixed_device is not None:
            return self._fixed_device
        return QMediaDevices.defaultAudioOutput()

    @property
    def available(self) -> bool:
        """True when an audio output device exists."""
        return not self.device().isNull()

    @property
    def busy(self) -> bool:
        """True while an announcement is playing."""
        return self._on_finished is not None

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None], *,
             announcement: Announcement | None = None) -> None:
        """Start playing; ``on_finished`` runs from the event loop when done or given up."""
        if self._on_finished is not None:
            raise AudioSinkError("play() called while the previous announcement is still playing")
        self._on_finished = on_finished
        device = self.device()
        if device.isNull():
            if not self._reported_no_device:
                logger.error("no audio output device: announcements are not heard")
                self._reported_no_device = True
            self._finish_soon()
            return
        self._reported_no_device = False
        qt_format = _qt_format(audio_format)
        if qt_format is None or not device.isFormatSupported(qt_format):
            logger.error(
                "audio output %r does not support %s", device.description(), audio_format.describe()
            )
            self._finish_soon()
            return
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pcm))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        audio = QAudioSink(device, qt_format, self)
        audio.stateChanged.connect(self._on_state_changed)
        self._audio, self._buffer = audio, buffer
        duration_ms = int(audio_format.duration_seconds(pcm) * 1000)
        self._watchdog.start(duration_ms + self._watchdog_margin_ms)
        audio.start(buffer)
        if audio.error() != QtAudio.Error.NoError:
            logger.error("audio output %r failed to start: %s", device.description(), audio.error())
            self._finish_soon()

    def _on_state_changed(self) -> None:
        # Connected without the signal's argument: PySide6 6.12 cannot convert QAudio::State
        # ("Cannot call meta function ... cannot be converted"), so read state() instead.
        audio = self._audio
        if audio is None:
            return
        state = audio.state()
        if state == QtAudio.State.IdleState:  # the buffer has been played out
            self._finish_soon()
        elif state == QtAudio.State.StoppedState and audio.error() != QtAudio.Error.NoError:
            logger.error("audio output stopped with %s", audio.error())
            self._finish_soon()

    def _on_watchdog(self) -> None:
        if self._on_finished is not None:
            logger.error("audio output did not finish in time; moving on")
            self._finish_soon()

    def _finish_soon(self) -> None:
        """Release the device now; report finished on the next event-loop turn."""
        self._watchdog.stop()
        audio, buffer = self._audio, self._buffer
        self._audio = self._buffer = None
        if audio is not None:
            audio.stateChanged.disconnect(self._on_state_changed)
            audio.stop()
            audio.deleteLater()
        if buffer is not None:
            buffer.close()
            buffer.deleteLater()
        on_finished, self._on_finished = self._on_finished, None
        if on_finished is not None:
            QTimer.singleShot(0, on_finished)


def _qt_format(audio_format: AudioFormat) -> QAudioFormat | None:
    sample_format = _SAMPLE_FORMATS.get(audio_format.sample_width)
    if sample_format is None:
        return None
    qt_format = QAudioFormat()
    qt_format.setSampleRate(audio_format.sample_rate)
    qt_format.setChannelCount(audio_format.channels)
    qt_format.setSampleFormat(sample_format)
    return qt_format


def play_and_wait(pcm: bytes, audio_format: AudioFormat) -> bool:
    """Play ``pcm`` on the default output and return when done (for the command line).

    Creates a QCoreApplication if none exists. Returns False when no device could play it.
    """
    app = QCoreApplication.instance() or QCoreApplication([])
    sink = QtAudioSink(app)
    available = sink.available
    loop = QEventLoop()
    sink.play(pcm, audio_format, loop.quit)
    loop.exec()
    return available


def output_devices() -> list[tuple[str, str]]:
    """(id, description) of each audio output Qt Multimedia finds here; empty when none.

    Creates a QCoreApplication if none exists (Qt Multimedia lists devices only inside one).
    """
    application = QCoreApplication.instance() or QCoreApplication([])
    devices = [(bytes(device.id().data()).decode("utf-8", "replace"), device.description())
               for device in QMediaDevices.audioOutputs()]
    logger.debug("audio outputs seen by %r: %s", application.applicationName(), devices)
    return devices
