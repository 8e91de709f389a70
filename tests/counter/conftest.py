"""Fixtures for the counter tests.

The Qt tests run the GUI on the test's thread and wait with ``qtbot.waitUntil``, which spins
Qt's event loop, not asyncio's; so the real server runs on its own thread and loop here
(``live_server``), built from the shared ``settings`` and ``database_path`` fixtures. It can
be stopped and started again on the same port and database file. ``proxy`` sits between a
client and that server and can cut the connection at a chosen moment, to lose a request or
its reply on purpose. ``clocked_server`` runs a site with a five-label rating scale and a
20-second rating window on ``server_clock``, a clock the test moves by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from support.clock import ManualClock
from support.servers import (
    ADMIN_TOKEN,
    BRIDGE_TOKEN,
    COUNTER_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    SITE,
    site_config,
)

from server.app.runtime import Clock
from server.app.serve import RunningServer, start_server, system_clock
from server.config import Settings, load_settings, parse_settings
from server.protocol.client import ClientError, ProtocolClient

WAIT_SECONDS = 10.0
_Result = TypeVar("_Result")


FIVE_LABEL_SCALE = (
    (5, "Rất hài lòng", "Very satisfied"),
    (4, "Hài lòng", "Satisfied"),
    (3, "Bình thường", "Neutral"),
    (2, "Chưa hài lòng", "Not quite satisfied"),
    (1, "Rất không hài lòng", "Very dissatisfied"),
)
SHORT_RATING_WINDOW_SECONDS = 20


class ServerThread:
    """A real server on 127.0.0.1 in a background thread with its own asyncio loop."""

    def __init__(self, settings: Settings, database_path: Path, site: str = SITE,
                 kiosk_token: str = KIOSK_TOKEN, admin_token: str = ADMIN_TOKEN,
                 clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock
        self.site = site
        self.kiosk_token = kiosk_token
        self.admin_token = admin_token
        self.database_url = f"sqlite:///{database_path}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-server",
                                        daemon=True)
        self._thread.start()
        self.running: RunningServer | None = None
        self.port = 0
        self._clients: list[ProtocolClient] = []

    def run(self, coroutine: Coroutine[Any, Any, _Result]) -> _Result:
        """Run ``coroutine`` on the server's loop and return its result (blocks this thread)."""
        future: Future[_Result] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(WAIT_SECONDS)

    def start(self) -> None:
        async def starting() -> RunningServer:
            return await start_server(self.settings, host="127.0.0.1", port=self.port,
                                      database_url=self.database_url, clock=self.clock)

        self.running = self.run(starting())
        self.port = int(self.running.ws_url.split(":")[2].split("/")[0])

    def stop(self) -> None:
        if self.running is not None:
            running, self.running = self.running, None
            self.run(running.stop())

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def client(self, role: str, token: str) -> ProtocolClient:
        """A connected client living on the server's loop (use it through :meth:`run`)."""
        async def connecting() -> ProtocolClient:
            client = ProtocolClient(self.ws_url, role, token, self.site)
            await client.connect()
            return client

        client = self.run(connecting())
        self._clients.append(client)
        return client

    def issue(self, service: str, priority: str | None = None) -> dict[str, Any]:
        """Issue a ticket from a kiosk; returns the ticket."""
        kiosk = self.client("kiosk", self.kiosk_token)
        result = self.run(kiosk.request("issue", service=service, priority=priority,
                                        request_key=str(uuid.uuid4())))
        self.run(kiosk.close())
        ticket: dict[str, Any] = result["ticket"]
        return ticket

    def admin(self) -> ProtocolClient:
        return self.client("admin", self.admin_token)

    def request(self, client: ProtocolClient, request_type: str,
                **fields: Any) -> dict[str, Any]:
        return self.run(client.request(request_type, **fields))

    def close(self) -> None:
        for client in self._clients:
            with contextlib.suppress(ClientError, OSError, TimeoutError):
                self.run(client.close())
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(WAIT_SECONDS)
        self.loop.close()


class CuttableProxy:
    """A TCP proxy in front of ``target_port`` that can drop a connection on purpose.

    :meth:`cut_on_reply_containing`: the next server-to-client chunk containing ``marker``
    (server frames are not masked, so event names can be found in them) is not forwarded,
    and the connection is closed: the server applied the request, the client never heard.
    :meth:`cut_next_request`: the next client-to-server chunk is dropped and the connection
    closed: the server never saw the request. With ``hold=True`` the proxy also stops
    listening at that moment, so the client cannot reconnect until :meth:`reopen` (on the
    same port): the test can change the server's state while the client is away.
    """

    def __init__(self, server: ServerThread) -> None:
        self._server = server
        self._listener: asyncio.Server | None = None
        self.port = 0
        self._reply_marker: bytes | None = None
        self._cut_request = False
        self._hold = False
        self.cut = threading.Event()
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        async def starting() -> int:
            self._listener = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            return int(self._listener.sockets[0].getsockname()[1])

        self.port = self._server.run(starting())

    def reopen(self) -> None:
        """Listen again on the same port after a held cut."""
        self.start()

    def cut_on_reply_containing(self, marker: str) -> None:
        self.cut.clear()
        self._reply_marker = marker.encode()

    def cut_next_request(self, hold: bool = False) -> None:
        self.cut.clear()
        self._cut_request = True
        self._hold = hold

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self._server.port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, upstream_writer]

        def close_both() -> None:
            if self._hold and self._listener is not None:
                # Before the client hears of the cut, so its first reconnection is refused.
                self._hold = False
                self._listener.close()
            writer.close()
            upstream_writer.close()
            self.cut.set()

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter,
                       from_client: bool) -> None:
            with contextlib.suppress(OSError):
                while chunk := await source.read(65536):
                    if from_client and self._cut_request:
                        self._cut_request = False
                        close_both()
                        return
                    if not from_client and self._reply_marker is not None \
                            and self._reply_marker in chunk:
                        self._reply_marker = None
                        close_both()
                        return
                    target.write(chunk)
                    await target.drain()
            target.close()

        await asyncio.gather(pipe(reader, upstream_writer, True),
                             pipe(upstream_reader, writer, False))

    def close(self) -> None:
        async def closing() -> None:
            if self._listener is not None:
                self._listener.close()
            for writer in self._writers:
                writer.close()

        self._server.run(closing())


@dataclass(frozen=True)
class SiteAccess:
    """What the test site's clients need (from tests/support/servers.py)."""

    site: str = SITE
    counter_token: str = COUNTER_TOKEN
    admin_token: str = ADMIN_TOKEN
    kiosk_token: str = KIOSK_TOKEN
    bridge_token: str = BRIDGE_TOKEN  # the bridge's: acts for counters 1 and 2 only
    password: str = PASSWORD


@pytest.fixture
def access() -> SiteAccess:
    return SiteAccess()


@pytest.fixture
def live_server(settings: Settings, database_path: Path) -> Iterator[ServerThread]:
    server = ServerThread(settings, database_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def server_clock() -> ManualClock:
    # 09:00 in Hà Nội: well inside one business day, whatever the test adds.
    return ManualClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def clocked_server(database_path: Path, server_clock: ManualClock) -> Iterator[ServerThread]:
    """The test site with a five-label scale and a 20 s rating window, on ``server_clock``."""
    config = site_config()
    config["sites"][0]["rating_scale"] = [
        {"score": score, "label_vi": vietnamese, "label_en": english}
        for score, vietnamese, english in FIVE_LABEL_SCALE]
    config["sites"][0]["rating_window_seconds"] = SHORT_RATING_WINDOW_SECONDS
    server = ServerThread(parse_settings(config), database_path, clock=server_clock)
    server.start()
    yield server
    server.close()


@pytest.fixture
def demo_clock() -> ManualClock:
    # 08:00 in Hà Nội: the morning the screenshots tell.
    return ManualClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
def demo_server(tmp_path: Path, demo_clock: ManualClock) -> Iterator[ServerThread]:
    """The demo configuration (server/config/demo.toml, site hcc-tinh) on a fresh database,
    on ``demo_clock``."""
    server = ServerThread(load_settings(), tmp_path / "demo.sqlite3", site="hcc-tinh",
                          kiosk_token="demo-kiosk-token-0001",
                          admin_token="demo-admin-token-0001", clock=demo_clock)
    server.start()
    yield server
    server.close()


@pytest.fixture
def proxy(live_server: ServerThread) -> Iterator[CuttableProxy]:
    cuttable = CuttableProxy(live_server)
    cuttable.start()
    yield cuttable
    cuttable.close()

