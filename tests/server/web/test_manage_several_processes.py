"""The managers' pages with several server processes on one PostgreSQL database: the
province view opened on any process has a row for every site (those served elsewhere read
from the database, marked); a site's dashboard opened on a process that does not serve it
sends the browser to the one that does; a dashboard whose site is handed to another process
follows it there by itself, live. Skipped without PostgreSQL (``QMS_TEST_POSTGRES_URL``,
set by ``.ci/run``)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import pytest
from playwright.async_api import Browser
from support.databases import fresh_postgres_database
from support.server_processes import deployment_config, token, until_ownership
from support.web import MANAGER_PASSWORD, WebClient, with_accounts

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient
from server.web.remote_halls import FRESH_SECONDS, RemoteHalls

SITES = ("px-a", "px-b", "px-c")



class Deployment:
    """Server processes (in this test process, each with its own ownership session) on one
    fresh PostgreSQL database; ``start`` adds one preferring ``preferred``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.servers: list[RunningServer] = []

    async def start(self, *preferred: str) -> RunningServer:
        config = deployment_config(SITES, 0, preferred, "", Path("data"))
        with_accounts(config)  # "giamdoc" manages px-a; "tinh" sees every site
        running = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                     database_url=self.url)
        self.servers.append(running)
        return running


@pytest.fixture
async def deployment() -> AsyncIterator[Deployment]:
    with fresh_postgres_database() as url:
        deployment = Deployment(url)
        try:
            yield deployment
        finally:
            for running in deployment.servers:
                await running.stop()


async def issue(server: RunningServer, site: str, key: str) -> str:
    async with ProtocolClient(server.ws_url, "kiosk", token("kiosk", site), site) as kiosk:
        ticket = (await kiosk.request("issue", service="HT", request_key=key))["ticket"]
    return str(ticket["number"])


def province_rows(body: str) -> dict[str, tuple[bool, int]]:
    """Each row of the province table: site code -> (marked as served elsewhere, waiting)."""
    rows = {}
    for match in re.finditer(r'<tr data-site="([^"]+)"[^>]*>(.*?)</tr>', body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(2), re.S)
        rows[match.group(1)] = ('class="elsewhere"' in cells[0], int(cells[1]))
    return rows


async def test_the_province_view_and_dashboards_on_a_process_not_serving_the_site(
        deployment: Deployment) -> None:
    first = await deployment.start("px-a")
    second = await deployment.start()
    servers = deployment.servers
    await until_ownership(lambda: set(first.service.sites) == {"px-a"}
                and set(second.service.sites) == {"px-b", "px-c"}, servers)
    await issue(second, "px-b", "one")
    await issue(second, "px-b", "two")
    await issue(first, "px-a", "three")

    province = WebClient(first.http_url)
    form = await province.get("/manage/sign-in")
    # Signing in here may end at a page the other process serves (form-action follows).
    assert second.http_url in form.headers["content-security-policy"]
    assert (await province.sign_in(user="tinh", next_page="/manage/province")).status == 200
    view = await province.get("/manage/province")
    assert view.status == 200
    # Every site, whichever process serves it; those served elsewhere marked, with the
    # tickets the database holds.
    assert province_rows(view.body) == {"px-a": (False, 1), "px-b": (True, 2),
                                        "px-c": (True, 0)}
    assert "Do máy chủ khác phục vụ" in unescape(view.body)
    live = await province.get("/manage/province/live?sort=waiting&order=desc&lang=en")
    assert list(province_rows(live.body)) == ["px-b", "px-a", "px-c"]
    assert re.search(r'data-next-change="\d{4}-', live.body)  # fetched again in a while
    assert "Served by another server process" in live.body

    # A dashboard of a site served elsewhere: to its process, the same path and query.
    for path in ("/manage/site/px-b", "/manage/site/px-b/live?lang=en"):
        moved = await province.get(path, follow=False)
        assert moved.status == 307, (path, moved.status)
        assert moved.headers["location"] == second.http_url + path
    followed = await province.get("/manage/site/px-b")
    assert followed.status == 200 and followed.url == second.http_url + "/manage/site/px-b"
    assert 'id="total-waiting">2<' in followed.body.replace(" ", "")
    # The province view on the other process: the same figures, marked the other way.
    other = await WebClient(second.http_url, province.cookies).get("/manage/province")
    assert province_rows(other.body) == {"px-a": (True, 1), "px-b": (False, 2),
                                         "px-c": (False, 0)}

    # A citizen's feedback about px-b sent at the first process (the poster's QR names any
    # process): stored with its ticket, and in the inbox wherever it is opened.
    citizen = WebClient(first.http_url)
    sent = await citizen.post("/gop-y", {
        "site": "px-b", "site_fixed": "1", "category": "waiting", "lang": "vi",
        "text": "Phải chờ khá lâu ở quầy hộ tịch.", "ticket": "A002"}, follow=False)
    assert sent.status == 303, sent.body[:2000]
    inbox = await province.get("/manage/feedback?site=px-b")
    assert inbox.status == 200 and "Phải chờ khá lâu ở quầy hộ tịch." in unescape(inbox.body)
    assert "A002" in inbox.body
    poster = await province.get("/admin/site/px-b/feedback-poster")
    assert poster.status == 200 and "gop-y?site=px-b" in unescape(poster.body)

    # A manager of px-a only: px-b is not theirs, wherever it is served (no probing).
    manager = WebClient(first.http_url)
    assert (await manager.sign_in(user="giamdoc")).status == 200
    refused = await manager.get("/manage/site/px-b", follow=False)
    assert refused.status == 404
    assert "px-b" not in (await manager.get("/manage/province")).body


async def test_remote_figures_are_read_again_after_a_few_seconds(
        deployment: Deployment) -> None:
    first = await deployment.start("px-a")
    second = await deployment.start()
    await until_ownership(lambda: set(second.service.sites) == {"px-b", "px-c"}, deployment.servers)
    moments = [1000.0]
    halls = RemoteHalls(first.service, monotonic=lambda: moments[0])
    settings = first.service.site_settings["px-b"]
    figures = await halls.figures(settings)
    assert figures is not None and figures.totals.waiting == 0
    await issue(second, "px-b", "one")
    moments[0] += FRESH_SECONDS - 0.1
    kept = await halls.figures(settings)
    assert kept is not None and kept.totals.waiting == 0  # still fresh: not read again
    moments[0] += 0.2
    again = await halls.figures(settings)
    assert again is not None and again.totals.waiting == 1
    # Many pages at once read a site once.
    moments[0] += FRESH_SECONDS
    together = await asyncio.gather(*(halls.figures(settings) for _ in range(20)))
    assert {item.totals.waiting for item in together if item is not None} == {1}


async def test_a_dashboard_follows_its_site_to_the_process_it_is_handed_to(
        deployment: Deployment, browser: Browser, tmp_path: Path) -> None:
    first = await deployment.start("px-a")
    second = await deployment.start()
    await until_ownership(lambda: set(second.service.sites) == {"px-b", "px-c"}, deployment.servers)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Opened on the first process: the browser lands on the second, which serves px-b.
    await page.goto(first.http_url + "/manage/site/px-b")
    await page.fill("#user", "tinh")
    await page.fill("#password", MANAGER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(".live-state.live", timeout=15_000)
    assert page.url == second.http_url + "/manage/site/px-b", page.url
    # The province view at the first process: px-b and px-c marked as read from the
    # database, with the note saying what the mark means.
    province = await context.new_page()
    await province.set_viewport_size({"width": 1280, "height": 600})
    await province.goto(first.http_url + "/manage/province")
    await province.wait_for_selector(".live-state.live", timeout=15_000)
    assert await province.locator(".elsewhere").count() == 2
    assert await province.locator(".footnote").is_visible()
    image = tmp_path / "manage-province-several-processes.png"
    await province.screenshot(path=str(image), full_page=True)
    if os.environ.get("QMS_SCREENSHOT_DIR"):
        shutil.copy(image, Path(os.environ["QMS_SCREENSHOT_DIR"]) / image.name)
    await province.close()
    # A third process that prefers px-b starts: the second hands px-b over, the page's
    # socket is closed, and the page finds the third by itself, live again.
    third = await deployment.start("px-b")
    await until_ownership(lambda: "px-b" in third.service.sites, deployment.servers, timeout=20)
    await page.wait_for_url(third.http_url + "/manage/site/px-b", timeout=15_000)
    await page.wait_for_selector(".live-state.live", timeout=15_000)
    number = await issue(third, "px-b", "after-the-move")
    await page.wait_for_function(
        "() => document.getElementById('total-waiting')?.textContent.trim() === '1'",
        timeout=15_000)
    assert number == "A001"
    assert problems == []
    await context.close()


