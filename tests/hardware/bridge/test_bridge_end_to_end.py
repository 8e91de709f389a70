"""The bridge end to end: a real server, the emulated keypad, LED board and rating pad on a
real pty pair, and the bridge between them in its own threads.

An admin client watches the server's events; the emulator says what the board shows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.bridge import (
    COUNTER,
    DEVICE_MAP,
    KEYPAD,
    LED,
    PAD,
    WAIT,
    board_shows,
    event_where,
    running_bridge,
)

from hardware.bridge.bridge import Bridge
from hardware.serial_bus import Key, LedMode
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient


@pytest.fixture
async def bridge(server: RunningServer, emulated_bus: Any,
                 access: Any) -> AsyncIterator[Bridge]:
    async with running_bridge(server.ws_url, emulated_bus, access, DEVICE_MAP) as running:
        yield running  # the server keeps running meanwhile


async def issue(connect: Callable[..., Any], service: str = "DD-NOP") -> str:
    kiosk: ProtocolClient = await connect("kiosk")
    result = await kiosk.request("issue", service=service, request_key=str(uuid.uuid4()))
    number: str = result["ticket"]["number"]
    return number


async def call_with_keypad(bus: Any, admin: ProtocolClient, number: str) -> None:
    assert bus.emulator.press_key(KEYPAD, Key.NEXT)
    called = await event_where(admin, "ticket.called", lambda data: data["counter"] == COUNTER)
    assert called.data["number"] == number


async def test_keypad_next_calls_the_right_ticket_and_the_board_shows_it(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any]) -> None:
    admin: ProtocolClient = await connect("admin")
    other = await issue(connect, "HT")  # counter 1 does not serve HT
    first = await issue(connect)
    await issue(connect)
    await call_with_keypad(emulated_bus, admin, first)  # the keypad opened the closed counter
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text,
                                                            display.label, display.blinking)
                             == (LedMode.NUMBER, first, "Q1", True))
    state = (await admin.request("snapshot"))["state"]
    assert next(item for item in state["services"] if item["code"] == "HT")["waiting"] == 1
    assert other != first


async def test_each_pad_key_stores_the_label_of_its_score(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any]) -> None:
    # The site's default scale: the counter's rating screen and the ticket's QR page store
    # score 4 for "Rất hài lòng"; the pad's key 4 must store the same.
    admin: ProtocolClient = await connect("admin")
    scale = (await admin.request("snapshot"))["state"]["rating_scale"]
    label_of = {item["score"]: item["label"] for item in scale}
    assert label_of == {4: "Rất hài lòng", 3: "Hài lòng", 2: "Bình thường",
                        1: "Không hài lòng"}
    for key in (1, 2, 3, 4):
        number = await issue(connect)
        await call_with_keypad(emulated_bus, admin, number)
        assert emulated_bus.emulator.press_key(KEYPAD, Key.FINISH)
        done = await event_where(admin, "ticket.done", lambda data: data["counter"] == COUNTER)
        assert await asyncio.to_thread(emulated_bus.wait_until,
                                       lambda: emulated_bus.emulator.rating_enabled(PAD), WAIT)
        assert emulated_bus.emulator.press_rating(PAD, key)
        rating = await admin.next_event("rating.received", timeout=WAIT)
        assert (rating.data["ticket_id"], rating.data["score"], rating.data["label"],
                rating.data["source"], rating.data["counter"]) == (
            done.data["id"], key, label_of[key], "counter", COUNTER)
        # One rating per ticket: the pad went dark at the first press.
        assert not emulated_bus.emulator.press_rating(PAD, 1)


async def test_a_silent_device_is_reported_offline_and_brought_up_to_date_when_back(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any]) -> None:
    admin: ProtocolClient = await connect("admin")
    number = await issue(connect)
    await call_with_keypad(emulated_bus, admin, number)
    assert await board_shows(emulated_bus, lambda display: display.text == number)

    emulated_bus.emulator.set_responding(LED, False)  # unplugged
    offline = await event_where(admin, "device.status",
                                lambda data: data["device"] == "bus/0x21")
    assert (offline.data["status"], offline.data["kind"], offline.data["counter"]) == (
        "offline", "led_board", COUNTER)

    emulated_bus.emulator.restart(LED)  # it comes back blank, announcing POWER_UP
    assert emulated_bus.emulator.led_display(LED).mode is LedMode.BLANK
    emulated_bus.emulator.set_responding(LED, True)
    back = await event_where(admin, "device.status", lambda data: data["device"] == "bus/0x21")
    assert back.data["status"] == "ok"
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text)
                             == (LedMode.NUMBER, number))


async def test_pause_and_resume_from_the_keypad_drive_the_board(
        bridge: Bridge, emulated_bus: Any, connect: Callable[..., Any]) -> None:
    admin: ProtocolClient = await connect("admin")
    number = await issue(connect)
    await call_with_keypad(emulated_bus, admin, number)
    assert emulated_bus.emulator.press_key(KEYPAD, Key.FINISH)
    await event_where(admin, "ticket.done", lambda data: data["counter"] == COUNTER)
    assert emulated_bus.emulator.press_key(KEYPAD, Key.PAUSE)
    assert await board_shows(emulated_bus, lambda display: display.mode is LedMode.PAUSED)
    assert emulated_bus.emulator.press_key(KEYPAD, Key.RESUME)
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text)
                             == (LedMode.NUMBER, number))


async def test_number_and_transfer_keys(bridge: Bridge, emulated_bus: Any,
                                        connect: Callable[..., Any]) -> None:
    admin: ProtocolClient = await connect("admin")
    await issue(connect)
    wanted = await issue(connect)
    assert emulated_bus.emulator.press_key(KEYPAD, Key.NUMBER, wanted)
    called = await event_where(admin, "ticket.called", lambda data: data["counter"] == COUNTER)
    assert called.data["number"] == wanted
    assert emulated_bus.emulator.press_key(KEYPAD, Key.TRANSFER, "3")  # counter "3"
    moved = await admin.next_event("ticket.transferred", timeout=WAIT)
    assert (moved.data["number"], moved.data["target_counter"]) == (wanted, "3")
