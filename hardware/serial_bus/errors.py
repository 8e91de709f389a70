"""The one exception hierarchy of the serial device bus: everything raised here is a BusError."""

from __future__ import annotations

from .protocol import Command, NakReason


class BusError(Exception):
    """Base class of every error raised by :mod:`hardware.serial_bus`."""


class FrameError(BusError, ValueError):
    """A frame cannot be built: address, command or payload length outside the protocol."""


class PayloadError(BusError, ValueError):
    """A payload does not match the layout of its command (on encode or on decode)."""


class PortError(BusError, OSError):
    """A port cannot be opened, read or written (wraps pyserial and OS errors)."""


class NoReplyError(BusError):
    """A device did not answer a command within the reply timeout, after every attempt."""

    def __init__(self, address: int, command: Command, attempts: int) -> None:
        super().__init__(
            f"device 0x{address:02X} did not answer {command.name} after {attempts} attempt(s)"
        )
        self.address = address
        self.command = command
        self.attempts = attempts


class CommandRejectedError(BusError):
    """A device answered a command with NAK."""

    def __init__(self, address: int, command: Command, reason: NakReason) -> None:
        super().__init__(f"device 0x{address:02X} rejected {command.name}: {reason.name}")
        self.address = address
        self.command = command
        self.reason = reason


class UnexpectedReplyError(BusError):
    """A device answered with a reply that the protocol does not allow for the request."""
