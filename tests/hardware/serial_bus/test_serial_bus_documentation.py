"""The example frames in docs/serial-bus.md are what the code produces and accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardware.serial_bus import FrameDecoder, crc16_modbus, decode_message, encode_frame
from hardware.serial_bus.framing import frame_body

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "serial-bus.md"
ROW = re.compile(r"^\| (?P<name>[^|]+) \| `(?P<body>[0-9A-F ]+)` \| `(?P<wire>[0-9A-F ]+)` \|$")


def example_rows() -> list[tuple[str, bytes, bytes]]:
    rows = []
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows.append(
                (
                    match["name"],
                    bytes.fromhex(match["body"]),
                    bytes.fromhex(match["wire"]),
                )
            )
    return rows


EXAMPLES = example_rows()


def test_the_document_has_examples() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("name", "body", "wire"), EXAMPLES, ids=[row[0] for row in EXAMPLES])
def test_example_frame(name: str, body: bytes, wire: bytes) -> None:
    frames = FrameDecoder().feed(wire)
    assert len(frames) == 1, name
    frame = frames[0]
    assert frame_body(frame) == body
    assert encode_frame(frame) == wire
    assert crc16_modbus(body[:-2]).to_bytes(2, "little") == body[-2:]
    decode_message(frame)


def test_worked_crc_example() -> None:
    assert crc16_modbus(bytes([0x11])) == 0x4C7F
    assert crc16_modbus(bytes([0x11, 0x01])) == 0x20CC
    assert crc16_modbus(bytes([0x11, 0x01, 0x00])) == 0x5520
