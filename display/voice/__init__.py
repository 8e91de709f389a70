"""Vietnamese (and English) voice announcements of queue calls, built from a voice pack.

Typical use in the display app (Qt GUI thread)::

    settings = parse_voice_settings(read_voice_file(path))
    renderer = AnnouncementRenderer.from_settings(settings)
    queue = AnnouncementQueue(renderer, QtAudioSink(), max_pending=settings.max_pending)
    queue.submit(Announcement("1005", "3"))

``QtAudioSink`` is in ``display.voice.qt_player`` (the only module importing PySide6); it is not
imported here so the rest of the package stays Qt-free. See docs/voice.md.
"""

from display.voice.announcer import (
    AnnouncementQueue,
    AudioSink,
    QueueStatistics,
    Renderer,
    SubmitOutcome,
)
from display.voice.audio import AudioFormat, read_wav, write_wav
from display.voice.clips import CATALOGUE, CHIME, ClipSpec, Language
from display.voice.errors import (
    AudioSinkError,
    ClipFormatError,
    MissingClipError,
    UnpronounceableError,
    VoiceError,
    VoicePackError,
    VoiceSettingsError,
)
from display.voice.number_words import (
    FiveAfterTens,
    FourAfterTens,
    NumberStyle,
    ThousandWord,
    ZeroTens,
    digits_to_english_words,
    digits_to_words,
    english_letter_name,
    letter_name,
    number_to_english_words,
    number_to_words,
)
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import (
    Announcement,
    AnnouncementKind,
    NumberReading,
    PhraseSettings,
    announcement_clips,
    code_clips,
    required_clips,
    sentence_clips,
)
from display.voice.renderer import AnnouncementRenderer
from display.voice.settings import VoiceSettings, parse_voice_settings, read_voice_file
from display.voice.sinks import Completion, FolderSink, WavFileSink

__all__ = [
    "CATALOGUE",
    "CHIME",
    "DEFAULT_PACK_DIRECTORY",
    "Announcement",
    "AnnouncementKind",
    "AnnouncementQueue",
    "AnnouncementRenderer",
    "AudioFormat",
    "AudioSink",
    "AudioSinkError",
    "ClipFormatError",
    "ClipSpec",
    "Completion",
    "FiveAfterTens",
    "FolderSink",
    "FourAfterTens",
    "Language",
    "MissingClipError",
    "NumberReading",
    "NumberStyle",
    "PhraseSettings",
    "QueueStatistics",
    "Renderer",
    "SubmitOutcome",
    "ThousandWord",
    "UnpronounceableError",
    "VoiceError",
    "VoicePack",
    "VoicePackError",
    "VoiceSettings",
    "VoiceSettingsError",
    "WavFileSink",
    "ZeroTens",
    "announcement_clips",
    "code_clips",
    "digits_to_english_words",
    "digits_to_words",
    "english_letter_name",
    "letter_name",
    "number_to_english_words",
    "number_to_words",
    "parse_voice_settings",
    "read_voice_file",
    "read_wav",
    "required_clips",
    "sentence_clips",
    "write_wav",
]
