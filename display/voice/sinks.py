"""Audio sinks without Qt: WavFileSink appends every announcement to one WAV file;
FolderSink writes each announcement to a WAV file of its own in a folder.

WavFileSink is for tests and for checking a voice pack. FolderSink is the display's output on
a machine without a sound device (a server room, a virtual machine, CI): every call is kept
and can be played anywhere. The Qt speaker sink lives in ``qt_player``.
"""

from __future__ import annotations

import logging
import os
import re
import wave
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from display.voice.audio import AudioFormat, write_wav
from display.voice.errors import AudioSinkError
from display.voice.phrases import Announcement, AnnouncementKind

__all__ = ["DEFAULT_KEPT_FILES", "Completion", "FolderSink", "WavFileSink"]

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

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None], *,
             announcement: Announcement | None = None) -> None:
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


DEFAULT_KEPT_FILES = 200
"""How many announcement files a FolderSink keeps (about 60 MB of default-pack calls)."""

# "20261204-141530-123_A001_counter-3.wav", "..._A001_counter-3_recall.wav", "...-2.wav"
_FILE_NAME = re.compile(r"^\d{8}-\d{6}-\d{3}_.*\.wav$")
_UNSAFE = re.compile(r"[^0-9A-Za-z-]+")


def _local_now() -> datetime:
    return datetime.now().astimezone()


class FolderSink:
    """Writes each announcement to its own WAV file in ``folder``, named by time and number.

    The name is ``<yyyymmdd-hhmmss-mmm>_<ticket>_counter-<counter>[_recall].wav`` in the time of
    ``wall_clock`` (the machine's local time by default), so a listing is in calling order; a
    name already taken gets ``-2``, ``-3``, ... Each file is written whole under a temporary
    name and then renamed, so a file seen in the folder is complete. ``play`` reports the
    announcement finished before it returns (nothing is waiting on a speaker). Only the newest
    ``keep`` files of this naming are kept; older ones are deleted, so a display left running
    for months does not fill the disk. Files of other names are never touched. A folder that
    cannot be written raises AudioSinkError (the queue logs it and goes on).
    """

    def __init__(self, folder: Path, *, keep: int = DEFAULT_KEPT_FILES,
                 wall_clock: Callable[[], datetime] = _local_now) -> None:
        if keep < 1:
            raise AudioSinkError(f"a folder sink must keep at least 1 file, got {keep}")
        self.folder = Path(folder)
        self.keep = keep
        self._wall_clock = wall_clock
        self.last_written: Path | None = None

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None], *,
             announcement: Announcement | None = None) -> None:
        """Write ``pcm`` to a new file, then report it finished (before returning)."""
        if len(pcm) % audio_format.frame_size:
            raise AudioSinkError(f"{len(pcm)} bytes is not whole frames of {audio_format}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._free_path(self._file_stem(announcement))
            partial = path.with_name(path.name + ".part")
            write_wav(partial, audio_format, pcm)
            os.replace(partial, path)
        except OSError as error:
            raise AudioSinkError(f"cannot write an announcement in {self.folder}: {error}"
                                 ) from error
        self.last_written = path
        logger.info("announcement written to %s (%.2f s)", path,
                    audio_format.duration_seconds(pcm))
        self._prune()
        on_finished()

    def _file_stem(self, announcement: Announcement | None) -> str:
        moment = self._wall_clock()
        stem = f"{moment:%Y%m%d-%H%M%S}-{moment.microsecond // 1000:03d}"
        if announcement is None:
            return f"{stem}_announcement"
        ticket = _UNSAFE.sub("-", announcement.ticket).strip("-") or "ticket"
        counter = _UNSAFE.sub("-", announcement.counter).strip("-") or "counter"
        recall = "_recall" if announcement.kind is AnnouncementKind.RECALL else ""
        return f"{stem}_{ticket}_counter-{counter}{recall}"

    def _free_path(self, stem: str) -> Path:
        path = self.folder / f"{stem}.wav"
        suffix = 2
        while path.exists():
            path = self.folder / f"{stem}-{suffix}.wav"
            suffix += 1
        return path

    def _prune(self) -> None:
        """Delete the oldest announcement files beyond ``keep`` (names sort by time)."""
        files = sorted(entry for entry in self.folder.iterdir() if _FILE_NAME.match(entry.name))
        for old in files[:-self.keep]:
            try:
                old.unlink()
            except OSError as error:  # another process removed it, or it is read-only
                logger.warning("cannot delete old announcement %s: %s", old, error)
