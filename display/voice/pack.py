"""Voice packs: a directory of short PCM WAV clips, loaded once, joined into announcements.

Layout (clip names and their words are listed in :mod:`display.voice.clips` and docs/voice.md)::

    <pack>/pack.toml          optional: [pack] name = "...", description = "..."
    <pack>/chime.wav
    <pack>/vi/mot.wav ...     Vietnamese words, letters and phrases
    <pack>/en/one.wav ...     English ones

Every clip must share one PCM format (rate, channels, sample width). Files the catalogue does
not name are loaded too and ignored by the phrase builder.
"""

from __future__ import annotations

import logging
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from display.voice.audio import AudioFormat, read_wav
from display.voice.clips import CATALOGUE, clip_file
from display.voice.errors import ClipFormatError, MissingClipError, VoicePackError

__all__ = ["DEFAULT_PACK_DIRECTORY", "VoicePack"]

logger = logging.getLogger(__name__)

DEFAULT_PACK_DIRECTORY = Path(__file__).resolve().parent / "packs" / "default"
"""The pack shipped with the application (synthesised by ``build_pack.py``)."""

_MAX_NAMED_FILES = 10


class VoicePack:
    """Clips in memory, all in one :class:`AudioFormat`. Immutable after loading."""

    def __init__(
        self, name: str, directory: Path, audio_format: AudioFormat, clips: Mapping[str, bytes]
    ) -> None:
        self.name = name
        self.directory = directory
        self.audio_format = audio_format
        self._clips = MappingProxyType(dict(clips))

    @property
    def clip_names(self) -> frozenset[str]:
        """Names of every clip held."""
        return frozenset(self._clips)

    def clip(self, name: str) -> bytes:
        """PCM frames of one clip; raises MissingClipError naming its file."""
        try:
            return self._clips[name]
        except KeyError:
            raise MissingClipError(str(self.directory), [clip_file(name)]) from None

    def assemble(
        self,
        sentences: Sequence[Sequence[str]],
        *,
        word_gap_ms: int = 60,
        sentence_gap_ms: int = 450,
    ) -> bytes:
        """PCM of the clips in order: ``word_gap_ms`` of silence between clips of a sentence,
        ``sentence_gap_ms`` between sentences, none before the first or after the last.

        Raises MissingClipError (naming every missing file) before building anything.
        """
        missing = {name for sentence in sentences for name in sentence if name not in self._clips}
        if missing:
            raise MissingClipError(str(self.directory), [clip_file(name) for name in missing])
        word_gap = self.audio_format.silence(word_gap_ms)
        sentence_gap = self.audio_format.silence(sentence_gap_ms)
        return sentence_gap.join(
            word_gap.join(self._clips[name] for name in sentence)
            for sentence in sentences
            if sentence
        )

    @classmethod
    def load(cls, directory: Path, required: Iterable[str] | None = None) -> VoicePack:
        """Load every ``*.wav`` under ``directory`` (names relative, without ``.wav``).

        ``required``: clip names that must be present; None means the whole catalogue.
        Raises MissingClipError naming each missing file, ClipFormatError naming a clip that is
        not PCM WAV or whose format differs from the pack's (the most common one), and
        VoicePackError if the directory or pack.toml is unusable.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise VoicePackError(f"voice pack directory not found: {directory}")
        wanted = set(CATALOGUE if required is None else required)
        clips: dict[str, bytes] = {}
        formats: dict[str, AudioFormat] = {}
        for path in sorted(directory.rglob("*.wav")):
            name = path.relative_to(directory).with_suffix("").as_posix()
            formats[name], clips[name] = read_wav(path)
        missing = wanted - clips.keys()
        if missing:
            raise MissingClipError(str(directory), [clip_file(name) for name in missing])
        if not clips:
            raise VoicePackError(f"voice pack {directory} holds no WAV clips")
        audio_format = _common_format(directory, formats)
        empty = sorted(clip_file(name) for name in wanted if not clips[name])
        if empty:
            raise ClipFormatError(f"voice pack {directory}: empty clip(s): {', '.join(empty)}")
        name = _read_pack_name(directory)
        logger.info(
            "loaded voice pack %r from %s: %d clips, %s",
            name, directory, len(clips), audio_format.describe(),
        )  # fmt: skip
        return cls(name, directory, audio_format, clips)


def _common_format(directory: Path, formats: Mapping[str, AudioFormat]) -> AudioFormat:
    counts = Counter(formats.values())
    audio_format, _ = counts.most_common(1)[0]
    odd = sorted(clip_file(name) for name, found in formats.items() if found != audio_format)
    if odd:
        shown = "; ".join(
            f"{file} is {formats[file.removesuffix('.wav')].describe()}"
            for file in odd[:_MAX_NAMED_FILES]
        )
        more = f" (and {len(odd) - _MAX_NAMED_FILES} more)" if len(odd) > _MAX_NAMED_FILES else ""
        raise ClipFormatError(
            f"voice pack {directory}: clips must all be {audio_format.describe()}: {shown}{more}"
        )
    return audio_format


def _read_pack_name(directory: Path) -> str:
    manifest = directory / "pack.toml"
    if not manifest.exists():
        return directory.name
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise VoicePackError(f"{manifest}: unreadable ({error})") from error
    section = data.get("pack", {})
    name = section.get("name", directory.name) if isinstance(section, dict) else directory.name
    return str(name)
