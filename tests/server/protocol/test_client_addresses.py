"""ProtocolClient with several addresses and the ``moved`` answer: a dead address is passed
over, a process that does not serve the site sends the client to the one that does, and a
site with no owner for the moment is said so (two real servers on one PostgreSQL database,
on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import create_engine, text
from support.databases import fresh_postgres_database
from support.servers import KIOSK_TOKEN, SITE
from websockets.asyncio.client import connect

from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient, SiteMoved, server_urls
from server.protocol.messages import PROTOCOL_VERSION
from server.store.ownership import lock_key


def closed_port_url() -> str:
    """The address of a port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/ws"


def test_addresses_are_split_on_commas_in_order_each_once() -> None:
    assert server_urls("ws://a/ws") == ("ws://a/ws",)
    assert server_urls(" ws://a/ws, ws://b/ws,,ws://a/ws ") == ("ws://a/ws", "ws://b/ws")
    assert server_urls(["ws://a/ws,ws://b/ws", "ws://c/ws"]) == ("ws://a/ws", "ws://b/ws",
                                                                "ws://c/ws")
    with pytest.raises(ValueError, match="no server address"):
        server_urls(" , ")


async def test_a_dead_address_is_passed_over(server: RunningServer) -> None:
    dead = closed_port_url()
    async with ProtocolClient([dead, server.ws_url], "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        assert kiosk.url == server.ws_url
        await kiosk.request("issue", service="HT", request_key="k1")
    # The address that served is tried first next time.
    kiosk = ProtocolClient(f"{dead},{server.ws_url}", "kiosk", KIOSK_TOKEN, SITE)
    await kiosk.connect()
    await kiosk.reconnect()
    assert kiosk.url == server.ws_url
    await kiosk.close()


async def test_one_address_fails_as_it_always_did() -> None:
    with pytest.raises(OSError):
        await ProtocolClient(closed_port_url(), "kiosk", KIOSK_TOKEN, SITE).connect()
    with pytest.raises(OSError):  # every address dead: the last failure
        await ProtocolClient([closed_port_url(), closed_port_url()], "kiosk", KIOSK_TOKEN,
                             SITE).connect()


@pytest.fixture
async def two_servers(settings: Settings) -> AsyncIterator[tuple[str, list[RunningServer]]]:
    """Two server processes' worth (in this process) on one fresh PostgreSQL database;
    returns once one of them serves the site."""
    with fresh_postgres_database() as url:
        servers = [await start_server(settings, host="127.0.0.1", port=0, database_url=url)
                   for _ in range(2)]
        try:
            async with asyncio.timeout(10):
                while not any(SITE in running.service.sites for running in servers):
                    await asyncio.sleep(0.05)
            yield url, servers
        finally:
            for running in servers:
                await running.stop()


async def test_hello_at_the_other_process_is_sent_to_the_owner(
        two_servers: tuple[str, list[RunningServer]]) -> None:
    _url, servers = two_servers
    owner = next(running for running in servers if SITE in running.service.sites)
    other = next(running for running in servers if running is not owner)
    async with connect(other.ws_url) as raw:
        await raw.send(json.dumps({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION,
                                   "role": "kiosk", "token": KIOSK_TOKEN, "site": SITE}))
        reply = json.loads(await raw.recv())
        assert reply["ok"] is False
        assert reply["error"]["code"] == "moved"
        assert reply["error"]["url"] == owner.ws_url
        await raw.wait_closed()
        assert raw.close_code == 1012
    # A wrong token is refused as ever, naming no owner.
    async with connect(other.ws_url) as raw:
        await raw.send(json.dumps({"type": "hello", "id": 1, "protocol": PROTOCOL_VERSION,
                                   "role": "kiosk", "token": "not-a-token", "site": SITE}))
        assert json.loads(await raw.recv())["error"]["code"] == "unauthorized"
    async with ProtocolClient(other.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        assert kiosk.url == owner.ws_url
        ticket = (await kiosk.request("issue", service="HT", request_key="k1"))["ticket"]
        assert ticket["number"] == "A001"


async def test_a_site_without_an_owner_is_said_moved_until_one_takes_it(
        settings: Settings) -> None:
    with fresh_postgres_database() as url:
        # A session of the test's own holds the site's lock, as a process that hangs would:
        # no server process can take the site.
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as holder:
                assert holder.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": lock_key("site", SITE)}).scalar()
                running = await start_server(settings, host="127.0.0.1", port=0,
                                             database_url=url)
                try:
                    assert SITE not in running.service.sites
                    kiosk = ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE)
                    with pytest.raises(SiteMoved) as moved:
                        await kiosk.connect()  # after the server's 2 s wait for an owner
                    assert moved.value.url is None
                    assert "being moved" in str(moved.value)
                    holder.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": lock_key("site", SITE)})
                    # Free again: the server takes it, and the hello waits for that.
                    async with asyncio.timeout(10):
                        await kiosk.connect()
                    assert SITE in running.service.sites
                    await kiosk.close()
                finally:
                    await running.stop()
        finally:
            engine.dispose()
