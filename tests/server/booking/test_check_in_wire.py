"""The kiosk's side of bookings over real WebSocket connections: ``check_in`` (by code as
typed or scanned, within its window, once, idempotent on the kiosk's key), ``bookings`` (by
a CCCD number, nothing personal, ten a minute) and ``issue``'s ``birth_date`` (the age
rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.booking import CCCD, MORNING, OTHER_CCCD, at, book, booking_config
from support.clock import ManualClock
from support.servers import KIOSK_TOKEN, SITE

from server.app.serve import RunningServer, start_server
from server.booking.model import shown_code
from server.config import parse_settings
from server.protocol.client import ProtocolClient, RequestFailed


async def failure(request: Any) -> RequestFailed:
    with pytest.raises(RequestFailed) as raised:
        await request
    return raised.value


async def test_a_slot_is_checked_in_within_its_window_and_called_at_its_time(
    server: RunningServer, server_clock: ManualClock, connect: Any
) -> None:
    booked = await book(server, at(9, 30))
    kiosk = await connect("kiosk")
    # Too early: the window opens 30 minutes before the slot.
    server_clock.now = at(8, 59)
    closed = await failure(kiosk.request("check_in", code=booked.code, request_key="k1"))
    assert (closed.code, closed.message) == (
        "closed", "check-in opens at 09:00 (nhận lịch hẹn từ 09:00)")
    # A walk-in takes a number first.
    server_clock.now = at(9, 0)
    walk_in = (await kiosk.request("issue", service="HT", request_key="walk-in"))["ticket"]
    # Typed in lower case with a space instead of the dash.
    typed = f"{booked.code[:4].lower()} {booked.code[4:].lower()}"
    result = await kiosk.request("check_in", code=typed, request_key="k2")
    ticket, booking = result["ticket"], result["booking"]
    assert ticket["number"] == "A002" and ticket["service"] == "HT"
    assert ticket["track_url"].startswith(f"{server.http_url}/t/{ticket['track']}?k=")
    assert ticket["remote"] is False and ticket["priority"] is None
    assert booking == {"code": shown_code(booked.code), "service": "HT",
                       "service_name": "Đăng ký khai sinh", "service_name_en": "Đăng ký khai sinh",
                       "kind": "slot", "slot_start": "2026-11-23T09:30:00+07:00",
                       "slot_end": "2026-11-23T10:00:00+07:00", "status": "checked_in"}
    # The same press again (a lost reply): the same ticket; another press: refused.
    again = await kiosk.request("check_in", code=f"QMSB:{booked.code}", request_key="k2")
    assert again["ticket"]["id"] == ticket["id"]
    twice = await failure(kiosk.request("check_in", code=booked.code, request_key="k3"))
    assert (twice.code, twice.message) == (
        "conflict", "code: this booking was already checked in: ticket A002 (lịch hẹn đã được "
                    "nhận: số A002)")
    # from_booking: the ticket carries its slot; at 09:30 it is called before the walk-in.
    counter = await connect("admin")
    await counter.request("login", counter="3", as_counter="3")
    first = (await counter.request("call_next", as_counter="3"))["ticket"]
    assert first["number"] == walk_in["number"]  # its slot has not come yet
    server_clock.now = at(9, 30)
    await kiosk.request("issue", service="HT", request_key="walk-in-2")
    second = (await counter.request("call_next", as_counter="3"))["ticket"]
    assert second["number"] == "A002"


async def test_check_in_refusals(server: RunningServer, server_clock: ManualClock,
                                 connect: Any) -> None:
    kiosk = await connect("kiosk")
    tomorrow = await book(server, at(9, 0, days=1))
    late = await book(server, at(8, 30), identity=OTHER_CCCD)
    cancelled = await book(server, at(10, 0), identity=OTHER_CCCD, service="DD-NOP")
    await server.service.bookings.cancel(cancelled.code, cancelled.key)
    for code, expected in [
        ("ZZZZ-ZZZZ", ("not_found", "code: no booking of this code today at this centre "
                                    "(không có lịch hẹn với mã này hôm nay tại trung tâm)")),
        (tomorrow.code, ("not_found", "code: no booking of this code today at this centre "
                                      "(không có lịch hẹn với mã này hôm nay tại trung tâm)")),
        ("ABC", ("bad_request", "code: a booking code has 8 letters and digits, such as "
                                "ABCD-2345 (mã lịch hẹn gồm 8 chữ và số)")),
        ("O0O0-I1I1", ("bad_request", "code: a booking code has 8 letters and digits, such "
                                      "as ABCD-2345 (mã lịch hẹn gồm 8 chữ và số)")),
        (cancelled.code, ("conflict", "code: this booking was cancelled (lịch hẹn đã bị "
                                      "hủy)")),
    ]:
        refused = await failure(kiosk.request("check_in", code=code, request_key="k"))
        assert (refused.code, refused.message) == expected
    # The 08:30 slot's window ends at 08:45.
    server_clock.now = at(8, 45)
    ended = await failure(kiosk.request("check_in", code=late.code, request_key="k"))
    assert (ended.code, ended.message) == (
        "closed", "check-in ended at 08:45 (đã hết giờ nhận lịch hẹn lúc 08:45)")
    await server.service.bookings.jobs.pass_now()
    expired = await failure(kiosk.request("check_in", code=late.code, request_key="k"))
    assert (expired.code, expired.message) == (
        "conflict", "code: this booking expired at 08:45 (lịch hẹn đã hết hạn lúc 08:45)")
    # Bad frames name the field; a display may not check in.
    for fields, message in [
        ({"code": "", "request_key": "k"}, "field 'code': String should have at least 1"),
        ({"code": "A" * 33, "request_key": "k"}, "field 'code': String should have at most 32"),
        ({"code": "ABCD2345"}, "field 'request_key': Field required"),
        ({"code": "ABCD2345", "request_key": "k", "birth_date": "23/11/1950"},
         "field 'birth_date': must be a date written YYYY-MM-DD"),
    ]:
        refused = await failure(kiosk.request("check_in", **fields))
        assert refused.code == "bad_request" and refused.message.startswith(message), refused
    display = await connect("display")
    forbidden = await failure(display.request("check_in", code=late.code, request_key="k"))
    assert (forbidden.code, forbidden.message) == (
        "forbidden", "a display connection may not check_in")


async def test_bookings_of_an_id_card_and_the_age_rule(
    server: RunningServer, server_clock: ManualClock, connect: Any
) -> None:
    first = await book(server, at(9, 0))
    second = await book(server, at(10, 30), service="DD-NOP")
    await book(server, at(9, 0, days=2))  # not today
    await book(server, at(9, 0), identity=OTHER_CCCD)  # someone else's
    kiosk = await connect("kiosk")
    listed = (await kiosk.request("bookings", id_number=CCCD))["bookings"]
    assert [(item["code"], item["service"], item["slot_start"]) for item in listed] == [
        (shown_code(first.code), "HT", "2026-11-23T09:00:00+07:00"),
        (shown_code(second.code), "DD-NOP", "2026-11-23T10:30:00+07:00")]
    assert all(set(item) == {"code", "service", "service_name", "service_name_en", "kind",
                             "slot_start", "slot_end", "status"} for item in listed)
    assert (await kiosk.request("bookings", id_number="001051099999"))["bookings"] == []
    # Born 1951-01-20: 75 on the site's today; the scanned birth date gives priority NCT.
    server_clock.now = at(8, 40)
    checked = await kiosk.request("check_in", code=listed[0]["code"], request_key="cccd-1",
                                  birth_date="1951-01-20")
    assert checked["ticket"]["priority"] == "NCT"
    left = (await kiosk.request("bookings", id_number=CCCD))["bookings"]
    assert [item["code"] for item in left] == [shown_code(second.code)]
    # issue with a birth date: 75 and over gets the group, younger not, a named one wins.
    old = (await kiosk.request("issue", service="HT", request_key="old",
                               birth_date="1951-11-23"))["ticket"]
    young = (await kiosk.request("issue", service="HT", request_key="young",
                                 birth_date="1951-11-24"))["ticket"]
    assert (old["priority"], young["priority"]) == ("NCT", None)
    for birth, message in [("2026-11-24", "field 'birth_date': 2026-11-24 is after today"),
                           ("1899-12-31", "field 'birth_date': must not be before the year"),
                           ("1951-13-01", "field 'birth_date': '1951-13-01' is not a date")]:
        refused = await failure(kiosk.request("issue", service="HT", request_key="x",
                                              birth_date=birth))
        assert refused.code == "bad_request" and refused.message.startswith(message)
    for number in ("00105101234", "00105101234X", "0010510123456"):
        refused = await failure(kiosk.request("bookings", id_number=number))
        assert refused.code == "bad_request" and "field 'id_number'" in refused.message
    # Ten lookups a minute from a kiosk (three were made above, three refused).
    answers = []
    for _ in range(8):
        try:
            await kiosk.request("bookings", id_number=OTHER_CCCD)
            answers.append("ok")
        except RequestFailed as error:
            answers.append(error.code)
    assert answers == ["ok"] * 7 + ["rate_limited"]


async def test_policy_at_check_in(database_path: Path) -> None:
    """Under ``at_check_in`` a number now waits for its check-in, and a slot's ticket
    queues from its check-in like anyone's (no appointment)."""
    clock = ManualClock(MORNING)
    running = await start_server(parse_settings(booking_config(policy="at_check_in")),
                                 host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=clock)
    try:
        slot = await book(running, at(9, 0))
        now = await book(running, None, identity=OTHER_CCCD)
        assert now.ticket is None and now.booking.kind.value == "now"
        assert len(running.service.sites[SITE].committed.tickets) == 0
        async with ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            clock.now = at(8, 45)
            first = await kiosk.request("check_in", code=slot.code, request_key="a")
            assert first["ticket"]["number"] == "A001"
            checked = running.service.sites[SITE].committed.tickets[first["ticket"]["id"]]
            assert checked.appointment_at is None
            second = await kiosk.request("check_in", code=now.code, request_key="b")
            assert (second["ticket"]["number"], second["booking"]["kind"]) == ("A002", "now")
    finally:
        await running.stop()
