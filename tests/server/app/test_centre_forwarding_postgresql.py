"""A centre forwarding to a province of two server processes on PostgreSQL: the forwarder,
given both addresses, finds the process that serves its site (``moved``); that process is
stopped while the centre works on; the other takes the site over and the forwarder goes on
with it. The province's database then holds exactly the centre's queue: every ticket, and
every event once, in ``seq`` order. Skipped without PostgreSQL (``QMS_TEST_POSTGRES_URL``,
set by ``.ci/run``)."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from support.centres import CENTRE_TOKEN, province_settings, work
from support.databases import fresh_postgres_database
from support.server_processes import until_ownership
from support.servers import COUNTER_TOKEN, KIOSK_TOKEN, PASSWORD, SITE, site_config

from server.app.forwarder import Forwarder
from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.ops.status import ownership_status
from server.protocol.client import ProtocolClient


def _preferring(settings: Settings, preferred: list[str]) -> Settings:
    """``settings`` whose ``[server] sites`` (the sites this process prefers) is
    ``preferred``."""
    return replace(settings, server=replace(settings.server, sites=tuple(preferred)))



async def caught_up(centre: RunningServer, timeout: float = 20.0) -> Forwarder:
    """Until the province acknowledged every event of the centre (on the forwarder's
    changes, no polling)."""
    forwarder = centre.service.forwarder
    assert forwarder is not None
    runtime = centre.service.sites[SITE]
    async with asyncio.timeout(timeout):
        while True:
            forwarder.changed.clear()
            if forwarder.link_up and forwarder.acknowledged == runtime.committed.seq:
                return forwarder
            await forwarder.changed.wait()


def centre_queue(database: Path) -> tuple[list[tuple[Any, ...]], list[int]]:
    with sqlite3.connect(database) as connection:
        tickets = connection.execute(
            "SELECT id, number, status FROM tickets WHERE site = ? ORDER BY id",
            (SITE,)).fetchall()
        seqs = [row[0] for row in connection.execute(
            "SELECT seq FROM events WHERE site = ? ORDER BY seq", (SITE,))]
    return tickets, seqs


def province_queue(url: str) -> tuple[list[tuple[Any, ...]], list[int]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            tickets = [tuple(row) for row in connection.execute(text(
                "SELECT id, number, status FROM tickets WHERE site = :site ORDER BY id"),
                {"site": SITE})]
            seqs = list(connection.execute(text(
                "SELECT seq FROM events WHERE site = :site ORDER BY seq"),
                {"site": SITE}).scalars())
    finally:
        engine.dispose()
    return tickets, seqs


async def test_forwarding_follows_the_site_from_a_stopped_province_process_to_another(
        tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        province: list[RunningServer] = []
        centre: RunningServer | None = None
        clients: list[ProtocolClient] = []
        try:
            for preferred in ([SITE], []):
                running = await start_server(
                    _preferring(province_settings(), preferred), host="127.0.0.1", port=0,
                    database_url=url)
                province.append(running)
            first, second = province
            await until_ownership(lambda: SITE in first.service.sites
                              and SITE not in second.service.sites, province)
            # The centre is given both addresses, the one not serving its site first.
            centre_database = tmp_path / "centre.sqlite3"
            config = site_config()
            config["server"]["upstream"] = {"urls": [second.ws_url, first.ws_url],
                                            "site": SITE, "token": CENTRE_TOKEN,
                                            "retry_seconds": 0.5}
            centre = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                        database_url=f"sqlite:///{centre_database}")
            kiosk = ProtocolClient(centre.ws_url, "kiosk", KIOSK_TOKEN, SITE)
            counter = ProtocolClient(centre.ws_url, "counter", COUNTER_TOKEN, SITE)
            clients += [kiosk, counter]
            await kiosk.connect()
            await counter.connect()
            await counter.request("login", counter="3", user="minh", password=PASSWORD)
            await work(kiosk, counter, "before", 6)
            await caught_up(centre)
            assert province_queue(url) == centre_queue(centre_database)

            # The process serving the site stops; the centre works on meanwhile.
            await first.stop()
            province.remove(first)
            await work(kiosk, counter, "during", 8)
            await until_ownership(lambda: SITE in second.service.sites, province, timeout=20)
            await work(kiosk, counter, "after", 4)
            forwarder = await caught_up(centre)
            tickets, seqs = province_queue(url)
            assert (tickets, seqs) == centre_queue(centre_database)
            assert seqs == list(range(1, len(seqs) + 1)) and len(tickets) == 18
            assert forwarder.status()["backlog"] == 0
            report = await asyncio.to_thread(ownership_status, url)
            line = next(line for line in report.text.splitlines()
                        if line.strip().startswith(SITE))
            assert second.service.server.public_url in line
            assert f"fed by its centre: seq {seqs[-1]}, last event 20" in line
            # The province's own view of the site is the centre's day.
            assert second.service.sites[SITE].committed.seq == \
                centre.service.sites[SITE].committed.seq
        finally:
            for client in clients:
                await client.close()
            if centre is not None:
                await centre.stop()
            for running in province:
                await running.stop()
