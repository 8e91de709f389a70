"""The serial scanner: lines from bytes (hypothesis), the reader thread over a real pty, over
``loop://`` and over ``socket://`` to the emulator (unplugged and plugged back), the emulator's
command line. Waits are on events, never sleeps."""

from __future__ import annotations

import io
import queue
import sys
from collections.abc import Iterator
from datetime import date

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.scanner import (
    LineDecoder,
    ScannerError,
    ScannerReport,
    ScannerState,
    SerialScanner,
)
from hardware.scanner.emulator import ScannerEmulator, console_line, main
from hardware.scanner.samples import id_card_text

WAIT = 5.0
CARD = id_card_text(date(1948, 3, 15))


# --- lines ------------------------------------------------------------------------------------

def test_lines_end_at_cr_lf_or_both_and_empty_ones_vanish() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"QMSB:ABCD") == []
    assert decoder.pending == 9
    assert decoder.feed(b"EFGH\r\n\r\nsecond\nthird\r") == ["QMSB:ABCDEFGH", "second", "third"]
    assert decoder.feed(CARD.encode() + b"\r\n") == [CARD]


def test_an_undecodable_byte_does_not_lose_the_code() -> None:
    assert LineDecoder().feed(b"001048000000||Nguy\xe1n|15031948\r") == [
        "001048000000||Nguy\ufffdn|15031948"]


def test_an_overlong_line_is_dropped_whole_and_the_next_one_read() -> None:
    decoder = LineDecoder(max_line_bytes=16)
    assert decoder.feed(b"x" * 40) == []
    assert decoder.feed(b"yyyy\r\nQMSB:ABCDEFGH\r\n") == ["QMSB:ABCDEFGH"]
    assert decoder.overlong == 1


def test_flush_takes_a_line_without_its_end() -> None:
    decoder = LineDecoder()
    decoder.feed(b"QMSB:ABCDEFGH")
    assert decoder.flush() == "QMSB:ABCDEFGH"
    assert decoder.flush() is None and decoder.pending == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
                        min_size=1, max_size=50), max_size=8),
       st.sampled_from([b"\r", b"\n", b"\r\n"]), st.integers(min_value=1, max_value=7))
def test_lines_survive_any_chunking(texts: list[str], end: bytes, chunk: int) -> None:
    stream = b"".join(text.encode() + end for text in texts)
    decoder = LineDecoder()
    lines: list[str] = []
    for start in range(0, len(stream), chunk):
        lines += decoder.feed(stream[start:start + chunk])
    assert lines == [text.strip() for text in texts if text.strip()]


# --- the reader thread --------------------------------------------------------------------------

class Recorder:
    """A listener that queues what it is told (on the scanner's thread)."""

    def __init__(self) -> None:
        self.scans: queue.Queue[str] = queue.Queue()
        self.reports: queue.Queue[ScannerReport] = queue.Queue()

    def scanned(self, text: str) -> None:
        self.scans.put(text)

    def scanner_changed(self, report: ScannerReport) -> None:
        self.reports.put(report)

    def next_scan(self) -> str:
        return self.scans.get(timeout=WAIT)

    def next_state(self) -> ScannerState:
        return self.reports.get(timeout=WAIT).state


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def pty_scanner() -> Iterator[ScannerEmulator]:
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    with ScannerEmulator.on_pty() as emulator:
        yield emulator


def test_codes_sent_on_a_pty_reach_the_listener(pty_scanner: ScannerEmulator,
                                                recorder: Recorder) -> None:
    reader = SerialScanner.for_url(pty_scanner.url, recorder)
    reader.start()
    try:
        assert recorder.next_state() is ScannerState.OK
        pty_scanner.scan("QMSB:ABCDEFGH")
        pty_scanner.scan(CARD, line_end=b"\r")
        pty_scanner.send(b"\r\n\r\n")  # empty lines are nothing
        pty_scanner.scan("K7MP-2QXA", line_end=b"\n")
        assert [recorder.next_scan() for _ in range(3)] == [
            "QMSB:ABCDEFGH", CARD, "K7MP-2QXA"]
        # A code sent in pieces, as a slow serial line delivers it.
        for piece in (b"QMSB:", b"K7MP", b"2QXA\r", b"\n"):
            pty_scanner.send(piece)
        assert recorder.next_scan() == "QMSB:K7MP2QXA"
        assert reader.scans == 4
    finally:
        reader.stop()
    assert not reader.running


def test_a_scanner_without_a_line_end_is_read_once_it_goes_quiet(
        pty_scanner: ScannerEmulator, recorder: Recorder) -> None:
    reader = SerialScanner.for_url(pty_scanner.url, recorder)
    reader.start()
    try:
        assert recorder.next_state() is ScannerState.OK
        pty_scanner.scan("QMSB:ABCDEFGH", line_end=b"")
        assert recorder.next_scan() == "QMSB:ABCDEFGH"
    finally:
        reader.stop()


def test_loop_url(recorder: Recorder) -> None:
    """``loop://`` echoes what is written to the same port object: the test keeps it."""
    port = serial.serial_for_url("loop://", timeout=0.05)
    reader = SerialScanner("loop://", lambda: port, recorder)
    reader.start()
    try:
        assert recorder.next_state() is ScannerState.OK
        port.write(b"QMSB:ABCDEFGH\r\n")
        assert recorder.next_scan() == "QMSB:ABCDEFGH"
    finally:
        reader.stop()


def test_a_port_that_cannot_open_is_offline_and_retried(recorder: Recorder) -> None:
    attempts: list[int] = []

    def opener() -> serial.SerialBase:
        attempts.append(1)
        if len(attempts) < 3:
            raise serial.SerialException("could not open port /dev/ttyACM9")
        return serial.serial_for_url("loop://", timeout=0.05)

    reader = SerialScanner("/dev/ttyACM9", opener, recorder, reconnect_min_seconds=0.01,
                           reconnect_max_seconds=0.02)
    reader.start()
    try:
        report = recorder.reports.get(timeout=WAIT)
        assert report.state is ScannerState.OFFLINE and "ttyACM9" in report.detail
        assert recorder.next_state() is ScannerState.OK  # offline reported once, not twice
        assert len(attempts) == 3
    finally:
        reader.stop()


def test_unplugged_and_plugged_back_over_tcp(recorder: Recorder) -> None:
    with ScannerEmulator.listening() as emulator:
        reader = SerialScanner.for_url(emulator.url, recorder, reconnect_min_seconds=0.02,
                                       reconnect_max_seconds=0.05)
        reader.start()
        try:
            assert recorder.next_state() is ScannerState.OK
            emulator.scan("QMSB:ABCDEFGH")
            assert recorder.next_scan() == "QMSB:ABCDEFGH"
            emulator.unplug()
            assert recorder.next_state() is ScannerState.OFFLINE
            assert recorder.next_state() is ScannerState.OK  # reconnected by itself
            emulator.scan("QMSB:K7MP2QXA")
            assert recorder.next_scan() == "QMSB:K7MP2QXA"
        finally:
            reader.stop()


def test_misuse_is_a_scanner_error(recorder: Recorder) -> None:
    with pytest.raises(ScannerError):
        SerialScanner("x", lambda: serial.serial_for_url("loop://"), recorder,
                      quiet_seconds=0)
    reader = SerialScanner("loop://", lambda: serial.serial_for_url("loop://", timeout=0.05),
                           recorder)
    reader.start()
    try:
        with pytest.raises(ScannerError):
            reader.start()
    finally:
        reader.stop()
    with ScannerEmulator.on_pty() as emulator, pytest.raises(ScannerError):
        emulator.unplug()


# --- the emulator's command line -------------------------------------------------------------

def test_console_lines() -> None:
    today = date(2027, 3, 8)
    assert console_line("booking k7mp-2qxa\n", today) == "QMSB:K7MP2QXA"
    assert console_line("  \n", today) is None
    assert console_line("8934588012345\n", today) == "8934588012345"
    elderly = console_line("card\n", today)
    assert elderly is not None and "|08031949|" in elderly
    adult = console_line("card 40\n", today)
    assert adult is not None and "|08031987|" in adult


def test_the_command_line_scans_what_is_typed(recorder: Recorder) -> None:
    """The emulator's main on a TCP port; the reader connects before the lines are typed."""
    with ScannerEmulator.listening() as probe:
        free = probe.url.rsplit(":", 1)[1]
    output = io.StringIO()

    class Lines(io.StringIO):
        """Stdin that waits for the reader to connect before giving its lines."""

        reader: SerialScanner | None = None

        def __iter__(self) -> Iterator[str]:  # type: ignore[override]
            reader = SerialScanner.for_url(f"socket://127.0.0.1:{free}", recorder,
                                           reconnect_min_seconds=0.02)
            reader.start()
            self.reader = reader
            assert recorder.next_state() is ScannerState.OK
            yield from ["booking ABCD-EFGH\n", "q\n", "never scanned\n"]

    lines = Lines()
    try:
        assert main(["--listen", f"127.0.0.1:{free}"], stdin=lines, stdout=output) == 0
        assert recorder.next_scan() == "QMSB:ABCDEFGH"
    finally:
        if lines.reader is not None:
            lines.reader.stop()
    assert f"socket://127.0.0.1:{free}" in output.getvalue()
    assert "scanned 13 characters" in output.getvalue()
    assert recorder.scans.empty()
