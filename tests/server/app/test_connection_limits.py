"""What one client can make the server hold: connections that never say hello, a backlog for
a client that stopped reading, requests trickled a byte at a time, and devices made up by
the thousand. Each is bounded, and released when the client goes."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.servers import (
    BRIDGE_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    SITE,
    site_config,
    stalled_display,
)
from websockets.asyncio.client import connect as raw_connect

from server.app import session as session_module
from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient, RequestFailed


@pytest.fixture
async def tight_server(tmp_path: Path, request: pytest.FixtureRequest
                       ) -> AsyncIterator[RunningServer]:
    """A server with the limits the test names (``@pytest.mark.parametrize`` indirect)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    running = await start_server(parse_settings(site_config(**overrides)), host="127.0.0.1",
                                 port=0, database_url=f"sqlite:///{tmp_path / 'q.db'}")
    yield running
    await running.stop()


def _open_connections(server: RunningServer) -> int:
    return len(server._uvicorn.server_state.connections)


async def _until(condition: Any, seconds: float = 15.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("tight_server", [{"hello_timeout_seconds": 0.3}], indirect=True)
async def test_a_connection_that_never_says_hello_is_closed(tight_server: RunningServer) -> None:
    async with raw_connect(tight_server.ws_url) as silent:
        reply = json.loads(await asyncio.wait_for(silent.recv(), 10))
        assert reply["error"]["code"] == "unauthorized"
        assert "no hello within 0.3 s" in reply["error"]["message"]
        await asyncio.wait_for(silent.wait_closed(), 10)
        assert silent.close_code == 1008
    # A client that said hello in time is not touched by the deadline.
    async with ProtocolClient(tight_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        await asyncio.sleep(0.5)  # beyond the deadline, on purpose: nothing must happen
        assert "state" in await kiosk.request("snapshot")


@pytest.mark.parametrize("tight_server", [{"hello_timeout_seconds": 0.3}], indirect=True)
async def test_many_silent_sockets_that_read_nothing_are_all_cut(
    tight_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "CLOSE_GRACE_SECONDS", 0.2)

    def upgraded_socket() -> socket.socket:
        raw = socket.create_connection(("127.0.0.1", tight_server.port))
        raw.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 101")
        return raw

    sockets = [await asyncio.to_thread(upgraded_socket) for _ in range(50)]
    try:
        assert _open_connections(tight_server) == 50
        await _until(lambda: _open_connections(tight_server) == 0)
    finally:
        for raw in sockets:
            raw.close()


@pytest.mark.parametrize("tight_server", [{"outgoing_queue_bytes": 64 * 1024,
                                           "rate_per_second": 100000.0,
                                           "rate_burst": 100000}], indirect=True)
async def test_a_display_that_stops_reading_is_cut_at_the_byte_cap_and_released(
    tight_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "CLOSE_GRACE_SECONDS", 0.2)
    runtime = tight_server.service.sites[SITE]
    stalled = await asyncio.to_thread(stalled_display, tight_server.port)
    kiosks = [ProtocolClient(tight_server.ws_url, "kiosk", KIOSK_TOKEN, SITE, subscribe=[])
              for _ in range(10)]
    await asyncio.gather(*(kiosk.connect() for kiosk in kiosks))
    try:
        await _until(lambda: bool(runtime.subscribers))
        (display,) = runtime.subscribers
        assert isinstance(display, session_module.Session)
        largest = 0
        pressed = 0
        while runtime.subscribers and pressed < 20_000:
            await asyncio.gather(*(kiosk.request("issue", service="HT",
                                                 request_key=f"k{pressed}-{index}")
                                   for index, kiosk in enumerate(kiosks)))
            pressed += len(kiosks)
            largest = max(largest, display.sender.backlog_bytes)
        assert not runtime.subscribers
        # Cut at the cap in bytes, long before the 5,000-frame limit.
        assert largest <= 64 * 1024
        assert display.sender.backlog_bytes == 0
        # The socket itself is cut, not left to hold what the transport buffered.
        await _until(lambda: _open_connections(tight_server) == len(kiosks))
        assert (await kiosks[0].request("snapshot"))["seq"] == pressed
    finally:
        await asyncio.gather(*(kiosk.close() for kiosk in kiosks))
        stalled.close()


@pytest.mark.parametrize("tight_server", [{"http_request_timeout_seconds": 0.3}],
                         indirect=True)
async def test_a_request_trickled_slowly_is_cut_and_others_are_served(
    tight_server: RunningServer
) -> None:
    def trickle() -> bytes:
        with socket.create_connection(("127.0.0.1", tight_server.port)) as raw:
            raw.settimeout(10)
            raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            raw.sendall(b"X-Slow: 1\r\n")  # ... and the head never ends
            try:
                return raw.recv(4096)
            except ConnectionResetError:
                return b""

    def whole_request() -> bytes:
        with socket.create_connection(("127.0.0.1", tight_server.port)) as raw:
            raw.settimeout(10)
            raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return raw.recv(4096)

    answers = await asyncio.gather(*(asyncio.to_thread(trickle) for _ in range(20)))
    assert answers == [b""] * 20  # cut without an answer
    assert (await asyncio.to_thread(whole_request)).startswith(b"HTTP/1.1 200")
    # A WebSocket outlives the HTTP deadline: its head arrived, then it became a socket.
    async with ProtocolClient(tight_server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
        await asyncio.sleep(0.5)  # beyond the deadline, on purpose
        assert "state" in await display.request("snapshot")
    await _until(lambda: _open_connections(tight_server) == 0)


@pytest.mark.parametrize("tight_server", [{"max_devices_per_connection": 4,
                                           "max_devices_per_site": 6}], indirect=True)
async def test_devices_are_bounded_per_connection_and_per_site_and_hello_stays_small(
    tight_server: RunningServer
) -> None:
    async def report(client: ProtocolClient, name: str) -> None:
        await client.request("device_status", device=name, kind="printer", status="ok")

    async with ProtocolClient(tight_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as first, \
            ProtocolClient(tight_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as second, \
            ProtocolClient(tight_server.ws_url, "bridge", BRIDGE_TOKEN, SITE) as bridge:
        for index in range(4):
            await report(first, f"a{index}")
        with pytest.raises(RequestFailed) as per_connection:
            await report(first, "a4")
        assert per_connection.value.code == "bad_request"
        assert "this connection has reported 4 devices" in per_connection.value.message
        await report(first, "a0")  # a known device may always report again
        await report(second, "b0")
        await report(second, "b1")
        with pytest.raises(RequestFailed) as per_site:
            await report(second, "b2")
        assert "the site already has 6 devices" in per_site.value.message
        devices = (await bridge.request("devices"))["devices"]
        assert sorted(item["device"] for item in devices) == [
            "a0", "a1", "a2", "a3", "b0", "b1"]
    # Device health is not in the hello: however many devices there are, it stays small.
    async with ProtocolClient(tight_server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
        assert "devices" not in display.hello_result["state"]
        assert len(json.dumps(display.hello_result)) < 20_000
