"""Device emulator: runs device models on a serial URL, a pty pair or a TCP socket, in a thread.

Library use::

    with open_pty_pair() as pty:
        emulator = DeviceEmulator(pty.device_port(), [KeypadModel(0x11), LedBoardModel(0x21)])
        with emulator:
            master = BusMaster(open_bus(pty.slave_path))
            emulator.press_key(0x11, Key.NEXT)
            master.poll(0x11)

Command line (prints the path or URL the bus master should open, then reads keys)::

    python -m hardware.serial_bus.emulator [--port URL | --listen HOST:PORT]
        [--keypad 0x11] [--led 0x21] [--pad 0x31] [--pad-label LABEL ...]

``--pad-label`` (once per key, key 1 first) names what the rating pad's keys give, as the
bridge's device map says; the console then shows it in its help and on each press.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO, TypeVar

from .console import EmulatorConsole, describe_handled_frame, help_text, print_to
from .device import DeviceModel
from .device_set import DeviceSet, FrameListener
from .errors import BusError, PortError
from .framing import Frame, FrameDecoder, encode_frame
from .keypad import KeypadModel
from .led_board import LedBoardModel, LedDisplay
from .port import BusPort, open_bus
from .protocol import DEFAULT_BAUDRATE, MAX_SCALE_KEYS, Key, is_device_address
from .pty_pair import PtyPair, open_pty_pair
from .rating_pad import RatingPadModel
from .tcp_listener import TcpListener

logger = logging.getLogger(__name__)

_READ_CHUNK = 256
_DeviceT = TypeVar("_DeviceT", bound=DeviceModel)


class DeviceEmulator:
    """Answers a bus master from device models, in a background thread.

    The emulator does not own ``port``: close it after :meth:`stop`. All methods are
    thread-safe; models are only touched under the emulator's lock. If the port fails, the
    thread stops and :attr:`failure` holds the PortError.
    """

    def __init__(
        self,
        port: BusPort,
        devices: Iterable[DeviceModel],
        *,
        clock: Callable[[], float] = time.monotonic,
        on_handled: FrameListener | None = None,
    ) -> None:
        self._port = port
        self._devices = DeviceSet(devices, on_handled=on_handled)
        self._clock = clock
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: PortError | None = None

    @property
    def failure(self) -> PortError | None:
        """The port error that stopped the thread, if any."""
        return self._failure

    @property
    def is_running(self) -> bool:
        """True while the thread serves the bus."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start serving the bus; raise BusError if already started."""
        if self._thread is not None:
            raise BusError("the emulator was already started")
        self._thread = threading.Thread(target=self._serve, name="serial-bus-emulator", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` seconds for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> DeviceEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def press_key(self, address: int, key: Key, text: str = "") -> bool:
        """Press a key on the keypad at ``address``; see :meth:`KeypadModel.press`."""
        with self._lock:
            return self._device(address, KeypadModel).press(key, text)

    def press_rating(self, address: int, score: int) -> bool:
        """Press key ``score`` on the rating pad at ``address``; True if a RATING was queued."""
        with self._lock:
            return self._device(address, RatingPadModel).press(score, self._clock())

    def led_display(self, address: int) -> LedDisplay:
        """What the LED board at ``address`` shows now."""
        with self._lock:
            return self._device(address, LedBoardModel).display(self._clock())

    def rating_enabled(self, address: int) -> bool:
        """True while the rating pad at ``address`` is lit."""
        with self._lock:
            return self._device(address, RatingPadModel).is_enabled(self._clock())

    def rating_keys(self, address: int) -> int:
        """How many keys the rating pad at ``address`` uses (its scale, set by SET_SCALE)."""
        with self._lock:
            return self._device(address, RatingPadModel).key_count

    def set_responding(self, address: int, responding: bool) -> None:
        """Plug (True) or unplug (False) one device."""
        with self._lock:
            self._devices.set_responding(address, responding)

    def set_all_responding(self, responding: bool) -> None:
        """Plug or unplug every device."""
        with self._lock:
            for device in self._devices.devices:
                self._devices.set_responding(device.address, responding)

    def restart(self, address: int) -> None:
        """Power-cycle one device (it loses its state and queues POWER_UP)."""
        with self._lock:
            self._devices.device(address).restart()

    def restart_all(self) -> None:
        """Power-cycle every device."""
        with self._lock:
            for device in self._devices.devices:
                device.restart()

    def _device(self, address: int, kind: type[_DeviceT]) -> _DeviceT:
        device = self._devices.device(address)
        if not isinstance(device, kind):
            raise BusError(f"device 0x{address:02X} is not a {kind.__name__}")
        return device

    def _serve(self) -> None:
        decoder = FrameDecoder()
        try:
            while not self._stopping.is_set():
                for frame in decoder.feed(self._port.read(_READ_CHUNK)):
                    self._answer(frame)
        except PortError as error:
            self._failure = error
            logger.error("emulator stopped: %s", error)

    def _answer(self, frame: Frame) -> None:
        with self._lock:
            reply = self._devices.handle(frame, self._clock())
        if reply is not None:
            self._port.write(encode_frame(reply))


# Command line --------------------------------------------------------------------------------


def parse_address(text: str) -> int:
    """Parse a device address given as ``0x11`` or ``17`` (argparse type)."""
    try:
        address = int(text, 0)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an address: {text!r}") from error
    if not is_device_address(address):
        raise argparse.ArgumentTypeError(f"device addresses are 0x01..0xF7, got {text!r}")
    return address


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.serial_bus.emulator",
        description="Emulate a call keypad, a counter LED board and a rating pad on a bus.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", help="serial URL or device to serve (default: a new pty)")
    where.add_argument("--listen", metavar="HOST:PORT", help="serve socket:// on a TCP port")
    parser.add_argument("--keypad", type=parse_address, default=0x11, help="default 0x11")
    parser.add_argument("--led", type=parse_address, default=0x21, help="default 0x21")
    parser.add_argument("--pad", type=parse_address, default=0x31, help="default 0x31")
    parser.add_argument("--baudrate", type=int, default=DEFAULT_BAUDRATE)
    parser.add_argument("--pad-label", dest="pad_labels", action="append", default=[],
                        metavar="LABEL",
                        help="what the rating pad's next key gives (once per key, key 1 "
                             "first, as the bridge's device map says), e.g. --pad-label "
                             "'Không hài lòng' ... --pad-label 'Rất hài lòng'")
    arguments = parser.parse_args(argv)
    if len({arguments.keypad, arguments.led, arguments.pad}) < 3:
        parser.error("the keypad, LED board and rating pad need different addresses")
    if len(arguments.pad_labels) > MAX_SCALE_KEYS:
        parser.error(f"a rating pad has at most {MAX_SCALE_KEYS} keys")
    return arguments


def _open_device_port(
    arguments: argparse.Namespace, write: Callable[[str], None]
) -> tuple[BusPort, PtyPair | None]:
    if arguments.port:
        port = open_bus(arguments.port, baudrate=arguments.baudrate)
        write(f"Emulated devices on {arguments.port}")
        return port, None
    if arguments.listen:
        host, _, port_text = arguments.listen.rpartition(":")
        with TcpListener(host or "127.0.0.1", int(port_text)) as listener:
            write(f"Waiting for the bus master on {listener.url}")
            return listener.accept(), None
    pty = open_pty_pair()
    write(f"Emulated devices on pty {pty.slave_path}  (bus master: open_bus({pty.slave_path!r}))")
    return pty.device_port(), pty


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the emulator until ``q`` or end of input. Returns the process exit status."""
    arguments = _parse_arguments(argv)
    input_stream = sys.stdin if stdin is None else stdin
    write = print_to(sys.stdout if stdout is None else stdout)
    devices: list[DeviceModel] = [
        KeypadModel(arguments.keypad),
        LedBoardModel(arguments.led),
        RatingPadModel(arguments.pad),
    ]
    try:
        port, pty = _open_device_port(arguments, write)
    except (PortError, ValueError) as error:
        write(f"error: {error}")
        return 1

    def report(device: DeviceModel, frame: Frame) -> None:
        line = describe_handled_frame(device, frame, time.monotonic(), arguments.pad_labels)
        if line is not None:
            write(line)

    emulator = DeviceEmulator(port, devices, on_handled=report)
    console = EmulatorConsole(
        emulator, keypad_address=arguments.keypad, pad_address=arguments.pad, write=write,
        pad_labels=arguments.pad_labels,
    )
    write(
        f"keypad 0x{arguments.keypad:02X}, LED board 0x{arguments.led:02X}, "
        f"rating pad 0x{arguments.pad:02X}\n{help_text(arguments.pad_labels)}"
    )
    try:
        with emulator:
            for line in input_stream:
                if not console.handle_line(line):
                    break
    except KeyboardInterrupt:
        write("interrupted")
    finally:
        port.close()
        if pty is not None:
            pty.close()
    return 1 if emulator.failure is not None else 0


if __name__ == "__main__":
    sys.exit(main())
