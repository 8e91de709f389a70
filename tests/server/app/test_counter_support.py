"""Requests the counter app and the hardware bridge rely on: device status, the waiting list
in calling order, and today's figures."""

from __future__ import annotations

from typing import Any

import pytest

from server.protocol.client import RequestFailed


async def test_device_status_is_announced_once_per_change_and_kept_for_staff(
    connect: Any
) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin", subscribe=["device."])
    report = {"device": "kiosk-1/printer", "kind": "printer", "status": "paper_out",
              "message": "Máy in hết giấy"}
    result = (await kiosk.request("device_status", **report))["device"]
    assert (result["status"], result["reported_by"]) == ("paper_out", "kiosk")
    await kiosk.request("device_status", **report)  # the same news again
    await kiosk.request("device_status", **{**report, "status": "ok", "message": None})
    first = await admin.next_event("device.status")
    second = await admin.next_event("device.status")
    assert (first.data["status"], second.data["status"]) == ("paper_out", "ok")
    assert second.seq == first.seq + 1  # the repeat made no event
    devices = (await admin.request("devices"))["devices"]
    assert [(item["device"], item["status"]) for item in devices] == [("kiosk-1/printer", "ok")]
    # Not in every hello: a site's devices are asked for by those who look after them.
    assert "devices" not in (await admin.request("snapshot"))["state"]


async def test_device_status_with_an_unknown_condition_is_refused(connect: Any) -> None:
    kiosk = await connect("kiosk")
    with pytest.raises(RequestFailed) as refused:
        await kiosk.request("device_status", device="p", kind="printer", status="on_fire")
    assert refused.value.code == "bad_request"
    assert "field 'status'" in refused.value.message


async def test_waiting_list_comes_in_calling_order_with_priorities(connect: Any) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="3")
    for press, priority in enumerate([None, None, "NCT", None, "NCT"]):
        await kiosk.request("issue", service="HT", priority=priority, request_key=f"p{press}")
    listed = (await admin.request("queue", as_counter="3"))["tickets"]
    # Strict policy (the test site's default): both priority tickets first, then arrival order.
    assert [ticket["number"] for ticket in listed] == ["A003", "A005", "A001", "A002", "A004"]
    assert [ticket["priority"] for ticket in listed][:2] == ["NCT", "NCT"]
    called = [(await admin.request("call_next", as_counter="3"))["ticket"]["number"]
              for _ in listed]
    assert called == [ticket["number"] for ticket in listed]


async def test_counter_figures_for_today(connect: Any) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    await admin.request("login", counter="3")
    for press in range(3):
        await kiosk.request("issue", service="HT", request_key=f"p{press}")
    first = (await admin.request("call_next", as_counter="3"))["ticket"]
    await admin.request("finish", as_counter="3")
    await admin.request("rate", ticket_id=first["id"], score=4, as_counter="3")
    await admin.request("call_next", as_counter="3")
    await admin.request("no_show", as_counter="3", requeue=False)
    stats = (await admin.request("counter_stats", as_counter="3"))["stats"]
    assert (stats["served"], stats["no_show"]) == (1, 1)
    assert stats["ratings"] == {"4": 1}
    assert stats["average_score"] == 4
    assert stats["average_wait_seconds"] is not None and stats["average_wait_seconds"] >= 0
    other = (await admin.request("counter_stats", as_counter="1"))["stats"]
    assert (other["served"], other["ratings"], other["average_score"]) == (0, {}, None)
