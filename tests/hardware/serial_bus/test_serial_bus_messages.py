"""Typed payloads: round trips, validation, and decoding of arbitrary bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.serial_bus import (
    Ack,
    AckPowerUp,
    Blink,
    Clear,
    Command,
    DeviceType,
    DisableRating,
    EnableRating,
    Frame,
    GetStatus,
    Key,
    KeyEvent,
    Message,
    Nak,
    NakReason,
    PayloadError,
    Poll,
    PowerUp,
    RatingEvent,
    SetScale,
    ShowNumber,
    ShowPaused,
    Status,
    decode_device_message,
    decode_master_message,
    decode_message,
)
from hardware.serial_bus.protocol import MAX_PAYLOAD_LENGTH

HYPOTHESIS = settings(max_examples=300, derandomize=True, deadline=None)

printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
entry = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
byte = st.integers(min_value=0, max_value=255)

messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(Poll, acknowledge=st.none() | byte),
    st.just(GetStatus()),
    st.just(AckPowerUp()),
    st.builds(ShowNumber, text=printable.filter(bool), label=printable),
    st.builds(Blink, count=st.integers(min_value=1, max_value=60)),
    st.just(ShowPaused()),
    st.just(Clear()),
    st.builds(SetScale, key_count=st.integers(min_value=2, max_value=10)),
    st.builds(EnableRating, window_seconds=st.integers(min_value=1, max_value=3600)),
    st.just(DisableRating()),
    st.just(Ack()),
    st.builds(Nak, reason=st.sampled_from(NakReason)),
    st.builds(
        Status,
        device_type=st.sampled_from(DeviceType),
        firmware_major=byte,
        firmware_minor=byte,
        queued_events=byte,
        protocol_version=byte,
    ),
    st.builds(
        KeyEvent,
        sequence=byte,
        key=st.sampled_from([key for key in Key if key not in {Key.NUMBER, Key.TRANSFER}]),
    ),
    st.builds(KeyEvent, sequence=byte, key=st.just(Key.NUMBER), text=entry),
    st.builds(KeyEvent, sequence=byte, key=st.just(Key.TRANSFER), text=entry | st.just("")),
    st.builds(RatingEvent, sequence=byte, score=st.integers(min_value=1, max_value=10)),
    st.builds(
        PowerUp,
        device_type=st.sampled_from(DeviceType),
        firmware_major=byte,
        firmware_minor=byte,
        protocol_version=byte,
    ),
)


@HYPOTHESIS
@given(messages, st.integers(min_value=1, max_value=0xF7))
def test_every_message_round_trips(message: Message, address: int) -> None:
    frame = message.to_frame(address)
    assert frame.command is message.command
    assert decode_message(frame) == message


@HYPOTHESIS
@given(st.sampled_from(Command), st.binary(max_size=MAX_PAYLOAD_LENGTH))
def test_arbitrary_payloads_decode_or_raise_payload_error(command: Command, payload: bytes) -> None:
    frame = Frame(address=0x11, command=command, payload=payload)
    try:
        message = decode_message(frame)
    except PayloadError:
        return
    assert message.encode_payload() == payload


def test_every_command_has_a_message_type() -> None:
    covered = set()
    for command in Command:
        frame = Frame(address=0x11, command=command)
        try:
            decode_message(frame)
        except PayloadError as error:
            assert "is not a" not in str(error)
        covered.add(command)
    assert covered == set(Command)


def test_direction_is_checked() -> None:
    with pytest.raises(PayloadError):
        decode_master_message(Ack().to_frame(0x11))
    with pytest.raises(PayloadError):
        decode_device_message(Poll().to_frame(0x11))


def test_show_number_layout() -> None:
    assert ShowNumber("1005", "3").encode_payload() == b"\x0410053"
    assert ShowNumber.decode_payload(b"\x04A012Q.3") == ShowNumber("A012", "Q.3")


@pytest.mark.parametrize(
    "build",
    [
        lambda: ShowNumber(""),
        lambda: ShowNumber("123456789"),
        lambda: ShowNumber("số"),
        lambda: ShowNumber("12\n"),
        lambda: Blink(0),
        lambda: Blink(61),
        lambda: SetScale(1),
        lambda: SetScale(11),
        lambda: EnableRating(0),
        lambda: KeyEvent(0, Key.NUMBER),
        lambda: KeyEvent(0, Key.NEXT, "1"),
        lambda: KeyEvent(0, Key.NUMBER, "a12"),
        lambda: KeyEvent(256, Key.NEXT),
        lambda: RatingEvent(0, 0),
        lambda: Poll(acknowledge=-1),
    ],
)
def test_values_outside_the_protocol_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(PayloadError):
        build()


@pytest.mark.parametrize(
    ("command", "payload"),
    [
        (Command.SHOW_NUMBER, b""),
        (Command.SHOW_NUMBER, b"\x05123"),
        (Command.KEY, b"\x00\x01"),  # unknown key code
        (Command.KEY, b"\x00"),
        (Command.NAK, b"\x00"),
        (Command.POLL, b"\x00\x00"),
        (Command.ENABLE_RATING, b"\x01"),
        (Command.STATUS, b"\x00\x01\x01\x00\x00"),  # unknown device type
    ],
)
def test_malformed_payloads_are_refused(command: Command, payload: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_message(Frame(address=0x11, command=command, payload=payload))
