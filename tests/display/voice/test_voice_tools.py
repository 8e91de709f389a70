"""The say command, the pack builder's pure helpers, and Qt isolation."""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest

import display.voice
from display.voice.build_pack import (
    BuildError,
    build_pack,
    chime_samples,
    normalise,
    resample,
    synthesis_text,
    trim_silence,
)
from display.voice.clips import CATALOGUE
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import Announcement, AnnouncementKind, NumberReading, PhraseSettings
from display.voice.renderer import AnnouncementRenderer
from display.voice.say import main as say

PACKAGE_DIRECTORY = Path(display.voice.__file__).parent


def test_say_writes_the_announcement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "call.wav"
    assert say(["1005", "3", "--out", str(out)]) == 0
    expected = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY)).render(
        Announcement("1005", "3")
    )
    with wave.open(str(out), "rb") as reader:
        assert reader.readframes(reader.getnframes()) == expected
    assert "call.wav" in capsys.readouterr().out


def test_say_options_reach_the_phrases(tmp_path: Path) -> None:
    out = tmp_path / "recall.wav"
    args = ["A012", "12", "--recall", "--digits", "--lang", "vi", "en", "--no-chime"]
    assert say([*args, "--out", str(out)]) == 0
    settings = PhraseSettings(
        ticket_reading=NumberReading.DIGITS,
        languages=(display.voice.Language.VIETNAMESE, display.voice.Language.ENGLISH),
        chime=False,
    )
    renderer = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY), settings)
    expected = renderer.render(Announcement("A012", "12", AnnouncementKind.RECALL))
    with wave.open(str(out), "rb") as reader:
        assert reader.readframes(reader.getnframes()) == expected


def test_say_lists_clips_and_reports_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert say(["1005", "3", "--clips", "--no-chime"]) == 0
    assert capsys.readouterr().out.split() == [
        "vi/xin_moi_cong_dan_co_so_thu_tu", "vi/mot", "vi/nghin", "vi/khong", "vi/tram",
        "vi/linh", "vi/nam", "vi/den_quay_so", "vi/ba",
    ]  # fmt: skip
    assert say(["Ư5", "3", "--clips"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_say_reports_a_pack_missing_clips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "chime.wav").write_bytes((DEFAULT_PACK_DIRECTORY / "chime.wav").read_bytes())
    assert say(["1", "1", "--pack", str(tmp_path), "--out", str(tmp_path / "x.wav")]) == 1
    assert "vi/mot.wav" in capsys.readouterr().err


def test_trim_silence_keeps_a_short_pad_and_fades() -> None:
    rate = 1000
    samples = array("h", [0] * 100 + [10000] * 50 + [3] * 100)
    trimmed = trim_silence(samples, rate)
    assert len(trimmed) == 50 + 2 * 8  # 8 ms pad each side at 1000 Hz
    assert trimmed[0] == 0 and trimmed[-1] == 0
    assert max(trimmed) == 10000
    assert trim_silence(array("h", [1, -2, 3]), rate) == array("h")


def test_normalise_and_resample() -> None:
    assert max(normalise(array("h", [100, -200]), peak=1000)) == 500
    assert normalise(array("h", [0, 0])) == array("h", [0, 0])
    assert len(resample(array("h", range(100)), 22050, 11025)) == 50
    assert resample(array("h", [5, 6]), 8000, 8000) == array("h", [5, 6])


def test_chime_is_about_a_second_and_not_clipped() -> None:
    chime = chime_samples(8000)
    assert 0.9 < len(chime) / 8000 < 1.3
    assert 8000 < max(abs(v) for v in chime) < 32767


def test_synthesis_text() -> None:
    assert synthesis_text(CATALOGUE["vi/letter_l"]) == "e lờ"
    assert synthesis_text(CATALOGUE["en/letter_dd"]) == "D"
    assert synthesis_text(CATALOGUE["vi/letter_j"]) == "di"
    assert synthesis_text(CATALOGUE["vi/xin_moi_cong_dan_co_so_thu_tu"]).startswith("Xin mời")


def test_build_pack_without_espeak_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="apt-get install espeak-ng"):
        build_pack(tmp_path, espeak="no-such-espeak-ng-binary")


def test_only_qt_player_imports_pyside6() -> None:
    importers = sorted(
        path.name
        for path in PACKAGE_DIRECTORY.glob("*.py")
        if re.search(r"^\s*(from|import) PySide6", path.read_text(), re.MULTILINE)
    )
    assert importers == ["qt_player.py"]
    code = "import sys, display.voice, display.voice.say; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
