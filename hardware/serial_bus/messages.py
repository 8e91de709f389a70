"""Typed payloads: one frozen dataclass per command, with ``encode_payload``/``decode_payload``.

Every class validates its fields on construction and raises :class:`PayloadError` for values
outside the protocol; ``decode_payload`` raises :class:`PayloadError` for bytes that do not
match the layout. ``message.to_frame(address)`` builds the frame; :func:`decode_message` turns a
frame back into its message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias, TypeVar

from .errors import PayloadError
from .framing import Frame
from .protocol import (
    MAX_BLINK_COUNT,
    MAX_DISPLAY_TEXT_LENGTH,
    MAX_ENTRY_TEXT_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_RATING_WINDOW_SECONDS,
    MAX_SCALE_KEYS,
    MIN_SCALE_KEYS,
    PROTOCOL_VERSION,
    SEQUENCE_MODULUS,
    Command,
    DeviceType,
    Key,
    NakReason,
)

_PRINTABLE = frozenset(range(0x20, 0x7F))
_ENTRY_CHARACTERS = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TEXT_KEYS = frozenset({Key.NUMBER, Key.TRANSFER})
_EnumT = TypeVar("_EnumT", Key, DeviceType, NakReason)


class Message(ABC):
    """A decoded payload. Subclasses are frozen dataclasses with a ``command`` class variable."""

    command: ClassVar[Command]

    @abstractmethod
    def encode_payload(self) -> bytes:
        """Return the payload bytes of this message."""

    @classmethod
    @abstractmethod
    def decode_payload(cls, payload: bytes) -> Self:
        """Build the message from payload bytes; raise PayloadError if they do not fit."""

    def to_frame(self, address: int) -> Frame:
        """Return the frame carrying this message to or from ``address``."""
        return Frame(address=address, command=self.command, payload=self.encode_payload())


# Helpers -------------------------------------------------------------------------------------


def _expect_length(command: Command, payload: bytes, length: int) -> None:
    if len(payload) != length:
        raise PayloadError(f"{command.name} payload must be {length} bytes, got {len(payload)}")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PayloadError(f"{name} must be in {low}..{high}, got {value}")


def _check_text(name: str, text: str, max_length: int, allowed: frozenset[int]) -> bytes:
    try:
        encoded = text.encode("ascii")
    except UnicodeEncodeError as error:
        raise PayloadError(f"{name} must be ASCII, got {text!r}") from error
    if len(encoded) > max_length:
        raise PayloadError(f"{name} is longer than {max_length} characters: {text!r}")
    if not set(encoded) <= allowed:
        raise PayloadError(f"{name} has characters outside the allowed set: {text!r}")
    return encoded


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as error:
        raise PayloadError(f"text is not ASCII: {raw!r}") from error


def _enum_value(kind: type[_EnumT], value: int) -> _EnumT:
    try:
        return kind(value)
    except ValueError as error:
        raise PayloadError(f"0x{value:02X} is not a {kind.__name__}") from error


def _check_sequence(sequence: int) -> None:
    _check_range("sequence", sequence, 0, SEQUENCE_MODULUS - 1)


class _EmptyMessage(Message):
    """A message without payload."""

    def encode_payload(self) -> bytes:
        return b""

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 0)
        return cls()


# Master -> device ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Poll(Message):
    """Ask for the device's next event; ``acknowledge`` is the sequence of the last event the
    master received from this device (None before the first), so the device can drop it.

    Payload: empty, or ``[acknowledge]``.
    """

    command: ClassVar[Command] = Command.POLL
    acknowledge: int | None = None

    def __post_init__(self) -> None:
        if self.acknowledge is not None:
            _check_sequence(self.acknowledge)

    def encode_payload(self) -> bytes:
        return b"" if self.acknowledge is None else bytes((self.acknowledge,))

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        if len(payload) > 1:
            raise PayloadError(f"POLL payload must be 0 or 1 byte, got {len(payload)}")
        return cls(acknowledge=payload[0] if payload else None)


@dataclass(frozen=True, slots=True)
class GetStatus(_EmptyMessage):
    """Ask the device for its STATUS. Payload: empty."""

    command: ClassVar[Command] = Command.GET_STATUS


@dataclass(frozen=True, slots=True)
class AckPowerUp(_EmptyMessage):
    """The master has seen POWER_UP: the device stops announcing it and starts sending its
    queued events. Answered with ACK. Payload: empty."""

    command: ClassVar[Command] = Command.ACK_POWER_UP


@dataclass(frozen=True, slots=True)
class ShowNumber(Message):
    """LED board: show ``text`` (1..8 printable ASCII, e.g. "1005" or "A012") and an optional
    counter ``label`` (0..8 printable ASCII); stops blinking and leaves the paused state.

    Payload: ``[len(text)] text label`` (the label runs to the end of the payload).
    """

    command: ClassVar[Command] = Command.SHOW_NUMBER
    text: str
    label: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            raise PayloadError("SHOW_NUMBER text must not be empty")
        _check_text("text", self.text, MAX_DISPLAY_TEXT_LENGTH, _PRINTABLE)
        _check_text("label", self.label, MAX_LABEL_LENGTH, _PRINTABLE)

    def encode_payload(self) -> bytes:
        text = self.text.encode("ascii")
        return bytes((len(text),)) + text + self.label.encode("ascii")

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        if not payload or len(payload) < 1 + payload[0]:
            raise PayloadError("SHOW_NUMBER payload shorter than its text length")
        text_end = 1 + payload[0]
        return cls(text=_decode_text(payload[1:text_end]), label=_decode_text(payload[text_end:]))


@dataclass(frozen=True, slots=True)
class Blink(Message):
    """LED board: blink what is shown ``count`` times (1..60), one blink per second.

    Payload: ``[count]``.
    """

    command: ClassVar[Command] = Command.BLINK
    count: int

    def __post_init__(self) -> None:
        _check_range("blink count", self.count, 1, MAX_BLINK_COUNT)

    def encode_payload(self) -> bytes:
        return bytes((self.count,))

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 1)
        return cls(count=payload[0])


@dataclass(frozen=True, slots=True)
class ShowPaused(_EmptyMessage):
    """LED board: show the paused state (the counter is not calling). Payload: empty."""

    command: ClassVar[Command] = Command.SHOW_PAUSED


@dataclass(frozen=True, slots=True)
class Clear(_EmptyMessage):
    """LED board: go blank. Payload: empty."""

    command: ClassVar[Command] = Command.CLEAR


@dataclass(frozen=True, slots=True)
class SetScale(Message):
    """Rating pad: use keys 1..``key_count`` (2..10), one per label of the configured scale.

    Payload: ``[key_count]``.
    """

    command: ClassVar[Command] = Command.SET_SCALE
    key_count: int

    def __post_init__(self) -> None:
        _check_range("key count", self.key_count, MIN_SCALE_KEYS, MAX_SCALE_KEYS)

    def encode_payload(self) -> bytes:
        return bytes((self.key_count,))

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 1)
        return cls(key_count=payload[0])


@dataclass(frozen=True, slots=True)
class EnableRating(Message):
    """Rating pad: light the keys and accept one rating within ``window_seconds`` (1..3600).

    Payload: ``window_seconds`` as 2 bytes, little-endian.
    """

    command: ClassVar[Command] = Command.ENABLE_RATING
    window_seconds: int

    def __post_init__(self) -> None:
        _check_range("rating window", self.window_seconds, 1, MAX_RATING_WINDOW_SECONDS)

    def encode_payload(self) -> bytes:
        return self.window_seconds.to_bytes(2, "little")

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 2)
        return cls(window_seconds=int.from_bytes(payload, "little"))


@dataclass(frozen=True, slots=True)
class DisableRating(_EmptyMessage):
    """Rating pad: turn the keys off and ignore presses. Payload: empty."""

    command: ClassVar[Command] = Command.DISABLE_RATING


# Device -> master ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack(_EmptyMessage):
    """Command done, or (to POLL) nothing to report. Payload: empty."""

    command: ClassVar[Command] = Command.ACK


@dataclass(frozen=True, slots=True)
class Nak(Message):
    """Command refused. Payload: ``[reason]``."""

    command: ClassVar[Command] = Command.NAK
    reason: NakReason

    def encode_payload(self) -> bytes:
        return bytes((self.reason,))

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 1)
        return cls(reason=_enum_value(NakReason, payload[0]))


@dataclass(frozen=True, slots=True)
class Status(Message):
    """Answer to GET_STATUS.

    Payload: ``[device_type, protocol_version, firmware_major, firmware_minor, queued_events]``.
    """

    command: ClassVar[Command] = Command.STATUS
    device_type: DeviceType
    firmware_major: int
    firmware_minor: int
    queued_events: int
    protocol_version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        for name in ("firmware_major", "firmware_minor", "queued_events", "protocol_version"):
            _check_range(name, getattr(self, name), 0, 255)

    def encode_payload(self) -> bytes:
        return bytes(
            (
                self.device_type,
                self.protocol_version,
                self.firmware_major,
                self.firmware_minor,
                self.queued_events,
            )
        )

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 5)
        return cls(
            device_type=_enum_value(DeviceType, payload[0]),
            protocol_version=payload[1],
            firmware_major=payload[2],
            firmware_minor=payload[3],
            queued_events=payload[4],
        )


@dataclass(frozen=True, slots=True)
class KeyEvent(Message):
    """Keypad event. ``text`` is required for NUMBER (1..8 of 0-9 A-Z), optional for TRANSFER
    (target, 0..8 of 0-9 A-Z) and empty for every other key.

    Payload: ``[sequence, key] text``.
    """

    command: ClassVar[Command] = Command.KEY
    sequence: int
    key: Key
    text: str = ""

    def __post_init__(self) -> None:
        _check_sequence(self.sequence)
        _check_text("entry text", self.text, MAX_ENTRY_TEXT_LENGTH, _ENTRY_CHARACTERS)
        if self.key is Key.NUMBER and not self.text:
            raise PayloadError("NUMBER needs the entered number as text")
        if self.text and self.key not in _TEXT_KEYS:
            raise PayloadError(f"{self.key.name} carries no text")

    def encode_payload(self) -> bytes:
        return bytes((self.sequence, self.key)) + self.text.encode("ascii")

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        if len(payload) < 2:
            raise PayloadError("KEY payload must be at least 2 bytes")
        return cls(
            sequence=payload[0], key=_enum_value(Key, payload[1]), text=_decode_text(payload[2:])
        )


@dataclass(frozen=True, slots=True)
class RatingEvent(Message):
    """Rating pad event: ``score`` is the key pressed, 1..10, key 1 = first label of the scale.

    Payload: ``[sequence, score]``.
    """

    command: ClassVar[Command] = Command.RATING
    sequence: int
    score: int

    def __post_init__(self) -> None:
        _check_sequence(self.sequence)
        _check_range("score", self.score, 1, MAX_SCALE_KEYS)

    def encode_payload(self) -> bytes:
        return bytes((self.sequence, self.score))

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 2)
        return cls(sequence=payload[0], score=payload[1])


@dataclass(frozen=True, slots=True)
class PowerUp(Message):
    """Answer to every POLL after power-up or reset until the master sends ACK_POWER_UP.

    Tells the master to forget the device's event sequence and to re-send its state (e.g. what
    an LED board shows). Payload: ``[device_type, protocol_version, firmware_major,
    firmware_minor]``.
    """

    command: ClassVar[Command] = Command.POWER_UP
    device_type: DeviceType
    firmware_major: int
    firmware_minor: int
    protocol_version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        for name in ("firmware_major", "firmware_minor", "protocol_version"):
            _check_range(name, getattr(self, name), 0, 255)

    def encode_payload(self) -> bytes:
        return bytes(
            (self.device_type, self.protocol_version, self.firmware_major, self.firmware_minor)
        )

    @classmethod
    def decode_payload(cls, payload: bytes) -> Self:
        _expect_length(cls.command, payload, 4)
        return cls(
            device_type=_enum_value(DeviceType, payload[0]),
            protocol_version=payload[1],
            firmware_major=payload[2],
            firmware_minor=payload[3],
        )


MasterMessage: TypeAlias = (
    Poll
    | GetStatus
    | AckPowerUp
    | ShowNumber
    | Blink
    | ShowPaused
    | Clear
    | SetScale
    | EnableRating
    | DisableRating
)
"""Every master-to-device message."""

DeviceEvent: TypeAlias = KeyEvent | RatingEvent
"""Device-to-master messages that carry a sequence number and wait in the device's queue."""

DeviceMessage: TypeAlias = Ack | Nak | Status | KeyEvent | RatingEvent | PowerUp
"""Every device-to-master message."""

_MASTER_TYPES: dict[Command, type[MasterMessage]] = {
    kind.command: kind
    for kind in (
        Poll,
        GetStatus,
        AckPowerUp,
        ShowNumber,
        Blink,
        ShowPaused,
        Clear,
        SetScale,
        EnableRating,
        DisableRating,
    )
}
_DEVICE_TYPES: dict[Command, type[DeviceMessage]] = {
    kind.command: kind for kind in (Ack, Nak, Status, KeyEvent, RatingEvent, PowerUp)
}


def decode_master_message(frame: Frame) -> MasterMessage:
    """Decode a master-to-device frame; raise PayloadError for a reply or a bad payload."""
    kind = _MASTER_TYPES.get(frame.command)
    if kind is None:
        raise PayloadError(f"{frame.command.name} is not a master-to-device command")
    return kind.decode_payload(frame.payload)


def decode_device_message(frame: Frame) -> DeviceMessage:
    """Decode a device-to-master frame; raise PayloadError for a request or a bad payload."""
    kind = _DEVICE_TYPES.get(frame.command)
    if kind is None:
        raise PayloadError(f"{frame.command.name} is not a device-to-master command")
    return kind.decode_payload(frame.payload)


def decode_message(frame: Frame) -> MasterMessage | DeviceMessage:
    """Decode a frame of either direction; raise PayloadError for a bad payload."""
    if frame.command.is_reply:
        return decode_device_message(frame)
    return decode_master_message(frame)
