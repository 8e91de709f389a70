"""``qms display --audio-folder DIR`` on a machine without a sound device: each call is kept.

The display is built exactly as ``qms display`` builds it from its options, against the real
server; a call is made, and the WAV file that appears must hold the voice pack's clips for that
call, in order, with the default gaps: sound, not silence.
"""

from __future__ import annotations

import array
import wave
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from support.display import ServerThread
from support.servers import DISPLAY_TOKEN

from display.board import ConnectionStatus
from display.settings import parse_arguments
from display.ui.app import build_display
from display.voice import DEFAULT_PACK_DIRECTORY

WAIT_MS = 10_000
# Ticket A001 (service HT numbers "A###") called to "Quầy 3": the chime, then
# "Xin mời công dân có số thứ tự | a | một | đến quầy số | ba".
EXPECTED_CLIPS = [["chime"], ["vi/xin_moi_cong_dan_co_so_thu_tu", "vi/letter_a", "vi/mot",
                              "vi/den_quay_so", "vi/ba"]]
WORD_GAP_MS, SENTENCE_GAP_MS = 60, 450  # the defaults of the [voice] table (docs/voice.md)


def expected_pcm(sentences: list[list[str]]) -> bytes:
    """The clip files joined as docs/voice.md says, read here with the wave module alone."""
    def clip(name: str) -> tuple[bytes, int, int]:
        with wave.open(str(DEFAULT_PACK_DIRECTORY / f"{name}.wav"), "rb") as reader:
            return (reader.readframes(reader.getnframes()), reader.getframerate(),
                    reader.getsampwidth() * reader.getnchannels())

    rate, frame = clip("chime")[1:]
    word_gap = b"\0" * (WORD_GAP_MS * rate // 1000 * frame)
    sentence_gap = b"\0" * (SENTENCE_GAP_MS * rate // 1000 * frame)
    return sentence_gap.join(word_gap.join(clip(name)[0] for name in sentence)
                             for sentence in sentences)


def test_a_call_is_written_to_the_folder_as_its_clips(
    qtbot: QtBot, server_thread: ServerThread, tmp_path: Path
) -> None:
    folder = tmp_path / "announcements"
    settings, _ = parse_arguments(["--server", server_thread.ws_url, "--token", DISPLAY_TOKEN,
                                   "--zone", "T1", "--audio-folder", str(folder)])
    controller = build_display(settings)
    qtbot.addWidget(controller.widget)
    controller.widget.resize(1280, 720)
    controller.widget.show()
    controller.start()
    try:
        qtbot.waitUntil(lambda: controller.board.status is ConnectionStatus.CONNECTED,
                        timeout=WAIT_MS)
        admin = server_thread.admin()
        number = admin.issue("HT")
        assert number == "A001"
        admin.call_next("3")
        qtbot.waitUntil(lambda: any(folder.glob("*.wav")), timeout=WAIT_MS)
    finally:
        controller.stop()
    [written] = folder.glob("*.wav")
    assert written.name.endswith("_A001_counter-3.wav")
    with wave.open(str(written), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            22050, 1, 2)
        pcm = reader.readframes(reader.getnframes())
    assert pcm == expected_pcm(EXPECTED_CLIPS)
    samples = array.array("h", pcm)
    assert max(abs(sample) for sample in samples) > 16_000  # voice at full level ...
    loud = sum(1 for sample in samples if abs(sample) > 1_000)
    assert loud > len(samples) // 4  # ... for much of the file: not silence
    assert 4.0 < len(samples) / 22050 < 10.0


def test_audio_folder_is_an_option_of_its_own(tmp_path: Path) -> None:
    settings, _ = parse_arguments(["--token", DISPLAY_TOKEN, "--audio-folder", str(tmp_path)])
    assert settings.audio_folder == tmp_path and settings.voice is not None
    assert parse_arguments(["--token", DISPLAY_TOKEN])[0].audio_folder is None
    with pytest.raises(SystemExit):  # writing the sound and no sound at all contradict
        parse_arguments(["--token", DISPLAY_TOKEN, "--no-sound", "--audio-folder", str(tmp_path)])
