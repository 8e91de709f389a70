"""Several device models sharing one bus, and an in-process port that answers synchronously.

:class:`DeviceSet` is the sans-I/O core of the emulator: frame in, reply frame out.
:class:`LoopbackDevicePort` puts a DeviceSet behind a :class:`BusPort` without any thread: each
frame the master writes is answered before ``write`` returns, through an inner port such as
``loop://`` (which also echoes the request; the master skips it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from .device import DeviceModel
from .framing import Frame, FrameDecoder, encode_frame
from .port import BusPort

logger = logging.getLogger(__name__)

FrameListener = Callable[[DeviceModel, Frame], None]
"""Called with (device, frame) after a device has executed a frame."""


class DeviceSet:
    """Routes each frame to the device it addresses (or to all, for broadcast).

    A device switched off with :meth:`set_responding` hears nothing and answers nothing, as if
    unplugged. Not thread-safe.
    """

    def __init__(
        self, devices: Iterable[DeviceModel], *, on_handled: FrameListener | None = None
    ) -> None:
        self._devices: dict[int, DeviceModel] = {}
        for device in devices:
            if device.address in self._devices:
                raise ValueError(f"two devices use address 0x{device.address:02X}")
            self._devices[device.address] = device
        self._silent: set[int] = set()
        self._on_handled = on_handled

    @property
    def devices(self) -> tuple[DeviceModel, ...]:
        """The devices, in the order given."""
        return tuple(self._devices.values())

    def device(self, address: int) -> DeviceModel:
        """The device at ``address``; raise KeyError if there is none."""
        return self._devices[address]

    def set_responding(self, address: int, responding: bool) -> None:
        """Plug (True) or unplug (False) the device at ``address``."""
        self.device(address)
        if responding:
            self._silent.discard(address)
        else:
            self._silent.add(address)

    def is_responding(self, address: int) -> bool:
        """False while the device at ``address`` is unplugged."""
        return address not in self._silent

    def handle(self, frame: Frame, now: float) -> Frame | None:
        """Let the addressed device(s) execute ``frame``; return the reply to send, if any."""
        if frame.command.is_reply:
            return None
        if frame.is_broadcast:
            targets = [device for device in self._devices.values() if self._listens(device)]
        else:
            device = self._devices.get(frame.address)
            targets = [device] if device is not None and self._listens(device) else []
        reply = None
        for device in targets:
            reply = device.handle(frame, now)
            if self._on_handled is not None:
                self._on_handled(device, frame)
        return reply

    def _listens(self, device: DeviceModel) -> bool:
        return device.address not in self._silent


class LoopbackDevicePort:
    """A :class:`BusPort` for single-threaded tests: requests written to it are answered at once.

    Everything written goes to ``inner`` (e.g. ``open_bus("loop://")``), and each complete frame
    in it is handled by ``devices``; replies are written to ``inner`` too, so the master reads
    its own echo followed by the reply.
    """

    def __init__(
        self, devices: DeviceSet, inner: BusPort, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._devices = devices
        self._inner = inner
        self._clock = clock
        self._decoder = FrameDecoder()

    @property
    def baudrate(self) -> int:
        return self._inner.baudrate

    def write(self, data: bytes) -> None:
        self._inner.write(data)
        for frame in self._decoder.feed(data):
            reply = self._devices.handle(frame, self._clock())
            if reply is not None:
                self._inner.write(encode_frame(reply))

    def read(self, max_bytes: int) -> bytes:
        return self._inner.read(max_bytes)

    def discard_input(self) -> None:
        self._inner.discard_input()

    def close(self) -> None:
        self._inner.close()
