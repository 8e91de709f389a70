"""Events: order, persistence of seq and numbering across restarts, resume."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.servers import ADMIN_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, SITE

from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import EventMessage, ProtocolClient, RequestFailed


async def test_display_receives_every_event_in_seq_order(connect: Any) -> None:
    display = await connect("display")
    start_seq = display.hello_result["seq"]
    kiosks = [await connect("kiosk") for _ in range(5)]
    admin = await connect("admin")
    await admin.request("login", counter="1", as_counter="1")
    await asyncio.gather(*(
        kiosk.request("issue", service="DD-NOP", request_key=f"k{index}-{press}")
        for index, kiosk in enumerate(kiosks) for press in range(10)))
    for _ in range(5):
        await admin.request("call_next", as_counter="1")
    final_seq = (await admin.request("snapshot"))["seq"]

    seen: list[EventMessage] = []
    while len(seen) < final_seq - start_seq:
        seen.append(await display.next_event())
    assert [event.seq for event in seen] == list(range(start_seq + 1, final_seq + 1))
    names = [event.event for event in seen]
    assert names.count("ticket.issued") == 50
    assert names.count("ticket.called") == 5


async def test_restart_continues_seq_and_numbering_and_resume_replays_missed_events(
    settings: Settings, database_path: Path
) -> None:
    url = f"sqlite:///{database_path}"
    first = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    async with ProtocolClient(first.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        for press in range(3):
            await kiosk.request("issue", service="HT", request_key=f"before-{press}")
    async with ProtocolClient(first.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
        seen_seq = display.hello_result["seq"]
    await first.stop()

    second = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    try:
        async with ProtocolClient(second.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            assert kiosk.hello_result["seq"] == seen_seq
            ticket = (await kiosk.request("issue", service="HT", request_key="after"))["ticket"]
            assert ticket["number"] == "A004"
            # The same press retried after the restart still finds its ticket.
            again = await kiosk.request("issue", service="HT", request_key="before-1")
            assert again["ticket"]["number"] == "A002"

        # A display that saw events up to seen_seq reconnects and gets what it missed.
        display = ProtocolClient(second.ws_url, "display", DISPLAY_TOKEN, SITE)
        display.last_seq = seen_seq
        result = await display.connect(after=seen_seq)
        assert result["replayed"] == 1
        missed = await display.next_event()
        assert (missed.seq, missed.event, missed.data["number"]) == (
            seen_seq + 1, "ticket.issued", "A004")

        # The resume request replays from any kept point, in order.
        replay = ProtocolClient(second.ws_url, "admin", ADMIN_TOKEN, SITE)
        await replay.connect()
        replay.last_seq = 0
        answer = await replay.request("resume", after=0)
        assert answer["replayed"] == seen_seq + 1
        numbers = [(await replay.next_event()).data["number"] for _ in range(seen_seq + 1)]
        assert numbers == ["A001", "A002", "A003", "A004"]
        await display.close()
        await replay.close()
    finally:
        await second.stop()


async def test_resume_beyond_the_latest_event_is_refused(connect: Any) -> None:
    display = await connect("display")
    with pytest.raises(RequestFailed) as refused:
        await display.request("resume", after=10_000)
    assert refused.value.code == "bad_request"
    assert "after" in refused.value.message


async def test_resume_past_what_is_kept_answers_gap(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    kiosk = await connect("kiosk")
    for press in range(3):
        await kiosk.request("issue", service="HT", request_key=f"p{press}")
    # Events older than the retention period are purged; then they cannot be replayed.
    server.service.sites[SITE].recent.clear()
    from datetime import UTC, datetime, timedelta
    server.service.repository.purge_events(datetime.now(UTC) + timedelta(days=1))
    display = await connect("display")
    with pytest.raises(RequestFailed) as refused:
        await display.request("resume", after=0)
    assert refused.value.code == "gap"


async def test_subscribe_filters_events(connect: Any) -> None:
    calls_only = await connect("display", subscribe=["ticket.called"])
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="3")
    for press in range(2):
        await kiosk.request("issue", service="HT", request_key=f"press-{press}")
    await admin.request("call_next")
    await admin.request("recall")
    await admin.request("call_next")
    first = await calls_only.next_event()
    second = await calls_only.next_event()
    # Between the two calls came counter.changed, ticket.recalled and ticket.done: none of
    # them reached this connection.
    assert (first.event, second.event) == ("ticket.called", "ticket.called")
    assert second.seq - first.seq > 1
    assert (first.data["number"], second.data["number"]) == ("A001", "A002")


async def test_hello_after_an_unknown_future_seq_answers_gap(connect: Any) -> None:
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="HT", request_key="one")
    display = await connect("display")
    stale = ProtocolClient(display.url, "display", DISPLAY_TOKEN, SITE)
    result = await stale.connect(after=999)
    assert result["gap"] is True
    assert result["state"]["services"][2]["waiting"] == 1
    assert "state" in await stale.request("snapshot")  # the connection stays usable
    await stale.close()


async def test_events_past_the_retention_period_are_purged_at_start(
    settings: Settings, database_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from support.clock import ManualClock
    from support.servers import table_counts

    assert settings.server.event_retention_days == 90
    clock = ManualClock(datetime(2026, 8, 3, 2, 0, tzinfo=UTC))
    url = f"sqlite:///{database_path}"
    server = await start_server(settings, host="127.0.0.1", port=0, database_url=url,
                                clock=clock)
    try:
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            for press in range(3):
                await kiosk.request("issue", service="HT", request_key=f"august-{press}")
    finally:
        await server.stop()
    assert table_counts(database_path)["events"] == 3
    clock.now += timedelta(days=89)  # still kept
    server = await start_server(settings, host="127.0.0.1", port=0, database_url=url,
                                clock=clock)
    await server.stop()
    # Opening the new day added the day.reset event.
    assert table_counts(database_path)["events"] == 4
    clock.now += timedelta(days=2)  # now the August events are 91 days old
    server = await start_server(settings, host="127.0.0.1", port=0, database_url=url,
                                clock=clock)
    try:
        assert table_counts(database_path)["events"] == 2  # two day.reset events
        async with ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
            # seq never goes back, and what went cannot be replayed.
            assert display.hello_result["seq"] == 5
            with pytest.raises(RequestFailed) as refused:
                await display.request("resume", after=0)
            assert refused.value.code == "gap"
    finally:
        await server.stop()
