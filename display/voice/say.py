"""Command line: render one announcement to a WAV file (or the speakers) to check a voice pack.

    python -m display.voice.say 1005 3 --out call.wav
    python -m display.voice.say A012 12 --recall --digits --lang vi en --out recall.wav
    python -m display.voice.say 1005 3 --play            # through Qt Multimedia
    python -m display.voice.say 1005 3 --clips           # only print the clip names

Exit status: 0 done, 1 voice error (missing clip, unreadable code, bad pack), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from display.voice.audio import write_wav
from display.voice.clips import Language
from display.voice.errors import VoiceError
from display.voice.number_words import (
    FiveAfterTens,
    FourAfterTens,
    NumberStyle,
    ThousandWord,
    ZeroTens,
)
from display.voice.pack import DEFAULT_PACK_DIRECTORY
from display.voice.phrases import Announcement, AnnouncementKind, NumberReading, PhraseSettings
from display.voice.renderer import AnnouncementRenderer
from display.voice.settings import VoiceSettings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m display.voice.say", description="Render a queue-call announcement."
    )
    parser.add_argument("ticket", help='ticket code, e.g. "1005" or "A012"')
    parser.add_argument("counter", help='counter code, e.g. "3"')
    output = parser.add_mutually_exclusive_group(required=True)
    output.add_argument("--out", type=Path, help="write the announcement to this WAV file")
    output.add_argument("--play", action="store_true", help="play it on the default speakers")
    output.add_argument("--clips", action="store_true", help="print the clip names only")
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK_DIRECTORY, help="pack dir")
    parser.add_argument("--recall", action="store_true", help="announce as a recall")
    parser.add_argument("--digits", action="store_true", help="read the ticket digit by digit")
    parser.add_argument(
        "--counter-digits", action="store_true", help="read the counter digit by digit"
    )
    parser.add_argument(
        "--lang", nargs="+", choices=[lang.value for lang in Language], default=["vi"]
    )
    parser.add_argument("--no-chime", action="store_true")
    parser.add_argument("--no-recall-opening", action="store_true")
    parser.add_argument("--le", action="store_true", help='"lẻ" instead of "linh" (105)')
    parser.add_argument("--ngan", action="store_true", help='"ngàn" instead of "nghìn"')
    parser.add_argument("--nham", action="store_true", help='"nhăm" after "mươi" (25)')
    parser.add_argument("--bon", action="store_true", help='"bốn" instead of "tư" (24)')
    parser.add_argument("--word-gap-ms", type=int, default=60)
    parser.add_argument("--sentence-gap-ms", type=int, default=450)
    return parser


def _settings(args: argparse.Namespace) -> VoiceSettings:
    style = NumberStyle(
        zero_tens=ZeroTens.LE if args.le else ZeroTens.LINH,
        thousand=ThousandWord.NGAN if args.ngan else ThousandWord.NGHIN,
        five_after_tens=FiveAfterTens.NHAM if args.nham else FiveAfterTens.LAM,
        four_after_tens=FourAfterTens.BON if args.bon else FourAfterTens.TU,
    )
    phrases = PhraseSettings(
        ticket_reading=NumberReading.DIGITS if args.digits else NumberReading.WORDS,
        counter_reading=NumberReading.DIGITS if args.counter_digits else NumberReading.WORDS,
        number_style=style,
        languages=tuple(Language(value) for value in dict.fromkeys(args.lang)),
        chime=not args.no_chime,
        recall_opening=not args.no_recall_opening,
    )
    return VoiceSettings(
        phrases=phrases,
        pack_directory=args.pack,
        word_gap_ms=args.word_gap_ms,
        sentence_gap_ms=args.sentence_gap_ms,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    kind = AnnouncementKind.RECALL if args.recall else AnnouncementKind.CALL
    announcement = Announcement(args.ticket, args.counter, kind)
    try:
        renderer = AnnouncementRenderer.from_settings(_settings(args))
        if args.clips:
            for sentence in renderer.clips(announcement):
                print(" ".join(sentence))
            return 0
        pcm = renderer.render(announcement)
    except VoiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    audio_format = renderer.audio_format
    seconds = audio_format.duration_seconds(pcm)
    if args.out is not None:
        write_wav(args.out, audio_format, pcm)
        print(f"wrote {args.out}: {seconds:.2f} s, {audio_format.describe()}")
        return 0
    from display.voice.qt_player import play_and_wait  # Qt only when playing

    if not play_and_wait(pcm, audio_format):
        print("error: no audio output device", file=sys.stderr)
        return 1
    print(f"played {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
