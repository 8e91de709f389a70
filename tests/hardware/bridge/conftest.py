"""Fixtures for the bridge tests: the test site's access data, emulated devices on a pty, a
server clock moved by hand, and a watch on the bridge's log."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from support.clock import ManualClock
from support.servers import ADMIN_TOKEN, BRIDGE_TOKEN, KIOSK_TOKEN, SITE

from hardware.serial_bus import (
    DeviceModel,
    Frame,
    KeypadModel,
    LedBoardModel,
    RatingPadModel,
    open_pty_pair,
)
from hardware.serial_bus.emulator import DeviceEmulator


@dataclass(frozen=True)
class SiteAccess:
    """The test site's tokens: the bridge's acts for counters 1 and 2 only; the admin's is the
    tests' own view of the server."""

    site: str = SITE
    admin_token: str = ADMIN_TOKEN
    kiosk_token: str = KIOSK_TOKEN
    bridge_token: str = BRIDGE_TOKEN


@pytest.fixture
def access() -> SiteAccess:
    return SiteAccess()


class EmulatedBus:
    """Keypad 0x11, LED board 0x21 and rating pad 0x31 on the device side of a pty.

    :meth:`wait_until` waits (on the calling thread) until ``condition`` holds, re-checking
    each time a device handles a frame; it never sleeps.
    """

    def __init__(self, emulator: DeviceEmulator, path: str) -> None:
        self.emulator = emulator
        self.path = path
        self._changed = threading.Event()

    def frame_handled(self, device: DeviceModel, frame: Frame) -> None:
        # Called under the emulator's lock: only set the event here.
        self._changed.set()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            if condition():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._changed.wait(remaining):
                return condition()


@pytest.fixture
def emulated_bus() -> Iterator[EmulatedBus]:
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    with open_pty_pair() as pty:
        bus: EmulatedBus | None = None

        def handled(device: DeviceModel, frame: Frame) -> None:
            if bus is not None:
                bus.frame_handled(device, frame)

        devices = [KeypadModel(0x11), LedBoardModel(0x21), RatingPadModel(0x31)]
        emulator = DeviceEmulator(pty.device_port(), devices, on_handled=handled)
        bus = EmulatedBus(emulator, pty.slave_path)
        with emulator:
            yield bus
        assert emulator.failure is None


@pytest.fixture
def server_clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 09:00 in Hà Nội


class LogWatch(logging.Handler):
    """Sets :attr:`seen` when a record's message contains every one of ``fragments`` (the
    bridge logs from its own threads; an event, not a poll, tells the test)."""

    def __init__(self, *fragments: str) -> None:
        super().__init__()
        self.fragments = fragments
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if all(fragment in message for fragment in self.fragments):
            self.seen.set()


@pytest.fixture
def watch_bridge_log() -> Iterator[Callable[..., LogWatch]]:
    """``watch_bridge_log(*fragments)``: a :class:`LogWatch` on ``hardware.bridge.bridge``."""
    logger = logging.getLogger("hardware.bridge.bridge")
    watches: list[LogWatch] = []

    def watching(*fragments: str) -> LogWatch:
        watch = LogWatch(*fragments)
        logger.addHandler(watch)
        watches.append(watch)
        return watch

    yield watching
    for watch in watches:
        logger.removeHandler(watch)
