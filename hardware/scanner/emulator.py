"""A simulated serial barcode scanner, for the demo and tests.

It serves the device side of a pseudo-terminal (the kiosk opens the pty's path as its
``--scanner``) or of a TCP port (the kiosk opens ``socket://host:port``, which also works
where there are no pseudo-terminals, and lets a test unplug and plug the scanner back)::

    with ScannerEmulator.on_pty() as scanner:        # scanner.url: "/dev/pts/7"
        scanner.scan("QMSB:ABCDEFGH")               # what a scanner sends: the code, CR LF

Command line (prints the URL for ``qms kiosk --scanner``, then scans each line typed)::

    python -m hardware.scanner.emulator [--listen HOST:PORT]

``booking CODE`` scans a booking's QR, ``card`` a made-up ID card of someone 78 years old
(``card 40`` of someone 40), anything else is scanned as typed; ``q`` quits.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import TextIO

from hardware.scanner.errors import ScannerError
from hardware.scanner.samples import booking_qr_text, id_card_text, years_before

logger = logging.getLogger(__name__)

LINE_END = b"\r\n"


class ScannerEmulator:
    """The device side of a simulated scanner; build with :meth:`on_pty` or
    :meth:`listening`. Thread-safe. Close with :meth:`close` (or ``with``)."""

    def __init__(self, url: str, write: Callable[[bytes], None], close: Callable[[], None],
                 unplug: Callable[[], None] | None = None) -> None:
        self.url = url
        """What the kiosk opens: a pty path or ``socket://host:port``."""
        self._write = write
        self._close = close
        self._unplug = unplug
        self._lock = threading.Lock()

    @classmethod
    def on_pty(cls) -> ScannerEmulator:
        """A scanner on a new pseudo-terminal (POSIX); raises ScannerError without one."""
        import tty  # POSIX only

        try:
            master, slave = os.openpty()
        except (OSError, AttributeError) as error:
            raise ScannerError(f"cannot create a pseudo-terminal: {error}") from error
        try:
            tty.setraw(slave)
            path = os.ttyname(slave)
        except OSError as error:
            os.close(master)
            os.close(slave)
            raise ScannerError(f"cannot configure the pseudo-terminal: {error}") from error

        def write(data: bytes) -> None:
            view = memoryview(data)
            while view:
                view = view[os.write(master, view):]

        def close() -> None:
            for descriptor in (master, slave):
                with contextlib.suppress(OSError):  # closed already
                    os.close(descriptor)

        # The slave stays open so the pty survives the kiosk closing and reopening it.
        return cls(path, write, close)

    @classmethod
    def listening(cls, host: str = "127.0.0.1", port: int = 0) -> ScannerEmulator:
        """A scanner the kiosk reaches at ``socket://host:port`` (port 0: a free one). Each
        connection replaces the previous; :meth:`unplug` drops the current one."""
        try:
            server = socket.create_server((host, port))
        except OSError as error:
            raise ScannerError(f"cannot listen on {host}:{port}: {error}") from error
        bound_host, bound_port = server.getsockname()[:2]
        connections: list[socket.socket] = []
        connected = threading.Condition()

        def accept() -> None:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return  # closed
                with connected:
                    for old in connections:
                        old.close()
                    connections[:] = [connection]
                    connected.notify_all()

        threading.Thread(target=accept, name="scanner-emulator", daemon=True).start()

        def write(data: bytes) -> None:
            with connected:
                if not connected.wait_for(lambda: bool(connections), timeout=5.0):
                    raise ScannerError("no kiosk is connected to the emulated scanner")
                connections[0].sendall(data)

        def unplug() -> None:
            with connected:
                for old in connections:
                    old.close()
                connections.clear()

        def close() -> None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the
            # socket listening until that call returned.
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
            unplug()

        return cls(f"socket://{bound_host}:{bound_port}", write, close, unplug)

    def scan(self, text: str, line_end: bytes = LINE_END) -> None:
        """Send ``text`` (UTF-8) as one read code, followed by ``line_end``."""
        self.send(text.encode("utf-8") + line_end)

    def send(self, data: bytes) -> None:
        """Send raw bytes (a code cut in parts, garbage, a line without its end)."""
        with self._lock:
            try:
                self._write(data)
            except OSError as error:
                raise ScannerError(f"cannot send to {self.url}: {error}") from error

    def unplug(self) -> None:
        """Drop the kiosk's connection, as pulling the cable does (TCP only: a pty's path
        cannot come back)."""
        if self._unplug is None:
            raise ScannerError("only a TCP scanner can be unplugged and plugged back")
        self._unplug()

    def close(self) -> None:
        """Stop serving."""
        self._close()

    def __enter__(self) -> ScannerEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def console_line(line: str, today: date) -> str | None:
    """What a console line scans (see the module docstring); None for an empty line."""
    words = line.split()
    if not words:
        return None
    if words[0] == "booking" and len(words) == 2:
        return booking_qr_text(words[1])
    if words[0] == "card" and len(words) <= 2:
        age = int(words[1]) if len(words) == 2 and words[1].isdigit() else 78
        return id_card_text(years_before(today, age), issued=date(2021, 5, 10)
                            if today >= date(2021, 5, 10) else today)
    return line.strip()


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None) -> int:
    """Run the emulator until ``q`` or the end of input; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m hardware.scanner.emulator",
                                     description="A simulated serial barcode scanner.")
    parser.add_argument("--listen", metavar="HOST:PORT",
                        help="serve socket://HOST:PORT instead of a new pty")
    arguments = parser.parse_args(argv)
    output = sys.stdout if stdout is None else stdout
    lines = sys.stdin if stdin is None else stdin

    def say(text: str) -> None:
        print(text, file=output, flush=True)

    try:
        if arguments.listen:
            host, _, port = arguments.listen.rpartition(":")
            emulator = ScannerEmulator.listening(host or "127.0.0.1", int(port))
        else:
            emulator = ScannerEmulator.on_pty()
    except (ScannerError, ValueError) as error:
        say(f"error: {error}")
        return 1
    with emulator:
        say(f"Scanner on {emulator.url}  (qms kiosk --scanner {emulator.url})")
        say("Type a code and Enter to scan it; 'booking ABCD-EFGH', 'card' (78 years old), "
            "'card 40'; q to quit.")
        for line in lines:
            if line.strip() == "q":
                break
            text = console_line(line, date.today())
            if text is None:
                continue
            try:
                emulator.scan(text)
            except ScannerError as error:
                say(f"error: {error}")
                continue
            say(f"scanned {len(text)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
