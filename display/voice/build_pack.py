"""Build the default voice pack offline with espeak-ng (a developer tool, not needed at run time).

Usage (Debian/Ubuntu: ``apt-get install espeak-ng``)::

    python -m display.voice.build_pack [--out display/voice/packs/default]

For every clip of :data:`display.voice.clips.CATALOGUE` it runs espeak-ng (Vietnamese voice
``vi`` for Vietnamese clips, ``en-us`` for English ones), then in plain Python: resamples to the
pack rate if needed, trims leading and trailing silence, fades the edges, normalises the peak,
and writes 16-bit mono PCM WAV. The chime is synthesised (two decaying sine tones). A
``pack.toml`` records the generator and the words of each clip. Existing clips in ``--out`` are
overwritten; other files there are left alone.
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import subprocess
import sys
import tempfile
from array import array
from collections.abc import Sequence
from pathlib import Path

from display.voice.audio import AudioFormat, read_wav, write_wav
from display.voice.clips import CATALOGUE, CHIME, ClipSpec, Language, clip_file
from display.voice.errors import VoiceError
from display.voice.number_words import ENGLISH_LETTER_NAMES
from display.voice.pack import DEFAULT_PACK_DIRECTORY

__all__ = ["build_pack", "chime_samples", "main", "normalise", "synthesis_text", "trim_silence"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22050
PEAK = 0.85 * 32767
SILENCE_THRESHOLD = 0.02 * 32767  # of the clip's peak scale, after normalising
EDGE_PAD_MS = 8
FADE_MS = 6
_ESPEAK_VOICES = {Language.VIETNAMESE: "vi", Language.ENGLISH: "en-us"}
_ESPEAK_SPEEDS = {Language.VIETNAMESE: 150, Language.ENGLISH: 160}
_VIETNAMESE_OVERRIDES = {"vi/letter_j": "di"}  # espeak-ng reads a lone "gi" as just /z/
_LETTERS = {f"en/letter_{'dd' if k == 'Đ' else k.lower()}": k for k in ENGLISH_LETTER_NAMES}


class BuildError(VoiceError):
    """espeak-ng is missing or failed."""


def synthesis_text(spec: ClipSpec) -> str:
    """Text given to espeak-ng for a clip (English letters are given as the letter itself)."""
    if spec.name in _VIETNAMESE_OVERRIDES:
        return _VIETNAMESE_OVERRIDES[spec.name]
    if spec.name in _LETTERS:
        letter = _LETTERS[spec.name]
        return "D" if letter == "Đ" else letter
    return spec.text.replace("-", " ")


def resample(samples: array[int], rate_from: int, rate_to: int) -> array[int]:
    """Linear-interpolation resampling of mono 16-bit samples (good enough for speech)."""
    if rate_from == rate_to or not samples:
        return array("h", samples)
    count = max(1, len(samples) * rate_to // rate_from)
    step = rate_from / rate_to
    out = array("h", bytes(2 * count))
    last = len(samples) - 1
    for index in range(count):
        position = index * step
        left = min(int(position), last)
        right = min(left + 1, last)
        fraction = position - left
        out[index] = round(samples[left] * (1 - fraction) + samples[right] * fraction)
    return out


def normalise(samples: array[int], peak: float = PEAK) -> array[int]:
    """Scale so the loudest sample is ``peak``; all-zero input is returned unchanged."""
    loudest = max((abs(value) for value in samples), default=0)
    if loudest == 0:
        return array("h", samples)
    gain = peak / loudest
    return array("h", (max(-32768, min(32767, round(value * gain))) for value in samples))


def trim_silence(
    samples: array[int], rate: int, threshold: float = SILENCE_THRESHOLD
) -> array[int]:
    """Cut leading and trailing samples quieter than ``threshold``, keep a short pad, fade."""
    loud = [index for index, value in enumerate(samples) if abs(value) >= threshold]
    if not loud:
        return array("h")
    pad = rate * EDGE_PAD_MS // 1000
    start, end = max(0, loud[0] - pad), min(len(samples), loud[-1] + 1 + pad)
    clip = array("h", samples[start:end])
    fade = min(len(clip) // 2, rate * FADE_MS // 1000)
    for index in range(fade):
        gain = index / fade
        clip[index] = round(clip[index] * gain)
        clip[-1 - index] = round(clip[-1 - index] * gain)
    return clip


def chime_samples(rate: int = SAMPLE_RATE) -> array[int]:
    """A two-tone "ding-dong" (E5 then C5, with a soft octave overtone), about 1.1 s."""
    samples = array("h")
    for frequency, seconds in ((659.25, 0.45), (523.25, 0.65)):
        count = int(rate * seconds)
        for index in range(count):
            t = index / rate
            attack = min(1.0, t / 0.01)
            envelope = attack * math.exp(-4.0 * t)
            value = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(
                4 * math.pi * frequency * t
            )
            samples.append(round(0.45 * 32767 * envelope * value / 1.3))
    return samples


def _espeak(espeak: str, spec: ClipSpec, workdir: Path) -> tuple[AudioFormat, array[int]]:
    if spec.language is None:
        raise BuildError(f"{spec.name} has no language to synthesise in")
    target = workdir / "clip.wav"
    command = [
        espeak,
        "-v", _ESPEAK_VOICES[spec.language],
        "-s", str(_ESPEAK_SPEEDS[spec.language]),
        "-w", str(target),
        synthesis_text(spec),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise BuildError(f"espeak-ng failed for {spec.name}: {error}") from error
    audio_format, pcm = read_wav(target)
    if audio_format.channels != 1 or audio_format.sample_width != 2:
        raise BuildError(f"espeak-ng gave {audio_format.describe()}; expected 16-bit mono")
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return audio_format, samples


def _to_bytes(samples: array[int]) -> bytes:
    out = array("h", samples)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def _espeak_version(espeak: str) -> str:
    result = subprocess.run([espeak, "--version"], capture_output=True, text=True, check=False)
    words = result.stdout.split("  ")[0].replace("text-to-speech: ", "").strip()
    return words or "espeak-ng"


def _manifest(version: str, rate: int) -> str:
    lines = [
        "# Voice pack manifest (informational; clips are found by file name).",
        "[pack]",
        'name = "default"',
        f'description = "Synthesised offline with {version} (voices vi, en-us), '
        f'{rate} Hz mono 16-bit; replace with a recorded human voice (docs/voice.md)."',
        "",
        "[clips]  # file name without .wav = words spoken",
    ]
    lines += [f'"{spec.name}" = "{spec.text}"' for spec in CATALOGUE.values()]
    return "\n".join(lines) + "\n"


def build_pack(out: Path, *, espeak: str = "espeak-ng", rate: int = SAMPLE_RATE) -> int:
    """Write every catalogue clip into ``out``; returns the total size in bytes."""
    executable = shutil.which(espeak)
    if executable is None:
        raise BuildError(f"{espeak} not found; on Debian/Ubuntu: apt-get install espeak-ng")
    audio_format = AudioFormat(rate, 1, 2)
    total = 0
    with tempfile.TemporaryDirectory() as workdir:
        for spec in CATALOGUE.values():
            if spec.name == CHIME:
                samples = chime_samples(rate)
            else:
                found, raw = _espeak(executable, spec, Path(workdir))
                samples = trim_silence(normalise(resample(raw, found.sample_rate, rate)), rate)
                samples = normalise(samples)
                if not samples:
                    raise BuildError(f"espeak-ng produced silence for {spec.name}")
            path = out / clip_file(spec.name)
            write_wav(path, audio_format, _to_bytes(samples))
            total += path.stat().st_size
            logger.info("%s: %.2f s", clip_file(spec.name), len(samples) / rate)
    (out / "pack.toml").write_text(_manifest(_espeak_version(executable), rate), encoding="utf-8")
    return total


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_PACK_DIRECTORY)
    parser.add_argument("--espeak", default="espeak-ng", help="espeak-ng executable")
    parser.add_argument("--rate", type=int, default=SAMPLE_RATE, help="sample rate (Hz)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        total = build_pack(args.out, espeak=args.espeak, rate=args.rate)
    except VoiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(CATALOGUE)} clips to {args.out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
