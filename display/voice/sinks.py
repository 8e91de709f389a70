"""Audio sinks without Qt: WavFileSink appends every announcement to one WAV file.

For tests and for checking a voice pack. The Qt speaker sink lives in ``qt_player``.
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError

__all__ = ["Completion", "WavFileSink"]

logger = logging.getLogger(__name__)


class Completion(StrEnum):
    """When WavFileSink reports an announcement finished."""

    IMMEDIATE = "immediate"  # before play() returns
    MANUAL = "manual"  # when finish() is called: stands in for a sink that is still playing


class WavFileSink:
    """Writes each played announcement, appended in order, to one WAV file.

    The file is created on the first ``play`` with that announcement's format; later ones must
    have the same format (AudioSinkError otherwise). The header is updated after every write,
    so the file is valid before ``close``. ``play`` while an announcement is unfinished raises
    AudioSinkError: that would be one announcement cutting off another.
    """

    def __init__(self, path: Path, *, completion: Completion = Completion.IMMEDIATE) -> None:
        self.path = Path(path)
        self.completion = completion
        self.played_frame_counts: list[int] = []
        self._writer: wave.Wave_write | None = None
        self._format: AudioFormat | None = None
        self._on_finished: Callable[[], None] | None = None

    @property
    def busy(self) -> bool:
        """True while a MANUAL-completion announcement awaits ``finish``."""
        return self._on_finished is not None

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None]) -> None:
        """Append ``pcm``; report it finished now (IMMEDIATE) or at ``finish`` (MANUAL)."""
        if self._on_finished is not None:
            raise AudioSinkError("play() called while the previous announcement is still playing")
        if len(pcm) % audio_format.frame_size:
            raise AudioSinkError(f"{len(pcm)} bytes is not whole frames of {audio_format}")
        writer = self._open(audio_format)
        writer.writeframes(pcm)
        self.played_frame_counts.append(audio_format.frame_count(pcm))
        logger.debug("wrote %d frames to %s", self.played_frame_counts[-1], self.path)
        if self.completion is Completion.IMMEDIATE:
            on_finished()
        else:
            self._on_finished = on_finished

    def finish(self) -> None:
        """End the announcement being 'played' (MANUAL); AudioSinkError if there is none."""
        on_finished, self._on_finished = self._on_finished, None
        if on_finished is None:
            raise AudioSinkError("finish() called with nothing playing")
        on_finished()

    def close(self) -> None:
        """Finalise the file; further plays start a new file (overwriting it)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._format = None

    def __enter__(self) -> WavFileSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self, audio_format: AudioFormat) -> wave.Wave_write:
        if self._writer is not None:
            if audio_format != self._format:
                raise AudioSinkError(
                    f"{self.path} holds {self._format}; cannot append {audio_format}"
                )
            return self._writer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = wave.open(str(self.path), "wb")  # noqa: SIM115 - kept open across plays
        except OSError as error:
            raise AudioSinkError(f"cannot write {self.path}: {error}") from error
        writer.setnchannels(audio_format.channels)
        writer.setsampwidth(audio_format.sample_width)
        writer.setframerate(audio_format.sample_rate)
        self._writer, self._format = writer, audio_format
        return writer
