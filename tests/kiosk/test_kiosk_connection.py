"""The kiosk's server connection thread against a real server, without Qt: hello and menu,
issue, refusals, lost replies, device reports, reconnecting, refreshing after events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from support.servers import ADMIN_TOKEN, SITE

from kiosk.connection import ClientFactory, DeviceReport, ServerConnection, make_client
from kiosk.models.status import ConnectionState
from kiosk.settings import KioskSettings
from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient

Connect = Callable[..., Awaitable[ProtocolClient]]
WAIT_SECONDS = 10.0


class Recorder:
    """A connection listener: every call, made on the connection thread, is queued on the
    test's event loop; tests await the one they expect."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.calls: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()

    def _put(self, name: str, *arguments: Any) -> None:
        self._loop.call_soon_threadsafe(self.calls.put_nowait, (name, arguments))

    def connection_changed(self, state: ConnectionState,
                           snapshot: Mapping[str, Any] | None) -> None:
        self._put("connection_changed", state, snapshot)

    def snapshot_received(self, snapshot: Mapping[str, Any]) -> None:
        self._put("snapshot_received", snapshot)

    def issue_confirmed(self, request_key: str, ticket: Mapping[str, Any]) -> None:
        self._put("issue_confirmed", request_key, ticket)

    def issue_refused(self, request_key: str, code: str, message: str) -> None:
        self._put("issue_refused", request_key, code, message)

    async def next(self, name: str, *first: Any) -> tuple[Any, ...]:
        """The arguments of the next call ``name`` whose arguments start with ``first``."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                called, arguments = await self.calls.get()
                if called == name and arguments[:len(first)] == first:
                    return arguments

    def names(self) -> list[str]:
        """Names of the calls queued and not yet taken."""
        names = []
        while not self.calls.empty():
            names.append(self.calls.get_nowait()[0])
        return names


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder(asyncio.get_running_loop())


@pytest.fixture
async def start_connection(
        recorder: Recorder, kiosk_settings_for: Callable[..., KioskSettings],
) -> AsyncIterator[Callable[..., ServerConnection]]:
    started: list[ServerConnection] = []

    def start(url: str, client_factory: ClientFactory = make_client,
              **overrides: Any) -> ServerConnection:
        connection = ServerConnection(kiosk_settings_for(url, **overrides), recorder,
                                      client_factory)
        connection.start()
        started.append(connection)
        return connection

    yield start
    for connection in started:
        await asyncio.to_thread(connection.stop)


async def test_hello_brings_the_menu_and_issue_its_ticket(
        server: RunningServer, recorder: Recorder,
        start_connection: Callable[..., ServerConnection]) -> None:
    connection = start_connection(server.ws_url)
    _, snapshot = await recorder.next("connection_changed", ConnectionState.ONLINE)
    assert [service["code"] for service in snapshot["services"]] == ["DD-NOP", "DD-TRA", "HT"]
    connection.issue("press-1", "HT", "NCT")
    _, ticket = await recorder.next("issue_confirmed", "press-1")
    assert (ticket["number"], ticket["service"], ticket["priority"]) == ("A001", "HT", "NCT")
    # The ticket.issued event refreshes the menu.
    (state,) = await recorder.next("snapshot_received")
    assert {item["code"]: item["waiting"] for item in state["services"]}["HT"] == 1


async def test_a_refusal_is_final(server: RunningServer, recorder: Recorder,
                                  start_connection: Callable[..., ServerConnection]) -> None:
    connection = start_connection(server.ws_url)
    await recorder.next("connection_changed", ConnectionState.ONLINE)
    connection.issue("press-1", "NO-SUCH-SERVICE", None)
    _, code, message = await recorder.next("issue_refused", "press-1")
    assert code == "bad_request" and "NO-SUCH-SERVICE" in message


async def test_a_lost_reply_is_sent_again_with_the_same_key(
        server: RunningServer, connect: Connect, recorder: Recorder,
        start_connection: Callable[..., ServerConnection],
        reply_losing_clients: tuple[ClientFactory, list[str]]) -> None:
    factory, keys = reply_losing_clients
    connection = start_connection(server.ws_url, client_factory=factory)
    await recorder.next("connection_changed", ConnectionState.ONLINE)
    connection.issue("press-1", "HT", None)
    await recorder.next("connection_changed", ConnectionState.OFFLINE)
    await recorder.next("connection_changed", ConnectionState.ONLINE)
    _, ticket = await recorder.next("issue_confirmed", "press-1")
    assert keys == ["press-1", "press-1"]
    admin = await connect("admin")
    assert (await admin.request("ticket", number="A001"))["ticket"]["id"] == ticket["id"]
    state = (await admin.request("snapshot"))["state"]
    assert {item["code"]: item["waiting"] for item in state["services"]}["HT"] == 1
    assert "issue_confirmed" not in recorder.names()


async def test_device_reports_reach_the_admin_once_per_change(
        server: RunningServer, connect: Connect, recorder: Recorder,
        start_connection: Callable[..., ServerConnection]) -> None:
    admin = await connect("admin", subscribe=["device."])
    connection = start_connection(server.ws_url)
    await recorder.next("connection_changed", ConnectionState.ONLINE)
    report = DeviceReport("kiosk-test/printer", "printer", "paper_out", "Máy in hết giấy.")
    connection.report_device(report)
    connection.report_device(report)
    connection.report_device(DeviceReport("kiosk-test/printer", "printer", "ok"))
    first = await admin.next_event("device.status")
    second = await admin.next_event("device.status")
    assert [(event.data["device"], event.data["status"]) for event in (first, second)] == [
        ("kiosk-test/printer", "paper_out"), ("kiosk-test/printer", "ok")]
    assert first.data["message"] == "Máy in hết giấy."
    devices = (await admin.request("devices"))["devices"]
    assert [(item["device"], item["status"]) for item in devices] == [
        ("kiosk-test/printer", "ok")]


async def test_reconnects_and_sends_what_waited_for_the_server(
        settings: Settings, database_path: Path, recorder: Recorder,
        start_connection: Callable[..., ServerConnection]) -> None:
    database_url = f"sqlite:///{database_path}"
    first = await start_server(settings, host="127.0.0.1", port=0, database_url=database_url)
    connection = start_connection(first.ws_url)
    await recorder.next("connection_changed", ConnectionState.ONLINE)
    await first.stop()
    await recorder.next("connection_changed", ConnectionState.OFFLINE)
    key = uuid.uuid4().hex
    connection.issue(key, "DD-NOP", None)  # pressed while the server is down
    connection.report_device(DeviceReport("kiosk-test/printer", "printer", "cover_open"))
    second = await start_server(settings, host="127.0.0.1", port=first.port,
                                database_url=database_url)
    try:
        await recorder.next("connection_changed", ConnectionState.ONLINE)
        _, ticket = await recorder.next("issue_confirmed", key)
        assert ticket["number"] == "1001"
        async with ProtocolClient(second.ws_url, "admin", ADMIN_TOKEN, SITE,
                                  subscribe=["device."]) as admin:
            devices = (await admin.request("devices"))["devices"]
            if not devices:  # not there yet: it comes as an event
                devices = [(await admin.next_event("device.status")).data]
        assert [(item["device"], item["status"]) for item in devices] == [
            ("kiosk-test/printer", "cover_open")]
    finally:
        await asyncio.to_thread(connection.stop)
        await second.stop()


async def test_a_wrong_token_keeps_the_kiosk_offline(
        server: RunningServer, recorder: Recorder,
        start_connection: Callable[..., ServerConnection],
        caplog: pytest.LogCaptureFixture) -> None:
    start_connection(server.ws_url, token="not-a-kiosk-token")
    await recorder.next("connection_changed", ConnectionState.OFFLINE)
    await recorder.next("connection_changed", ConnectionState.OFFLINE)
    assert "refused this kiosk" in caplog.text
