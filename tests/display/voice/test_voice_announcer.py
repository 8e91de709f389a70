"""The announcement queue: strictly sequential, recalls re-read, overflow reported."""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from display.voice.announcer import AnnouncementQueue, SubmitOutcome
from display.voice.audio import AudioFormat
from display.voice.errors import AudioSinkError, UnpronounceableError
from display.voice.pack import DEFAULT_PACK_DIRECTORY, VoicePack
from display.voice.phrases import Announcement, AnnouncementKind
from display.voice.renderer import AnnouncementRenderer
from display.voice.settings import VoiceSettings
from display.voice.sinks import Completion, WavFileSink

FORMAT = AudioFormat(8000, 1, 2)


class FakeRenderer:
    """PCM that names the announcement: one frame per character of ticket|counter|kind."""

    audio_format = FORMAT

    def __init__(self) -> None:
        self.rendered: list[Announcement] = []

    def render(self, announcement: Announcement) -> bytes:
        if announcement.ticket == "bad":
            raise UnpronounceableError("bad ticket")
        self.rendered.append(announcement)
        text = f"{announcement.ticket}|{announcement.counter}|{announcement.kind}"
        return b"".join(ord(ch).to_bytes(2, "little") for ch in text)


class RecordingSink:
    """Keeps every on_finished callback; the test decides when each announcement ends."""

    def __init__(self) -> None:
        self.played: list[bytes] = []
        self.callbacks: list[Callable[[], None]] = []
        self.refuse_next = False

    def play(self, pcm: bytes, audio_format: AudioFormat, on_finished: Callable[[], None],
             *, announcement: Announcement | None = None) -> None:
        if self.refuse_next:
            self.refuse_next = False
            raise AudioSinkError("device gone")
        self.played.append(pcm)
        self.callbacks.append(on_finished)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def renderer() -> AnnouncementRenderer:
    return AnnouncementRenderer(VoicePack.load(DEFAULT_PACK_DIRECTORY))


def _clip_frames(path: Path) -> tuple[int, int]:
    """Frame count and sample rate of one clip file, read with the wave module."""
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes(), reader.getframerate()


def _frames(path: Path) -> tuple[int, bytes, float]:
    with wave.open(str(path), "rb") as reader:
        count = reader.getnframes()
        return count, reader.readframes(count), count / reader.getframerate()


def test_a_new_call_never_cuts_off_the_one_being_read(
    renderer: AnnouncementRenderer, tmp_path: Path
) -> None:
    first, second = Announcement("1005", "3"), Announcement("A012", "12")
    pcm_first, pcm_second = renderer.render(first), renderer.render(second)
    path = tmp_path / "out.wav"
    with WavFileSink(path, completion=Completion.MANUAL) as sink:
        queue = AnnouncementQueue(renderer, sink)
        assert queue.submit(first) is SubmitOutcome.STARTED
        assert queue.submit(second) is SubmitOutcome.QUEUED
        assert queue.playing == first and queue.pending == (second,)
        assert sink.played_frame_counts == [len(pcm_first) // 2]  # second not started
        sink.finish()
        assert queue.playing == second
        sink.finish()
        assert queue.playing is None
    count, data, seconds = _frames(path)
    assert data == pcm_first + pcm_second  # both, whole, in order
    # The expected length, worked out from the clip files themselves (not from the renderer):
    # chime, gap, the sentence's clips with a word gap between each, for both announcements.
    # "1005" -> một nghìn không trăm linh năm, counter 3 -> ba; "A012" -> A mười hai, 12.
    sentences = [
        ["xin_moi_cong_dan_co_so_thu_tu", "mot", "nghin", "khong", "tram", "linh", "nam",
         "den_quay_so", "ba"],
        ["xin_moi_cong_dan_co_so_thu_tu", "letter_a", "muoi", "hai", "den_quay_so", "muoi",
         "hai"],
    ]
    settings = VoiceSettings()  # the gaps the pack is read with by default
    chime_frames, rate = _clip_frames(DEFAULT_PACK_DIRECTORY / "chime.wav")
    word_gap = settings.word_gap_ms * rate // 1000
    sentence_gap = settings.sentence_gap_ms * rate // 1000
    expected = 0
    for words in sentences:
        expected += chime_frames + sentence_gap + word_gap * (len(words) - 1)
        expected += sum(_clip_frames(DEFAULT_PACK_DIRECTORY / "vi" / f"{word}.wav")[0]
                        for word in words)
    assert count == expected
    assert seconds == pytest.approx(expected / rate)
    assert 5.0 < seconds < 20.0  # two sentences of a few seconds each
    assert queue.statistics.finished == 2


def test_immediate_wav_sink_plays_each_submission_in_turn(
    renderer: AnnouncementRenderer, tmp_path: Path
) -> None:
    calls = [Announcement(str(n), "1") for n in (1, 21, 105)]
    with WavFileSink(tmp_path / "out.wav") as sink:
        queue = AnnouncementQueue(renderer, sink)
        assert [queue.submit(call) for call in calls] == [SubmitOutcome.STARTED] * 3
    _, data, _ = _frames(tmp_path / "out.wav")
    assert data == b"".join(renderer.render(call) for call in calls)


def test_wav_sink_refuses_to_overlap(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "x.wav", completion=Completion.MANUAL)
    sink.play(b"\x00\x00", FORMAT, lambda: None)
    with pytest.raises(AudioSinkError):
        sink.play(b"\x00\x00", FORMAT, lambda: None)
    sink.finish()
    with pytest.raises(AudioSinkError):
        sink.finish()
    with pytest.raises(AudioSinkError):
        sink.play(b"\x00\x00", AudioFormat(16000, 1, 2), lambda: None)
    sink.close()


def test_a_recall_of_the_ticket_being_read_is_read_again() -> None:
    sink, fake = RecordingSink(), FakeRenderer()
    queue = AnnouncementQueue(fake, sink)
    call = Announcement("1005", "3")
    recall = Announcement("1005", "3", AnnouncementKind.RECALL)
    queue.submit(call)
    assert queue.submit(recall) is SubmitOutcome.QUEUED
    sink.callbacks[0]()
    assert fake.rendered == [call, recall]
    assert len(sink.played) == 2


def test_a_recall_of_a_ticket_already_waiting_is_merged() -> None:
    sink = RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink)
    queue.submit(Announcement("1", "1"))
    queue.submit(Announcement("2", "2"))
    outcome = queue.submit(Announcement("2", "2", AnnouncementKind.RECALL))
    assert outcome is SubmitOutcome.MERGED
    assert queue.pending == (Announcement("2", "2"),)
    assert queue.statistics.merged == 1
    assert queue.submit(Announcement("2", "5")) is SubmitOutcome.QUEUED  # other counter


def test_overflow_drops_the_oldest_waiting_loudly(caplog: pytest.LogCaptureFixture) -> None:
    dropped: list[Announcement] = []
    queue = AnnouncementQueue(FakeRenderer(), RecordingSink(), max_pending=3,
                              on_dropped=dropped.append)  # fmt: skip
    calls = [Announcement(str(n), "1") for n in range(6)]
    with caplog.at_level(logging.WARNING, logger="display.voice.announcer"):
        for call in calls:
            queue.submit(call)
    assert queue.playing == calls[0]
    assert queue.pending == tuple(calls[3:])
    assert dropped == calls[1:3]
    assert queue.statistics.dropped == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "dropped" in warnings[0].getMessage()


def test_unrenderable_announcement_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink)
    with caplog.at_level(logging.ERROR, logger="display.voice.announcer"):
        assert queue.submit(Announcement("bad", "1")) is SubmitOutcome.FAILED
    assert queue.statistics.failed == 1 and queue.playing is None
    assert "bad ticket" in caplog.text
    queue.submit(Announcement("1", "1"))
    queue.submit(Announcement("bad", "1"))
    queue.submit(Announcement("2", "1"))
    sink.callbacks[0]()
    assert queue.playing == Announcement("2", "1")
    assert queue.statistics.failed == 2


def test_sink_refusal_is_logged_and_the_queue_moves_on() -> None:
    sink = RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink)
    sink.refuse_next = True
    assert queue.submit(Announcement("1", "1")) is SubmitOutcome.FAILED
    assert queue.submit(Announcement("2", "1")) is SubmitOutcome.STARTED
    assert queue.statistics.failed == 1


def test_a_repeated_or_stale_finished_signal_is_ignored() -> None:
    sink = RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink)
    for n in (1, 2, 3):
        queue.submit(Announcement(str(n), "1"))
    sink.callbacks[0]()
    sink.callbacks[0]()  # again: must not end announcement 2
    assert queue.playing == Announcement("2", "1")
    assert queue.pending == (Announcement("3", "1"),)


def test_start_delay_uses_the_injected_clock() -> None:
    clock, sink = FakeClock(), RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink, clock=clock)
    queue.submit(Announcement("1", "1"))
    assert queue.statistics.last_start_delay_seconds == 0
    clock.now += 1
    queue.submit(Announcement("2", "1"))
    clock.now += 2.5
    sink.callbacks[0]()
    assert queue.statistics.last_start_delay_seconds == pytest.approx(2.5)


def test_a_long_backlog_finishing_synchronously_does_not_recurse(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "x.wav", completion=Completion.MANUAL)
    queue = AnnouncementQueue(FakeRenderer(), sink, max_pending=3000)
    for n in range(2500):
        queue.submit(Announcement(str(n), "1"))
    sink.completion = Completion.IMMEDIATE
    sink.finish()
    assert queue.playing is None and not queue.pending
    assert queue.statistics.finished == 2500
    sink.close()


def test_clear_forgets_waiting_but_counts_them() -> None:
    sink = RecordingSink()
    queue = AnnouncementQueue(FakeRenderer(), sink)
    for n in (1, 2, 3):
        queue.submit(Announcement(str(n), "1"))
    assert queue.clear() == 2
    assert queue.statistics.dropped == 2
    assert queue.playing == Announcement("1", "1")
