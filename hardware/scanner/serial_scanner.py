"""A serial barcode scanner read on its own thread: each code it reads reaches a listener.

The port is opened with ``serial.serial_for_url``, so a device (``/dev/ttyACM0``, ``COM5``),
a pty path (the emulator), ``socket://host:port`` or ``loop://`` all work. The thread:

- opens the port and reports :attr:`ScannerState.OK`; reads what comes; hands every complete
  line (:class:`~hardware.scanner.lines.LineDecoder`) to the listener's ``scanned``; a line
  left unfinished for ``quiet_seconds`` counts as whole (a scanner set up without a suffix);
- on any failure (unplugged, the port vanished, it cannot be opened) closes the port, reports
  :attr:`ScannerState.OFFLINE` with the reason, and opens it again after a pause doubling from
  ``reconnect_min_seconds`` to ``reconnect_max_seconds``, forever, until :meth:`stop`.

The listener is called **on the scanner's thread** and must return quickly (the kiosk turns
the calls into queued Qt signals). A state is reported only when it changes; the first is
always reported. Nothing here logs what was scanned (an ID card's text is personal data).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import serial

from hardware.scanner.errors import ScannerError
from hardware.scanner.lines import DEFAULT_MAX_LINE_BYTES, LineDecoder

logger = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 9600
"""The usual factory setting of serial scanners (a USB virtual COM port ignores it)."""
READ_TIMEOUT_SECONDS = 0.05
"""How long one read waits: bounds how late :meth:`SerialScanner.stop` and the quiet-line
check are."""


class ScannerState(StrEnum):
    """The scanner's condition, named as the protocol's ``device_status`` values."""

    OK = "ok"
    OFFLINE = "offline"


@dataclass(frozen=True)
class ScannerReport:
    """A change of condition; ``detail`` is the technical reason (for logs and staff)."""

    state: ScannerState
    detail: str


class ScanListener(Protocol):
    """Receives the scanner's results, on the scanner's thread."""

    def scanned(self, text: str) -> None:
        """One code, as read (stripped; never empty)."""

    def scanner_changed(self, report: ScannerReport) -> None:
        """The condition differs from the last report (the first always comes)."""


class SerialPort(Protocol):
    """What the reader uses of a pyserial port."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def close(self) -> None: ...


PortOpener = Callable[[], SerialPort]


def serial_opener(url: str, baudrate: int = DEFAULT_BAUDRATE) -> PortOpener:
    """Opens ``url`` with ``serial.serial_for_url`` at ``baudrate`` 8N1."""

    def open_port() -> SerialPort:
        port: SerialPort = serial.serial_for_url(url, baudrate=baudrate,
                                                 timeout=READ_TIMEOUT_SECONDS)
        return port

    return open_port


class SerialScanner:
    """See the module docstring. ``start()`` once, ``stop()`` once.

    Args:
        name: names the port in logs and reports (its URL).
        opener: opens the port (:func:`serial_opener`; tests may hand over a ``loop://``).
        clock: monotonic seconds.
    """

    def __init__(self, name: str, opener: PortOpener, listener: ScanListener, *,
                 quiet_seconds: float = 0.15, reconnect_min_seconds: float = 0.5,
                 reconnect_max_seconds: float = 10.0,
                 max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if quiet_seconds <= 0 or reconnect_min_seconds <= 0:
            raise ScannerError("quiet_seconds and reconnect_min_seconds must be > 0")
        if reconnect_max_seconds < reconnect_min_seconds:
            raise ScannerError("the reconnect maximum must not be below the minimum")
        self.name = name
        self._opener = opener
        self._listener = listener
        self._quiet_seconds = quiet_seconds
        self._reconnect_min = reconnect_min_seconds
        self._reconnect_max = reconnect_max_seconds
        self._max_line_bytes = max_line_bytes
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: ScannerState | None = None
        self.scans = 0
        """Codes delivered so far."""

    @classmethod
    def for_url(cls, url: str, listener: ScanListener, *, baudrate: int = DEFAULT_BAUDRATE,
                reconnect_min_seconds: float = 0.5,
                reconnect_max_seconds: float = 10.0) -> SerialScanner:
        """A scanner on the pyserial URL ``url``."""
        return cls(url, serial_opener(url, baudrate), listener,
                   reconnect_min_seconds=reconnect_min_seconds,
                   reconnect_max_seconds=reconnect_max_seconds)

    @property
    def running(self) -> bool:
        """The thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> ScannerState | None:
        """The last reported condition (None before the first)."""
        return self._state

    def start(self) -> None:
        """Start the thread; it opens the port at once."""
        if self._thread is not None:
            raise ScannerError("the scanner was already started")
        self._thread = threading.Thread(target=self._run, name="serial-scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread (closing the port); waits at most ``timeout`` seconds."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    # --- the scanner's thread ------------------------------------------------------------

    def _run(self) -> None:
        pause = self._reconnect_min
        while not self._stopping.is_set():
            try:
                port = self._opener()
            except (serial.SerialException, OSError, ValueError) as error:
                self._report(ScannerState.OFFLINE, f"cannot open {self.name}: {error}")
            else:
                self._report(ScannerState.OK, f"{self.name} open")
                pause = self._reconnect_min
                try:
                    self._read(port)
                except (serial.SerialException, OSError) as error:
                    self._report(ScannerState.OFFLINE, f"{self.name}: {error}")
                finally:
                    port.close()
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, self._reconnect_max)

    def _read(self, port: SerialPort) -> None:
        """Until stopped or the port fails (raises)."""
        decoder = LineDecoder(self._max_line_bytes)
        last_byte_at = self._clock()
        while not self._stopping.is_set():
            data = port.read(max(1, port.in_waiting))
            now = self._clock()
            if data:
                last_byte_at = now
                lines = decoder.feed(bytes(data))
            elif decoder.pending and now - last_byte_at >= self._quiet_seconds:
                line = decoder.flush()
                lines = [line] if line is not None else []
            else:
                continue
            for line in lines:
                self.scans += 1
                logger.info("%s: read a code of %d characters", self.name, len(line))
                self._listener.scanned(line)

    def _report(self, state: ScannerState, detail: str) -> None:
        if state is self._state:
            return
        self._state = state
        if state is ScannerState.OK:
            logger.info("scanner: %s", detail)
        else:
            logger.warning("scanner offline: %s", detail)
        self._listener.scanner_changed(ScannerReport(state, detail))
