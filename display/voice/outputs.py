"""Is there a speaker here? Asked of Qt Multimedia in a child process.

    audio_output_available()            # True when the display would play to a real output
    python -m display.voice.outputs     # prints "id<TAB>description" per output (exit 1: none)

For a caller that must not load Qt itself (``qms demo``, whose process is the server): it runs
this module as a child with the same Python, so the answer is the one the display will get
from the same Qt (PulseAudio or PipeWire on Linux, WASAPI on Windows), not a guess from
``/proc`` or the environment. The child takes about a quarter of a second.

A sound server's stand-in output counts as none: PulseAudio's null sink ("Null Output", as a
CI machine or a virtual machine often has) and the "Dummy Output" (``auto_null``) that
PulseAudio and PipeWire offer when there is no sound card accept the sound and play it
nowhere, so a display on one of them is as silent as one with no output at all.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["audio_output_available", "is_stand_in_output", "main"]

logger = logging.getLogger(__name__)

_STAND_IN_IDS = frozenset({"auto_null"})
_STAND_IN_DESCRIPTIONS = frozenset({"null output", "dummy output"})


def is_stand_in_output(device_id: str, description: str) -> bool:
    """True for an output that plays nowhere (a null or dummy sink of the sound server)."""
    return (device_id in _STAND_IN_IDS
            or description.strip().casefold() in _STAND_IN_DESCRIPTIONS)


def audio_output_available(timeout_seconds: float = 20.0) -> bool:
    """True when Qt Multimedia finds an audio output here that is not a stand-in (above).

    False when it finds none, and also when the child fails or does not answer within
    ``timeout_seconds`` (logged): a caller then falls back to writing the sound to files,
    which works either way. Never raises.
    """
    environment = dict(os.environ)
    environment.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window system is needed
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "display.voice.outputs"], env=environment,
            capture_output=True, text=True, timeout=timeout_seconds, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("could not ask Qt Multimedia for audio outputs: %s", error)
        return False
    if finished.returncode not in (0, 1):
        logger.warning("listing audio outputs failed (exit %d): %s", finished.returncode,
                       finished.stderr.strip()[-500:])
        return False
    devices = [line.partition("\t") for line in finished.stdout.splitlines() if line.strip()]
    real = [description for device_id, _, description in devices
            if not is_stand_in_output(device_id, description)]
    logger.info("audio outputs: %s; speakers among them: %s",
                ", ".join(description for _, _, description in devices) or "none",
                ", ".join(real) or "none")
    return bool(real)


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``id<TAB>description`` per audio output; exit status 0 when there is one, 1 when
    there is none."""
    del argv  # no options
    from display.voice.qt_player import output_devices  # Qt only in the child

    devices = output_devices()
    for device_id, description in devices:
        print(f"{device_id}\t{description}")
    return 0 if devices else 1


if __name__ == "__main__":
    raise SystemExit(main())
