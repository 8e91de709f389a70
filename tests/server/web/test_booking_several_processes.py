"""Booking with several server processes on one PostgreSQL database: every process lists
every centre taking bookings; a centre's pages opened on a process that does not serve it
go to the one that does (307, a form keeps its method and body), so one process checks a
slot's capacity: citizens posting at once to both processes never overbook it; a booking's
page is found from any process; a reminder claimed by any process is written. Skipped
without PostgreSQL (``QMS_TEST_POSTGRES_URL``, set by ``.ci/run``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from support.booking import BOOKING, MORNING
from support.clock import ManualClock
from support.server_processes import two_servers
from support.web import Answer, WebClient

from server.app.serve import RunningServer

SLOT = "2026-11-23T10:00:00+07:00"



@pytest.fixture
async def servers() -> AsyncIterator[tuple[RunningServer, RunningServer, str]]:
    """px-a served by the first process, px-b by the second; both take bookings (3 places
    a slot); one clock for both."""
    def taking_bookings(config: dict[str, Any]) -> None:
        for site in config["sites"]:
            site["booking"] = dict(BOOKING)

    async with two_servers(ManualClock(MORNING), taking_bookings) as pair:
        yield pair.first, pair.second, pair.url


async def post_following(client: WebClient, path: str, form: dict[str, str]) -> Answer:
    """POST ``form``; after a 307, POST it again where it says (a browser does so)."""
    answer = await client.post(path, form, follow=False)
    if answer.status == 307:
        location = answer.headers.get("location") or answer.headers["Location"]
        answer = await WebClient(location.split("/dat-lich")[0], client.cookies).post(
            "/dat-lich" + location.split("/dat-lich", 1)[1], form, follow=False)
    return answer


def location_of(answer: Answer) -> str:
    return next(value for key, value in answer.headers.items() if key.lower() == "location")


async def test_every_centre_is_listed_and_its_pages_go_to_its_process(
        servers: tuple[RunningServer, RunningServer, str]) -> None:
    first, second, _ = servers
    client = WebClient(first.http_url)
    listing = await client.get("/dat-lich")
    assert listing.status == 200
    assert 'href="/dat-lich/px-a' in listing.body and 'href="/dat-lich/px-b' in listing.body
    for path in ("/dat-lich/px-b", "/dat-lich/px-b/HT?lang=en"):
        moved = await client.get(path, follow=False)
        assert moved.status == 307 and location_of(moved) == second.http_url + path
    assert (await client.get("/dat-lich/px-a", follow=False)).status == 200
    form = {"lang": "vi", "when": SLOT, "by": "cccd", "cccd": "079090000001"}
    posted = await client.post("/dat-lich/px-b/HT", form, follow=False)
    assert posted.status == 307
    assert location_of(posted) == second.http_url + "/dat-lich/px-b/HT"

    booked = await post_following(client, "/dat-lich/px-b/HT", form)
    assert booked.status == 303, booked.body[:2000]
    page = location_of(booked)
    assert re.fullmatch(r"/dat-lich/ma/[A-Z2-9]{8}\?k=[0-9a-f]{16}&done=1", page)
    # The booking's page, asked of the first process, is shown by the second.
    moved = await client.get(page, follow=False)
    assert moved.status == 307 and location_of(moved) == second.http_url + page
    shown = await client.get(page)
    assert shown.status == 200 and shown.url == second.http_url + page

    # Its reminder, claimed by the first process's jobs, is written (the site's settings
    # come from the configuration, not from the process serving it).
    code, key = re.findall(r"/dat-lich/ma/([A-Z2-9]{8})\?k=([0-9a-f]{16})", page)[0]
    found = await first.service.bookings.find(code, key)
    assert found is not None
    reminder = first.service.bookings.jobs.reminder_text(found[1])
    assert reminder is not None and "10:00" in reminder and "23/11/2026" in reminder


async def test_citizens_posting_to_both_processes_at_once_never_overbook_a_slot(
        servers: tuple[RunningServer, RunningServer, str]) -> None:
    first, second, url = servers
    forms = [{"lang": "vi", "when": SLOT, "by": "cccd", "cccd": f"0790900{index:05d}"}
             for index in range(1, 13)]
    answers = await asyncio.gather(*(
        post_following(WebClient((first if index % 2 else second).http_url),
                       "/dat-lich/px-b/HT", form)
        for index, form in enumerate(forms)))
    statuses = sorted(answer.status for answer in answers)
    assert statuses.count(303) == 3, statuses  # the slot's three places, no more
    assert all(status in (303, 409) for status in statuses), statuses
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            kept = connection.execute(text(
                "SELECT count(*) FROM bookings WHERE site = 'px-b'")).scalar()
    finally:
        engine.dispose()
    assert kept == 3
