"""The emulator thread answering a BusMaster over a real pty pair and over socket://."""

from __future__ import annotations

import io
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hardware.serial_bus import (
    Ack,
    BusMaster,
    DeviceHealth,
    DeviceState,
    EnableRating,
    FileDescriptorPort,
    Key,
    KeyEvent,
    KeypadModel,
    LedBoardModel,
    LedMode,
    PowerUp,
    RatingEvent,
    RatingPadModel,
    ShowNumber,
    ShowPaused,
    TcpListener,
    open_bus,
    open_pty_pair,
)
from hardware.serial_bus.emulator import DeviceEmulator, main

WAIT = 5.0
KEYPAD = 0x11
LED = 0x21
PAD = 0x31
TEST_REPLY_TIMEOUT = 0.3


@dataclass
class PtyBus:
    emulator: DeviceEmulator
    master: BusMaster


@pytest.fixture
def pty_bus() -> Iterator[PtyBus]:
    """Keypad 0x11, LED board 0x21 and rating pad 0x31 emulated on a pty; master on its slave."""
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    with open_pty_pair() as pty:
        devices = [KeypadModel(KEYPAD), LedBoardModel(LED), RatingPadModel(PAD)]
        with DeviceEmulator(pty.device_port(), devices) as emulator:
            port = open_bus(pty.slave_path)
            try:
                yield PtyBus(emulator, BusMaster(port, reply_timeout=TEST_REPLY_TIMEOUT))
            finally:
                port.close()
        assert emulator.failure is None


def test_poll_keypad_gets_the_pressed_key(pty_bus: PtyBus) -> None:
    assert isinstance(pty_bus.master.poll(KEYPAD), PowerUp)
    assert pty_bus.emulator.press_key(KEYPAD, Key.NEXT)
    assert pty_bus.master.poll(KEYPAD) == KeyEvent(0, Key.NEXT)
    assert pty_bus.master.poll(KEYPAD) == Ack()


def test_show_number_reaches_the_led_board(pty_bus: PtyBus) -> None:
    assert pty_bus.master.send(LED, ShowNumber("1005", "3")) == Ack()
    display = pty_bus.emulator.led_display(LED)
    assert (display.mode, display.text, display.label) == (LedMode.NUMBER, "1005", "3")
    pty_bus.master.send(LED, ShowPaused())
    assert pty_bus.emulator.led_display(LED).mode is LedMode.PAUSED


def test_rating_reaches_the_master_only_while_enabled(pty_bus: PtyBus) -> None:
    pty_bus.master.poll(PAD)
    assert not pty_bus.emulator.press_rating(PAD, 1)
    pty_bus.master.send(PAD, EnableRating(60))
    assert pty_bus.emulator.rating_enabled(PAD)
    assert pty_bus.emulator.press_rating(PAD, 1)
    assert pty_bus.master.poll(PAD) == RatingEvent(0, 1)


def test_silent_device_goes_offline_and_comes_back(pty_bus: PtyBus) -> None:
    health = DeviceHealth(offline_after_misses=3)
    now = 0.0

    def poll_once() -> object:
        nonlocal now
        now += 0.2
        reply = pty_bus.master.poll(KEYPAD)
        change = health.record_miss(now) if reply is None else health.record_reply(now)
        return None if change is None else change.current

    assert poll_once() is DeviceState.ONLINE
    pty_bus.emulator.set_responding(KEYPAD, False)
    assert [poll_once() for _ in range(3)] == [None, None, DeviceState.OFFLINE]
    pty_bus.emulator.set_responding(KEYPAD, True)
    assert poll_once() is DeviceState.ONLINE
    # The other devices kept answering meanwhile.
    assert pty_bus.master.poll(LED) is not None


def test_power_cycled_device_announces_itself(pty_bus: PtyBus) -> None:
    pty_bus.master.send(LED, ShowNumber("A012"))
    pty_bus.master.poll(LED)
    assert pty_bus.master.poll(LED) == Ack()
    pty_bus.emulator.restart(LED)
    assert isinstance(pty_bus.master.poll(LED), PowerUp)
    assert pty_bus.emulator.led_display(LED).mode is LedMode.BLANK


def test_emulator_over_socket_url() -> None:
    with TcpListener() as listener:
        master_port = open_bus(listener.url)
        device_port = listener.accept(timeout=WAIT)
    try:
        with DeviceEmulator(device_port, [KeypadModel(KEYPAD)]) as emulator:
            master = BusMaster(master_port, reply_timeout=TEST_REPLY_TIMEOUT)
            assert isinstance(master.poll(KEYPAD), PowerUp)
            emulator.press_key(KEYPAD, Key.RECALL)
            assert master.poll(KEYPAD) == KeyEvent(0, Key.RECALL)
    finally:
        master_port.close()
        device_port.close()


def test_emulator_stops_with_the_port_error() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    os.close(read_end)
    emulator = DeviceEmulator(FileDescriptorPort(read_end), [KeypadModel(KEYPAD)])
    emulator.start()
    emulator.stop(timeout=WAIT)
    assert not emulator.is_running
    assert emulator.failure is not None


# Command line ----------------------------------------------------------------------------------


def test_main_reads_keys_from_input() -> None:
    output = io.StringIO()
    lines = "n\nc a012\nt\n2\n?\nbogus\nc\noff\non\nreset\nq\nn\n"
    assert main(["--port", "loop://"], stdin=io.StringIO(lines), stdout=output) == 0
    text = output.getvalue()
    assert "Emulated devices on loop://" in text
    assert "keypad: NEXT queued" in text
    assert "keypad: NUMBER A012 queued" in text
    assert "keypad: TRANSFER queued" in text
    assert "pad: key 2 ignored (not lit)" in text
    assert "unknown command 'bogus'" in text
    assert "usage: c NUMBER" in text
    assert "devices unplugged" in text and "devices power-cycled" in text
    assert text.count("keypad: NEXT queued") == 1  # nothing read after q
    # Without labels the help says where a pad key's meaning is set.
    assert "Type a command and press Enter:" in text
    assert "which\n         label each key gives is set in the bridge's device map" in text


PAD_LABELS = ("Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")
LABEL_OPTIONS = [option for label in PAD_LABELS for option in ("--pad-label", label)]


def test_main_lists_the_pad_keys_labels_in_its_help() -> None:
    output = io.StringIO()
    assert main(["--port", "loop://", *LABEL_OPTIONS], stdin=io.StringIO("?\n"),
                stdout=output) == 0
    help_lines = ["pad:     1..4 rate, only while the pad is lit:", "         1 Không hài lòng",
                  "         2 Bình thường", "         3 Hài lòng", "         4 Rất hài lòng"]
    assert output.getvalue().count("\n".join(help_lines)) == 2  # at the start and on ?


def test_main_reports_a_port_it_cannot_open() -> None:
    output = io.StringIO()
    assert main(["--port", "/dev/does-not-exist"], stdin=io.StringIO(""), stdout=output) == 1
    assert output.getvalue().startswith("error:")


def test_main_rejects_bad_addresses() -> None:
    with pytest.raises(SystemExit):
        main(["--keypad", "0x00"], stdin=io.StringIO(""), stdout=io.StringIO())


class LineQueue(io.StringIO):
    """Collects written lines in a queue so a test can wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.Queue[str] = queue.Queue()

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.lines.put(line)
        return super().write(text)

    def wait_for(self, start: str) -> str:
        while True:
            line = self.lines.get(timeout=WAIT)
            if line.startswith(start):
                return line


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
def test_main_on_a_pty_shows_the_path_keys_and_led() -> None:
    read_end, write_end = os.pipe()
    keyboard = os.fdopen(write_end, "w")
    output = LineQueue()
    results: list[int] = []
    with os.fdopen(read_end) as stdin:
        thread = threading.Thread(
            target=lambda: results.append(main(LABEL_OPTIONS, stdin=stdin, stdout=output))
        )
        thread.start()
        try:
            path = output.wait_for("Emulated devices on pty ").split()[4]
            port = open_bus(path)
            try:
                master = BusMaster(port, reply_timeout=TEST_REPLY_TIMEOUT)
                keyboard.write("n\n")
                keyboard.flush()
                output.wait_for("keypad: NEXT queued")
                assert isinstance(master.poll(KEYPAD), PowerUp)
                assert master.poll(KEYPAD) == KeyEvent(0, Key.NEXT)
                master.send(LED, ShowNumber("1005", "3"))
                assert output.wait_for("LED 0x21:") == "LED 0x21: 1005 -> 3"
                master.send(PAD, EnableRating(30))
                assert output.wait_for("pad 0x31:") == (
                    "pad 0x31: lit for 30 s, keys 1..4: 1 Không hài lòng · 2 Bình thường · "
                    "3 Hài lòng · 4 Rất hài lòng")
                # A press echoes the label of the key.
                keyboard.write("4\n")
                keyboard.flush()
                assert output.wait_for("pad: ") == "pad: key 4 = Rất hài lòng"
                master.poll(PAD)  # its POWER_UP
                assert master.poll(PAD) == RatingEvent(0, 4)
            finally:
                port.close()
        finally:
            keyboard.write("q\n")
            keyboard.close()
            thread.join(WAIT)
    assert results == [0]
