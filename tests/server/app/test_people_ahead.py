"""People ahead on the wire, through a real server (issue 12): everyone the open counters call
first, other services at the same counter included; "no counter open" said, not guessed."""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

from server.app.serve import RunningServer


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body.decode("utf-8")


async def test_a_preferred_service_at_the_same_counter_is_ahead(connect: Any) -> None:
    # Counter 1 serves DD-NOP, then DD-TRA (order of preference); only it is open.
    kiosk = await connect("kiosk")
    display = await connect("display", subscribe=["ticket.issued"])
    admin = await connect("admin")
    await admin.request("login", counter="1")
    first = (await kiosk.request("issue", service="DD-NOP", request_key="a"))["ticket"]
    collect = (await kiosk.request("issue", service="DD-TRA", request_key="b"))["ticket"]
    # Counter 1 calls the DD-NOP ticket first: one ahead, after its 10 expected minutes.
    assert (collect["ahead"], collect["ahead_known"], collect["eta_minutes"]) == (1, True, 10)
    for expected in (first, collect):
        event = await display.next_event("ticket.issued")
        assert event.data["number"] == expected["number"]
        assert event.data["ahead"] == expected["ahead"]

    later = (await kiosk.request("issue", service="DD-NOP", request_key="c"))["ticket"]
    asked = (await kiosk.request("ticket", number=collect["number"]))["ticket"]
    assert (asked["ahead"], asked["ahead_known"], asked["eta_minutes"]) == (2, True, 20)
    called = [(await admin.request("call_next"))["ticket"]["number"] for _ in range(3)]
    assert called == [first["number"], later["number"], collect["number"]]


async def test_no_open_counter_is_said_not_guessed(server: RunningServer, connect: Any) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="1")  # open, but it does not serve HT
    await kiosk.request("issue", service="HT", request_key="a")
    ticket = (await kiosk.request("issue", service="HT", request_key="b"))["ticket"]
    # ``ahead`` stays a number for clients that know nothing else: those before it in its queue.
    assert (ticket["ahead"], ticket["ahead_known"], ticket["eta_minutes"]) == (1, False, None)
    page = await asyncio.to_thread(_page, f"{server.http_url}/t/{ticket['track']}")
    assert ("<dt>Số người trước bạn / Ahead</dt><dd id='ahead'>chưa có quầy mở cho thủ tục "
            "này / no counter open for this procedure yet</dd>") in page
    assert "chưa xác định / not known yet" in page
    snapshot = (await admin.request("snapshot"))["state"]
    service = next(item for item in snapshot["services"] if item["code"] == "HT")
    assert (service["waiting"], service["open_counters"], service["eta_minutes"]) == (2, 0, None)

    await admin.request("logout")
    await admin.request("login", counter="3")  # serves HT, 8 minutes expected
    asked = (await kiosk.request("ticket", number=ticket["number"]))["ticket"]
    assert (asked["ahead"], asked["ahead_known"], asked["eta_minutes"]) == (1, True, 8)
    page = await asyncio.to_thread(_page, f"{server.http_url}/t/{ticket['track']}")
    assert "<dt>Số người trước bạn / Ahead</dt><dd id='ahead'>1</dd>" in page
    snapshot = (await admin.request("snapshot"))["state"]
    service = next(item for item in snapshot["services"] if item["code"] == "HT")
    assert (service["open_counters"], service["eta_minutes"]) == (1, 16)  # a new ticket
