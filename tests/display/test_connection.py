"""DisplayConnection (its own thread and asyncio loop) against the real server, and against a
server that stops answering: snapshot first, events in order, the liveness probe, lost and
refused connections, a requested snapshot, stop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.servers import DISPLAY_TOKEN, SITE
from websockets.asyncio.server import ServerConnection, serve

from display.board import ConnectionStatus
from display.connection import (
    ConnectionMessage,
    ConnectionSettings,
    DisplayConnection,
    EventReceived,
    SnapshotReceived,
    StatusChanged,
)
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient
from server.protocol.messages import LOBBY_DISPLAY_EVENTS

Connect = Callable[..., Any]


class Inbox:
    """Messages from the connection thread, awaited on the test's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[ConnectionMessage] = asyncio.Queue()
        self.seen: list[ConnectionMessage] = []

    def deliver(self, message: ConnectionMessage) -> None:  # connection thread
        self.loop.call_soon_threadsafe(self.queue.put_nowait, message)

    async def next(self, kind: type[Any], timeout: float = 10.0) -> Any:
        """The next message of ``kind`` (others are kept in ``seen``)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.queue.get()
                self.seen.append(message)
                if isinstance(message, kind):
                    return message


async def started(settings: ConnectionSettings) -> tuple[DisplayConnection, Inbox]:
    inbox = Inbox()
    connection = DisplayConnection(settings, inbox.deliver)
    await asyncio.to_thread(connection.start)
    return connection, inbox


def fast(url: str, **options: Any) -> ConnectionSettings:
    values: dict[str, Any] = {"reconnect_initial_seconds": 0.05, "reconnect_max_seconds": 0.2}
    values.update(options)
    return ConnectionSettings(url, DISPLAY_TOKEN, SITE, **values)


@pytest.fixture
async def admin(connect: Connect) -> ProtocolClient:
    client: ProtocolClient = await connect("admin")
    await client.request("login", counter="3", as_counter="3")
    return client


async def test_snapshot_then_events_in_order(server: RunningServer, admin: ProtocolClient) -> None:
    connection, inbox = await started(fast(server.ws_url))
    try:
        snapshot: SnapshotReceived = await inbox.next(SnapshotReceived)
        status: StatusChanged = await inbox.next(StatusChanged)
        assert status.status is ConnectionStatus.CONNECTED
        assert snapshot.state["site"]["code"] == SITE and snapshot.replayed == ()
        assert not snapshot.announce_replayed
        await admin.request("issue", service="HT", request_key="k1")
        await admin.request("call_next", as_counter="3")
        names = []
        while "ticket.called" not in names:
            received: EventReceived = await inbox.next(EventReceived)
            assert received.event.seq > snapshot.seq
            names.append(received.event.event)
        assert names == ["ticket.issued", "ticket.called"]
        assert set(names) <= set(LOBBY_DISPLAY_EVENTS)
        # A requested snapshot (after day.reset) comes in order, at the latest seq.
        connection.request_snapshot()
        again: SnapshotReceived = await inbox.next(SnapshotReceived)
        assert again.seq >= received.event.seq
    finally:
        await asyncio.to_thread(connection.stop)
    assert not connection.running


async def test_idle_connection_is_probed_with_a_snapshot(server: RunningServer) -> None:
    connection, inbox = await started(fast(server.ws_url, idle_probe_seconds=0.1))
    try:
        first: SnapshotReceived = await inbox.next(SnapshotReceived)
        probes = [await inbox.next(SnapshotReceived) for _ in range(2)]
        assert [probe.seq for probe in probes] == [first.seq, first.seq]
        assert all(probe.replayed == () and not probe.announce_replayed for probe in probes)
    finally:
        await asyncio.to_thread(connection.stop)
    assert not any(isinstance(message, StatusChanged) and message.status is ConnectionStatus.LOST
                   for message in inbox.seen)


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Answers hello, then never answers again (a hung server whose socket stays open)."""
    async def handler(connection: ServerConnection) -> None:
        hello = json.loads(await connection.recv())
        await connection.send(json.dumps({
            "type": "reply", "id": hello["id"], "ok": True,
            "result": {"protocol": 1, "seq": 7, "state": {"site": {"code": SITE}}}}))
        async for _ in connection:
            pass

    async with serve(handler, "127.0.0.1", 0) as running:
        port = next(iter(running.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def test_a_server_that_stops_answering_counts_as_lost(silent_server: str) -> None:
    connection, inbox = await started(fast(silent_server, idle_probe_seconds=0.1,
                                           probe_timeout_seconds=0.2))
    try:
        await inbox.next(SnapshotReceived)
        lost: StatusChanged = await inbox.next(StatusChanged)
        while lost.status is not ConnectionStatus.LOST:
            lost = await inbox.next(StatusChanged)
        assert "no reply to a snapshot request" in lost.reason
        # It reconnects by itself, resuming after the last seq it delivered.
        again: SnapshotReceived = await inbox.next(SnapshotReceived)
        assert again.seq == 7
    finally:
        await asyncio.to_thread(connection.stop)


async def test_stopped_server_is_lost_and_refused_token_retries(server: RunningServer) -> None:
    connection, inbox = await started(fast(server.ws_url))
    await inbox.next(SnapshotReceived)
    await server.stop()
    try:
        lost: StatusChanged = await inbox.next(StatusChanged)
        while lost.status is not ConnectionStatus.LOST:
            lost = await inbox.next(StatusChanged)
        assert lost.reason
    finally:
        await asyncio.to_thread(connection.stop)
    assert not connection.running


async def test_wrong_token_is_reported_and_retried(server: RunningServer,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    settings = ConnectionSettings(server.ws_url, "not-a-token", SITE,
                                  reconnect_initial_seconds=0.05, reconnect_max_seconds=0.1)
    connection, inbox = await started(settings)
    try:
        refused: StatusChanged = await inbox.next(StatusChanged)
        assert refused.status is ConnectionStatus.LOST and "unauthorized" in refused.reason
        assert connection.running  # it keeps trying (the token may be added to the config)
    finally:
        await asyncio.to_thread(connection.stop)
    assert "server refused the display" in caplog.text


def test_settings_are_checked() -> None:
    from display.errors import DisplaySettingsError

    for url, options in (("http://x/ws", {}), ("ws://x/ws", {"idle_probe_seconds": 0}),
                         ("ws://x/ws", {"reconnect_initial_seconds": 5.0,
                                        "reconnect_max_seconds": 1.0}),
                         ("ws://x/ws", {"lang": "fr"})):
        with pytest.raises(DisplaySettingsError):
            ConnectionSettings(url, DISPLAY_TOKEN, SITE, **options)
