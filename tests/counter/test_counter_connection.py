"""The counter's connection thread against a real server (the shared ``server`` fixture)."""

from __future__ import annotations

import asyncio
import queue
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from support.server_processes import token, two_servers
from support.servers import PASSWORD, password_checks

from counter.connection import CounterConnection
from counter.requests import Action, ActionRequest, LoginRequest
from counter.settings import ConnectionSettings
from counter.updates import (
    ActionRefused,
    ActionSucceeded,
    ConnectionStatus,
    EventReceived,
    FiguresLoaded,
    LoggedIn,
    LoginRefused,
    QueueLoaded,
    SessionStarted,
    StatusChanged,
    Update,
)
from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient

WAIT = 10.0
_Update = TypeVar("_Update")


class Recorder:
    """Collects the connection's updates (from its thread) for the test to wait on."""

    def __init__(self) -> None:
        self.updates: queue.Queue[Update] = queue.Queue()

    def deliver(self, update: Update) -> None:
        self.updates.put(update)

    async def next(self, kind: type[_Update],
                   accept: Callable[[_Update], bool] = lambda _update: True) -> _Update:
        """The next update of ``kind`` that ``accept`` likes (others are skipped)."""
        deadline = time.monotonic() + WAIT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind.__name__} within {WAIT} s")
            try:
                update = await asyncio.to_thread(self.updates.get, True, remaining)
            except queue.Empty as error:
                raise TimeoutError(f"no {kind.__name__} within {WAIT} s") from error
            if isinstance(update, kind) and accept(update):
                return update


@pytest.fixture
async def counter_link(server: RunningServer,
                       access: Any) -> AsyncIterator[tuple[CounterConnection, Recorder]]:
    recorder = Recorder()
    connection = CounterConnection(
        ConnectionSettings(server.ws_url, access.counter_token, access.site,
                           reconnect_min_seconds=0.05, reconnect_max_seconds=0.05),
        recorder.deliver)
    connection.start()
    yield connection, recorder
    await asyncio.to_thread(connection.stop)


async def issue(connect: Callable[..., Any], service: str = "DD-NOP",
                priority: str | None = None) -> dict[str, Any]:
    kiosk: ProtocolClient = await connect("kiosk")
    result = await kiosk.request("issue", service=service, priority=priority,
                                 request_key=str(uuid.uuid4()))
    ticket: dict[str, Any] = result["ticket"]
    return ticket


async def online(recorder: Recorder) -> None:
    await recorder.next(StatusChanged, lambda update: update.status is ConnectionStatus.ONLINE)


async def test_hello_gives_the_snapshot_then_online(
        counter_link: tuple[CounterConnection, Recorder]) -> None:
    _, recorder = counter_link
    started = await recorder.next(SessionStarted)
    assert started.state["site"]["code"] == "hcc-test" and not started.reconnected
    await online(recorder)


async def test_without_a_site_code_the_token_names_the_site(
        server: RunningServer, access: Any) -> None:
    from counter.settings import parse_settings

    settings = parse_settings(["--server", server.ws_url, "--token", access.counter_token])
    assert settings.connection.site is None
    recorder = Recorder()
    connection = CounterConnection(settings.connection, recorder.deliver)
    connection.start()
    try:
        started = await recorder.next(SessionStarted)
        assert started.state["site"]["code"] == "hcc-test"
    finally:
        await asyncio.to_thread(connection.stop)


async def test_wrong_password_is_refused(
        counter_link: tuple[CounterConnection, Recorder]) -> None:
    connection, recorder = counter_link
    await online(recorder)
    connection.submit(LoginRequest("1", "lan", "wrong-password"))
    refused = await recorder.next(LoginRefused)
    assert refused.code == "unauthorized"


async def test_login_loads_the_waiting_list_and_figures_in_calling_order(
        counter_link: tuple[CounterConnection, Recorder], connect: Callable[..., Any],
        access: Any) -> None:
    connection, recorder = counter_link
    first = await issue(connect)
    elder = await issue(connect, priority="NCT")
    await online(recorder)
    connection.submit(LoginRequest("1", "lan", access.password))
    logged_in = await recorder.next(LoggedIn)
    assert logged_in.counter["status"] == "open" and logged_in.user == "lan"
    waiting = await recorder.next(QueueLoaded)
    assert [ticket["number"] for ticket in waiting.tickets] == [elder["number"],
                                                                first["number"]]
    figures = await recorder.next(FiguresLoaded)
    assert figures.stats["served"] == 0


async def test_actions_and_their_refusals(
        counter_link: tuple[CounterConnection, Recorder], connect: Callable[..., Any],
        access: Any) -> None:
    connection, recorder = counter_link
    await online(recorder)
    connection.submit(LoginRequest("1", "lan", access.password))
    await recorder.next(LoggedIn)
    connection.submit(ActionRequest(Action.CALL_NEXT))
    refused = await recorder.next(ActionRefused)
    assert refused.code == "not_found"
    ticket = await issue(connect)
    # The issue reaches this counter's waiting list without asking.
    await recorder.next(QueueLoaded, lambda update: len(update.tickets) == 1)
    connection.submit(ActionRequest(Action.CALL_NEXT))
    called = await recorder.next(EventReceived, lambda update: update.name == "ticket.called")
    assert called.data["number"] == ticket["number"]
    done = await recorder.next(ActionSucceeded)
    assert done.result["ticket"]["status"] == "called"
    connection.submit(ActionRequest(Action.FINISH, case_code="000.00.01.H01-261122-0001"))
    finished = await recorder.next(ActionSucceeded)
    assert finished.result["ticket"]["case_code"] == "000.00.01.H01-261122-0001"
    figures = await recorder.next(FiguresLoaded, lambda update: update.stats["served"] == 1)
    assert figures.stats["served"] == 1


async def test_nothing_is_sent_while_disconnected(access: Any) -> None:
    recorder = Recorder()
    # Nobody listens on port 9: every attempt fails, and a request is refused, not kept.
    connection = CounterConnection(
        ConnectionSettings("ws://127.0.0.1:9/ws", access.counter_token, access.site,
                           reconnect_min_seconds=0.05, reconnect_max_seconds=0.05),
        recorder.deliver)
    connection.start()
    try:
        connection.submit(ActionRequest(Action.CALL_NEXT))
        refused = await recorder.next(ActionRefused)
        assert refused.code == "not_connected"
    finally:
        await asyncio.to_thread(connection.stop)


def test_a_missing_token_is_a_start_up_error_naming_the_option(
        capsys: pytest.CaptureFixture[str]) -> None:
    """No app defaults to a demo token: without --token the counter does not start."""
    from counter.errors import SettingsError
    from counter.main import main
    from counter.settings import parse_settings

    with pytest.raises(SettingsError, match="--token is required"):
        parse_settings(["--server", "ws://127.0.0.1:8765/ws", "--counter", "Q01"])
    assert main(["--counter", "Q01"]) == 2
    assert "qms counter: --token is required" in capsys.readouterr().err


def test_the_back_off_options_have_one_name_in_every_app(access: Any) -> None:
    settings = ConnectionSettings("ws://127.0.0.1:1/ws", access.counter_token, access.site,
                                  reconnect_min_seconds=0.1, reconnect_max_seconds=2.0)
    supervised = settings.supervisor_settings()
    assert (supervised.reconnect_min_seconds, supervised.reconnect_max_seconds) == (0.1, 2.0)
    assert supervised.resume  # the missed events tell whether an interrupted action applied


async def test_the_counter_follows_its_site_to_another_process_without_its_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two server processes on one PostgreSQL database: the counter, given both addresses,
    works at the process serving its site; that process stops and the other takes the site
    over; the counter reconnects there by itself and logs in again with its session (no
    password checked), and calls the next number."""
    recorder = Recorder()
    connection: CounterConnection | None = None
    async with two_servers() as pair:
        first, second = pair.first, pair.second
        try:
            connection = CounterConnection(
                ConnectionSettings(f"{second.ws_url},{first.ws_url}", token("counter", "px-a"),
                                   "px-a", reconnect_min_seconds=0.05,
                                   reconnect_max_seconds=0.2),
                recorder.deliver)
            connection.start()
            await online(recorder)
            connection.submit(LoginRequest("1", "lan", PASSWORD))
            await recorder.next(LoggedIn)
            kiosk = ProtocolClient([first.ws_url, second.ws_url], "kiosk",
                                   token("kiosk", "px-a"), "px-a")
            await kiosk.connect()
            numbers = [(await kiosk.request("issue", service="DD-NOP",
                                            request_key=str(uuid.uuid4())))["ticket"]["number"]
                       for _ in range(2)]
            await kiosk.close()
            checked = password_checks(monkeypatch)
            await pair.stop(first)
            again = await recorder.next(LoggedIn, lambda update: update.reconnected)
            assert again.counter["officer"] == "lan" and "px-a" in second.service.sites
            assert checked == []  # the session, not the password
            connection.submit(ActionRequest(Action.CALL_NEXT))
            called = await recorder.next(ActionSucceeded)
            assert called.result["ticket"]["number"] == numbers[0]
        finally:
            if connection is not None:
                await asyncio.to_thread(connection.stop)
