"""Device models (sans-I/O): LED board, keypad, rating pad, and the shared device behaviour."""

from __future__ import annotations

from typing import TypeVar

import pytest

from hardware.serial_bus import (
    BROADCAST_ADDRESS,
    Ack,
    AckPowerUp,
    Blink,
    Clear,
    Command,
    DeviceModel,
    DeviceSet,
    DeviceType,
    DisableRating,
    EnableRating,
    EventQueue,
    Frame,
    FrameError,
    GetStatus,
    Key,
    KeyEvent,
    KeypadModel,
    LedBoardModel,
    LedDisplay,
    LedMode,
    Message,
    Nak,
    NakReason,
    PayloadError,
    Poll,
    PowerUp,
    RatingEvent,
    RatingPadModel,
    SetScale,
    ShowNumber,
    ShowPaused,
    Status,
    decode_device_message,
)

D = TypeVar("D", bound=DeviceModel)


def ask(device: DeviceModel, message: Message, now: float = 0.0) -> Message:
    reply = device.handle(message.to_frame(device.address), now)
    assert reply is not None
    assert reply.address == device.address
    return decode_device_message(reply)


def booted(device: D) -> D:
    """Take the device past its POWER_UP announcement, as the master does."""
    assert isinstance(ask(device, Poll()), PowerUp)
    assert ask(device, AckPowerUp()) == Ack()
    return device


# Event queue -----------------------------------------------------------------------------------


def test_event_queue_sequences_and_acknowledgement() -> None:
    queue = EventQueue(capacity=2)
    first = queue.push(lambda sequence: KeyEvent(sequence, Key.NEXT))
    second = queue.push(lambda sequence: KeyEvent(sequence, Key.RECALL))
    assert queue.push(lambda sequence: KeyEvent(sequence, Key.FINISH)) is None
    assert first is not None and second is not None
    assert (first.sequence, second.sequence) == (0, 1)
    assert queue.answer_poll(None) == first
    assert queue.answer_poll(1) == first  # wrong acknowledgement: head stays
    assert queue.answer_poll(0) == second
    assert queue.answer_poll(1) is None
    assert len(queue) == 0


def test_event_queue_sequence_wraps() -> None:
    queue = EventQueue(capacity=1)
    sequences = []
    for _ in range(300):
        event = queue.push(lambda sequence: KeyEvent(sequence, Key.NEXT))
        assert event is not None
        sequences.append(event.sequence)
        queue.answer_poll(event.sequence)
    assert sequences[:3] == [0, 1, 2]
    assert sequences[255:258] == [255, 0, 1]


# Common behaviour ------------------------------------------------------------------------------


def test_new_device_announces_power_up_until_acknowledged() -> None:
    keypad = KeypadModel(0x11, firmware_major=2, firmware_minor=3)
    keypad.press(Key.NEXT)
    power_up = PowerUp(device_type=DeviceType.KEYPAD, firmware_major=2, firmware_minor=3)
    assert ask(keypad, Poll()) == power_up
    assert ask(keypad, Poll(acknowledge=0)) == power_up  # acknowledgements ignored meanwhile
    assert keypad.pending_events == 1
    assert ask(keypad, AckPowerUp()) == Ack()
    assert not keypad.announcing_power_up
    assert ask(keypad, Poll()) == KeyEvent(0, Key.NEXT)


def test_restart_forgets_state_and_announces_again() -> None:
    board = booted(LedBoardModel(0x21))
    ask(board, ShowNumber("1005"))
    board.restart()
    assert board.display(0.0).mode is LedMode.BLANK
    assert isinstance(ask(board, Poll()), PowerUp)


def test_status() -> None:
    keypad = booted(KeypadModel(0x11))
    keypad.press(Key.NEXT)
    assert ask(keypad, GetStatus()) == Status(
        device_type=DeviceType.KEYPAD, firmware_major=1, firmware_minor=0, queued_events=1
    )


def test_frames_for_others_and_replies_are_ignored() -> None:
    keypad = booted(KeypadModel(0x11))
    assert keypad.handle(Poll().to_frame(0x12), 0.0) is None
    assert keypad.handle(Ack().to_frame(0x11), 0.0) is None  # e.g. an echo of its own reply


def test_broadcast_is_executed_and_never_answered() -> None:
    board = booted(LedBoardModel(0x21))
    assert board.handle(ShowPaused().to_frame(BROADCAST_ADDRESS), 0.0) is None
    assert board.display(0.0).mode is LedMode.PAUSED
    keypad = KeypadModel(0x11)
    assert keypad.handle(Poll().to_frame(BROADCAST_ADDRESS), 0.0) is None
    assert keypad.handle(AckPowerUp().to_frame(BROADCAST_ADDRESS), 0.0) is None
    assert keypad.announcing_power_up


def test_unsupported_command_and_bad_payload_are_refused() -> None:
    keypad = booted(KeypadModel(0x11))
    assert ask(keypad, ShowNumber("1")) == Nak(NakReason.UNSUPPORTED_COMMAND)
    bad = Frame(address=0x11, command=Command.POLL, payload=b"\x00\x00")
    reply = keypad.handle(bad, 0.0)
    assert reply is not None
    assert decode_device_message(reply) == Nak(NakReason.INVALID_PAYLOAD)


def test_device_address_is_checked() -> None:
    with pytest.raises(FrameError):
        KeypadModel(0x00)
    with pytest.raises(FrameError):
        LedBoardModel(BROADCAST_ADDRESS)


def test_device_set_routes_and_unplugs() -> None:
    keypad, board = KeypadModel(0x11), LedBoardModel(0x21)
    heard: list[tuple[int, Command]] = []
    devices = DeviceSet(
        [keypad, board],
        on_handled=lambda device, frame: heard.append((device.address, frame.command)),
    )
    assert devices.handle(Poll().to_frame(0x11), 0.0) is not None
    assert devices.handle(Poll().to_frame(0x33), 0.0) is None
    devices.set_responding(0x21, False)
    assert devices.handle(ShowNumber("7").to_frame(0x21), 0.0) is None
    assert board.display(0.0).mode is LedMode.BLANK
    assert devices.handle(Clear().to_frame(BROADCAST_ADDRESS), 0.0) is None
    assert heard == [(0x11, Command.POLL), (0x11, Command.CLEAR)]
    with pytest.raises(ValueError, match="two devices"):
        DeviceSet([KeypadModel(0x11), LedBoardModel(0x11)])


# LED board -------------------------------------------------------------------------------------


def test_led_board_shows_blinks_and_pauses() -> None:
    board = booted(LedBoardModel(0x21))
    assert board.display(0.0) == LedDisplay(LedMode.BLANK, "", "", blinking=False)
    assert ask(board, ShowNumber("1005", "3"), now=10.0) == Ack()
    assert board.display(10.0) == LedDisplay(LedMode.NUMBER, "1005", "3", blinking=False)
    assert ask(board, Blink(3), now=10.0) == Ack()
    assert board.display(12.9).blinking
    assert not board.display(13.0).blinking
    assert board.display(12.0).describe() == "1005 -> 3 (blinking)"
    ask(board, Blink(5), now=20.0)
    ask(board, ShowNumber("A012"), now=21.0)  # a new number stops the blinking
    assert board.display(21.0) == LedDisplay(LedMode.NUMBER, "A012", "", blinking=False)
    ask(board, Blink(5), now=22.0)
    ask(board, ShowPaused(), now=23.0)
    assert board.display(23.0).mode is LedMode.PAUSED
    assert not board.display(23.0).blinking
    assert board.display(23.0).describe() == "PAUSED"
    ask(board, Clear(), now=24.0)
    assert board.display(24.0).describe() == "(blank)"
    assert ask(board, SetScale(4)) == Nak(NakReason.UNSUPPORTED_COMMAND)


# Keypad ----------------------------------------------------------------------------------------


def test_keypad_queues_keys_until_acknowledged() -> None:
    keypad = booted(KeypadModel(0x11))
    assert ask(keypad, Poll()) == Ack()
    assert keypad.press(Key.NEXT)
    assert keypad.press(Key.NUMBER, "A012")
    assert keypad.press(Key.TRANSFER, "3")
    assert ask(keypad, Poll()) == KeyEvent(0, Key.NEXT)
    assert ask(keypad, Poll()) == KeyEvent(0, Key.NEXT)  # not acknowledged: sent again
    assert ask(keypad, Poll(acknowledge=0)) == KeyEvent(1, Key.NUMBER, "A012")
    assert ask(keypad, Poll(acknowledge=1)) == KeyEvent(2, Key.TRANSFER, "3")
    assert ask(keypad, Poll(acknowledge=2)) == Ack()
    assert keypad.pending_events == 0


def test_keypad_queue_is_bounded_and_validates_keys() -> None:
    keypad = KeypadModel(0x11, event_capacity=2)
    assert keypad.press(Key.NEXT) and keypad.press(Key.RECALL)
    assert not keypad.press(Key.FINISH)
    with pytest.raises(PayloadError):
        keypad.press(Key.NUMBER)
    assert keypad.pending_events == 2


# Rating pad ------------------------------------------------------------------------------------


def test_rating_pad_accepts_one_press_only_inside_the_window() -> None:
    pad = booted(RatingPadModel(0x31))
    assert pad.key_count == 4
    assert not pad.press(1, now=0.0)  # not enabled
    assert ask(pad, EnableRating(30), now=100.0) == Ack()
    assert pad.is_enabled(129.9)
    assert not pad.press(5, now=101.0)  # no such key on a 4-key scale
    assert pad.press(2, now=101.0)
    assert not pad.is_enabled(101.0)  # one rating per window
    assert not pad.press(1, now=102.0)
    assert ask(pad, Poll()) == RatingEvent(0, 2)
    assert ask(pad, Poll(acknowledge=0)) == Ack()


def test_rating_pad_window_expires_and_can_be_disabled() -> None:
    pad = booted(RatingPadModel(0x31))
    ask(pad, SetScale(5))
    ask(pad, EnableRating(10), now=0.0)
    assert not pad.press(5, now=10.0)
    ask(pad, EnableRating(10), now=20.0)
    assert ask(pad, DisableRating(), now=21.0) == Ack()
    assert not pad.press(5, now=21.0)
    ask(pad, EnableRating(10), now=30.0)
    assert pad.press(5, now=31.0)
    assert ask(pad, ShowNumber("1")) == Nak(NakReason.UNSUPPORTED_COMMAND)
