"""The bridge's link to the server. Across a server restart: the real server is stopped and a
new one started on the same database file and port; the bridge (its threads, the emulated
devices on a real pty) reconnects, takes the new server's state to its LED board, and its keypad
works again. The server runs on a clock the test moves by hand, so a restart can also cross
midnight. And its role: the bridge connects with a ``bridge`` token, which acts only for the
counters it lists; an admin token is refused, and none at all stops the start.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support.bridge import (
    COUNTER,
    DEVICE_MAP,
    KEYPAD,
    WAIT,
    board_shows,
    event_where,
    running_bridge,
)
from support.server_processes import token, two_servers
from support.servers import ADMIN_TOKEN

from hardware.bridge.bridge import Bridge
from hardware.bridge.device_map import DeviceAssignment, DeviceKind, DeviceMap
from hardware.bridge.errors import BridgeSettingsError
from hardware.bridge.main import main
from hardware.bridge.settings import BridgeSettings, parse_settings
from hardware.serial_bus import Key, LedMode
from server.app.runtime import Clock
from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient


class RestartableServer:
    """A real server that can be stopped and started again on the same port and database."""

    def __init__(self, settings: Settings, database_path: Path, clock: Clock,
                 access: Any) -> None:
        self._settings = settings
        self._database_url = f"sqlite:///{database_path}"
        self._clock = clock
        self._access = access
        self.port = 0
        self.running: RunningServer | None = None
        self._clients: list[ProtocolClient] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        self.running = await start_server(self._settings, host="127.0.0.1", port=self.port,
                                          database_url=self._database_url, clock=self._clock)
        self.port = self.running.port

    async def stop(self) -> None:
        for client in self._clients:
            await client.close()
        self._clients = []
        if self.running is not None:
            running, self.running = self.running, None
            await running.stop()

    async def client(self, role: str, token: str) -> ProtocolClient:
        client = ProtocolClient(self.ws_url, role, token, self._access.site)
        self._clients.append(client)
        await client.connect()
        return client

    async def admin(self) -> ProtocolClient:
        return await self.client("admin", self._access.admin_token)

    async def issue(self, service: str = "DD-NOP") -> str:
        kiosk = await self.client("kiosk", self._access.kiosk_token)
        result = await kiosk.request("issue", service=service, request_key=str(uuid.uuid4()))
        number: str = result["ticket"]["number"]
        return number


@pytest.fixture
async def restartable(settings: Settings, database_path: Path, server_clock: Any,
                      access: Any) -> AsyncIterator[RestartableServer]:
    server = RestartableServer(settings, database_path, server_clock, access)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bridge(restartable: RestartableServer, emulated_bus: Any,
                 access: Any) -> AsyncIterator[Bridge]:
    async with running_bridge(restartable.ws_url, emulated_bus, access, DEVICE_MAP) as running:
        yield running


async def call_with_keypad(bus: Any, admin: ProtocolClient) -> str:
    assert bus.emulator.press_key(KEYPAD, Key.NEXT)
    called = await event_where(admin, "ticket.called", lambda data: data["counter"] == COUNTER)
    number: str = called.data["number"]
    return number


async def restart(server: RestartableServer, bridge: Bridge,
                  while_down: Callable[[], Any] | None = None) -> None:
    """Stop the server, wait until the bridge notices, run ``while_down``, start a new server
    on the same port and database, and wait until the bridge is connected to it."""
    await server.stop()
    assert await asyncio.to_thread(bridge.disconnected.wait, WAIT)
    if while_down is not None:
        await while_down()
    await server.start()
    assert await asyncio.to_thread(bridge.connected.wait, WAIT)


async def test_after_a_restart_the_bridge_resumes_and_its_keypad_works(
        restartable: RestartableServer, bridge: Bridge, emulated_bus: Any,
        watch_bridge_log: Callable[..., Any]) -> None:
    unsent_keys = watch_bridge_log("server unreachable: call_next for counter 1 not sent")
    first = await restartable.issue()
    second = await restartable.issue()
    admin = await restartable.admin()
    assert await call_with_keypad(emulated_bus, admin) == first
    assert await board_shows(emulated_bus, lambda display: display.text == first)

    async def press_next_while_down() -> None:
        assert emulated_bus.emulator.press_key(KEYPAD, Key.NEXT)
        # Dropped, not kept for later: applied minutes later it would surprise the officer.
        assert await asyncio.to_thread(unsent_keys.seen.wait, WAIT)

    await restart(restartable, bridge, press_next_while_down)
    assert bridge.settings.server_url == restartable.ws_url  # the same port as before
    admin = await restartable.admin()
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text)
                             == (LedMode.NUMBER, first))
    waiting = (await admin.request("ticket", number=second))["ticket"]
    assert waiting["status"] == "waiting"  # the key pressed while down was not applied

    assert await call_with_keypad(emulated_bus, admin) == second
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text,
                                                            display.blinking)
                             == (LedMode.NUMBER, second, True))
    called = (await admin.request("ticket", number=second))["ticket"]
    assert (called["status"], called["call_count"]) == ("called", 1)
    assert (await admin.request("ticket", number=first))["ticket"]["status"] == "done"


async def test_a_restart_across_midnight_clears_the_board_and_the_keypad_opens_the_new_day(
        restartable: RestartableServer, bridge: Bridge, emulated_bus: Any,
        server_clock: Any) -> None:
    yesterday = await restartable.issue()
    admin = await restartable.admin()
    assert await call_with_keypad(emulated_bus, admin) == yesterday
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text)
                             == (LedMode.NUMBER, yesterday))

    async def overnight() -> None:
        server_clock.advance(22 * 3600)  # 07:00 the next morning

    await restart(restartable, bridge, overnight)
    # The new server opened the new day on start: counters closed, yesterday's call gone.
    # The bridge takes that from its snapshot; no event told it.
    assert await board_shows(emulated_bus, lambda display: display.mode is LedMode.BLANK)
    admin = await restartable.admin()
    state = (await admin.request("snapshot"))["state"]
    assert next(item for item in state["counters"] if item["code"] == COUNTER)["status"] \
        == "closed"

    today = await restartable.issue()
    assert today == yesterday  # numbers restart each day: the board must not rely on them
    assert await call_with_keypad(emulated_bus, admin) == today
    assert await board_shows(emulated_bus, lambda display: (display.mode, display.text,
                                                            display.blinking)
                             == (LedMode.NUMBER, today, True))


async def test_the_bridge_acts_only_for_the_counters_its_token_lists(
        restartable: RestartableServer, emulated_bus: Any, access: Any,
        watch_bridge_log: Callable[..., Any]) -> None:
    # The test site's bridge token lists counters 1 and 2; this map puts the keypad at 3.
    outside = DeviceMap((DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, "3", "3"),))
    refused = watch_bridge_log("for counter 3 refused", "forbidden", "only for counters 1, 2")
    number = await restartable.issue("HT")  # counter 3 serves HT
    async with running_bridge(restartable.ws_url, emulated_bus, access, outside):
        assert emulated_bus.emulator.press_key(KEYPAD, Key.NEXT)
        assert await asyncio.to_thread(refused.seen.wait, WAIT)
    admin = await restartable.admin()
    assert (await admin.request("ticket", number=number))["ticket"]["status"] == "waiting"
    counters = (await admin.request("snapshot"))["state"]["counters"]
    assert next(item for item in counters if item["code"] == "3")["status"] == "closed"


async def test_an_admin_token_is_refused_and_the_log_says_what_to_give(
        restartable: RestartableServer, emulated_bus: Any, access: Any,
        watch_bridge_log: Callable[..., Any]) -> None:
    refused = watch_bridge_log("the server refused the bridge", "unauthorized",
                               "a bridge token")
    bridge = Bridge(BridgeSettings(server_url=restartable.ws_url, token=access.admin_token,
                                   site=access.site, port_url=emulated_bus.path,
                                   device_map=DEVICE_MAP, poll_interval=0.02,
                                   reply_timeout=0.1, reconnect_min_seconds=0.05,
                                   reconnect_max_seconds=0.05))
    bridge.start()
    try:
        assert await asyncio.to_thread(refused.seen.wait, WAIT)
        assert not bridge.connected.is_set()
    finally:
        await asyncio.to_thread(bridge.stop)


def test_without_a_token_the_bridge_does_not_start(capsys: pytest.CaptureFixture[str]) -> None:
    """No default demo token: the option is named."""
    with pytest.raises(BridgeSettingsError, match="--token is required"):
        parse_settings(["--port", "/dev/null", "--map", "hardware/bridge/demo_map.toml"])
    assert main(["--port", "/dev/null", "--map", "hardware/bridge/demo_map.toml"]) == 2
    assert "qms bridge: --token is required" in capsys.readouterr().err
    with pytest.raises(BridgeSettingsError, match="--token is required"):
        BridgeSettings(server_url="ws://127.0.0.1:1/ws", token="", site=None,
                       port_url="/dev/null", device_map=DEVICE_MAP)


async def test_the_bridge_follows_its_site_to_another_process(emulated_bus: Any) -> None:
    """Two server processes on one PostgreSQL database, the bridge given both addresses: the
    process serving its site stops and the other takes it over; the bridge reconnects there
    by itself, its board shows the number in hand, and its keypad calls the next one."""
    clients: list[ProtocolClient] = []
    async with two_servers() as pair:
        first, second = pair.first, pair.second
        addresses = [first.ws_url, second.ws_url]

        async def client(role: str, site_token: str) -> ProtocolClient:
            connected = ProtocolClient(addresses, role, site_token, "px-a")
            await connected.connect()
            clients.append(connected)
            return connected

        try:
            kiosk = await client("kiosk", token("kiosk", "px-a"))
            numbers = [(await kiosk.request("issue", service="DD-NOP",
                                            request_key=str(uuid.uuid4())))["ticket"]["number"]
                       for _ in range(2)]
            access = SimpleNamespace(bridge_token=token("bridge", "px-a"), site="px-a")
            async with running_bridge(f"{second.ws_url},{first.ws_url}", emulated_bus, access,
                                      DEVICE_MAP) as bridge:
                admin = await client("admin", ADMIN_TOKEN)
                assert await call_with_keypad(emulated_bus, admin) == numbers[0]
                await pair.stop(first)
                assert await asyncio.to_thread(bridge.disconnected.wait, WAIT)
                assert await asyncio.to_thread(bridge.connected.wait, WAIT)
                assert "px-a" in second.service.sites
                assert await board_shows(emulated_bus, lambda display: (
                    display.mode, display.text) == (LedMode.NUMBER, numbers[0]))
                await admin.reconnect()
                assert admin.url == second.ws_url
                assert await call_with_keypad(emulated_bus, admin) == numbers[1]
        finally:
            for connected in clients:
                await connected.close()
