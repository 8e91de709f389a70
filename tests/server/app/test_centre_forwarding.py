"""A centre's own server keeps working while its link to the province is down, and forwards
its events when it comes back: real servers on 127.0.0.1, real SQLite files, real
connections (server.app.forwarder, server.app.forwarding)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.centres import CENTRE_TOKEN, OTHER_CENTRE_TOKEN, OTHER_SITE, province_settings, work
from support.servers import (
    ADMIN_TOKEN,
    COUNTER_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    SITE,
    free_port,
    site_config,
    table_counts,
)

from server.app.forwarder import Forwarder
from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.ops.status import ownership_status
from server.protocol.client import ProtocolClient, RequestFailed
from server.store.database import open_engines
from server.store.forwarding import read_batch


def centre_settings(province_url: str | None, batch_bytes: int = 48_000) -> Settings:
    """The centre's own server: the test site, forwarded to ``province_url``."""
    config = site_config()
    if province_url is not None:
        config["server"]["upstream"] = {"urls": [province_url], "site": SITE,
                                        "token": CENTRE_TOKEN, "batch_bytes": batch_bytes,
                                        "retry_seconds": 0.5}
    return parse_settings(config)


class Servers:
    """The province's and the centre's servers of one test; stopped at the end."""

    def __init__(self, directory: Path) -> None:
        self.province_database = directory / "province.sqlite3"
        self.centre_database = directory / "centre.sqlite3"
        self.province_port = free_port()
        self.province: RunningServer | None = None
        self.centre: RunningServer | None = None
        self.clients: list[ProtocolClient] = []

    @property
    def province_url(self) -> str:
        return f"ws://127.0.0.1:{self.province_port}/ws"

    async def start_province(self, settings: Settings | None = None) -> RunningServer:
        self.province = await start_server(settings or province_settings(), host="127.0.0.1",
                                           port=self.province_port,
                                           database_url=f"sqlite:///{self.province_database}")
        return self.province

    async def stop_province(self) -> None:
        assert self.province is not None
        await self.province.stop()
        self.province = None

    async def start_centre(self, batch_bytes: int = 48_000) -> RunningServer:
        self.centre = await start_server(centre_settings(self.province_url, batch_bytes),
                                         host="127.0.0.1", port=0,
                                         database_url=f"sqlite:///{self.centre_database}")
        return self.centre

    async def stop_centre(self) -> None:
        assert self.centre is not None
        await self.centre.stop()
        self.centre = None

    async def client(self, server: RunningServer, role: str, token: str,
                     site: str = SITE, **options: Any) -> ProtocolClient:
        client = ProtocolClient(server.ws_url, role, token, site, **options)
        self.clients.append(client)
        await client.connect()
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        for server in (self.centre, self.province):
            if server is not None:
                await server.stop()

    @property
    def forwarder(self) -> Forwarder:
        assert self.centre is not None and self.centre.service.forwarder is not None
        return self.centre.service.forwarder

    async def wait_for(self, condition: Callable[[Forwarder], bool],
                       timeout: float = 15.0) -> None:
        """Wait (on the forwarder's changes, no polling) until ``condition`` holds."""
        forwarder = self.forwarder
        async with asyncio.timeout(timeout):
            while True:
                forwarder.changed.clear()
                if condition(forwarder):
                    return
                await forwarder.changed.wait()

    async def caught_up(self) -> None:
        """Until the province acknowledged every event of the centre."""
        assert self.centre is not None
        runtime = self.centre.service.sites[SITE]
        await self.wait_for(lambda forwarder: forwarder.link_up
                            and forwarder.acknowledged == runtime.committed.seq)


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    running = Servers(tmp_path)
    yield running
    await running.close()


def rows(database: Path, site: str = SITE) -> dict[str, list[tuple[Any, ...]]]:
    """The site's stored queue, straight from the SQLite file."""
    with sqlite3.connect(database) as connection:
        return {
            "tickets": connection.execute(
                "SELECT * FROM tickets WHERE site = ? ORDER BY id", (site,)).fetchall(),
            "counters": connection.execute(
                "SELECT * FROM counters WHERE site = ? ORDER BY code", (site,)).fetchall(),
            "ratings": connection.execute(
                "SELECT * FROM ratings WHERE site = ? ORDER BY ticket_id", (site,)).fetchall(),
            "events": connection.execute(
                "SELECT * FROM events WHERE site = ? ORDER BY seq", (site,)).fetchall(),
            "number_counters": connection.execute(
                "SELECT * FROM number_counters WHERE site = ? ORDER BY number_group",
                (site,)).fetchall(),
            "site": connection.execute(
                "SELECT business_date, seq FROM sites WHERE code = ?", (site,)).fetchall(),
        }


def assert_same_copy(servers: Servers) -> None:
    centre, province = rows(servers.centre_database), rows(servers.province_database)
    assert [row[1] for row in centre["events"]] == list(range(1, len(centre["events"]) + 1))
    for table, stored in centre.items():
        assert province[table] == stored, table


async def test_a_centre_keeps_issuing_while_the_province_is_down_and_forwards_it_all(
        servers: Servers) -> None:
    province = await servers.start_province()
    centre = await servers.start_centre()
    kiosk = await servers.client(centre, "kiosk", KIOSK_TOKEN)
    counter = await servers.client(centre, "counter", COUNTER_TOKEN)
    await counter.request("login", counter="3", user="minh", password=PASSWORD)
    # The province's dashboard side: a display of the site there sees the centre's events.
    display = await servers.client(province, "display", DISPLAY_TOKEN)
    await work(kiosk, counter, "before", 6)
    await servers.caught_up()
    issued = await display.next_event("ticket.issued")
    assert issued.data["number"] == "A001"
    assert servers.forwarder.status()["link"] == "up"

    # The link is cut: the centre goes on alone.
    await servers.stop_province()
    await work(kiosk, counter, "cut", 10)
    await servers.wait_for(lambda forwarder: not forwarder.link_up)
    status = servers.forwarder.status()
    assert status["link"] == "down" and status["backlog"] > 0 and status["last_error"]
    await work(kiosk, counter, "still-cut", 4)

    # Back on the same database: the backlog goes over, nothing lost, nothing twice.
    province = await servers.start_province()
    await servers.caught_up()
    assert_same_copy(servers)
    assert servers.forwarder.status()["backlog"] == 0
    # The province's own view of the site (its dashboards) is the centre's day.
    centre_state = centre.service.sites[SITE].committed
    province_state = province.service.sites[SITE].committed
    assert province_state.seq == centre_state.seq
    assert dict(province_state.tickets) == dict(centre_state.tickets)
    assert dict(province_state.counters)["3"] == centre_state.counters["3"]
    assert dict(province_state.ratings) == dict(centre_state.ratings)
    # Its health says how forwarding goes (to an admin token).
    assert centre.service.forwarder is not None
    assert centre.service.forwarder.forwarded == centre_state.seq
    # And qms status, at the province, how far it has come.
    report = await asyncio.to_thread(ownership_status,
                                     f"sqlite:///{servers.province_database}")
    assert f"{SITE}: fed by its centre: seq {centre_state.seq}, last event 20" in report.text
    assert f"{OTHER_SITE}: fed by its centre: nothing forwarded yet" in report.text
    assert report.document["sites"][0]["forwarded"]["seq"] == centre_state.seq


async def test_a_restarted_centre_resumes_where_the_province_stands(
        servers: Servers) -> None:
    await servers.start_province()
    centre = await servers.start_centre(batch_bytes=4096)  # a few events a batch
    kiosk = await servers.client(centre, "kiosk", KIOSK_TOKEN)
    counter = await servers.client(centre, "counter", COUNTER_TOKEN)
    await counter.request("login", counter="3", user="minh", password=PASSWORD)
    await work(kiosk, counter, "first", 4)
    await servers.caught_up()
    await servers.stop_province()
    await work(kiosk, counter, "backlog", 20)
    seq = centre.service.sites[SITE].committed.seq
    await kiosk.close()
    await counter.close()
    await servers.stop_centre()
    # The province is back and got part of the backlog (as from a centre stopped in the
    # middle of it): it stands between what it had and what the centre holds.
    province = await servers.start_province()
    link = await servers.client(province, "centre", CENTRE_TOKEN, subscribe=[])
    standing = link.hello_result["seq"]
    engines = open_engines(f"sqlite:///{servers.centre_database}")
    try:
        part = read_batch(engines, SITE, standing, 7)
    finally:
        engines.dispose()
    reply = await link.request("forward", site=SITE, events=part)
    assert reply == {"acknowledged": standing + 7, "applied": 7}
    await link.close()
    assert standing < standing + 7 < seq
    # The centre starts again: it goes on from where the province stands, nothing twice.
    centre = await servers.start_centre(batch_bytes=4096)
    await servers.caught_up()
    kiosk = await servers.client(centre, "kiosk", KIOSK_TOKEN)
    await kiosk.request("issue", service="HT", request_key="after-restart")
    await servers.caught_up()
    assert_same_copy(servers)


async def test_the_province_applies_a_batch_once_and_refuses_a_gap(servers: Servers) -> None:
    # A centre without [server.upstream]: its events are sent here by hand.
    centre = await start_server(centre_settings(None), host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{servers.centre_database}")
    servers.centre = centre
    province = await servers.start_province()
    kiosk = await servers.client(centre, "kiosk", KIOSK_TOKEN)
    for index in range(5):
        await kiosk.request("issue", service="HT", request_key=f"k-{index}")
    events = read_batch(centre.engines, SITE, 0, 100)
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5]
    link = await servers.client(province, "centre", CENTRE_TOKEN, subscribe=[])
    assert link.hello_result["seq"] == 0

    # A gap: the province holds nothing, the batch starts at 3.
    with pytest.raises(RequestFailed) as refused:
        await link.request("forward", site=SITE, events=events[2:])
    assert refused.value.code == "gap" and "expected seq 1" in refused.value.message
    assert table_counts(servers.province_database)["events"] == 0

    reply = await link.request("forward", site=SITE, events=events[:3])
    assert reply == {"acknowledged": 3, "applied": 3}
    # Sent again (a lost reply): nothing applied; overlapping: only the new ones.
    assert await link.request("forward", site=SITE, events=events[:3]) == \
        {"acknowledged": 3, "applied": 0}
    assert await link.request("forward", site=SITE, events=events[1:]) == \
        {"acknowledged": 5, "applied": 2}
    assert await link.request("forward", site=SITE, events=[]) == \
        {"acknowledged": 5, "applied": 0}
    assert_same_copy(servers)


async def test_bad_forwards_are_refused_and_change_nothing(servers: Servers) -> None:
    centre = await start_server(centre_settings(None), host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{servers.centre_database}")
    servers.centre = centre
    province = await servers.start_province()
    kiosk = await servers.client(centre, "kiosk", KIOSK_TOKEN)
    counter = await servers.client(centre, "counter", COUNTER_TOKEN)
    await counter.request("login", counter="3", user="minh", password=PASSWORD)
    await work(kiosk, counter, "bad", 4)
    events = read_batch(centre.engines, SITE, 0, 100)
    link = await servers.client(province, "centre", CENTRE_TOKEN, subscribe=[])
    before = table_counts(servers.province_database)

    async def refused(code: str, words: str, **fields: Any) -> None:
        with pytest.raises(RequestFailed) as failure:
            await link.request("forward", **fields)
        assert failure.value.code == code, failure.value
        assert words in failure.value.message, failure.value.message
        assert table_counts(servers.province_database) == before

    first = next(event for event in events if event["event"] == "ticket.issued")
    await refused("forbidden", "forwards the events of site 'hcc-test' only",
                  site=OTHER_SITE, events=events)
    await refused("bad_request", "does not follow", site=SITE,
                  events=[events[0], events[2], events[1]])
    await refused("bad_request", "Input should be 'ticket.issued'", site=SITE,
                  events=[{**first, "event": "ticket.stolen"}])
    await refused("bad_request", "comes with a ticket record", site=SITE,
                  events=[{**first, "record": None}])
    await refused("forbidden", "is not of site", site=SITE,
                  events=[{**first, "record": {**first["record"],
                                               "id": f"{OTHER_SITE}:20261122:A001"}}])
    await refused("bad_request", "Extra inputs are not permitted", site=SITE,
                  events=[{**first, "record": {**first["record"], "site": SITE}}])
    # Oversized: over the province's frame limit.
    with pytest.raises(RequestFailed) as oversized:
        await link.request("forward", site=SITE,
                           events=[{**first, "data": {"padding": "x" * 70_000}}])
    assert oversized.value.code == "bad_request" and "over the limit" in oversized.value.message
    assert table_counts(servers.province_database) == before

    # Other roles may not forward; a kiosk or counter of the site is not served here.
    admin = await servers.client(province, "admin", ADMIN_TOKEN)
    with pytest.raises(RequestFailed) as forbidden:
        await admin.request("forward", site=SITE, events=events)
    assert forbidden.value.code == "forbidden"
    with pytest.raises(RequestFailed) as closed:
        await admin.request("issue", service="HT", request_key="at-province")
    assert closed.value.code == "forbidden" and "centre's own server" in closed.value.message
    for role, token in (("kiosk", KIOSK_TOKEN), ("counter", COUNTER_TOKEN)):
        with pytest.raises(RequestFailed) as hello:
            await servers.client(province, role, token)
        assert hello.value.code == "forbidden" and "centre's own server" in hello.value.message
    # A centre's token is of its own site only.
    with pytest.raises(RequestFailed) as other:
        await servers.client(province, "centre", OTHER_CENTRE_TOKEN, site=SITE)
    assert other.value.code == "unauthorized"
    assert table_counts(servers.province_database) == before
    # The honest batch still goes through on the same connection.
    assert (await link.request("forward", site=SITE, events=events))["applied"] == len(events)
    assert_same_copy(servers)


async def test_a_kiosk_at_the_province_is_sent_to_its_centre(servers: Servers) -> None:
    centre = await start_server(centre_settings(None), host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{servers.centre_database}")
    servers.centre = centre
    province = await servers.start_province(province_settings(centre.http_url))
    # The kiosk is given the province's address first: it follows ``moved`` to the centre.
    kiosk = ProtocolClient([province.ws_url], "kiosk", KIOSK_TOKEN, SITE)
    servers.clients.append(kiosk)
    await kiosk.connect()
    assert kiosk.url == centre.ws_url
    reply = await kiosk.request("issue", service="HT", request_key="followed")
    assert reply["ticket"]["number"] == "A001"
