"""The citizen role: a ticket's status page following its ticket over the WebSocket.

Over real connections to a real server: the page sees its own ticket called and its people
ahead change, and on every frame it receives nothing of any other ticket (number, tracking
code), no site event, rating or device; an unknown or yesterday's tracking code is refused;
it may change nothing; and its connections are bounded per ticket, address and site.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import KIOSK_TOKEN, PASSWORD, SITE, site_config, table_counts
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as raw_connect
from websockets.exceptions import ConnectionClosed

from server.app.audience import CITIZEN_EVENT, CITIZEN_QUEUE_FIELDS, CITIZEN_TICKET_FIELDS
from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient

WAIT = 10.0
Connect = Callable[..., Any]


class Citizen:
    """A status page's socket, spoken to raw; every frame it receives is checked against what
    must never reach a citizen (``secrets``: other tickets' numbers and tracking codes)."""

    def __init__(self, socket: ClientConnection, secrets: set[str]) -> None:
        self.socket = socket
        self.secrets = secrets
        self.frames: list[dict[str, Any]] = []
        self.next_id = 1

    async def receive(self) -> dict[str, Any]:
        text = await asyncio.wait_for(self.socket.recv(), WAIT)
        assert isinstance(text, str)
        leaked = [secret for secret in self.secrets if secret in text]
        assert not leaked, (leaked, text)
        frame: dict[str, Any] = json.loads(text)
        self.frames.append(frame)
        view = frame.get("result") if frame["type"] == "reply" else frame.get("data")
        if frame["type"] == "event":
            assert frame["event"] == CITIZEN_EVENT, frame
        if isinstance(view, dict) and "ticket" in view:
            assert list(view["ticket"]) == list(CITIZEN_TICKET_FIELDS), view
            assert list(view["queue"]) == list(CITIZEN_QUEUE_FIELDS), view
        return frame

    async def send(self, request_type: str, **fields: Any) -> dict[str, Any]:
        """A request; returns its reply (no event may come before it unasked)."""
        request_id = self.next_id
        self.next_id += 1
        await self.socket.send(json.dumps({"type": request_type, "id": request_id, **fields}))
        reply = await self.receive()
        assert reply["type"] == "reply" and reply["id"] == request_id, reply
        return reply

    async def update(self, until: Callable[[dict[str, Any]], bool] | None = None
                     ) -> dict[str, Any]:
        """The next view sent (the first satisfying ``until``): every frame on the way must
        be a view, each different from the one before."""
        while True:
            frame = await self.receive()
            assert frame["type"] == "event", frame
            if until is None or until(frame["data"]):
                return dict(frame["data"])


async def open_citizen(ws_url: str, track: str, secrets: set[str] | None = None,
                       **fields: Any) -> tuple[Citizen, dict[str, Any]]:
    """A citizen connected with ``track``; and the hello's reply (ok or not)."""
    socket = await raw_connect(ws_url)
    citizen = Citizen(socket, secrets or set())
    hello = {"type": "hello", "id": 0, "protocol": 1, "role": "citizen", "track": track,
             **fields}
    await socket.send(json.dumps(hello))
    return citizen, await citizen.receive()


async def closed_with(citizen: Citizen) -> int | None:
    """Waits for the server to close ``citizen``; the close code."""
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(citizen.socket.recv(), WAIT)
    return citizen.socket.close_code


@pytest.fixture
async def citizens() -> AsyncIterator[list[Citizen]]:
    """Collects the test's citizens and closes them at the end."""
    opened: list[Citizen] = []
    yield opened
    for citizen in opened:
        await citizen.socket.close()


async def test_a_citizen_follows_its_own_ticket_and_sees_nothing_else(
    server: RunningServer, connect: Connect, citizens: list[Citizen], database_path: Path
) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    first = (await kiosk.request("issue", service="HT", request_key="first"))["ticket"]
    mine = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
    land = (await kiosk.request("issue", service="DD-NOP", request_key="land"))["ticket"]
    secrets = {first["number"], first["track"], land["track"], first["id"], land["id"],
               mine["id"], mine["track_url"].split("?k=")[1]}  # the rating key stays out too
    citizen, hello = await open_citizen(server.ws_url, mine["track"], secrets)
    citizens.append(citizen)

    assert hello["ok"] is True
    result = hello["result"]
    assert (result["role"], result["site"]) == ("citizen", SITE)
    assert "state" not in result and "device" not in result
    ticket = result["ticket"]
    assert (ticket["number"], ticket["service"], ticket["status"]) == ("A002", "HT", "waiting")
    assert ticket["ahead_known"] is False and ticket["eta_minutes"] is None  # nobody open
    assert result["queue"] == {"service": "HT", "waiting": 2, "open_counters": 0}

    # Counter 3 opens for HT: one person ahead, an estimated wait.
    await admin.request("login", counter="3")
    view = await citizen.update()
    assert view["queue"]["open_counters"] == 1
    assert (view["ticket"]["ahead"], view["ticket"]["ahead_known"]) == (1, True)
    assert view["ticket"]["eta_minutes"] == 8  # the one ahead, HT's 8 expected minutes

    # Someone takes a number after mine: the queue grows, my place does not move.
    later = (await kiosk.request("issue", service="HT", request_key="later"))["ticket"]
    citizen.secrets |= {later["number"], later["track"], later["id"]}
    view = await citizen.update()
    assert view["queue"]["waiting"] == 3 and view["ticket"]["ahead"] == 1

    # Events that are none of a citizen's business: a device report, another service's call,
    # a rating. The next frame the citizen gets is its own call, nothing before it.
    await kiosk.request("device_status", device="kiosk-1/printer", kind="printer",
                        status="paper_near_end")
    await admin.request("login", counter="1", as_counter="1")
    await admin.request("call_next", as_counter="1")  # the land ticket: not my queue
    await admin.request("finish", as_counter="1")
    await admin.request("rate", ticket_id=land["id"], score=4, as_counter="1")

    # The one ahead is called: nobody ahead any more.
    await admin.request("call_next", as_counter="3")
    view = await citizen.update()
    assert (view["ticket"]["status"], view["ticket"]["ahead"]) == ("waiting", 0)
    assert view["queue"]["waiting"] == 2

    # My turn: called at counter 3.
    await admin.request("call_next", as_counter="3")
    view = await citizen.update(lambda data: data["ticket"]["status"] == "called")
    assert (view["ticket"]["counter"], view["ticket"]["counter_name"]) == ("3", "Quầy 3")
    assert view["ticket"]["call_count"] == 1 and view["ticket"]["called_at"]
    await admin.request("recall", as_counter="3")
    view = await citizen.update()
    assert view["ticket"]["call_count"] == 2
    await admin.request("finish", as_counter="3", case_code="000.00.01.H01-261122-0001")
    view = await citizen.update(lambda data: data["ticket"]["status"] == "done")
    assert view["ticket"]["finished_at"]

    # Its snapshot is its own view again, with the site's seq.
    reply = await citizen.send("snapshot")
    assert reply["result"]["ticket"] == view["ticket"]
    assert reply["result"]["seq"] == (await admin.request("snapshot"))["seq"]
    assert set(reply["result"]) == {"ticket", "queue", "seq"}

    # Nothing of a case code, a rating or a device ever came; only views and replies.
    every = json.dumps(citizen.frames, ensure_ascii=False)
    for private in ("000.00.01.H01", "paper_near_end", "kiosk-1/printer", "Lan", "rating",
                    "track", "case_code", "priority", "officer"):
        assert private not in every
    assert {frame["type"] for frame in citizen.frames} == {"reply", "event"}
    assert table_counts(database_path)["tickets"] == 4


async def test_an_unknown_or_yesterdays_tracking_code_is_refused(
    settings: Any, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 11, 22, 16, 50, tzinfo=UTC))  # 23:50 in Hà Nội
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    try:
        citizen, reply = await open_citizen(server.ws_url, "zzzzzzzz")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
        assert "no ticket of today has this tracking code" in reply["error"]["message"]
        assert await closed_with(citizen) == 1008

        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            ticket = (await kiosk.request("issue", service="HT", request_key="late"))["ticket"]
        # The right code at another site: refused alike.
        citizen, reply = await open_citizen(server.ws_url, ticket["track"], site="hcc-other")
        assert reply["error"]["code"] == "not_found"
        await closed_with(citizen)
        following, reply = await open_citizen(server.ws_url, ticket["track"], site=SITE)
        assert reply["ok"] is True

        clock.now += timedelta(minutes=20)  # past midnight: the ticket is yesterday's
        await server.service.sites[SITE].roll_over()
        assert await closed_with(following) == 1008  # the page learns it at its next hello
        citizen, reply = await open_citizen(server.ws_url, ticket["track"])
        assert reply["error"]["code"] == "not_found"
        assert await closed_with(citizen) == 1008
        counts = server.service.citizens
        await until(lambda: not counts.tickets)  # every connection was let go
    finally:
        await server.stop()


# One well-formed request of every type but hello (test_roles.py has the same list).
EVERY_REQUEST: dict[str, dict[str, Any]] = {
    "snapshot": {}, "ticket": {"number": "A001"}, "resume": {"after": 0},
    "issue": {"service": "HT", "request_key": "k"}, "rate": {"ticket_id": "x", "score": 4},
    "cancel": {"ticket_id": "x"},
    "device_status": {"device": "phone", "kind": "other", "status": "ok"},
    "queue": {}, "counter_stats": {}, "devices": {},
    "login": {"counter": "1", "user": "lan", "password": PASSWORD}, "logout": {},
    "call_next": {}, "call": {"number": "A001"}, "recall": {}, "start": {}, "no_show": {},
    "finish": {}, "transfer": {"service": "HT"}, "pause": {}, "resume_counter": {},
    "change_password": {"current_password": PASSWORD, "new_password": "mat-khau-moi-2"},
    "check_in": {"code": "ABCD-2345", "request_key": "k"},
    "bookings": {"id_number": "001051012345"},
    "forward": {"site": SITE, "events": []},
}


async def test_a_citizen_may_change_nothing_and_read_nothing_but_its_own(
    server: RunningServer, connect: Connect, citizens: list[Citizen], database_path: Path
) -> None:
    from server.app.session import _PERMISSIONS

    assert set(EVERY_REQUEST) == set(_PERMISSIONS)
    kiosk = await connect("kiosk")
    other = (await kiosk.request("issue", service="HT", request_key="other"))["ticket"]
    mine = (await kiosk.request("issue", service="HT", request_key="mine"))["ticket"]
    rating_key = mine["track_url"].split("?k=")[1]
    citizen, hello = await open_citizen(server.ws_url, mine["track"],
                                        {other["number"], other["track"], rating_key})
    citizens.append(citizen)
    assert hello["ok"] is True
    before = table_counts(database_path)
    for request_type, fields in EVERY_REQUEST.items():
        if request_type == "snapshot":
            continue
        reply = await citizen.send(request_type, **fields)
        assert reply["ok"] is False and reply["error"] == {
            "code": "forbidden", "message": f"a citizen connection may not {request_type}"}
    reply = await citizen.send("hello", protocol=1, role="citizen", track=other["track"])
    assert reply["error"] == {"code": "bad_request", "message": "hello was already done"}
    assert table_counts(database_path) == before
    # Refused, not dropped: it still reads its own ticket, and only that.
    reply = await citizen.send("snapshot")
    assert reply["result"]["ticket"]["number"] == mine["number"]
    assert not [frame for frame in citizen.frames if frame["type"] == "event"]


@pytest.mark.parametrize(("hello", "problem"), [
    ({"role": "citizen"}, "field 'track': Field required"),
    ({"role": "citizen", "track": "abc", "token": KIOSK_TOKEN},
     "field 'token': a citizen connection does not take it"),
    ({"role": "citizen", "track": "abc", "after": 0},
     "field 'after': a citizen connection does not take it"),
    ({"role": "citizen", "track": "abc", "subscribe": []},
     "field 'subscribe': a citizen connection does not take it"),
    ({"role": "kiosk", "token": KIOSK_TOKEN, "track": "abc"},
     "field 'track': only a citizen connection takes it"),
    ({"role": "kiosk"}, "field 'token': Field required"),
    ({"role": "citizen", "track": "a\nb"}, "must not contain control characters"),
])
async def test_a_hello_says_a_token_or_a_tracking_code_as_its_role_needs(
    server: RunningServer, hello: dict[str, Any], problem: str
) -> None:
    async with raw_connect(server.ws_url) as socket:
        await socket.send(json.dumps({"type": "hello", "id": 1, "protocol": 1, **hello}))
        reply = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        assert reply["error"]["code"] == "unauthorized"
        assert problem in reply["error"]["message"]
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), WAIT)
        assert socket.close_code == 1008


async def until(condition: Callable[[], bool]) -> None:
    """Waits for the server's side of a close (it detaches when it reads it)."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
async def tight_server(tmp_path: Path, request: pytest.FixtureRequest
                       ) -> AsyncIterator[RunningServer]:
    """A server with the limits the test names (``@pytest.mark.parametrize`` indirect)."""
    settings = parse_settings(site_config(**request.param))
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'q.db'}")
    yield running
    await running.stop()


async def issue(server: RunningServer, count: int) -> list[str]:
    """``count`` HT tickets; their tracking codes."""
    async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        return [(await kiosk.request("issue", service="HT", request_key=f"t{index}"))
                ["ticket"]["track"] for index in range(count)]


async def admitted(server: RunningServer, track: str, citizens: list[Citizen]) -> Citizen:
    citizen, reply = await open_citizen(server.ws_url, track)
    assert reply["ok"] is True, reply
    citizens.append(citizen)
    return citizen


async def refused(server: RunningServer, track: str, why: str) -> None:
    citizen, reply = await open_citizen(server.ws_url, track)
    assert reply["error"]["code"] == "rate_limited", reply
    assert why in reply["error"]["message"]
    assert await closed_with(citizen) == 1008


@pytest.mark.parametrize("tight_server", [{"max_citizen_connections_per_ticket": 2,
                                           "max_citizen_connections_per_address": 3}],
                         indirect=True)
async def test_citizens_connections_are_bounded_per_ticket_and_per_address(
    tight_server: RunningServer, citizens: list[Citizen]
) -> None:
    tracks = await issue(tight_server, 3)
    first = await admitted(tight_server, tracks[0], citizens)
    await admitted(tight_server, tracks[0], citizens)
    await refused(tight_server, tracks[0], "this ticket already has 2 pages open")
    await admitted(tight_server, tracks[1], citizens)
    await refused(tight_server, tracks[2], "this address already has 3 ticket pages open")
    # A page closed gives its place back.
    citizens.remove(first)
    await first.socket.close()
    counts = tight_server.service.citizens
    await until(lambda: counts.addresses["127.0.0.1"] == 2)
    await admitted(tight_server, tracks[2], citizens)
    for citizen in citizens:
        await citizen.socket.close()
    await until(lambda: not counts.addresses and not counts.tickets and not counts.sites)


@pytest.mark.parametrize("tight_server", [{"max_citizen_connections_per_site": 2}],
                         indirect=True)
async def test_citizens_connections_are_bounded_per_site(
    tight_server: RunningServer, citizens: list[Citizen]
) -> None:
    tracks = await issue(tight_server, 3)
    await admitted(tight_server, tracks[0], citizens)
    await admitted(tight_server, tracks[1], citizens)
    await refused(tight_server, tracks[2], "the centre already has 2 ticket pages open")
    # Staff are not counted among them.
    async with ProtocolClient(tight_server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        assert "state" in await kiosk.request("snapshot")


@pytest.mark.parametrize("tight_server", [{"rate_per_second": 0.05, "rate_burst": 3,
                                           "max_bad_frames": 5}], indirect=True)
async def test_a_citizen_is_held_to_the_request_rate_like_every_connection(
    tight_server: RunningServer, citizens: list[Citizen]
) -> None:
    [track] = await issue(tight_server, 1)
    citizen = await admitted(tight_server, track, citizens)
    assert [(await citizen.send("snapshot"))["ok"] for _ in range(3)] == [True, True, True]
    reply = await citizen.send("snapshot")
    assert reply["error"]["code"] == "rate_limited"
    for _ in range(4):  # five refused frames in all: the connection is closed
        assert (await citizen.send("snapshot"))["error"]["code"] == "rate_limited"
    assert await closed_with(citizen) == 1008


@pytest.mark.parametrize("tight_server", [{"hello_timeout_seconds": 0.3}], indirect=True)
async def test_a_status_page_that_never_says_hello_is_closed_like_any(
    tight_server: RunningServer
) -> None:
    async with raw_connect(tight_server.ws_url) as silent:
        reply = json.loads(await asyncio.wait_for(silent.recv(), WAIT))
        assert reply["error"]["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(silent.recv(), WAIT)
        assert silent.close_code == 1008


def test_no_device_token_may_claim_the_citizen_role() -> None:
    from server.config import ConfigError

    config = site_config()
    config["sites"][0]["tokens"].append({"name": "phone", "role": "citizen",
                                         "token": "citizen-token-0001"})
    with pytest.raises(ConfigError, match="tracking code, not a device token"):
        parse_settings(config)
