"""HTTP on the WebSocket's port."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from support.servers import ADMIN_TOKEN, KIOSK_TOKEN

from server.app.serve import RunningServer


def _get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_health_says_only_ok_to_anyone(server: RunningServer) -> None:
    status, body = await asyncio.to_thread(_get, server.http_url + "/health")
    assert (status, body) == (200, {"status": "ok"})
    # A token that is not an admin token earns nothing more.
    status, body = await asyncio.to_thread(_get, server.http_url + "/health", KIOSK_TOKEN)
    assert (status, body) == (200, {"status": "ok"})


async def test_health_gives_the_details_for_an_admin_token(server: RunningServer) -> None:
    status, body = await asyncio.to_thread(_get, server.http_url + "/health", ADMIN_TOKEN)
    assert status == 200
    assert body["status"] == "ok" and body["reason"] is None
    assert body["database"] == "sqlite"
    sites = body["sites"]
    assert isinstance(sites, list)
    assert [site["code"] for site in sites] == ["hcc-test"]


async def test_a_dead_background_task_fails_health_and_the_server(server: RunningServer) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug no one caught")

    task = asyncio.get_running_loop().create_task(broken(), name="reminders")
    server.service.supervise(task)
    assert server.service.failed is not None
    reason = await asyncio.wait_for(server.service.failed, 10)
    assert reason == "the reminders task stopped: RuntimeError('a bug no one caught')"
    status, body = await asyncio.to_thread(_get, server.http_url + "/health")
    assert (status, body) == (503, {"status": "failed"})
    status, body = await asyncio.to_thread(_get, server.http_url + "/health", ADMIN_TOKEN)
    assert status == 503 and body["reason"] == reason


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


async def test_a_trailing_slash_is_not_redirected_to_the_host_a_client_names(
        server: RunningServer) -> None:
    """Starlette would answer ``/manage/`` with a redirect built from the Host header."""
    for path in ("/manage/", "/dat-lich/", "/health/", "/gop-y/"):
        request = urllib.request.Request(server.http_url + path,
                                         headers={"Host": "evil.example"})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *arguments: Any, **options: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect())
        try:
            response = await asyncio.to_thread(opener.open, request, None, 10)
            status, location = response.status, response.headers.get("location")
        except urllib.error.HTTPError as error:
            status, location = error.code, error.headers.get("location")
        assert status == 404, (path, status, location)
        assert location is None
