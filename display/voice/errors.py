"""The voice announcer's one exception hierarchy: everything it raises derives from VoiceError."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AudioSinkError",
    "ClipFormatError",
    "MissingClipError",
    "UnpronounceableError",
    "VoiceError",
    "VoicePackError",
    "VoiceSettingsError",
]


class VoiceError(Exception):
    """Base class of every error raised by ``display.voice``."""


class UnpronounceableError(VoiceError, ValueError):
    """A number or code cannot be read aloud (out of range, or a character with no clip)."""


class VoiceSettingsError(VoiceError, ValueError):
    """Voice settings from the configuration are invalid."""


class VoicePackError(VoiceError):
    """A voice pack directory is unusable."""


class MissingClipError(VoicePackError):
    """Clips the announcements need are absent from the pack.

    ``missing_files`` holds the expected file paths (relative to the pack directory, e.g.
    ``vi/mot.wav``), sorted; the message names them all.
    """

    def __init__(self, directory: str, missing_files: Sequence[str]) -> None:
        self.directory = directory
        self.missing_files = tuple(sorted(missing_files))
        shown = ", ".join(self.missing_files)
        super().__init__(
            f"voice pack {directory!r} lacks {len(self.missing_files)} clip(s): {shown}"
        )


class ClipFormatError(VoicePackError):
    """A clip is not PCM WAV, or its sample format differs from the rest of the pack."""


class AudioSinkError(VoiceError):
    """An audio sink cannot play or write the announcement it was given."""
