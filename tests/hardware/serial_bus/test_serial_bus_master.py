"""BusMaster over loop:// (devices answering in-process) and over a scripted port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.serial_bus import (
    BROADCAST_ADDRESS,
    Ack,
    AckPowerUp,
    BusMaster,
    BusPort,
    Clear,
    Command,
    CommandRejectedError,
    DeviceSet,
    DeviceType,
    Frame,
    FrameDecoder,
    GetStatus,
    Key,
    KeyEvent,
    KeypadModel,
    LedBoardModel,
    LedMode,
    LoopbackDevicePort,
    NakReason,
    NoReplyError,
    Poll,
    PortError,
    PowerUp,
    RatingPadModel,
    ShowNumber,
    Status,
    UnexpectedReplyError,
    decode_master_message,
    encode_frame,
    open_bus,
)

REPLY_TIMEOUT = 0.05


class LossyPort:
    """Wraps a port; while ``deaf`` is set, everything received is lost."""

    def __init__(self, inner: BusPort) -> None:
        self.inner = inner
        self.deaf = False

    @property
    def baudrate(self) -> int:
        return self.inner.baudrate

    def write(self, data: bytes) -> None:
        self.inner.write(data)

    def read(self, max_bytes: int) -> bytes:
        data = self.inner.read(max_bytes)
        return b"" if self.deaf else data

    def discard_input(self) -> None:
        self.inner.discard_input()

    def close(self) -> None:
        self.inner.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedPort:
    """Answers each request with the next scripted reply (None: silence); reads advance time."""

    baudrate = 19200

    def __init__(self, clock: FakeClock, replies: list[Frame | None]) -> None:
        self.clock = clock
        self.replies = replies
        self.requests: list[Frame] = []
        self._decoder = FrameDecoder()
        self._pending = b""

    def write(self, data: bytes) -> None:
        for frame in self._decoder.feed(data):
            self.requests.append(frame)
            reply = self.replies.pop(0)
            if reply is not None:
                self._pending += encode_frame(reply)

    def read(self, max_bytes: int) -> bytes:
        self.clock.now += 0.01
        data, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return data

    def discard_input(self) -> None:
        self._pending = b""

    def close(self) -> None:
        pass


@pytest.fixture
def keypad() -> KeypadModel:
    return KeypadModel(0x11)


@pytest.fixture
def board() -> LedBoardModel:
    return LedBoardModel(0x21)


@pytest.fixture
def loop_port(keypad: KeypadModel, board: LedBoardModel) -> Iterator[LossyPort]:
    devices = DeviceSet([keypad, board, RatingPadModel(0x31)])
    port = LossyPort(LoopbackDevicePort(devices, open_bus("loop://")))
    yield port
    port.close()


@pytest.fixture
def master(loop_port: LossyPort) -> BusMaster:
    return BusMaster(loop_port, reply_timeout=REPLY_TIMEOUT)


def test_master_skips_its_own_echo_on_a_bare_loop() -> None:
    port = open_bus("loop://")
    try:
        master = BusMaster(port, reply_timeout=REPLY_TIMEOUT)
        assert master.poll(0x11) is None
        statistics = master.statistics
        assert statistics.decoder.frames == 1  # the echoed POLL, decoded and skipped
        assert (statistics.requests, statistics.replies, statistics.timeouts) == (1, 0, 1)
    finally:
        port.close()


def test_poll_confirms_power_up_then_delivers_keys_once(
    master: BusMaster, keypad: KeypadModel
) -> None:
    assert master.poll(0x11) == PowerUp(DeviceType.KEYPAD, firmware_major=1, firmware_minor=0)
    assert not keypad.announcing_power_up
    assert master.poll(0x11) == Ack()
    keypad.press(Key.NEXT)
    keypad.press(Key.NUMBER, "1005")
    assert master.poll(0x11) == KeyEvent(0, Key.NEXT)
    assert master.poll(0x11) == KeyEvent(1, Key.NUMBER, "1005")
    assert master.poll(0x11) == Ack()
    assert keypad.pending_events == 0


def test_lost_reply_is_resent_and_delivered_once(
    master: BusMaster, keypad: KeypadModel, loop_port: LossyPort
) -> None:
    master.poll(0x11)
    keypad.press(Key.FINISH)
    loop_port.deaf = True
    assert master.poll(0x11) is None
    loop_port.deaf = False
    assert master.poll(0x11) == KeyEvent(0, Key.FINISH)
    assert master.poll(0x11) == Ack()


def test_restarted_device_is_reported_and_its_new_events_are_not_taken_for_duplicates(
    master: BusMaster, keypad: KeypadModel
) -> None:
    master.poll(0x11)
    keypad.press(Key.NEXT)
    assert master.poll(0x11) == KeyEvent(0, Key.NEXT)
    keypad.restart()
    keypad.press(Key.RECALL)  # sequence 0 again, like the event the master saw last
    assert isinstance(master.poll(0x11), PowerUp)
    assert master.poll(0x11) == KeyEvent(0, Key.RECALL)
    assert master.poll(0x11) == Ack()


def test_commands_reach_the_led_board(master: BusMaster, board: LedBoardModel) -> None:
    assert master.send(0x21, ShowNumber("1005", "3")) == Ack()
    assert board.display(0.0).text == "1005"
    status = master.send(0x21, GetStatus())
    assert isinstance(status, Status) and status.device_type is DeviceType.LED_BOARD
    master.broadcast(Clear())
    assert board.display(0.0).mode is LedMode.BLANK


def test_refused_and_unanswered_commands_raise(master: BusMaster) -> None:
    with pytest.raises(CommandRejectedError) as rejected:
        master.send(0x11, ShowNumber("1005"))
    assert rejected.value.reason is NakReason.UNSUPPORTED_COMMAND
    with pytest.raises(NoReplyError) as silent:
        master.send(0x55, ShowNumber("1005"), attempts=2)
    assert silent.value.attempts == 2
    with pytest.raises(ValueError):
        master.send(0x11, Poll())
    with pytest.raises(ValueError):
        master.send(BROADCAST_ADDRESS, Clear())
    with pytest.raises(ValueError):
        master.broadcast(Poll())


def test_duplicate_event_is_reported_as_ack_and_acknowledged_again() -> None:
    clock = FakeClock()
    event = KeyEvent(7, Key.NEXT).to_frame(0x11)
    port = ScriptedPort(clock, [event, event, Ack().to_frame(0x11)])
    master = BusMaster(port, reply_timeout=REPLY_TIMEOUT, clock=clock)
    assert master.poll(0x11) == KeyEvent(7, Key.NEXT)
    assert master.poll(0x11) == Ack()
    assert master.poll(0x11) == Ack()
    acknowledgements = [decode_master_message(frame) for frame in port.requests]
    assert acknowledgements == [Poll(None), Poll(7), Poll(7)]
    assert master.statistics.duplicate_events == 1


def test_power_up_is_confirmed_and_resets_the_sequence() -> None:
    clock = FakeClock()
    power_up = PowerUp(DeviceType.RATING_PAD, firmware_major=1, firmware_minor=2)
    port = ScriptedPort(
        clock,
        [
            KeyEvent(3, Key.NEXT).to_frame(0x31),
            power_up.to_frame(0x31),
            None,  # the confirmation is lost: the device announces again
            power_up.to_frame(0x31),
            Ack().to_frame(0x31),
            Ack().to_frame(0x31),
        ],
    )
    master = BusMaster(port, reply_timeout=REPLY_TIMEOUT, clock=clock)
    master.poll(0x31)
    assert master.poll(0x31) == power_up
    assert master.poll(0x31) == power_up
    assert master.poll(0x31) == Ack()
    requests = [decode_master_message(frame) for frame in port.requests]
    assert requests == [Poll(None), Poll(3), AckPowerUp(), Poll(None), AckPowerUp(), Poll(None)]


def test_silence_and_garbage_replies_count_as_no_answer() -> None:
    clock = FakeClock()
    garbage = Frame(address=0x11, command=Command.KEY, payload=b"\x00")  # payload too short
    port = ScriptedPort(clock, [None, garbage])
    master = BusMaster(port, reply_timeout=REPLY_TIMEOUT, clock=clock)
    assert master.poll(0x11) is None
    assert master.poll(0x11) is None
    statistics = master.statistics
    assert (statistics.timeouts, statistics.invalid_replies) == (1, 1)


def test_unexpected_reply_to_a_command_raises() -> None:
    clock = FakeClock()
    port = ScriptedPort(clock, [KeyEvent(0, Key.NEXT).to_frame(0x21)])
    master = BusMaster(port, reply_timeout=REPLY_TIMEOUT, clock=clock)
    with pytest.raises(UnexpectedReplyError):
        master.send(0x21, ShowNumber("1"))


def test_replies_from_another_address_are_ignored() -> None:
    clock = FakeClock()
    port = ScriptedPort(clock, [Ack().to_frame(0x12)])
    master = BusMaster(port, reply_timeout=REPLY_TIMEOUT, clock=clock)
    assert master.poll(0x11) is None


def test_open_bus_reports_bad_urls() -> None:
    with pytest.raises(PortError):
        open_bus("nosuchscheme://x")
    with pytest.raises(PortError):
        open_bus("/dev/does-not-exist-serial-bus")
