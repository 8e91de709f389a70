"""Centres added and removed from the administration pages with several server processes on
one PostgreSQL database: a site added on one process's pages is taken by exactly one process
(its preferred one) and served at once, a kiosk reaching it through any address; another
process's pages say where it is administered; removed on its owner's pages, it leaves every
process (the others follow the new version) and is served by none. Skipped without
PostgreSQL (``QMS_TEST_POSTGRES_URL``, set by ``.ci/run``)."""

from __future__ import annotations

import re
from pathlib import Path

from support.databases import fresh_postgres_database
from support.server_processes import deployment_config, until_ownership
from support.web import WebClient, form_token, with_accounts

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient

NEW = "px-new"


async def signed_in(server: RunningServer) -> WebClient:
    client = WebClient(server.http_url)
    assert (await client.sign_in(user="tinh", next_page="/admin")).status == 200
    return client


async def test_a_site_added_and_removed_on_several_processes() -> None:
    config = deployment_config(("px-a",), 0, (), "", Path("data"))
    with_accounts(config)  # the province account "tinh", among others
    with fresh_postgres_database() as url:
        servers: list[RunningServer] = []
        try:
            # The first prefers px-a; the second prefers nothing, so it is the preferred
            # owner of any new site.
            for preferred in (["px-a"], []):
                config["server"]["sites"] = preferred
                servers.append(await start_server(parse_settings(config), host="127.0.0.1",
                                                  port=0, database_url=url))
            first, second = servers
            await until_ownership(lambda: "px-a" in first.service.sites, servers)

            client = await signed_in(first)
            page = await client.get("/admin/sites/new")
            added = await client.post("/admin/sites/new", {
                "csrf": form_token(page.body), "code": NEW, "name_vi": "Xã mới",
                "timezone": "Asia/Ho_Chi_Minh"})
            # Served by the other process: the home page says the site was added and where.
            assert added.status == 200 and added.url.endswith(f"/admin?added={NEW}"), (
                added.url, added.body[:1500])
            # The page answers once the database names the owner; the owner may still be
            # reading the site back (a few hundred ms on a busy machine).
            await until_ownership(lambda: NEW in second.service.sites, servers)
            assert NEW not in first.service.sites
            assert f"do {second.service.server.public_url} phục vụ" in added.body
            # The first process's pages send its administrator there: the same page (a
            # form's post too, 307 keeping its fields; the session is good there).
            elsewhere = await client.get(f"/admin/site/{NEW}", follow=False)
            assert elsewhere.status == 307
            assert elsewhere.headers["location"] == \
                f"{second.service.server.public_url}/admin/site/{NEW}"
            followed = await client.get(f"/admin/site/{NEW}/tokens/new")
            assert followed.status == 200 and followed.url == \
                f"{second.service.server.public_url}/admin/site/{NEW}/tokens/new"
            posted = await client.post(f"/admin/site/{NEW}/tokens/new", {
                "csrf": form_token(followed.body), "name": "x", "role": "kiosk"},
                follow=False)
            assert posted.status == 307 and posted.headers["location"] == \
                f"{second.service.server.public_url}/admin/site/{NEW}/tokens/new"

            owner = await signed_in(second)
            page = await owner.get(f"/admin/site/{NEW}/tokens/new")
            made = await owner.post(f"/admin/site/{NEW}/tokens/new", {
                "csrf": form_token(page.body), "name": "ki-ốt", "role": "kiosk"})
            found = re.search(r'<code id="made-token">([^<]+)</code>', made.body)
            assert found, made.body[:1500]
            # A kiosk given the first address is sent on to the owner (once the first
            # process has followed the version with the token: within a look or two).
            await until_ownership(lambda: first.service.configuration.version
                        == second.service.configuration.version, servers)
            kiosk = ProtocolClient([first.ws_url, second.ws_url], "kiosk", found.group(1),
                                   NEW)
            await kiosk.connect()
            assert kiosk.hello_result["site"] == NEW
            snapshot = (await kiosk.request("snapshot"))["state"]
            assert [service["code"] for service in snapshot["services"]] == ["CHUNG"]
            await kiosk.close()

            # Removed on its owner's pages, confirmed: no process serves or knows it.
            page = await owner.get(f"/admin/site/{NEW}")
            asked = await owner.post(f"/admin/site/{NEW}/remove-site",
                                     {"csrf": form_token(page.body)})
            assert "Xác nhận thay đổi" in asked.body, asked.body[:1500]
            removed = await owner.post(f"/admin/site/{NEW}/remove-site",
                                       {"csrf": form_token(asked.body), "confirmed": "1"})
            assert removed.url.endswith(f"/admin?removed={NEW}"), removed.url
            await until_ownership(lambda: all(NEW not in running.service.site_settings
                                    and NEW not in running.service.sites
                                    for running in servers), servers)
            assert "px-a" in first.service.sites
        finally:
            for running in servers:
                await running.stop()
