"""A ticket's status page with several server processes on one PostgreSQL database: the
tracking code on the ticket opened at a process that does not serve its centre goes to the
one that does (the page and its rating form: 307; its live socket: ``moved`` with the
owner's address); a made-up code is not found and reads the database at most once per
:data:`~server.app.remote_tracks.REFRESH_SECONDS`. Skipped without PostgreSQL
(``QMS_TEST_POSTGRES_URL``, set by ``.ci/run``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from support.booking import MORNING
from support.clock import ManualClock
from support.server_processes import token, two_servers
from support.web import WebClient
from websockets.asyncio.client import connect as raw_connect

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient


@pytest.fixture
async def servers() -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    """px-a served by the first process, px-b by the second."""
    async with two_servers(ManualClock(MORNING)) as pair:
        yield pair.first, pair.second


async def issued_at(server: RunningServer, site: str) -> dict[str, str]:
    kiosk = ProtocolClient(server.ws_url, "kiosk", token("kiosk", site), site)
    await kiosk.connect()
    try:
        result = await kiosk.request("issue", service="DD-NOP", request_key=str(uuid.uuid4()))
    finally:
        await kiosk.close()
    ticket: dict[str, str] = result["ticket"]
    return ticket


def location_of(headers: dict[str, str]) -> str:
    return next(value for key, value in headers.items() if key.lower() == "location")


async def test_the_page_and_its_rating_form_go_to_the_process_serving_the_centre(
        servers: tuple[RunningServer, RunningServer]) -> None:
    first, second = servers
    ticket = await issued_at(second, "px-b")
    path_and_key = ticket["track_url"].split("127.0.0.1", 1)[1].split("/", 1)[1]
    path = "/" + path_and_key  # /t/<code>?k=<rating key>
    client = WebClient(first.http_url)
    moved = await client.get(path, follow=False)
    assert moved.status == 307 and location_of(moved.headers) == second.http_url + path
    there = await WebClient(second.http_url).get(path)
    assert there.status == 200 and ticket["number"] in there.body
    track = path.split("/")[2].split("?")[0]
    rated = await client.post(f"/t/{track}/rate", {"k": "x", "score": "4"}, follow=False)
    assert rated.status == 307
    assert location_of(rated.headers) == f"{second.http_url}/t/{track}/rate"
    # A ticket of the centre served here is answered here.
    own = await issued_at(first, "px-a")
    own_path = "/" + own["track_url"].split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert (await client.get(own_path, follow=False)).status == 200


async def test_the_live_socket_is_told_moved_with_the_owners_address(
        servers: tuple[RunningServer, RunningServer]) -> None:
    first, second = servers
    ticket = await issued_at(second, "px-b")
    track = ticket["track_url"].split("/t/", 1)[1].split("?")[0]
    async with raw_connect(first.ws_url) as socket:
        await socket.send(json.dumps({"type": "hello", "id": 0, "protocol": 1,
                                      "role": "citizen", "track": track}))
        reply = json.loads(await socket.recv())
    assert reply["ok"] is False and reply["error"]["code"] == "moved"
    assert second.ws_url in json.dumps(reply["error"])


async def test_a_made_up_code_is_not_found_and_reads_the_database_once_per_interval(
        servers: tuple[RunningServer, RunningServer]) -> None:
    first, _ = servers
    client = WebClient(first.http_url)
    tracks = first.service.remote_tracks
    before = tracks.reads
    for code in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        assert (await client.get(f"/t/{code}", follow=False)).status == 404
    assert tracks.reads == before + 1
