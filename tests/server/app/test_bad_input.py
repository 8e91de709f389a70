"""Bad input: each gets its error code and a message naming the field or rule; the
connection and the server stay up; nothing in the database changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.clock import ManualClock
from support.servers import KIOSK_TOKEN, SITE, site_config, table_counts

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ConnectionLost, ProtocolClient, RequestFailed


@pytest.mark.parametrize(
    ("frame", "request_id", "words"),
    [
        ("this is not json", None, "not valid JSON"),
        ("[1, 2, 3]", None, "JSON object"),
        ('{"id": 5}', 5, "'type'"),
        ('{"type": "teleport", "id": 6}', 6, "unknown request type 'teleport'"),
        ('{"type": "issue", "id": 7, "request_key": "k"}', 7, "field 'service': Field required"),
        ('{"type": "issue", "id": 8, "service": 42, "request_key": "k"}', 8, "field 'service'"),
        ('{"type": "issue", "id": 9, "service": "HT", "request_key": "k", "colour": "red"}', 9,
         "field 'colour'"),
        ('{"type": "rate", "id": 10, "ticket_id": "x", "score": "4"}', 10, "field 'score'"),
        ('{"type": "ticket", "id": 11}', 11, "exactly one of number or ticket_id"),
        ('{"type": "hello", "id": 12, "protocol": 1, "role": "kiosk", "token": "t", '
         '"site": "s"}', 12, "hello was already done"),
        ('{"type": "issue", "id": 13, "service": "NOPE", "request_key": "k"}', 13,
         "service: no service 'NOPE'"),
        ('{"type": "issue", "id": 14, "service": "HT", "priority": "VIP", "request_key": "k"}',
         14, "priority: no priority group 'VIP'"),
    ],
)
async def test_malformed_frame_gets_bad_request_and_changes_nothing(
    connect: Any, database_path: Path, frame: str, request_id: int | None, words: str
) -> None:
    kiosk = await connect("kiosk")
    before = table_counts(database_path)
    await kiosk.send_raw(frame)
    reply = kiosk.next_reply(request_id)
    with pytest.raises(RequestFailed) as refused:
        await reply
    assert refused.value.code == "bad_request"
    assert words in refused.value.message
    # The connection is still usable and nothing was written.
    assert (await kiosk.request("snapshot"))["state"]["site"]["code"] == SITE
    assert table_counts(database_path) == before


async def test_frame_over_64_kib_is_refused_and_connection_stays(connect: Any) -> None:
    kiosk = await connect("kiosk")
    big = json.dumps({"type": "issue", "id": 1, "service": "HT", "request_key": "x" * 70_000})
    await kiosk.send_raw(big)
    with pytest.raises(RequestFailed) as refused:
        await kiosk.next_reply(1)  # the id, read from the frame's first bytes, is echoed
    assert refused.value.code == "bad_request"
    assert "65536" in refused.value.message
    # Where no id can be read from the start of the frame, the reply's id is null.
    await kiosk.send_raw(json.dumps({"request_key": "x" * 70_000, "id": 2}))
    with pytest.raises(RequestFailed) as unnamed:
        await kiosk.next_reply(None)
    assert unnamed.value.code == "bad_request"
    assert "state" in await kiosk.request("snapshot")


async def test_frame_over_the_transport_limit_closes_the_connection(connect: Any) -> None:
    kiosk = await connect("kiosk")
    await kiosk.send_raw("x" * (2 * 1024 * 1024))
    await kiosk.closed.wait()
    assert kiosk.close_code == 1009


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ('{"type": "snapshot", "id": 1}', "first frame must be hello"),
        ("garbage", "first frame must be a valid hello"),
        ('{"type": "hello", "id": 1, "protocol": 1, "role": "kiosk", "token": "wrong-token-1", '
         '"site": "hcc-test"}', "token"),
        ('{"type": "hello", "id": 1, "protocol": 1, "role": "admin", "token": "kiosk-token-0001",'
         ' "site": "hcc-test"}', "token"),
        ('{"type": "hello", "id": 1, "protocol": 1, "role": "kiosk", "token": "kiosk-token-0001",'
         ' "site": "nowhere"}', "token"),
        ('{"type": "hello", "id": 1, "protocol": 2, "role": "kiosk", "token": "kiosk-token-0001",'
         ' "site": "hcc-test"}', "protocol"),
    ],
)
async def test_bad_handshake_is_unauthorized_and_closed_1008(
    server: RunningServer, frame: str, words: str
) -> None:
    from websockets.asyncio.client import connect as raw_connect

    async with raw_connect(server.ws_url) as connection:
        await connection.send(frame)
        reply = json.loads(await connection.recv())
        assert reply["ok"] is False
        assert reply["error"]["code"] == "unauthorized"
        assert words in reply["error"]["message"]
        await connection.wait_closed()
        assert connection.close_code == 1008


@pytest.mark.parametrize(
    ("steps", "failing", "code", "words"),
    [
        ([], ("call_next", {}), "conflict", "closed; log in first"),
        ([("login", {"counter": "3"})], ("call_next", {}), "not_found", "nobody is waiting"),
        ([("login", {"counter": "3"})], ("recall", {}), "conflict", "no ticket in hand"),
        ([("login", {"counter": "3"})], ("resume_counter", {}), "conflict", "not paused"),
        ([("login", {"counter": "3"}), ("pause", {"reason": "họp"})], ("call_next", {}),
         "conflict", "paused"),
        ([("login", {"counter": "3"})], ("call", {"number": "A999"}), "not_found", "A999"),
        ([("login", {"counter": "3"})], ("transfer", {"service": "HT", "counter": "1"}),
         "bad_request", "exactly one of service or counter"),
        ([("login", {"counter": "9"})], ("snapshot", {}), None, None),
    ],
)
async def test_transitions_the_state_does_not_allow_change_nothing(
    connect: Any, database_path: Path, steps: list[tuple[str, dict[str, Any]]],
    failing: tuple[str, dict[str, Any]], code: str | None, words: str | None
) -> None:
    admin = await connect("admin")
    for name, fields in steps:
        try:
            await admin.request(name, as_counter="3", **fields)
        except RequestFailed as error:
            assert error.code == "not_found" and "counter: no counter '9'" in error.message
            return
    before = table_counts(database_path)
    seq = (await admin.request("snapshot"))["seq"]
    name, fields = failing
    with pytest.raises(RequestFailed) as refused:
        await admin.request(name, as_counter="3", **fields)
    assert refused.value.code == code
    assert words is not None and words in refused.value.message
    assert table_counts(database_path) == before
    assert (await admin.request("snapshot"))["seq"] == seq


async def test_served_ticket_cannot_be_called_again_anywhere(connect: Any) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    ticket = (await kiosk.request("issue", service="DD-TRA", request_key="k"))["ticket"]
    await admin.request("login", counter="1", as_counter="1")
    await admin.request("login", counter="2", as_counter="2")
    await admin.request("call_next", as_counter="1")
    with pytest.raises(RequestFailed) as refused:
        await admin.request("call", number=ticket["number"], as_counter="2")
    assert refused.value.code == "conflict"
    assert "called at counter 1" in refused.value.message
    with pytest.raises(RequestFailed) as nobody:
        await admin.request("call_next", as_counter="2")
    assert nobody.value.code == "not_found"


async def test_flooding_connection_is_rate_limited_then_closed(tmp_path: Path) -> None:
    settings = parse_settings(site_config(rate_per_second=1, rate_burst=3, max_bad_frames=5))
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        client = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
        await client.connect()
        codes = []
        for _attempt in range(12):
            try:
                await client.request("snapshot")
                codes.append("ok")
            except RequestFailed as error:
                codes.append(error.code)
            except ConnectionLost:
                break
        await client.closed.wait()
        assert codes[:3] == ["ok", "ok", "ok"]
        assert codes[3:8] == ["rate_limited"] * 5
        assert client.close_code == 1008
        # The server is still up for everyone else.
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as other:
            assert "state" in await other.request("snapshot")
    finally:
        await server.stop()


async def test_a_fault_inside_one_request_answers_internal_and_keeps_the_connection(
    server: RunningServer, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = await connect("kiosk")
    views = server.service.sites[SITE].views

    def broken(*_: object) -> dict[str, Any]:
        raise RuntimeError("a bug in building the snapshot")

    monkeypatch.setattr(views, "snapshot", broken)
    with pytest.raises(RequestFailed) as failed:
        await kiosk.request("snapshot")
    assert failed.value.code == "internal"
    ticket = (await kiosk.request("issue", service="HT", request_key="after-fault"))["ticket"]
    assert ticket["number"] == "A001"


async def test_issuing_when_the_site_or_service_is_closed_answers_closed(
    tmp_path: Path
) -> None:
    config = site_config()
    site = config["sites"][0]
    site["issue_hours"] = "07:00-17:00"
    site["number_groups"][0]["numbers"] = "1001-1002"  # a range of two numbers a day
    site["services"][2]["daily_limit"] = 1  # HT
    database_path = tmp_path / "q.db"
    clock = ManualClock(datetime(2026, 11, 23, 11, 30, tzinfo=UTC))  # 18:30 in Hà Nội
    server = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{database_path}", clock=clock)
    try:
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:

            async def refused_issue(service: str, key: str) -> RequestFailed:
                before = table_counts(database_path)
                with pytest.raises(RequestFailed) as refused:
                    await kiosk.request("issue", service=service, request_key=key)
                assert table_counts(database_path) == before
                return refused.value

            after_hours = await refused_issue("HT", "evening")
            assert after_hours.code == "closed"
            assert "07:00 to 17:00" in after_hours.message
            clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
            await kiosk.request("issue", service="HT", request_key="first")
            limit = await refused_issue("HT", "second")
            assert limit.code == "closed" and "daily limit of 1" in limit.message
            for key in ("land-1", "land-2"):
                await kiosk.request("issue", service="DD-NOP", request_key=key)
            used_up = await refused_issue("DD-TRA", "land-3")
            assert used_up.code == "closed" and "used up for today" in used_up.message
            # The kiosk's connection is still fine.
            assert "state" in await kiosk.request("snapshot")
    finally:
        await server.stop()
