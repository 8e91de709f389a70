"""PCM audio basics on the standard library's ``wave`` module: the format type, WAV read/write."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from display.voice.errors import ClipFormatError

__all__ = ["AudioFormat", "read_wav", "write_wav"]


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Linear PCM format: frames per second, interleaved channels, bytes per sample (1, 2 or 4).

    As in WAV files, 8-bit samples are unsigned (silence 0x80) and wider ones signed little-endian.
    """

    sample_rate: int
    channels: int
    sample_width: int

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.channels <= 0 or self.sample_width not in (1, 2, 4):
            raise ClipFormatError(f"unsupported PCM format: {self.describe()}")

    @property
    def frame_size(self) -> int:
        """Bytes per frame (one sample for each channel)."""
        return self.channels * self.sample_width

    def frame_count(self, pcm: bytes) -> int:
        """Whole frames in ``pcm``."""
        return len(pcm) // self.frame_size

    def duration_seconds(self, pcm: bytes) -> float:
        """Playing time of ``pcm`` in seconds."""
        return self.frame_count(pcm) / self.sample_rate

    def silence(self, milliseconds: int) -> bytes:
        """``milliseconds`` of silence (rounded down to whole frames); 0 or less gives b""."""
        frames = max(0, milliseconds) * self.sample_rate // 1000
        fill = b"\x80" if self.sample_width == 1 else b"\x00"
        return fill * (frames * self.frame_size)

    def describe(self) -> str:
        """Human-readable form, e.g. "22050 Hz, 1 channel(s), 16-bit"."""
        return f"{self.sample_rate} Hz, {self.channels} channel(s), {self.sample_width * 8}-bit"


def read_wav(path: Path) -> tuple[AudioFormat, bytes]:
    """Format and PCM frames of a PCM WAV file; raises ClipFormatError naming the file."""
    try:
        with wave.open(str(path), "rb") as reader:
            audio_format = AudioFormat(
                reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
            )
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, OSError) as error:
        raise ClipFormatError(f"{path}: not a readable PCM WAV file ({error})") from error
    return audio_format, frames


def write_wav(path: Path, audio_format: AudioFormat, pcm: bytes) -> None:
    """Write ``pcm`` to ``path`` as one PCM WAV file (parent directories are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(audio_format.channels)
        writer.setsampwidth(audio_format.sample_width)
        writer.setframerate(audio_format.sample_rate)
        writer.writeframes(pcm)
