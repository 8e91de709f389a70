"""Voice pack loading (missing files named, one format) and assembly of clips with gaps."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from display.voice.audio import AudioFormat, read_wav, write_wav
from display.voice.clips import CATALOGUE
from display.voice.errors import ClipFormatError, MissingClipError, VoicePackError
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack

FORMAT = AudioFormat(8000, 1, 2)


def _clip(value: int, frames: int, audio_format: AudioFormat = FORMAT) -> bytes:
    sample = value.to_bytes(
        audio_format.sample_width, "little", signed=audio_format.sample_width > 1
    )
    return sample * (frames * audio_format.channels)


def _make_pack(directory: Path, clips: dict[str, bytes], fmt: AudioFormat = FORMAT) -> Path:
    for name, pcm in clips.items():
        write_wav(directory / f"{name}.wav", fmt, pcm)
    return directory


def test_missing_clips_are_named_by_file(tmp_path: Path) -> None:
    _make_pack(tmp_path, {"vi/mot": _clip(1, 10)})
    with pytest.raises(MissingClipError) as caught:
        VoicePack.load(tmp_path, ["vi/mot", "vi/hai", "chime"])
    assert caught.value.missing_files == ("chime.wav", "vi/hai.wav")
    assert "vi/hai.wav" in str(caught.value) and "chime.wav" in str(caught.value)


def test_whole_catalogue_is_required_by_default(tmp_path: Path) -> None:
    _make_pack(tmp_path, {"vi/mot": _clip(1, 10)})
    with pytest.raises(MissingClipError) as caught:
        VoicePack.load(tmp_path)
    assert len(caught.value.missing_files) == len(CATALOGUE) - 1


def test_a_clip_in_another_format_is_named(tmp_path: Path) -> None:
    _make_pack(tmp_path, {"vi/mot": _clip(1, 10), "vi/hai": _clip(2, 10)})
    stereo = AudioFormat(44100, 2, 2)
    _make_pack(tmp_path, {"vi/ba": _clip(3, 10, stereo)}, stereo)
    with pytest.raises(ClipFormatError, match=r"vi/ba\.wav is 44100 Hz, 2 channel"):
        VoicePack.load(tmp_path, ["vi/mot"])


def test_a_file_that_is_not_pcm_wav_is_named(tmp_path: Path) -> None:
    (tmp_path / "vi").mkdir()
    (tmp_path / "vi" / "mot.wav").write_bytes(b"ID3 this is an mp3 renamed")
    with pytest.raises(ClipFormatError, match=r"mot\.wav"):
        VoicePack.load(tmp_path, ["vi/mot"])


def test_an_empty_required_clip_is_refused(tmp_path: Path) -> None:
    _make_pack(tmp_path, {"vi/mot": b""})
    with pytest.raises(ClipFormatError, match=r"vi/mot\.wav"):
        VoicePack.load(tmp_path, ["vi/mot"])


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(VoicePackError, match="not found"):
        VoicePack.load(tmp_path / "nowhere", [])


def test_pack_name_from_manifest_else_directory(tmp_path: Path) -> None:
    _make_pack(tmp_path, {"a": _clip(1, 1)})
    assert VoicePack.load(tmp_path, []).name == tmp_path.name
    (tmp_path / "pack.toml").write_text('[pack]\nname = "Giọng chị Lan"\n', encoding="utf-8")
    assert VoicePack.load(tmp_path, []).name == "Giọng chị Lan"
    (tmp_path / "pack.toml").write_text("[pack\n", encoding="utf-8")
    with pytest.raises(VoicePackError, match=r"pack\.toml"):
        VoicePack.load(tmp_path, [])


def test_assemble_puts_word_and_sentence_gaps_between_clips_only(tmp_path: Path) -> None:
    a, b, c = _clip(100, 30), _clip(200, 20), _clip(300, 10)
    pack = VoicePack.load(_make_pack(tmp_path, {"a": a, "b": b, "c": c}), ["a", "b", "c"])
    word_gap = b"\x00\x00" * 80  # 10 ms at 8000 Hz
    sentence_gap = b"\x00\x00" * 800  # 100 ms
    pcm = pack.assemble([["a", "b"], ["c", "a"]], word_gap_ms=10, sentence_gap_ms=100)
    assert pcm == a + word_gap + b + sentence_gap + c + word_gap + a
    assert pack.assemble([["c"]], word_gap_ms=10, sentence_gap_ms=100) == c


def test_assemble_names_every_missing_clip(tmp_path: Path) -> None:
    pack = VoicePack.load(_make_pack(tmp_path, {"a": _clip(1, 5)}), ["a"])
    with pytest.raises(MissingClipError) as caught:
        pack.assemble([["a", "x"], ["y"]])
    assert caught.value.missing_files == ("x.wav", "y.wav")


def test_eight_bit_silence_is_the_unsigned_midpoint() -> None:
    assert AudioFormat(8000, 1, 1).silence(1) == b"\x80" * 8
    assert AudioFormat(8000, 2, 2).silence(1) == b"\x00" * 32


def test_default_pack_is_small_uniform_and_not_silent() -> None:
    pack = VoicePack.load(DEFAULT_PACK_DIRECTORY)
    assert pack.audio_format == AudioFormat(22050, 1, 2)
    total = sum(path.stat().st_size for path in DEFAULT_PACK_DIRECTORY.rglob("*"))
    assert total < 3 * 1024 * 1024
    for name in CATALOGUE:
        seconds = pack.audio_format.duration_seconds(pack.clip(name))
        assert 0.08 < seconds < 3.0, name
        with wave.open(str(DEFAULT_PACK_DIRECTORY / f"{name}.wav"), "rb") as reader:
            assert reader.getcomptype() == "NONE"


def test_read_write_round_trip(tmp_path: Path) -> None:
    fmt = AudioFormat(16000, 2, 2)
    pcm = _clip(-5, 7, fmt)
    write_wav(tmp_path / "x" / "y.wav", fmt, pcm)
    assert read_wav(tmp_path / "x" / "y.wav") == (fmt, pcm)
