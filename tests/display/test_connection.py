"""DisplayConnection (its own thread and asyncio loop) against the real server, and through a
proxy that stops forwarding (a hung server): snapshot first, events in order, the ping/pong
liveness check, lost and refused connections, a requested snapshot, stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hanging_proxy import HangingProxy
from support.servers import DISPLAY_TOKEN, SITE

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
    values: dict[str, Any] = {"reconnect_min_seconds": 0.05, "reconnect_max_seconds": 0.2}
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


async def test_a_live_connection_is_checked_with_pings_not_requests(
    server: RunningServer, proxy: Callable[[int], HangingProxy]
) -> None:
    loop = asyncio.get_running_loop()
    pongs: asyncio.Queue[float] = asyncio.Queue()
    inbox = Inbox()
    connection = DisplayConnection(fast(proxy(server.port).ws_url, ping_interval_seconds=0.05,
                                        ping_timeout_seconds=0.5), inbox.deliver)

    def on_pong(took: float) -> None:  # connection thread
        loop.call_soon_threadsafe(pongs.put_nowait, took)

    connection.pong_listeners.append(on_pong)
    await asyncio.to_thread(connection.start)
    try:
        first: SnapshotReceived = await inbox.next(SnapshotReceived)
        # Many ping intervals pass: the server answers each ping, so the connection holds
        # and the display asks for nothing (no snapshot probe: it stays events-only).
        for _ in range(5):
            async with asyncio.timeout(5):
                assert 0 <= await pongs.get() < 0.5
        while not inbox.queue.empty():
            inbox.seen.append(inbox.queue.get_nowait())
    finally:
        await asyncio.to_thread(connection.stop)
    assert not any(isinstance(message, StatusChanged) and message.status is ConnectionStatus.LOST
                   for message in inbox.seen)
    assert [m for m in inbox.seen if isinstance(m, SnapshotReceived)] == [first]  # no probe


async def test_a_hung_server_counts_as_lost_within_the_ping_timeout(
    server: RunningServer, proxy: Callable[[int], HangingProxy], admin: ProtocolClient
) -> None:
    through = proxy(server.port)
    connection, inbox = await started(fast(through.ws_url, ping_interval_seconds=0.1,
                                           ping_timeout_seconds=0.3))
    try:
        await inbox.next(SnapshotReceived)
        await inbox.next(StatusChanged)
        through.hang()
        hung_at = asyncio.get_running_loop().time()
        lost: StatusChanged = await inbox.next(StatusChanged)
        assert lost.status is ConnectionStatus.LOST
        assert "no pong within 0.3 s" in lost.reason
        assert asyncio.get_running_loop().time() - hung_at < 2.0  # interval + timeout + slack
        # A call made while it was hung is there once the server answers again (resume).
        await admin.request("issue", service="HT", request_key="during")
        called = await admin.request("call_next", as_counter="3")
        through.resume()
        again: SnapshotReceived = await inbox.next(SnapshotReceived)
        calls = [event.data["number"] for event in again.replayed
                 if event.event == "ticket.called"]
        assert calls == [called["ticket"]["number"]]
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


@pytest.mark.parametrize(("token", "site"), [("not-a-token", SITE), ("not-a-token", None),
                                             (DISPLAY_TOKEN, "no-such-site")])
async def test_refused_hello_is_reported_and_retried(
    server: RunningServer, caplog: pytest.LogCaptureFixture, token: str, site: str | None
) -> None:
    settings = ConnectionSettings(server.ws_url, token, site,
                                  reconnect_min_seconds=0.05, reconnect_max_seconds=0.1)
    connection, inbox = await started(settings)
    try:
        refused: StatusChanged = await inbox.next(StatusChanged)
        assert refused.status is ConnectionStatus.REFUSED and "unauthorized" in refused.reason
        assert connection.running  # it keeps trying (the token may be added to the config)
    finally:
        await asyncio.to_thread(connection.stop)
    assert "server refused the display" in caplog.text


async def test_a_device_token_needs_no_site(server: RunningServer) -> None:
    connection, inbox = await started(ConnectionSettings(server.ws_url, DISPLAY_TOKEN))
    try:
        snapshot: SnapshotReceived = await inbox.next(SnapshotReceived)
        assert snapshot.state["site"]["code"] == SITE
    finally:
        await asyncio.to_thread(connection.stop)


def test_settings_are_checked() -> None:
    from display.errors import DisplaySettingsError

    for url, options in (("http://x/ws", {}), ("ws://x/ws", {"ping_interval_seconds": 0}),
                         ("ws://x/ws", {"ping_timeout_seconds": -1}),
                         ("ws://x/ws", {"reconnect_min_seconds": 5.0,
                                        "reconnect_max_seconds": 1.0}),
                         ("ws://x/ws", {"request_timeout_seconds": 0}),
                         ("ws://x/ws", {"lang": "fr"})):
        with pytest.raises(DisplaySettingsError):
            ConnectionSettings(url, DISPLAY_TOKEN, SITE, **options)
    with pytest.raises(DisplaySettingsError, match="site"):
        ConnectionSettings("ws://x/ws", DISPLAY_TOKEN, " ")
    with pytest.raises(DisplaySettingsError, match="token"):
        ConnectionSettings("ws://x/ws", "")


def test_the_back_off_options_have_one_name_in_every_app() -> None:
    settings = ConnectionSettings("ws://x/ws", DISPLAY_TOKEN, SITE, reconnect_min_seconds=0.1,
                                  reconnect_max_seconds=2.0, request_timeout_seconds=3.0)
    supervised = settings.supervisor_settings()
    assert (supervised.reconnect_min_seconds, supervised.reconnect_max_seconds,
            supervised.request_timeout_seconds) == (0.1, 2.0, 3.0)
    assert supervised.resume  # a display follows events: it resumes after the last applied
