"""Midnight through the running server, and a client that stops reading."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.clock import ManualClock
from support.servers import (
    COUNTER_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    PASSWORD,
    SITE,
    site_config,
    stalled_display,
)

from server.app.serve import start_server
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient


async def test_numbers_restart_at_local_midnight(settings: Settings, tmp_path: Path) -> None:
    # 23:59 in Hà Nội is 16:59 UTC.
    clock = ManualClock(datetime(2026, 11, 22, 16, 59, tzinfo=UTC))
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    try:
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk, \
                ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
            late = (await kiosk.request("issue", service="HT", request_key="late"))["ticket"]
            assert (late["number"], late["issued_at"]) == ("A001", "2026-11-22T23:59:00+07:00")
            clock.now += timedelta(minutes=2)
            # The midnight watcher's step: the day opens without anyone pressing anything.
            await server.service.sites[SITE].roll_over()
            await display.next_event("ticket.issued")
            reset = await display.next_event()
            assert reset.event == "day.reset"
            assert reset.data == {"business_date": "2026-11-23",
                                  "previous_date": "2026-11-22", "cancelled": 1}
            early = (await kiosk.request("issue", service="HT", request_key="early"))["ticket"]
            assert early["number"] == "A001"
            assert early["id"].endswith(":20261123:A001")
            snapshot = await kiosk.request("snapshot")
            assert snapshot["state"]["site"]["business_date"] == "2026-11-23"
    finally:
        await server.stop()


async def test_counters_closed_at_midnight_stay_closed_after_a_restart(
    settings: Settings, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 11, 22, 16, 59, tzinfo=UTC))
    database_url = f"sqlite:///{tmp_path / 'q.db'}"
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=database_url, clock=clock)
    try:
        async with ProtocolClient(server.ws_url, "counter", COUNTER_TOKEN, SITE) as counter, \
                ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
            await counter.request("login", counter="1", user="lan", password=PASSWORD)
            await display.next_event("counter.changed")
            clock.now += timedelta(minutes=2)
            await server.service.sites[SITE].roll_over()
            await display.next_event("day.reset")
            closed = await display.next_event()
            assert closed.event == "counter.changed"
            assert (closed.data["code"], closed.data["status"]) == ("1", "closed")
            assert closed.data["officer"] is None
    finally:
        await server.stop()
    restarted = await start_server(settings, host="127.0.0.1", port=0,
                                   database_url=database_url, clock=clock)
    try:
        async with ProtocolClient(restarted.ws_url, "display", DISPLAY_TOKEN, SITE) as display:
            counters = display.hello_result["state"]["counters"]
            assert {item["code"]: item["status"] for item in counters} == {
                "1": "closed", "2": "closed", "3": "closed"}
            assert all(item["officer"] is None for item in counters)
    finally:
        await restarted.stop()


async def test_a_client_that_stops_reading_is_disconnected(tmp_path: Path) -> None:
    settings = parse_settings(site_config(outgoing_queue_limit=10, rate_per_second=100000.0,
                                          rate_burst=100000))
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{tmp_path / 'q.db'}")
    runtime = server.service.sites[SITE]
    try:
        # A display whose socket takes only a little and which never reads again.
        stalled = await asyncio.to_thread(stalled_display, server.port)
        kiosks = [ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE, subscribe=[])
                  for _ in range(20)]
        await asyncio.gather(*(kiosk.connect() for kiosk in kiosks))
        while not runtime.subscribers:
            await kiosks[0].request("snapshot")  # until the stalled display's hello is in
        pressed = 0
        # The kernel's socket buffers take a few MB before the server's queue fills.
        while runtime.subscribers and pressed < 20_000:
            await asyncio.gather(*(kiosk.request("issue", service="HT",
                                                 request_key=f"k{pressed}-{index}")
                                   for index, kiosk in enumerate(kiosks)))
            pressed += len(kiosks)
        # The server let the stalled display go and kept serving everyone else.
        assert not runtime.subscribers
        assert (await kiosks[0].request("snapshot"))["seq"] == pressed
        await asyncio.gather(*(kiosk.close() for kiosk in kiosks))
        stalled.close()
    finally:
        await server.stop()
