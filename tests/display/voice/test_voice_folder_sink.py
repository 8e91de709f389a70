"""FolderSink: each announcement a WAV file of its own, named by time and number, capped."""

from __future__ import annotations

import wave
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from display.voice.announcer import AnnouncementQueue, SubmitOutcome
from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import Announcement, AnnouncementKind
from display.voice.renderer import AnnouncementRenderer
from display.voice.sinks import FolderSink

FORMAT = AudioFormat(8000, 1, 2)


class SteppingClock:
    """A wall clock that moves on by ``step`` at each read."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        moment = self.now
        self.now += self.step
        return moment


def frames_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            FORMAT.sample_rate, FORMAT.channels, FORMAT.sample_width)
        return reader.readframes(reader.getnframes())


def test_each_announcement_is_a_file_named_by_time_and_number(tmp_path: Path) -> None:
    clock = SteppingClock(datetime(2026, 12, 4, 14, 15, 30, 123_456), timedelta(seconds=7))
    sink = FolderSink(tmp_path / "calls", wall_clock=clock)
    finished: list[str] = []
    sink.play(b"\x01\x00" * 10, FORMAT, lambda: finished.append("first"),
              announcement=Announcement("A001", "3"))
    assert finished == ["first"]  # reported finished before play() returned
    sink.play(b"\x02\x00" * 5, FORMAT, lambda: finished.append("second"),
              announcement=Announcement("1005", "Q 8/B", AnnouncementKind.RECALL))
    names = sorted(path.name for path in (tmp_path / "calls").iterdir())
    assert names == ["20261204-141530-123_A001_counter-3.wav",
                     "20261204-141537-123_1005_counter-Q-8-B_recall.wav"]
    assert frames_of(tmp_path / "calls" / names[0]) == b"\x01\x00" * 10
    assert frames_of(tmp_path / "calls" / names[1]) == b"\x02\x00" * 5
    assert sink.last_written == tmp_path / "calls" / names[1]
    assert finished == ["first", "second"]


def test_a_name_taken_in_the_same_millisecond_gets_a_suffix(tmp_path: Path) -> None:
    clock = SteppingClock(datetime(2026, 12, 4, 9, 0), timedelta(0))
    sink = FolderSink(tmp_path, wall_clock=clock)
    for _ in range(3):
        sink.play(b"\x00\x00", FORMAT, lambda: None, announcement=Announcement("A1", "1"))
    sink.play(b"\x00\x00", FORMAT, lambda: None)  # no announcement given: time only
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "20261204-090000-000_A1_counter-1-2.wav", "20261204-090000-000_A1_counter-1-3.wav",
        "20261204-090000-000_A1_counter-1.wav", "20261204-090000-000_announcement.wav"]


def test_only_the_newest_files_are_kept_and_others_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "my-recording.wav").write_bytes(b"not ours")
    clock = SteppingClock(datetime(2026, 12, 4, 8, 0), timedelta(seconds=1))
    sink = FolderSink(tmp_path, keep=3, wall_clock=clock)
    for number in range(1, 7):
        sink.play(b"\x00\x00", FORMAT, lambda: None,
                  announcement=Announcement(f"A00{number}", "1"))
    ours = sorted(path.name for path in tmp_path.glob("2026*.wav"))
    assert [name.split("_")[1] for name in ours] == ["A004", "A005", "A006"]
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "my-recording.wav").exists()
    assert not list(tmp_path.glob("*.part"))


def test_an_unwritable_folder_is_refused_and_the_queue_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    sink = FolderSink(blocker / "calls")
    with pytest.raises(AudioSinkError, match="cannot write"):
        sink.play(b"\x00\x00", FORMAT, lambda: None)
    with pytest.raises(AudioSinkError, match="whole frames"):
        sink.play(b"\x00", FORMAT, lambda: None)
    with pytest.raises(AudioSinkError):
        FolderSink(tmp_path, keep=0)
    renderer = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY))
    queue = AnnouncementQueue(renderer, sink)
    assert queue.submit(Announcement("A001", "3")) is SubmitOutcome.FAILED
    assert queue.statistics.failed == 1 and queue.playing is None


def test_through_the_queue_every_call_is_its_own_whole_file(tmp_path: Path) -> None:
    renderer = AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY))
    clock = SteppingClock(datetime(2026, 12, 4, 10, 0), timedelta(milliseconds=1))
    queue = AnnouncementQueue(renderer, FolderSink(tmp_path, wall_clock=clock))
    calls = [Announcement("A001", "3"), Announcement("1005", "2"),
             Announcement("A001", "3", AnnouncementKind.RECALL)]
    assert [queue.submit(call) for call in calls] == [SubmitOutcome.STARTED] * 3
    files = sorted(tmp_path.iterdir())
    assert [path.name.split("_", 1)[1] for path in files] == [
        "A001_counter-3.wav", "1005_counter-2.wav", "A001_counter-3_recall.wav"]
    for path, call in zip(files, calls, strict=True):
        with wave.open(str(path), "rb") as reader:
            assert reader.readframes(reader.getnframes()) == renderer.render(call)
