"""Helpers for the bridge tests: a running bridge on an emulated bus, and waits on what the
server says and what the emulated LED board shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from hardware.bridge.bridge import Bridge
from hardware.bridge.device_map import DeviceAssignment, DeviceKind, DeviceMap
from hardware.bridge.settings import BridgeSettings
from hardware.serial_bus import LedDisplay
from server.protocol.client import EventMessage, ProtocolClient

WAIT = 10.0
KEYPAD, LED, PAD = 0x11, 0x21, 0x31  # the emulated bus's keypad, LED board and rating pad
COUNTER = "1"  # the test site's counter they serve

# Keypad, LED board and rating pad all at COUNTER; the board's line names counter "Q1".
DEVICE_MAP = DeviceMap((
    DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, COUNTER, COUNTER),
    DeviceAssignment(LED, DeviceKind.LED_BOARD, COUNTER, "Q1"),
    DeviceAssignment(PAD, DeviceKind.RATING_PAD, COUNTER, COUNTER),
))


@asynccontextmanager
async def running_bridge(server_url: str, bus: Any, access: Any,
                         device_map: DeviceMap) -> AsyncIterator[Bridge]:
    """A bridge joined to ``bus`` (an emulated bus with ``path``) and connected to the server
    with the site's bridge token; stopped on leaving. Polls fast and reconnects at once, so
    tests wait little."""
    settings = BridgeSettings(server_url=server_url, token=access.bridge_token,
                              site=access.site, port_url=bus.path, device_map=device_map,
                              poll_interval=0.02, reply_timeout=0.1,
                              reconnect_min_seconds=0.05, reconnect_max_seconds=0.05)
    bridge = Bridge(settings)
    bridge.start()
    try:
        assert await asyncio.to_thread(bridge.connected.wait, WAIT)
        yield bridge
    finally:
        await asyncio.to_thread(bridge.stop)


async def event_where(client: ProtocolClient, name: str,
                      accept: Callable[[dict[str, Any]], bool],
                      wait: float = WAIT) -> EventMessage:
    """The next ``name`` event whose data ``accept`` likes (others are skipped)."""
    async with asyncio.timeout(wait):
        while True:
            event = await client.next_event(name, timeout=wait)
            if accept(event.data):
                return event


async def board_shows(bus: Any, expected: Callable[[LedDisplay], bool],
                      led: int = LED) -> bool:
    """Whether the emulated LED board at ``led`` comes to show what ``expected`` likes."""
    shown: bool = await asyncio.to_thread(
        bus.wait_until, lambda: expected(bus.emulator.led_display(led)), WAIT)
    return shown
