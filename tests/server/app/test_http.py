"""HTTP on the WebSocket's port."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from typing import Any

from server.app.serve import RunningServer


def _get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


async def test_health_answers_on_the_same_port(server: RunningServer) -> None:
    status, body = await asyncio.to_thread(_get, server.http_url + "/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    sites = body["sites"]
    assert isinstance(sites, list)
    assert [site["code"] for site in sites] == ["hcc-test"]


async def test_every_accepted_connection_sends_without_nagle_delay(
    server: RunningServer, connect: Any
) -> None:
    # Without TCP_NODELAY a reply written right after an event waited ~40 ms for the peer's
    # delayed ACK; asyncio sets it only on sockets that name IPPROTO_TCP.
    await connect("kiosk")
    await connect("display")
    connections = server._uvicorn.server_state.connections
    assert len(connections) == 2
    for protocol in connections:
        sock = protocol.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
