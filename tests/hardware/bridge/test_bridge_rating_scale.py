"""A site with a five-label rating scale and a 20-second window, end to end through the bridge.

The real server runs on a clock the test moves by hand, the emulated keypad and rating pad sit
on a real pty pair, and the bridge joins them. The pad is one printed best first, and its map
says so by label: the pad is given one key per label, each key stores its label, and a press
after the server's window is refused.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.bridge import COUNTER, KEYPAD, PAD, WAIT, event_where, running_bridge
from support.servers import free_port, site_config

from hardware.bridge.bridge import Bridge
from hardware.bridge.device_map import DeviceAssignment, DeviceKind, DeviceMap
from hardware.bridge.settings import BridgeSettings
from hardware.serial_bus import Key
from hardware.serial_bus.protocol import DeviceState
from server.app.runtime import Clock
from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient

WINDOW_SECONDS = 20
SCALE = ((5, "Rất hài lòng"), (4, "Hài lòng"), (3, "Bình thường"), (2, "Chưa hài lòng"),
         (1, "Rất không hài lòng"))

# Key 1 is the best: the map names each key's label (as a map file's ``keys`` would).
PAD_KEYS = tuple(label for _, label in SCALE)
DEVICE_MAP = DeviceMap((
    DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, COUNTER, COUNTER),
    DeviceAssignment(PAD, DeviceKind.RATING_PAD, COUNTER, COUNTER, PAD_KEYS),
))


@pytest.fixture
def settings() -> Settings:
    config = site_config()
    config["sites"][0]["rating_scale"] = [{"score": score, "label_vi": label}
                                          for score, label in SCALE]
    config["sites"][0]["rating_window_seconds"] = WINDOW_SECONDS
    return parse_settings(config)


@pytest.fixture
async def server(settings: Settings, database_path: Path,
                 server_clock: Clock) -> AsyncIterator[RunningServer]:
    """Overrides the shared fixture (``connect`` uses this one): the same, on the manual clock."""
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=server_clock)
    yield running
    await running.stop()


@pytest.fixture
async def bridge(server: RunningServer, emulated_bus: Any,
                 access: Any) -> AsyncIterator[Bridge]:
    async with running_bridge(server.ws_url, emulated_bus, access, DEVICE_MAP) as running:
        yield running


async def serve_one(bus: Any, admin: ProtocolClient, connect: Callable[..., Any]) -> str:
    """Issue a ticket, call and finish it from the keypad; returns its id once the pad is lit."""
    kiosk: ProtocolClient = await connect("kiosk")
    await kiosk.request("issue", service="DD-NOP", request_key=str(uuid.uuid4()))
    assert bus.emulator.press_key(KEYPAD, Key.NEXT)
    await event_where(admin, "ticket.called", lambda data: data["counter"] == COUNTER)
    assert bus.emulator.press_key(KEYPAD, Key.FINISH)
    done = await event_where(admin, "ticket.done", lambda data: data["counter"] == COUNTER)
    assert await asyncio.to_thread(bus.wait_until, lambda: bus.emulator.rating_enabled(PAD),
                                   WAIT)
    ticket_id: str = done.data["id"]
    return ticket_id


async def test_each_key_of_a_pad_mapped_by_label_stores_its_label(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any]) -> None:
    assert await asyncio.to_thread(emulated_bus.wait_until,
                                   lambda: emulated_bus.emulator.rating_keys(PAD) == len(SCALE),
                                   WAIT)
    admin: ProtocolClient = await connect("admin")
    for key, (score, label) in enumerate(SCALE, start=1):
        ticket_id = await serve_one(emulated_bus, admin, connect)
        assert not emulated_bus.emulator.press_rating(PAD, len(SCALE) + 1)  # no sixth key
        assert emulated_bus.emulator.press_rating(PAD, key)
        rating = await admin.next_event("rating.received", timeout=WAIT)
        assert (rating.data["ticket_id"], rating.data["score"], rating.data["label"]) == (
            ticket_id, score, label)
    stats = (await admin.request("counter_stats", as_counter=COUNTER))["stats"]
    assert stats["ratings"] == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 1}


async def test_a_pad_press_after_the_servers_window_is_refused(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any],
        server_clock: Any, watch_bridge_log: Callable[..., Any]) -> None:
    refusals = watch_bridge_log("rate for counter 1 refused", "rating window of 20 s",
                                "has closed")
    admin: ProtocolClient = await connect("admin")
    await serve_one(emulated_bus, admin, connect)
    # The pad and the bridge time their own window; the server's clock decides.
    server_clock.advance(WINDOW_SECONDS + 1)
    assert emulated_bus.emulator.press_rating(PAD, 1)
    assert await asyncio.to_thread(refusals.seen.wait, WAIT)
    stats = (await admin.request("counter_stats", as_counter=COUNTER))["stats"]
    assert (stats["served"], stats["ratings"]) == (1, {})

    # Within the window the next one is stored: the refusal was the clock, not the pad.
    ticket_id = await serve_one(emulated_bus, admin, connect)
    server_clock.advance(WINDOW_SECONDS - 1)
    assert emulated_bus.emulator.press_rating(PAD, 1)
    rating = await admin.next_event("rating.received", timeout=WAIT)
    assert (rating.data["ticket_id"], rating.data["score"]) == (ticket_id, 5)


async def test_a_pad_whose_keys_do_not_fit_the_scale_is_reported_in_error(
        settings: Settings, database_path: Path, server_clock: Clock, emulated_bus: Any,
        access: Any) -> None:
    # A four-key map on this five-label site. The bridge starts before the server: it polls
    # the pad (and keeps its report, "ok" for all it knows) before it learns the site's scale
    # from the first snapshot; the report it sends must say what it knows then: error.
    four_keys = DeviceMap((
        DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, COUNTER, COUNTER),
        DeviceAssignment(PAD, DeviceKind.RATING_PAD, COUNTER, COUNTER, PAD_KEYS[:4]),
    ))
    port = free_port()
    bridge = Bridge(BridgeSettings(
        server_url=f"ws://127.0.0.1:{port}/ws", token=access.bridge_token, site=access.site,
        port_url=emulated_bus.path, device_map=four_keys, poll_interval=0.02,
        reply_timeout=0.1, reconnect_min_seconds=0.05, reconnect_max_seconds=0.05))
    bridge.start()
    try:
        assert await asyncio.to_thread(
            emulated_bus.wait_until,
            lambda: bridge.core._health.get(PAD) is DeviceState.ONLINE, WAIT)
        server = await start_server(settings, host="127.0.0.1", port=port,
                                    database_url=f"sqlite:///{database_path}",
                                    clock=server_clock)
        try:
            assert await asyncio.to_thread(bridge.connected.wait, WAIT)
            async with ProtocolClient(server.ws_url, "admin", access.admin_token,
                                      access.site) as admin:
                async with asyncio.timeout(WAIT):
                    while True:
                        devices = (await admin.request("devices"))["devices"]
                        pads = [item for item in devices if item["kind"] == "rating_pad"]
                        if pads:
                            break
                        await admin.next_event("device.status", timeout=WAIT)
            assert [(item["status"], item["counter"]) for item in pads] == [
                ("error", COUNTER)]
        finally:
            await server.stop()
    finally:
        await asyncio.to_thread(bridge.stop)
