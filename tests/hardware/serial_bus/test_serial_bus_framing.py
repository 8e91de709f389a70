"""Frame codec: round trips, corruption, resynchronisation and bounded memory."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.serial_bus import (
    BROADCAST_ADDRESS,
    Command,
    Frame,
    FrameDecoder,
    FrameError,
    crc16_modbus,
    encode_frame,
)
from hardware.serial_bus.protocol import (
    END_OF_FRAME,
    ESCAPE,
    MAX_BODY_LENGTH,
    MAX_ENCODED_FRAME_LENGTH,
    MAX_PAYLOAD_LENGTH,
    START_OF_FRAME,
)

HYPOTHESIS = settings(max_examples=300, derandomize=True, deadline=None)

device_addresses = st.integers(min_value=0x01, max_value=0xF7)
commands = st.sampled_from(list(Command))
payloads = st.binary(max_size=MAX_PAYLOAD_LENGTH)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    command = draw(commands)
    if command.is_reply:
        address = draw(device_addresses)
    else:
        address = draw(st.one_of(device_addresses, st.just(BROADCAST_ADDRESS)))
    return Frame(address=address, command=command, payload=draw(payloads))


GOOD_FRAME = Frame(address=0x42, command=Command.SHOW_NUMBER, payload=b"\x04A012")


def test_crc_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37


def test_documented_example_bytes() -> None:
    """The worked example of docs/serial-bus.md."""
    poll = Frame(address=0x11, command=Command.POLL)
    assert encode_frame(poll) == bytes.fromhex("02 11 01 00 20 55 03")


def test_special_bytes_are_escaped() -> None:
    frame = Frame(address=0x10, command=Command.KEY, payload=bytes([0x02, 0x03, 0x10]))
    encoded = encode_frame(frame)
    inner = encoded[1:-1]
    assert START_OF_FRAME not in inner and END_OF_FRAME not in inner
    assert inner.startswith(bytes([ESCAPE, 0x30]))
    assert FrameDecoder().feed(encoded) == [frame]


@pytest.mark.parametrize(
    ("address", "command", "payload"),
    [
        (0x00, Command.POLL, b""),
        (0xF8, Command.POLL, b""),
        (BROADCAST_ADDRESS, Command.ACK, b""),
        (0x11, Command.POLL, bytes(MAX_PAYLOAD_LENGTH + 1)),
    ],
)
def test_invalid_frames_are_refused(address: int, command: Command, payload: bytes) -> None:
    with pytest.raises(FrameError):
        Frame(address=address, command=command, payload=payload)


@HYPOTHESIS
@given(frames())
def test_every_frame_round_trips(frame: Frame) -> None:
    encoded = encode_frame(frame)
    assert len(encoded) <= MAX_ENCODED_FRAME_LENGTH
    decoder = FrameDecoder()
    assert decoder.feed(encoded) == [frame]
    assert decoder.statistics.discarded_bytes == 0


@HYPOTHESIS
@given(st.lists(frames(), max_size=6), st.lists(st.integers(min_value=1, max_value=40)))
def test_any_split_of_the_stream_gives_the_same_frames(
    sent: list[Frame], cut_sizes: list[int]
) -> None:
    stream = b"".join(encode_frame(frame) for frame in sent)
    decoder = FrameDecoder()
    received: list[Frame] = []
    position = 0
    for size in cut_sizes:
        received += decoder.feed(stream[position : position + size])
        position += size
    received += decoder.feed(stream[position:])
    assert received == sent


def assert_only_sent_frames_and_recovery(sent: list[Frame], damaged: bytes) -> None:
    decoder = FrameDecoder()
    received = decoder.feed(damaged)
    assert all(frame in sent for frame in received)
    assert decoder.buffered_bytes <= MAX_BODY_LENGTH
    assert decoder.feed(encode_frame(GOOD_FRAME)) == [GOOD_FRAME]


@HYPOTHESIS
@given(
    st.lists(frames(), min_size=1, max_size=5),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=7)),
        min_size=1,
        max_size=4,
    ),
)
def test_bit_flips_never_yield_a_frame_that_was_not_sent(
    sent: list[Frame], flips: list[tuple[int, int]]
) -> None:
    damaged = bytearray(b"".join(encode_frame(frame) for frame in sent))
    for position, bit in flips:
        damaged[position % len(damaged)] ^= 1 << bit
    assert_only_sent_frames_and_recovery(sent, bytes(damaged))


@HYPOTHESIS
@given(
    st.lists(frames(), min_size=1, max_size=5),
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=30),
)
def test_truncated_stream_never_yields_a_frame_that_was_not_sent(
    sent: list[Frame], start: int, length: int
) -> None:
    stream = b"".join(encode_frame(frame) for frame in sent)
    start %= len(stream)
    damaged = stream[:start] + stream[start + length :]
    assert_only_sent_frames_and_recovery(sent, damaged)


@HYPOTHESIS
@given(st.lists(st.tuples(frames(), st.binary(max_size=20)), min_size=1, max_size=5))
def test_garbage_between_frames_is_skipped(pieces: list[tuple[Frame, bytes]]) -> None:
    sent = [frame for frame, _ in pieces]
    stream = b"".join(garbage + encode_frame(frame) for frame, garbage in pieces)
    decoder = FrameDecoder()
    received = decoder.feed(stream)
    assert all(frame in sent for frame in received)
    # Garbage cannot hide a frame: every frame is preceded by its own STX.
    assert received == sent
    assert decoder.feed(encode_frame(GOOD_FRAME)) == [GOOD_FRAME]


@HYPOTHESIS
@given(
    st.lists(frames(), min_size=1, max_size=5),
    st.lists(
        st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=4,
    ),
)
def test_garbage_inside_frames_never_yields_a_frame_that_was_not_sent(
    sent: list[Frame], insertions: list[tuple[int, bytes]]
) -> None:
    damaged = bytearray(b"".join(encode_frame(frame) for frame in sent))
    for position, garbage in insertions:
        index = position % (len(damaged) + 1)
        damaged[index:index] = garbage
    assert_only_sent_frames_and_recovery(sent, bytes(damaged))


def test_buffer_stays_bounded_under_a_long_garbage_stream() -> None:
    generator = random.Random(20240611)
    decoder = FrameDecoder()
    fed = 0
    for _ in range(500):
        chunk = generator.randbytes(generator.randint(1, 400))
        assert decoder.feed(chunk) == []
        fed += len(chunk)
        assert decoder.buffered_bytes <= MAX_BODY_LENGTH
    # Worst case: a start byte followed by an endless body.
    decoder.feed(bytes([START_OF_FRAME]) + b"\x41" * 100_000)
    assert decoder.buffered_bytes <= MAX_BODY_LENGTH
    assert decoder.feed(encode_frame(GOOD_FRAME)) == [GOOD_FRAME]
    statistics = decoder.statistics
    assert statistics.frames == 1
    assert statistics.discarded_bytes >= fed
    assert statistics.malformed_frames >= 1


def test_statistics_count_each_kind_of_rejection() -> None:
    good = encode_frame(GOOD_FRAME)
    bad_checksum = bytearray(good)
    bad_checksum[-2] ^= 0xFF
    # Valid CRC but unknown command code 0x7F.
    unknown = Frame(address=0x42, command=Command.POLL)
    unknown_bytes = bytearray(encode_frame(unknown))
    unknown_bytes[2] = 0x7F
    body = bytes(unknown_bytes[1:4])
    checksum = crc16_modbus(body).to_bytes(2, "little")
    unknown_frame = bytes([START_OF_FRAME]) + body + checksum + bytes([END_OF_FRAME])
    decoder = FrameDecoder()
    assert decoder.feed(b"xx" + bytes(bad_checksum) + good[:4] + unknown_frame + good) == [
        GOOD_FRAME
    ]
    statistics = decoder.statistics
    assert statistics.checksum_errors == 1
    assert statistics.malformed_frames == 1  # the frame cut short by the next STX
    assert statistics.unsupported_frames == 1
    assert statistics.frames == 1


def test_invalid_escape_drops_the_frame() -> None:
    decoder = FrameDecoder()
    broken = bytes([START_OF_FRAME, 0x11, ESCAPE, 0x41, 0x00, END_OF_FRAME])
    assert decoder.feed(broken + encode_frame(GOOD_FRAME)) == [GOOD_FRAME]
    assert decoder.statistics.malformed_frames == 1
