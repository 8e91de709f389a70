"""Printer transports (USB, serial, TCP, file) and :func:`open_printer`, which picks one by URL.

URL forms are documented in :mod:`hardware.printer.printer_url`. The virtual printer lives in
:mod:`hardware.printer.virtual`.
"""

from __future__ import annotations

import logging
import queue
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import serial

from hardware.printer.errors import (
    PrinterConnectionError,
    PrinterDriverMissingError,
    PrinterTimeoutError,
)
from hardware.printer.printer_url import (
    FileAddress,
    SerialAddress,
    TcpAddress,
    UsbAddress,
    VirtualAddress,
    parse_printer_url,
)
from hardware.printer.status import (
    STATUS_REPLY_LENGTH,
    PrinterStatus,
    parse_status_replies,
    status_request_bytes,
)
from hardware.printer.transport import Transport
from hardware.printer.virtual import VirtualPrinter

logger = logging.getLogger(__name__)


def open_printer(url: str) -> Transport:
    """Return the transport for ``url`` (see :mod:`hardware.printer.printer_url`).

    USB, TCP and serial connect on first use, so a printer switched off at start-up does not
    stop the caller; the virtual printer creates its folder now.

    Raises:
        PrinterUrlError: the URL is malformed (the message names the wrong part).
        PrinterDriverMissingError: ``usb://`` without pyusb installed.
        PrinterConnectionError: the virtual printer's folder cannot be created.
    """
    address = parse_printer_url(url)
    if isinstance(address, UsbAddress):
        return UsbTransport(address, url=url)
    if isinstance(address, SerialAddress):
        return SerialTransport(address, url=url)
    if isinstance(address, TcpAddress):
        return TcpTransport(address, url=url)
    if isinstance(address, FileAddress):
        return FileTransport(address.path, url=url)
    if isinstance(address, VirtualAddress):
        return VirtualPrinter(address.directory, width_dots=address.width_dots, url=url)
    raise AssertionError(f"unhandled printer address {address!r}")


class TcpTransport(Transport):
    """A network printer's raw port (usually 9100).

    Each job and each status request uses its own connection, closed right after: printers
    often drop idle connections, and a write into a silently dropped one would be lost.
    """

    def __init__(self, address: TcpAddress, *, url: str | None = None) -> None:
        self.address = address
        self.url = url or f"tcp://{address.host}:{address.port}"
        self._closed = False

    def write(self, data: bytes) -> None:
        """Connect, send all of ``data``, close. See :meth:`Transport.write`."""
        with self._connect() as connection:
            try:
                connection.sendall(data)
            except TimeoutError as error:
                raise PrinterTimeoutError(f"{self.url}: sending timed out") from error
            except OSError as error:
                raise PrinterConnectionError(f"{self.url}: sending failed: {error}") from error
        logger.debug("sent %d bytes to %s", len(data), self.url)

    def status(self) -> PrinterStatus:
        """Send DLE EOT 1..4 and parse the four reply bytes. See :meth:`Transport.status`."""
        with self._connect() as connection:
            try:
                connection.sendall(status_request_bytes())
                reply = _receive_exactly(connection, STATUS_REPLY_LENGTH)
            except TimeoutError as error:
                raise PrinterTimeoutError(
                    f"{self.url}: no status reply within {self.address.timeout_seconds} s"
                ) from error
            except OSError as error:
                raise PrinterConnectionError(
                    f"{self.url}: status request failed: {error}"
                ) from error
        return parse_status_replies(reply)

    def close(self) -> None:
        """Mark the transport closed (it holds no connection between jobs)."""
        self._closed = True

    def _connect(self) -> socket.socket:
        if self._closed:
            raise PrinterConnectionError(f"{self.url}: transport is closed")
        try:
            return socket.create_connection(
                (self.address.host, self.address.port), timeout=self.address.timeout_seconds
            )
        except TimeoutError as error:
            raise PrinterTimeoutError(
                f"{self.url}: no connection within {self.address.timeout_seconds} s"
            ) from error
        except OSError as error:
            raise PrinterConnectionError(f"{self.url}: cannot connect: {error}") from error


class SerialTransport(Transport):
    """A serial (RS-232 / USB-serial) printer, opened with ``serial.serial_for_url``.

    The port opens on first use and is reopened after a failure, so unplugging and
    replugging a USB-serial adapter recovers by itself. ``loop://`` works for tests.
    """

    def __init__(self, address: SerialAddress, *, url: str | None = None) -> None:
        self.address = address
        self.url = url or (address.port if "://" in address.port else f"serial://{address.port}")
        self._port: Any = None
        self._closed = False

    def write(self, data: bytes) -> None:
        """Write ``data`` and wait until it has left the port. See :meth:`Transport.write`."""
        port = self._open()
        try:
            port.write(data)
            port.flush()
        except (serial.SerialTimeoutException, queue.Full) as error:
            # queue.Full: pyserial's loop:// raises it when its buffer stays full (no reader).
            self._drop()
            raise PrinterTimeoutError(f"{self.url}: write timed out (flow control?)") from error
        except (serial.SerialException, OSError) as error:
            self._drop()
            raise PrinterConnectionError(f"{self.url}: write failed: {error}") from error
        logger.debug("sent %d bytes to %s", len(data), self.url)

    def status(self) -> PrinterStatus:
        """Send DLE EOT 1..4 and parse the four reply bytes. See :meth:`Transport.status`."""
        port = self._open()
        try:
            port.reset_input_buffer()
            port.write(status_request_bytes())
            port.flush()
            reply: bytes = port.read(STATUS_REPLY_LENGTH)
        except (serial.SerialException, OSError) as error:
            self._drop()
            raise PrinterConnectionError(f"{self.url}: status request failed: {error}") from error
        if len(reply) < STATUS_REPLY_LENGTH:
            raise PrinterTimeoutError(
                f"{self.url}: {len(reply)} of {STATUS_REPLY_LENGTH} status bytes within "
                f"{self.address.timeout_seconds} s"
            )
        return parse_status_replies(reply)

    def close(self) -> None:
        """Close the port. Idempotent."""
        self._closed = True
        self._drop()

    def _open(self) -> Any:
        if self._closed:
            raise PrinterConnectionError(f"{self.url}: transport is closed")
        if self._port is None:
            address = self.address
            try:
                self._port = serial.serial_for_url(
                    address.port,
                    baudrate=address.baudrate,
                    bytesize=address.bytesize,
                    parity=address.parity,
                    stopbits=address.stopbits,
                    rtscts=address.rtscts,
                    xonxoff=address.xonxoff,
                    dsrdtr=address.dsrdtr,
                    timeout=address.timeout_seconds,
                    write_timeout=max(address.timeout_seconds, 10.0),
                )
            except (serial.SerialException, OSError, ValueError) as error:
                raise PrinterConnectionError(
                    f"{self.url}: cannot open {address.port}: {error}"
                ) from error
            logger.info("opened serial printer %s", self.url)
        return self._port

    def _drop(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError) as error:
                logger.debug("closing %s failed: %s", self.url, error)


class UsbDevice(Protocol):
    """What :class:`UsbTransport` needs of python-escpos's ``escpos.printer.Usb``; a fake
    with these four methods stands in for a printer in tests.

    Errors: ``open`` raises an ``escpos.exceptions.Error`` (device not found) or an
    ``OSError``; the others raise ``OSError`` (pyusb's ``USBError`` and ``USBTimeoutError``
    are ``OSError`` subclasses).
    """

    def open(self) -> None:
        """Find and claim the device."""

    def close(self) -> None:
        """Release the device."""

    def _raw(self, msg: bytes) -> None:
        """Write ``msg`` to the OUT endpoint."""

    def _read(self) -> bytes:
        """Read what the IN endpoint has (up to 16 bytes), or raise on timeout."""


UsbDeviceFactory = Callable[[UsbAddress], UsbDevice]
"""Makes the (unopened) device for an address."""


def python_escpos_usb(address: UsbAddress) -> UsbDevice:
    """python-escpos's ``Usb`` printer for ``address`` (needs pyusb and libusb)."""
    from escpos.printer import Usb

    device: UsbDevice = Usb(
        idVendor=address.vendor_id,
        idProduct=address.product_id,
        timeout=int(address.timeout_seconds * 1000),
        in_ep=address.in_endpoint,
        out_ep=address.out_endpoint,
    )
    return device


class UsbTransport(Transport):
    """A USB printer through python-escpos's ``Usb`` class (needs pyusb and libusb).

    The device is claimed on first use and released by :meth:`close`; after a failed write
    or status request it is released and claimed again on the next use, so unplugging and
    replugging the printer recovers by itself.
    """

    def __init__(self, address: UsbAddress, *, url: str | None = None,
                 device_factory: UsbDeviceFactory | None = None) -> None:
        """Check that the USB driver is installed (the device is not opened yet).

        Args:
            device_factory: makes the device; by default :func:`python_escpos_usb`.

        Raises:
            PrinterDriverMissingError: no ``device_factory`` and pyusb is not installed.
        """
        self.address = address
        self.url = url or f"usb://{address.vendor_id:04x}:{address.product_id:04x}"
        self._printer: UsbDevice | None = None
        self._closed = False
        if device_factory is None:
            from escpos.printer import Usb

            if not Usb.is_usable():
                raise PrinterDriverMissingError(
                    f"{self.url}: USB printing needs the 'pyusb' package (pip install pyusb) "
                    "and the libusb library; install them or use a serial/tcp printer URL"
                )
            device_factory = python_escpos_usb
        self._device_factory = device_factory

    def write(self, data: bytes) -> None:
        """Send ``data`` to the OUT endpoint. See :meth:`Transport.write`."""
        printer = self._open()
        try:
            printer._raw(data)  # python-escpos has no public raw write
        except OSError as error:  # usb.core.USBError is an OSError
            self._drop()
            raise PrinterConnectionError(f"{self.url}: USB write failed: {error}") from error
        logger.debug("sent %d bytes to %s", len(data), self.url)

    def status(self) -> PrinterStatus:
        """Send DLE EOT 1..4 and parse the reply from the IN endpoint."""
        printer = self._open()
        reply = b""
        try:
            printer._raw(status_request_bytes())
            for _attempt in range(STATUS_REPLY_LENGTH):
                reply += bytes(printer._read())
                if len(reply) >= STATUS_REPLY_LENGTH:
                    break
        except OSError as error:
            self._drop()
            raise PrinterConnectionError(f"{self.url}: USB status failed: {error}") from error
        if len(reply) < STATUS_REPLY_LENGTH:
            raise PrinterTimeoutError(
                f"{self.url}: {len(reply)} of {STATUS_REPLY_LENGTH} status bytes received"
            )
        return parse_status_replies(reply[-STATUS_REPLY_LENGTH:])

    def close(self) -> None:
        """Release the USB device. Idempotent."""
        self._closed = True
        self._drop()

    def _open(self) -> UsbDevice:
        if self._closed:
            raise PrinterConnectionError(f"{self.url}: transport is closed")
        if self._printer is None:
            from escpos.exceptions import Error as EscposLibraryError

            printer = self._device_factory(self.address)
            try:
                printer.open()
            except (EscposLibraryError, OSError) as error:
                raise PrinterConnectionError(f"{self.url}: cannot open: {error}") from error
            self._printer = printer
            logger.info("opened USB printer %s", self.url)
        return self._printer

    def _drop(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except OSError as error:
                logger.debug("closing %s failed: %s", self.url, error)


class FileTransport(Transport):
    """Appends every job to a file (e.g. a device node such as ``/dev/usb/lp0``, or a log).

    It cannot ask for status: :meth:`status` returns None.
    """

    def __init__(self, path: Path, *, url: str | None = None) -> None:
        self.path = path
        self.url = url or path.as_uri()
        self._closed = False

    def write(self, data: bytes) -> None:
        """Append ``data`` to the file. See :meth:`Transport.write`."""
        if self._closed:
            raise PrinterConnectionError(f"{self.url}: transport is closed")
        try:
            with self.path.open("ab") as output:
                output.write(data)
        except OSError as error:
            raise PrinterConnectionError(f"{self.url}: cannot append: {error}") from error
        logger.debug("appended %d bytes to %s", len(data), self.path)

    def status(self) -> PrinterStatus | None:
        """A file cannot report printer status: always None."""
        return None

    def close(self) -> None:
        """Mark the transport closed (the file is opened per job)."""
        self._closed = True


def _receive_exactly(connection: socket.socket, count: int) -> bytes:
    received = b""
    while len(received) < count:
        chunk = connection.recv(count - len(received))
        if not chunk:
            raise PrinterConnectionError(
                f"connection closed after {len(received)} of {count} status bytes"
            )
        received += chunk
    return received
