"""Frame layout and the sans-I/O codec: :func:`encode_frame` and :class:`FrameDecoder`.

On the wire a frame is ``STX | escaped(body) | ETX`` where
``body = address | command | length | payload | CRC-16/MODBUS (low byte, high byte)`` and the
CRC covers address..payload. Inside the frame every STX, ETX and DLE is sent as
``DLE, byte ^ 0x20``, so STX and ETX on the wire always delimit frames and a receiver
resynchronises at the next STX whatever garbage came before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from .crc import crc16_modbus
from .errors import FrameError
from .protocol import (
    BROADCAST_ADDRESS,
    CHECKSUM_LENGTH,
    END_OF_FRAME,
    ESCAPE,
    ESCAPE_MASK,
    HEADER_LENGTH,
    MAX_BODY_LENGTH,
    MAX_PAYLOAD_LENGTH,
    MIN_BODY_LENGTH,
    SPECIAL_BYTES,
    START_OF_FRAME,
    Command,
    is_device_address,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Frame:
    """One validated frame.

    ``address`` is always the device's address, in both directions (the command code tells the
    direction); the broadcast address is allowed only on master-to-device commands.
    Raises :class:`FrameError` if a field is outside the protocol.
    """

    address: int
    command: Command
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not isinstance(self.command, Command):
            raise FrameError(f"command must be a Command, got {self.command!r}")
        if self.address == BROADCAST_ADDRESS:
            if self.command.is_reply:
                raise FrameError(f"{self.command.name} cannot be sent to the broadcast address")
        elif not is_device_address(self.address):
            raise FrameError(f"address 0x{self.address:02X} is not a device or broadcast address")
        if len(self.payload) > MAX_PAYLOAD_LENGTH:
            raise FrameError(
                f"payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD_LENGTH} bytes"
            )

    @property
    def is_broadcast(self) -> bool:
        """True if every device executes this frame and none answers."""
        return self.address == BROADCAST_ADDRESS


def frame_body(frame: Frame) -> bytes:
    """Return the unescaped body of ``frame``: header, payload and CRC (low byte first)."""
    header_and_payload = bytes((frame.address, frame.command, len(frame.payload))) + frame.payload
    return header_and_payload + crc16_modbus(header_and_payload).to_bytes(CHECKSUM_LENGTH, "little")


def escape(body: bytes) -> bytes:
    """Replace every STX, ETX and DLE in ``body`` by ``DLE, byte ^ 0x20``."""
    escaped = bytearray()
    for byte in body:
        if byte in SPECIAL_BYTES:
            escaped.append(ESCAPE)
            escaped.append(byte ^ ESCAPE_MASK)
        else:
            escaped.append(byte)
    return bytes(escaped)


def encode_frame(frame: Frame) -> bytes:
    """Return the bytes to put on the wire for ``frame``."""
    return bytes((START_OF_FRAME,)) + escape(frame_body(frame)) + bytes((END_OF_FRAME,))


class RejectReason(Enum):
    """Why the decoder dropped a frame candidate (for diagnostics)."""

    CHECKSUM = "checksum"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class DecoderStatistics:
    """Counters since the decoder was created.

    ``discarded_bytes`` counts every received byte that did not end up in a returned frame
    (garbage between frames and the bytes of rejected frames). ``checksum_errors`` counts
    frames whose CRC did not match; ``malformed_frames`` counts bad escapes, wrong lengths,
    frames cut by a new STX and over-long frames; ``unsupported_frames`` counts frames with a
    good CRC but an unknown command code or an invalid address.
    """

    frames: int = 0
    discarded_bytes: int = 0
    checksum_errors: int = 0
    malformed_frames: int = 0
    unsupported_frames: int = 0


class _State(Enum):
    HUNTING = "hunting"
    IN_FRAME = "in_frame"
    AFTER_ESCAPE = "after_escape"


class FrameDecoder:
    """Sans-I/O decoder: ``feed(bytes)`` returns the complete valid frames received so far.

    Contract:
    * a frame is returned only if its length field, CRC, command code and address are valid;
    * bytes outside STX..ETX are skipped; a bad frame is dropped and decoding resumes at the
      next STX, so the first intact frame after any corruption is decoded;
    * the buffer never holds more than ``MAX_BODY_LENGTH`` bytes, whatever is fed;
    * feeding a stream in any split yields the same frames as feeding it at once.
    """

    def __init__(self) -> None:
        self._state = _State.HUNTING
        self._body = bytearray()
        self._raw_length = 0
        self._frames = 0
        self._discarded_bytes = 0
        self._rejected: dict[RejectReason, int] = dict.fromkeys(RejectReason, 0)

    @property
    def statistics(self) -> DecoderStatistics:
        """A snapshot of the diagnostic counters."""
        return DecoderStatistics(
            frames=self._frames,
            discarded_bytes=self._discarded_bytes,
            checksum_errors=self._rejected[RejectReason.CHECKSUM],
            malformed_frames=self._rejected[RejectReason.MALFORMED],
            unsupported_frames=self._rejected[RejectReason.UNSUPPORTED],
        )

    @property
    def buffered_bytes(self) -> int:
        """Number of body bytes held for the frame being received (at most MAX_BODY_LENGTH)."""
        return len(self._body)

    @property
    def in_frame(self) -> bool:
        """True while a frame has started (STX seen) and not yet ended."""
        return self._state is not _State.HUNTING

    def reset(self) -> None:
        """Drop any partial frame (counted as discarded) and hunt for the next STX."""
        if self.in_frame:
            self._discarded_bytes += self._raw_length
        self._start_hunting()

    def feed(self, data: bytes) -> list[Frame]:
        """Consume ``data`` and return the frames it completes, in order."""
        frames: list[Frame] = []
        for byte in data:
            frame = self._consume(byte)
            if frame is not None:
                frames.append(frame)
        return frames

    def _consume(self, byte: int) -> Frame | None:
        if byte == START_OF_FRAME:
            if self.in_frame:
                self._reject(RejectReason.MALFORMED, "frame cut by a new STX")
            self._state = _State.IN_FRAME
            self._body.clear()
            self._raw_length = 1
            return None
        if self._state is _State.HUNTING:
            self._discarded_bytes += 1
            return None
        self._raw_length += 1
        if byte == END_OF_FRAME:
            if self._state is _State.AFTER_ESCAPE:
                self._reject(RejectReason.MALFORMED, "ETX after DLE")
                return None
            return self._finish()
        if self._state is _State.AFTER_ESCAPE:
            value = byte ^ ESCAPE_MASK
            if value not in SPECIAL_BYTES:
                self._reject(RejectReason.MALFORMED, f"invalid escape 0x{byte:02X}")
                return None
            self._state = _State.IN_FRAME
            self._append(value)
            return None
        if byte == ESCAPE:
            self._state = _State.AFTER_ESCAPE
            return None
        self._append(byte)
        return None

    def _append(self, value: int) -> None:
        if len(self._body) >= MAX_BODY_LENGTH:
            self._reject(RejectReason.MALFORMED, "frame longer than the protocol allows")
            return
        self._body.append(value)

    def _finish(self) -> Frame | None:
        body = bytes(self._body)
        if len(body) < MIN_BODY_LENGTH or body[2] != len(body) - MIN_BODY_LENGTH:
            self._reject(RejectReason.MALFORMED, "length field does not match the frame")
            return None
        content, checksum = body[:-CHECKSUM_LENGTH], body[-CHECKSUM_LENGTH:]
        if crc16_modbus(content) != int.from_bytes(checksum, "little"):
            self._reject(RejectReason.CHECKSUM, "CRC mismatch")
            return None
        try:
            frame = Frame(
                address=content[0], command=Command(content[1]), payload=content[HEADER_LENGTH:]
            )
        except (ValueError, FrameError) as error:
            self._reject(RejectReason.UNSUPPORTED, str(error))
            return None
        self._frames += 1
        self._start_hunting()
        return frame

    def _reject(self, reason: RejectReason, detail: str) -> None:
        logger.debug("dropped frame candidate (%s): %s", reason.value, detail)
        self._rejected[reason] += 1
        self._discarded_bytes += self._raw_length
        self._start_hunting()

    def _start_hunting(self) -> None:
        self._state = _State.HUNTING
        self._body.clear()
        self._raw_length = 0
