"""The announcement queue: strictly one announcement at a time, in order, never cut off.

Threading-free and Qt-free: every method, and the sink's ``on_finished`` callback, must run on
one thread (in the display app, the Qt GUI thread). Time comes from an injected clock.

Contract:

* ``submit`` starts playing at once when idle, otherwise queues; the announcement being played
  is never interrupted.
* A recall (or any announcement) is queued again even if the same ticket is being read now.
* An announcement equal in ticket and counter to one already *waiting* is merged into it (it
  will be read anyway); the merge is counted.
* At most ``max_pending`` wait. Beyond that the oldest waiting one is dropped: a warning is
  logged, ``statistics.dropped`` grows and ``on_dropped`` is called. Nothing is lost silently.
* An announcement that cannot be rendered (unreadable code, missing clip) or that the sink
  refuses is logged as an error, counted in ``statistics.failed`` and skipped.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError, VoiceError, VoiceSettingsError
from display.voice.phrases import Announcement

__all__ = [
    "AnnouncementQueue",
    "AudioSink",
    "QueueStatistics",
    "Renderer",
    "SubmitOutcome",
]

logger = logging.getLogger(__name__)


class AudioSink(Protocol):
    """Where announcements are played.

    ``play`` starts playing ``pcm`` and returns; the sink then calls ``on_finished`` exactly once
    when the audio has ended (or could not be played), either later or before ``play`` returns.
    ``play`` is never called again before that. It may raise AudioSinkError instead of playing
    (then it must not call ``on_finished``). ``announcement`` says what ``pcm`` reads out, for a
    sink that names or logs what it plays (``FolderSink``); the queue always passes it.
    """

    def play(
        self,
        pcm: bytes,
        audio_format: AudioFormat,
        on_finished: Callable[[], None],
        *,
        announcement: Announcement | None = None,
    ) -> None: ...


class Renderer(Protocol):
    """Turns an announcement into PCM (see AnnouncementRenderer)."""

    @property
    def audio_format(self) -> AudioFormat: ...

    def render(self, announcement: Announcement) -> bytes: ...


class SubmitOutcome(StrEnum):
    """What ``submit`` did with an announcement."""

    STARTED = "started"  # playing now
    QUEUED = "queued"  # waiting behind others
    MERGED = "merged"  # the same ticket and counter was already waiting
    FAILED = "failed"  # could not be rendered or played (logged, counted in failed)


@dataclass(frozen=True, slots=True)
class QueueStatistics:
    """Counters since the queue was made; ``last_start_delay_seconds`` is submit -> play."""

    started: int
    finished: int
    merged: int
    dropped: int
    failed: int
    pending: int
    last_start_delay_seconds: float | None


@dataclass(frozen=True, slots=True)
class _Waiting:
    announcement: Announcement
    submitted_at: float


class AnnouncementQueue:
    """Plays announcements one after another through an AudioSink (see the module contract)."""

    def use_renderer(self, renderer: Renderer) -> None:
        """Render the announcements from the next one on with ``renderer`` (another voice
        pack: the display's profile changed); the one playing plays on."""
        self._renderer = renderer

    def __init__(
        self,
        renderer: Renderer,
        sink: AudioSink,
        *,
        max_pending: int = 50,
        clock: Callable[[], float] = time.monotonic,
        on_dropped: Callable[[Announcement], None] | None = None,
    ) -> None:
        if max_pending < 1:
            raise VoiceSettingsError(f"max_pending must be at least 1, got {max_pending}")
        self._renderer = renderer
        self._sink = sink
        self._max_pending = max_pending
        self._clock = clock
        self._on_dropped = on_dropped
        self._waiting: deque[_Waiting] = deque()
        self._playing: Announcement | None = None
        self._playing_token = 0
        self._tokens = itertools.count(1)
        self._starting = False
        self._started = self._finished = self._merged = self._dropped = self._failed = 0
        self._last_delay: float | None = None

    @property
    def playing(self) -> Announcement | None:
        """The announcement being played, if any."""
        return self._playing

    @property
    def pending(self) -> tuple[Announcement, ...]:
        """Announcements waiting, in playing order."""
        return tuple(item.announcement for item in self._waiting)

    @property
    def statistics(self) -> QueueStatistics:
        """A snapshot of the counters."""
        return QueueStatistics(
            started=self._started,
            finished=self._finished,
            merged=self._merged,
            dropped=self._dropped,
            failed=self._failed,
            pending=len(self._waiting),
            last_start_delay_seconds=self._last_delay,
        )

    def submit(self, announcement: Announcement) -> SubmitOutcome:
        """Queue an announcement and start playing if idle (see the module contract)."""
        key = (announcement.ticket, announcement.counter)
        if any((w.announcement.ticket, w.announcement.counter) == key for w in self._waiting):
            self._merged += 1
            logger.info("announcement %s merged into the one already waiting", announcement)
            return SubmitOutcome.MERGED
        if len(self._waiting) >= self._max_pending:
            dropped = self._waiting.popleft().announcement
            self._dropped += 1
            logger.warning(
                "announcement queue full (%d waiting): dropped the oldest, %s (%d dropped so far)",
                self._max_pending, dropped, self._dropped,
            )  # fmt: skip
            if self._on_dropped is not None:
                self._on_dropped(dropped)
        idle = self._playing is None and not self._waiting
        failed_before = self._failed
        self._waiting.append(_Waiting(announcement, self._clock()))
        self._start_next()
        if not idle:
            return SubmitOutcome.QUEUED
        return SubmitOutcome.FAILED if self._failed > failed_before else SubmitOutcome.STARTED

    def clear(self) -> int:
        """Forget every waiting announcement (not the one playing); returns how many, logged."""
        count = len(self._waiting)
        self._waiting.clear()
        if count:
            logger.warning("announcement queue cleared: %d waiting announcement(s) dropped", count)
            self._dropped += count
        return count

    def _start_next(self) -> None:
        # A loop, not recursion: a sink that finishes inside play() makes _finish_playing call
        # here again, which returns at once because _starting is set; the loop continues.
        if self._starting:
            return
        self._starting = True
        try:
            while self._playing is None and self._waiting:
                self._play(self._waiting.popleft())
        finally:
            self._starting = False

    def _play(self, item: _Waiting) -> None:
        announcement = item.announcement
        try:
            pcm = self._renderer.render(announcement)
        except VoiceError as error:
            self._failed += 1
            logger.error("cannot render announcement %s: %s", announcement, error)
            return
        token = next(self._tokens)
        self._playing, self._playing_token = announcement, token
        self._started += 1
        self._last_delay = self._clock() - item.submitted_at
        logger.debug("playing %s after %.3f s waiting", announcement, self._last_delay)
        try:
            self._sink.play(pcm, self._renderer.audio_format,
                            lambda: self._finish_playing(token), announcement=announcement)
        except AudioSinkError as error:
            self._failed += 1
            logger.error("audio sink refused announcement %s: %s", announcement, error)
            if self._playing_token == token:
                self._playing = None

    def _finish_playing(self, token: int) -> None:
        if self._playing is None or token != self._playing_token:
            logger.debug("ignored a stale or repeated finished signal (token %d)", token)
            return
        self._playing = None
        self._finished += 1
        self._start_next()
