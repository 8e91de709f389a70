"""Serial device bus of the counters: framing codec, messages, bus master and device models.

The protocol (docs/serial-bus.md): ``STX | escaped(address, command, length, payload, CRC16) |
ETX`` over RS-485 or USB-serial at 19200 8N1, polled by one master. Everything here is sans-I/O
except :mod:`.port`, :mod:`.master` and :mod:`.emulator` (import the emulator directly:
``from hardware.serial_bus.emulator import DeviceEmulator``).
"""

from .crc import crc16_modbus
from .device import DeviceModel
from .device_set import DeviceSet, LoopbackDevicePort
from .errors import (
    BusError,
    CommandRejectedError,
    FrameError,
    NoReplyError,
    PayloadError,
    PortError,
    UnexpectedReplyError,
)
from .event_queue import EventQueue
from .framing import DecoderStatistics, Frame, FrameDecoder, encode_frame
from .health import DeviceHealth, HealthChange
from .keypad import KeypadModel
from .led_board import LedBoardModel, LedDisplay, LedMode
from .master import BusMaster, MasterStatistics
from .messages import (
    Ack,
    AckPowerUp,
    Blink,
    Clear,
    DeviceEvent,
    DeviceMessage,
    DisableRating,
    EnableRating,
    GetStatus,
    KeyEvent,
    MasterMessage,
    Message,
    Nak,
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
from .port import BusPort, FileDescriptorPort, SerialBusPort, SocketPort, open_bus
from .protocol import (
    BROADCAST_ADDRESS,
    DEFAULT_BAUDRATE,
    DEFAULT_OFFLINE_AFTER_MISSES,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_REPLY_TIMEOUT_SECONDS,
    PROTOCOL_VERSION,
    Command,
    DeviceState,
    DeviceType,
    Key,
    NakReason,
)
from .pty_pair import PtyPair, open_pty_pair
from .rating_pad import RatingPadModel
from .tcp_listener import TcpListener

__all__ = [
    "BROADCAST_ADDRESS",
    "DEFAULT_BAUDRATE",
    "DEFAULT_OFFLINE_AFTER_MISSES",
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_REPLY_TIMEOUT_SECONDS",
    "PROTOCOL_VERSION",
    "Ack",
    "AckPowerUp",
    "Blink",
    "BusError",
    "BusMaster",
    "BusPort",
    "Clear",
    "Command",
    "CommandRejectedError",
    "DecoderStatistics",
    "DeviceEvent",
    "DeviceHealth",
    "DeviceMessage",
    "DeviceModel",
    "DeviceSet",
    "DeviceState",
    "DeviceType",
    "DisableRating",
    "EnableRating",
    "EventQueue",
    "FileDescriptorPort",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "GetStatus",
    "HealthChange",
    "Key",
    "KeyEvent",
    "KeypadModel",
    "LedBoardModel",
    "LedDisplay",
    "LedMode",
    "LoopbackDevicePort",
    "MasterMessage",
    "MasterStatistics",
    "Message",
    "Nak",
    "NakReason",
    "NoReplyError",
    "PayloadError",
    "Poll",
    "PortError",
    "PowerUp",
    "PtyPair",
    "RatingEvent",
    "RatingPadModel",
    "SerialBusPort",
    "SetScale",
    "ShowNumber",
    "ShowPaused",
    "SocketPort",
    "Status",
    "TcpListener",
    "UnexpectedReplyError",
    "crc16_modbus",
    "decode_device_message",
    "decode_master_message",
    "decode_message",
    "encode_frame",
    "open_bus",
    "open_pty_pair",
]
