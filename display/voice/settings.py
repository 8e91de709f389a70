"""Voice settings: one frozen object, parsed once at start-up from a plain mapping (e.g. TOML).

Keys of the mapping (all optional; defaults in brackets)::

    pack = "/path/to/pack"            [the shipped default pack]
    ticket_reading = "words"|"digits" ["words"]
    counter_reading = "words"|"digits" ["words"]
    zero_tens = "linh"|"le"           ["linh"]   105: một trăm linh/lẻ năm
    thousand = "nghin"|"ngan"         ["nghin"]
    five_after_tens = "lam"|"nham"    ["lam"]    25: hai mươi lăm/nhăm
    four_after_tens = "tu"|"bon"      ["tu"]     24: hai mươi tư/bốn
    languages = ["vi", "en"]          [["vi"]]   read in this order
    chime = true|false                [true]
    recall_opening = true|false       [true]     "Nhắc lại" / "Once again" before a recall
    word_gap_ms = 60                  silence between clips of a sentence
    sentence_gap_ms = 450             silence between chime and sentences
    max_pending = 50                  announcements waiting; the oldest is dropped beyond it

Enum values are accepted as the ASCII names above (case ignored) or the Vietnamese words
("lẻ", "ngàn", "nhăm", "bốn").

``read_voice_file(path)`` reads that mapping from the ``[voice]`` table of a TOML file (the
display's ``--voice-config``); a relative ``pack`` there is taken relative to the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from display.voice.clips import Language
from display.voice.errors import VoiceSettingsError
from display.voice.number_words import (
    FiveAfterTens,
    FourAfterTens,
    NumberStyle,
    ThousandWord,
    ZeroTens,
)
from display.voice.pack import DEFAULT_PACK_DIRECTORY
from display.voice.phrases import NumberReading, PhraseSettings

__all__ = ["VoiceSettings", "parse_voice_settings", "read_voice_file"]

_MAX_GAP_MS = 5000

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    """Everything the announcer needs to know, validated."""

    phrases: PhraseSettings = field(default_factory=PhraseSettings)
    pack_directory: Path = DEFAULT_PACK_DIRECTORY
    word_gap_ms: int = 60
    sentence_gap_ms: int = 450
    max_pending: int = 50

    def __post_init__(self) -> None:
        for name in ("word_gap_ms", "sentence_gap_ms"):
            value = getattr(self, name)
            if not 0 <= value <= _MAX_GAP_MS:
                raise VoiceSettingsError(f"{name} must be 0..{_MAX_GAP_MS}, got {value}")
        if self.max_pending < 1:
            raise VoiceSettingsError(f"max_pending must be at least 1, got {self.max_pending}")


_KEYS = frozenset(
    (
        "pack", "ticket_reading", "counter_reading", "zero_tens", "thousand", "five_after_tens",
        "four_after_tens", "languages", "chime", "recall_opening", "word_gap_ms",
        "sentence_gap_ms", "max_pending",
    )
)  # fmt: skip


def _enum(raw: Mapping[str, object], key: str, kind: type[E], default: E) -> E:
    value = raw.get(key, default)
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        for member in kind:
            if value.casefold() in (member.name.casefold(), member.value.casefold()):
                return member
    choices = ", ".join(member.name.lower() for member in kind)
    raise VoiceSettingsError(f"voice setting {key!r} must be one of {choices}, got {value!r}")


def _bool(raw: Mapping[str, object], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise VoiceSettingsError(f"voice setting {key!r} must be true or false, got {value!r}")
    return value


def _int(raw: Mapping[str, object], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise VoiceSettingsError(f"voice setting {key!r} must be an integer, got {value!r}")
    return value


def _languages(raw: Mapping[str, object]) -> tuple[Language, ...]:
    value = raw.get("languages", ["vi"])
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise VoiceSettingsError(f"voice setting 'languages' must be a list, got {value!r}")
    return tuple(_enum({"languages": item}, "languages", Language, Language.VIETNAMESE)
                 for item in value)  # fmt: skip


def parse_voice_settings(raw: Mapping[str, object]) -> VoiceSettings:
    """Validate a mapping (see the module docstring) into VoiceSettings.

    Raises VoiceSettingsError naming the first bad or unknown key.
    """
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise VoiceSettingsError(f"unknown voice setting(s): {', '.join(unknown)}")
    style = NumberStyle(
        zero_tens=_enum(raw, "zero_tens", ZeroTens, ZeroTens.LINH),
        thousand=_enum(raw, "thousand", ThousandWord, ThousandWord.NGHIN),
        five_after_tens=_enum(raw, "five_after_tens", FiveAfterTens, FiveAfterTens.LAM),
        four_after_tens=_enum(raw, "four_after_tens", FourAfterTens, FourAfterTens.TU),
    )
    phrases = PhraseSettings(
        ticket_reading=_enum(raw, "ticket_reading", NumberReading, NumberReading.WORDS),
        counter_reading=_enum(raw, "counter_reading", NumberReading, NumberReading.WORDS),
        number_style=style,
        languages=_languages(raw),
        chime=_bool(raw, "chime", True),
        recall_opening=_bool(raw, "recall_opening", True),
    )
    pack = raw.get("pack")
    if pack is not None and not isinstance(pack, str | Path):
        raise VoiceSettingsError(f"voice setting 'pack' must be a path, got {pack!r}")
    return VoiceSettings(
        phrases=phrases,
        pack_directory=Path(pack) if pack is not None else DEFAULT_PACK_DIRECTORY,
        word_gap_ms=_int(raw, "word_gap_ms", 60),
        sentence_gap_ms=_int(raw, "sentence_gap_ms", 450),
        max_pending=_int(raw, "max_pending", 50),
    )


def read_voice_file(path: Path) -> dict[str, object]:
    """The ``[voice]`` table of the TOML file at ``path``, for :func:`parse_voice_settings`.

    Other tables are left alone (the file may hold more than the voice), but a plain key
    outside any table is refused: ``zero_tens = "le"`` above ``[voice]`` would otherwise be
    ignored without a word. A relative ``pack`` is resolved against the file's directory.
    Raises VoiceSettingsError naming the file and what is wrong with it.
    """
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise VoiceSettingsError(f"voice settings file {str(path)!r}: cannot read it "
                                 f"({error.strerror or error})") from error
    except tomllib.TOMLDecodeError as error:
        raise VoiceSettingsError(f"voice settings file {str(path)!r} is not valid TOML: "
                                 f"{error}") from error
    loose = sorted(key for key, value in document.items() if not isinstance(value, dict))
    if loose:
        raise VoiceSettingsError(f"voice settings file {str(path)!r}: key(s) "
                                 f"{', '.join(loose)} must be inside the [voice] table")
    table = document.get("voice")
    if table is None:
        raise VoiceSettingsError(f"voice settings file {str(path)!r} has no [voice] table")
    raw: dict[str, object] = dict(table)
    pack = raw.get("pack")
    if isinstance(pack, str) and pack and not Path(pack).is_absolute():
        raw["pack"] = str(path.parent / pack)
    return raw
