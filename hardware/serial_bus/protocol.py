"""Constants of the counter device bus protocol (see docs/serial-bus.md).

Everything a device and the bus master must agree on lives here: framing bytes, limits,
addressing, command codes, enumerations carried in payloads, and timing.
"""

from __future__ import annotations

from enum import Enum, IntEnum

PROTOCOL_VERSION = 1
"""Version of the frame and message layout described in docs/serial-bus.md."""

# Framing -------------------------------------------------------------------------------------
START_OF_FRAME = 0x02
"""STX: starts every frame; never appears inside a frame (it is escaped)."""
END_OF_FRAME = 0x03
"""ETX: ends every frame; never appears inside a frame (it is escaped)."""
ESCAPE = 0x10
"""DLE: the next byte is a special byte XOR ``ESCAPE_MASK``."""
ESCAPE_MASK = 0x20
SPECIAL_BYTES = frozenset({START_OF_FRAME, END_OF_FRAME, ESCAPE})
"""Bytes that must be escaped between STX and ETX."""

HEADER_LENGTH = 3
"""address, command, payload length."""
CHECKSUM_LENGTH = 2
MAX_PAYLOAD_LENGTH = 64
MAX_BODY_LENGTH = HEADER_LENGTH + MAX_PAYLOAD_LENGTH + CHECKSUM_LENGTH
"""Longest frame body (between STX and ETX) before escaping."""
MIN_BODY_LENGTH = HEADER_LENGTH + CHECKSUM_LENGTH
MAX_ENCODED_FRAME_LENGTH = 2 + 2 * MAX_BODY_LENGTH
"""Longest frame on the wire: STX, every body byte escaped, ETX."""

# Addressing ----------------------------------------------------------------------------------
FIRST_DEVICE_ADDRESS = 0x01
LAST_DEVICE_ADDRESS = 0xF7
BROADCAST_ADDRESS = 0xFF
"""Commands sent to this address are executed by every device and never answered."""

REPLY_FLAG = 0x80
"""Set in the command code of every device-to-master frame."""

# Timing --------------------------------------------------------------------------------------
DEFAULT_BAUDRATE = 19200
BITS_PER_BYTE = 10
"""8N1: start bit, 8 data bits, stop bit."""
DEVICE_REPLY_DEADLINE_SECONDS = 0.020
"""A device starts its reply within this time after the ETX of a request to it."""
DEFAULT_REPLY_TIMEOUT_SECONDS = 0.100
"""The master gives up on a reply this long after it has sent the request (plus frame time)."""
DEFAULT_POLL_INTERVAL_SECONDS = 0.200
"""Recommended time between two polls of the same device."""
DEFAULT_OFFLINE_AFTER_MISSES = 3
"""Consecutive unanswered polls after which a device is reported offline."""
BLINK_CYCLE_SECONDS = 1.0
"""One blink of an LED board: 0.5 s dark, 0.5 s lit."""

# Payload limits ------------------------------------------------------------------------------
MAX_DISPLAY_TEXT_LENGTH = 8
MAX_LABEL_LENGTH = 8
MAX_ENTRY_TEXT_LENGTH = 8
MAX_BLINK_COUNT = 60
MIN_SCALE_KEYS = 2
MAX_SCALE_KEYS = 10
MAX_RATING_WINDOW_SECONDS = 3600
SEQUENCE_MODULUS = 256


class Command(IntEnum):
    """Command codes. Codes with ``REPLY_FLAG`` set travel from a device to the master."""

    # master -> device
    POLL = 0x01
    GET_STATUS = 0x05
    ACK_POWER_UP = 0x06
    SHOW_NUMBER = 0x11
    BLINK = 0x12
    SHOW_PAUSED = 0x13
    CLEAR = 0x14
    SET_SCALE = 0x21
    ENABLE_RATING = 0x22
    DISABLE_RATING = 0x23
    # device -> master
    ACK = 0x81
    NAK = 0x82
    STATUS = 0x83
    KEY = 0x84
    RATING = 0x85
    POWER_UP = 0x86

    @property
    def is_reply(self) -> bool:
        """True for device-to-master commands."""
        return bool(self.value & REPLY_FLAG)


class DeviceType(IntEnum):
    """Kind of device, reported in STATUS and POWER_UP (ASCII mnemonics)."""

    LED_BOARD = 0x4C  # 'L'
    KEYPAD = 0x4B  # 'K'
    RATING_PAD = 0x52  # 'R'


class Key(IntEnum):
    """Keys of the call keypad, carried in KEY (ASCII mnemonics)."""

    NEXT = 0x4E  # 'N'
    RECALL = 0x52  # 'R'
    NO_SHOW = 0x58  # 'X'
    FINISH = 0x46  # 'F'
    TRANSFER = 0x54  # 'T'  optional text: target counter or service
    START = 0x53  # 'S'  start serving the called ticket
    PAUSE = 0x50  # 'P'
    RESUME = 0x55  # 'U'
    NUMBER = 0x23  # '#'  text: the ticket number entered, e.g. "1005" or "A012"


class NakReason(IntEnum):
    """Why a device refused a command (ASCII mnemonics)."""

    UNSUPPORTED_COMMAND = 0x43  # 'C'
    INVALID_PAYLOAD = 0x50  # 'P'


class DeviceState(Enum):
    """Health of a device as seen by the master."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


def is_device_address(address: int) -> bool:
    """True if ``address`` may be assigned to a device (0x01..0xF7)."""
    return FIRST_DEVICE_ADDRESS <= address <= LAST_DEVICE_ADDRESS


def frame_seconds(byte_count: int, baudrate: int) -> float:
    """Time to transmit ``byte_count`` bytes at ``baudrate`` with 8N1 framing."""
    return byte_count * BITS_PER_BYTE / baudrate
