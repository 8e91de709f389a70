"""Byte transports for the bus: the :class:`BusPort` interface and its implementations.

:func:`open_bus` opens any pyserial URL with ``serial.serial_for_url`` (a device such as
``/dev/ttyUSB0`` or ``COM3``, a pty path, ``loop://``, ``socket://host:port``, ``rfc2217://``).
:class:`FileDescriptorPort` and :class:`SocketPort` serve the device side of a pty pair or a TCP
connection in the emulator. Every OS or pyserial failure surfaces as :class:`PortError`.
"""

from __future__ import annotations

import logging
import os
import select
import socket
from typing import Protocol

import serial

from .errors import PortError
from .protocol import DEFAULT_BAUDRATE

logger = logging.getLogger(__name__)

DEFAULT_READ_TIMEOUT_SECONDS = 0.01
DEFAULT_WRITE_TIMEOUT_SECONDS = 1.0


class BusPort(Protocol):
    """A half-duplex byte pipe to the bus. Not thread-safe: one user at a time."""

    @property
    def baudrate(self) -> int:
        """Line speed in bits per second (used to compute frame transmission times)."""
        ...

    def write(self, data: bytes) -> None:
        """Send every byte of ``data`` (waits until handed to the line); raise PortError."""
        ...

    def read(self, max_bytes: int) -> bytes:
        """Return 1..max_bytes received bytes, or b"" after the port's read timeout."""
        ...

    def discard_input(self) -> None:
        """Drop bytes received and not yet read."""
        ...

    def close(self) -> None:
        """Release the port; further calls are errors. Closing twice is allowed."""
        ...


class SerialBusPort:
    """:class:`BusPort` over a pyserial port object."""

    def __init__(self, serial_port: serial.SerialBase) -> None:
        self._serial = serial_port

    @property
    def baudrate(self) -> int:
        return int(self._serial.baudrate)

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as error:
            raise PortError(f"cannot write to {self._serial.port}: {error}") from error

    def read(self, max_bytes: int) -> bytes:
        try:
            waiting = int(self._serial.in_waiting)
            data = self._serial.read(max(1, min(max_bytes, waiting)))
        except (serial.SerialException, OSError) as error:
            raise PortError(f"cannot read from {self._serial.port}: {error}") from error
        return bytes(data)

    def discard_input(self) -> None:
        try:
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError) as error:
            raise PortError(f"cannot reset {self._serial.port}: {error}") from error

    def close(self) -> None:
        self._serial.close()


def open_bus(
    url: str,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
    write_timeout: float = DEFAULT_WRITE_TIMEOUT_SECONDS,
) -> SerialBusPort:
    """Open ``url`` with ``serial.serial_for_url`` at ``baudrate`` 8N1; raise PortError.

    ``read_timeout`` bounds how long one :meth:`BusPort.read` waits for a first byte.
    """
    try:
        serial_port = serial.serial_for_url(
            url,
            baudrate=baudrate,
            bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE,
            timeout=read_timeout,
            write_timeout=write_timeout,
        )
    except (serial.SerialException, OSError, ValueError) as error:
        raise PortError(f"cannot open bus port {url!r}: {error}") from error
    logger.debug("opened bus port %s at %d baud", url, baudrate)
    return SerialBusPort(serial_port)


class FileDescriptorPort:
    """:class:`BusPort` over a POSIX file descriptor (e.g. the master side of a pty).

    Does not own the descriptor unless ``owns_descriptor`` is True.
    """

    def __init__(
        self,
        descriptor: int,
        *,
        read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
        baudrate: int = DEFAULT_BAUDRATE,
        owns_descriptor: bool = False,
    ) -> None:
        self._descriptor = descriptor
        self._read_timeout = read_timeout
        self._baudrate = baudrate
        self._owns_descriptor = owns_descriptor
        self._closed = False

    @property
    def baudrate(self) -> int:
        return self._baudrate

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._descriptor, view)
                view = view[written:]
        except OSError as error:
            raise PortError(f"cannot write to descriptor {self._descriptor}: {error}") from error

    def read(self, max_bytes: int) -> bytes:
        try:
            ready, _, _ = select.select([self._descriptor], [], [], self._read_timeout)
            return os.read(self._descriptor, max_bytes) if ready else b""
        except OSError as error:
            raise PortError(f"cannot read descriptor {self._descriptor}: {error}") from error

    def discard_input(self) -> None:
        while self._has_input():
            self.read(4096)

    def _has_input(self) -> bool:
        try:
            ready, _, _ = select.select([self._descriptor], [], [], 0)
        except OSError as error:
            raise PortError(f"cannot poll descriptor {self._descriptor}: {error}") from error
        return bool(ready)

    def close(self) -> None:
        if self._owns_descriptor and not self._closed:
            os.close(self._descriptor)
        self._closed = True


class SocketPort:
    """:class:`BusPort` over a connected TCP socket (the device side of ``socket://``).

    Owns the socket and closes it on :meth:`close`. A peer that closed the connection raises
    PortError on the next read.
    """

    def __init__(
        self,
        connection: socket.socket,
        *,
        read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
        baudrate: int = DEFAULT_BAUDRATE,
    ) -> None:
        self._connection = connection
        self._read_timeout = read_timeout
        self._connection.settimeout(read_timeout)
        self._baudrate = baudrate

    @property
    def baudrate(self) -> int:
        return self._baudrate

    def write(self, data: bytes) -> None:
        try:
            self._connection.sendall(data)
        except OSError as error:
            raise PortError(f"cannot send to the bus master: {error}") from error

    def read(self, max_bytes: int) -> bytes:
        try:
            data = self._connection.recv(max_bytes)
        except TimeoutError:
            return b""
        except OSError as error:
            raise PortError(f"cannot receive from the bus master: {error}") from error
        if not data:
            raise PortError("the bus master closed the connection")
        return data

    def discard_input(self) -> None:
        self._connection.setblocking(False)
        try:
            while self._connection.recv(4096):
                pass
        except BlockingIOError:
            pass
        except OSError as error:
            raise PortError(f"cannot receive from the bus master: {error}") from error
        finally:
            self._connection.settimeout(self._read_timeout)

    def close(self) -> None:
        self._connection.close()
