"""Site ownership between server processes on one PostgreSQL database (several servers in
this test process, each with its own ownership session, as separate processes have): the
sites are spread by preference and by an even split, each served by exactly one; a process
whose fencing epoch is stale cannot commit; ``qms status`` says who serves what. Skipped
without PostgreSQL (``QMS_TEST_POSTGRES_URL``, set by ``.ci/run``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.databases import fresh_postgres_database
from support.server_processes import deployment_config, site_codes, token, until_ownership
from support.servers import KIOSK_TOKEN, SITE

from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings
from server.ops.status import ownership_status
from server.protocol.client import ProtocolClient, RequestFailed
from server.store.ownership import lock_key


def deployment(sites: tuple[str, ...], preferred: tuple[str, ...] = ()) -> Settings:
    return parse_settings(deployment_config(sites, 0, preferred, "", Path("data")))



def execute(url: str, statement: str, **values: object) -> object:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), values)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


async def test_a_stale_epoch_cannot_commit_and_the_site_is_taken_afresh(
        settings: Settings) -> None:
    with fresh_postgres_database() as url:
        running = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
        try:
            kiosk = ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE)
            await kiosk.connect()
            first = (await kiosk.request("issue", service="HT", request_key="a"))["ticket"]
            assert first["number"] == "A001"
            runtime = running.service.sites[SITE]
            assert runtime.fence == 1
            # Another process's takeover, as the database sees it: the epoch moves on.
            execute(url, "UPDATE sites SET owner_epoch = owner_epoch + 1 WHERE code = :code",
                    code=SITE)
            with pytest.raises(RequestFailed) as refused:
                await kiosk.request("issue", service="HT", request_key="b")
            assert refused.value.code == "moved"
            assert execute(url, "SELECT count(*) FROM tickets") == 1
            assert execute(url, "SELECT seq FROM sites") == 1
            await asyncio.wait_for(kiosk.closed.wait(), 10)  # the connection is let go
            assert runtime.gone is not None
            # The site is free again (its lock given up): taken afresh, with a new epoch,
            # read back from the database.
            await until_ownership(lambda: SITE in running.service.sites, [running], timeout=10)
            assert running.service.sites[SITE] is not runtime
            assert running.service.sites[SITE].fence == 3
            await kiosk.connect()
            again = (await kiosk.request("issue", service="HT", request_key="b"))["ticket"]
            assert again["number"] == "A002"  # the refused press consumed nothing
            assert execute(url, "SELECT count(*) FROM events") == 2
            assert execute(url, "SELECT max(seq) FROM events") == 2
            await kiosk.close()
        finally:
            await running.stop()


async def test_sites_are_spread_and_each_is_served_by_exactly_one(tmp_path: Path) -> None:
    sites = site_codes(5)
    with fresh_postgres_database() as url:
        servers: list[RunningServer] = []
        try:
            # The first prefers px-e; the others share the rest evenly.
            for preferred in (("px-e",), (), ()):
                servers.append(await start_server(deployment(sites, preferred),
                                                  host="127.0.0.1", port=0, database_url=url))

            def settled() -> bool:
                served = [code for running in servers for code in running.service.sites]
                return (sorted(served) == list(sites)
                        and set(servers[0].service.sites) == {"px-e"}
                        and all(running.service.sites for running in servers[1:]))

            await until_ownership(settled, servers, timeout=20)
            report = await asyncio.to_thread(ownership_status, url)
            assert report.status == 0
            owners = {item["code"]: item["owner"] for item in report.document["sites"]}
            for running in servers:
                for code in running.service.sites:
                    assert owners[code] == running.service.server.public_url
            assert "3 live server processes" in report.text
            assert "prefers px-e" in report.text
            # A client of any process reaches each site.
            for index, code in enumerate(sites):
                address = servers[index % 3].ws_url
                async with ProtocolClient(address, "kiosk", token("kiosk", code),
                                          code) as kiosk:
                    assert SITE not in sites and kiosk.hello_result["site"] == code
            # One process stops: its sites go to the others, each to exactly one.
            gone = servers.pop()
            gone_sites = set(gone.service.sites)
            await gone.stop()
            await until_ownership(lambda: sorted(code for running in servers
                                                 for code in running.service.sites)
                                  == list(sites), servers, timeout=10)
            assert gone_sites
        finally:
            for running in servers:
                await running.stop()


async def test_status_names_a_site_nobody_serves(settings: Settings) -> None:
    with fresh_postgres_database() as url:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:key)"),
                               {"key": lock_key("site", SITE)})
                running = await start_server(settings, host="127.0.0.1", port=0,
                                             database_url=url)
                try:
                    report = await asyncio.to_thread(ownership_status, url)
                finally:
                    await running.stop()
        finally:
            engine.dispose()
    assert report.status == 1
    assert f"Without a live owner: {SITE}" in report.text
    assert report.document["sites"][0]["owner"] is None


async def test_status_on_sqlite_says_one_process_serves_every_site(
        server: RunningServer, database_path: Path) -> None:
    report = await asyncio.to_thread(ownership_status, f"sqlite:///{database_path}")
    assert report.status == 0
    assert "one server process serves every site" in report.text and SITE in report.text
