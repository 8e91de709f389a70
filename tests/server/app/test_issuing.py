"""Issuing numbers through the real server: concurrency, consecutiveness, idempotency."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from support.servers import KIOSK_TOKEN, SITE, table_counts

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient


async def test_twenty_kiosks_issuing_fifty_each_get_distinct_consecutive_numbers(
    server: RunningServer, connect: Any
) -> None:
    kiosks = [await connect("kiosk") for _ in range(20)]
    services = ["DD-NOP", "DD-TRA", "HT"]

    async def press(kiosk: ProtocolClient, index: int) -> list[dict[str, Any]]:
        tickets = []
        for press_number in range(50):
            service = services[(index + press_number) % len(services)]
            result = await kiosk.request("issue", service=service,
                                         request_key=f"kiosk{index}-press{press_number}")
            tickets.append(result["ticket"])
        return tickets

    batches = await asyncio.gather(*(press(kiosk, index) for index, kiosk in enumerate(kiosks)))
    tickets = [ticket for batch in batches for ticket in batch]
    numbers = [ticket["number"] for ticket in tickets]
    assert len(tickets) == 1000
    assert len(set(numbers)) == 1000
    # DD-NOP and DD-TRA share the range group 1001..; HT has its own A-prefixed sequence.
    by_group: dict[str, list[int]] = defaultdict(list)
    for ticket in tickets:
        if ticket["service"] == "HT":
            by_group["HT"].append(int(ticket["number"][1:]))
        else:
            by_group["dat-dai"].append(int(ticket["number"]) - 1000)
    for group, sequences in by_group.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1)), group


async def test_retry_with_same_request_key_returns_same_ticket(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    kiosk = await connect("kiosk")
    first = await kiosk.request("issue", service="HT", request_key="press-1")
    again = await kiosk.request("issue", service="HT", request_key="press-1")
    assert again["ticket"]["id"] == first["ticket"]["id"]
    assert again["ticket"]["number"] == "A001"
    other = await kiosk.request("issue", service="HT", request_key="press-2")
    assert other["ticket"]["number"] == "A002"
    assert table_counts(database_path)["tickets"] == 2


async def test_press_whose_reply_was_lost_is_retried_on_a_new_connection(
    server: RunningServer, connect: Any, database_path: Path
) -> None:
    display = await connect("display")
    lost = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE)
    await lost.connect()
    # The kiosk sends its press and the connection dies before it reads the reply.
    await lost.send_raw('{"type":"issue","id":99,"service":"DD-NOP","request_key":"press-x"}')
    issued = await display.next_event("ticket.issued")
    await lost.close()

    retry = await connect("kiosk")
    result = await retry.request("issue", service="DD-NOP", request_key="press-x")
    assert result["ticket"]["id"] == issued.data["id"]
    assert table_counts(database_path)["tickets"] == 1


async def test_issued_ticket_carries_place_wait_and_tracking(connect: Any) -> None:
    kiosk = await connect("kiosk")
    counter = await connect("admin")
    await counter.request("login", counter="3")
    first = (await kiosk.request("issue", service="HT", request_key="a"))["ticket"]
    second = (await kiosk.request("issue", service="HT", request_key="b"))["ticket"]
    assert first["ahead"] == 0 and second["ahead"] == 1
    # One open counter serves HT, expected 8 minutes each: one person ahead waits ~8.
    assert second["eta_minutes"] == 8
    assert first["status"] == "waiting"
    assert first["service_name"] == "Đăng ký khai sinh"
    # The QR link: the tracking code, and the rating key only this reply carries.
    assert len(first["track"]) == 8
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/t/" + first["track"] + r"\?k=[a-z2-7]{8}",
                        first["track_url"])
    assert first["issued_at"].endswith("+07:00")
