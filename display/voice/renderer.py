"""Announcement -> PCM bytes: the phrase builder's clip names joined from a loaded voice pack."""

from __future__ import annotations

from display.voice.audio import AudioFormat
from display.voice.errors import MissingClipError
from display.voice.pack import VoicePack
from display.voice.phrases import (
    Announcement,
    PhraseSettings,
    announcement_clips,
    required_clips,
)
from display.voice.settings import VoiceSettings

__all__ = ["AnnouncementRenderer"]


class AnnouncementRenderer:
    """Renders announcements with one pack and one set of phrase settings.

    Construction checks that the pack holds every clip the settings can need, so a bad pack
    fails at start-up (MissingClipError naming the files), not at the first call.
    """

    def __init__(
        self,
        pack: VoicePack,
        phrases: PhraseSettings | None = None,
        *,
        word_gap_ms: int = 60,
        sentence_gap_ms: int = 450,
    ) -> None:
        phrases = phrases if phrases is not None else PhraseSettings()
        missing = required_clips(phrases) - pack.clip_names
        if missing:
            raise MissingClipError(str(pack.directory), [f"{name}.wav" for name in missing])
        self.pack = pack
        self.phrases = phrases
        self.word_gap_ms = word_gap_ms
        self.sentence_gap_ms = sentence_gap_ms

    @classmethod
    def from_settings(cls, settings: VoiceSettings) -> AnnouncementRenderer:
        """Load the configured pack (only the clips the settings need are required)."""
        pack = VoicePack.load(settings.pack_directory, required_clips(settings.phrases))
        return cls(
            pack,
            settings.phrases,
            word_gap_ms=settings.word_gap_ms,
            sentence_gap_ms=settings.sentence_gap_ms,
        )

    @property
    def audio_format(self) -> AudioFormat:
        """Format of every rendered announcement (the pack's)."""
        return self.pack.audio_format

    def clips(self, announcement: Announcement) -> list[list[str]]:
        """Clip names per sentence; raises UnpronounceableError for unreadable codes."""
        return announcement_clips(announcement, self.phrases)

    def render(self, announcement: Announcement) -> bytes:
        """PCM of the whole announcement; raises UnpronounceableError or MissingClipError."""
        return self.pack.assemble(
            self.clips(announcement),
            word_gap_ms=self.word_gap_ms,
            sentence_gap_ms=self.sentence_gap_ms,
        )
