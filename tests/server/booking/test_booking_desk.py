"""The booking desk on a real server and SQLite file: slots and places, the limits per
person (per day, per field, open bookings) with their reasons, "a number now" as a real
remote ticket through the rules, cancelling with the page key only, and what is stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support.booking import CCCD, OTHER_CCCD, PHONE, at, book
from support.clock import ManualClock
from support.servers import SITE

from server.app.serve import RunningServer
from server.booking.desk import BookingRefused
from server.booking.model import (
    ALPHABET,
    BookingStatus,
    IdentityKind,
    code_hash,
    identity_hash,
)
from server.booking.slots import open_slots
from server.security import track_code

SECRET = "test-secret-0123456789"


def rows(database: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM bookings ORDER BY id")]
    finally:
        connection.close()


async def refused(server: RunningServer, *arguments: Any, **options: Any) -> BookingRefused:
    with pytest.raises(BookingRefused) as raised:
        await book(server, *arguments, **options)
    return raised.value


async def test_a_slot_is_booked_and_stored_as_little_as_needed(
    server: RunningServer, database_path: Path
) -> None:
    booked = await book(server, at(9, 30), identity=PHONE, kind=IdentityKind.PHONE)
    assert len(booked.code) == 8 and set(booked.code) <= set(ALPHABET)
    assert len(booked.key) == 16
    assert booked.ticket is None and booked.booking.status is BookingStatus.BOOKED
    [row] = rows(database_path)
    # Neither the code nor the phone's hash alone tells anything; the phone is kept for the
    # reminder (due at 08:30) while the booking is open.
    assert row["code_hash"] == code_hash(SECRET, booked.code)
    assert row["code_sealed"] != booked.code
    assert row["identity_hash"] == identity_hash(SECRET, IdentityKind.PHONE, PHONE)
    assert row["phone"] == PHONE
    assert (row["kind"], row["status"], row["service"], row["field"], row["day"]) == (
        "slot", "booked", "HT", "TP", "2026-11-23")
    assert (row["slot_start"], row["check_in_from"], row["check_in_until"], row["remind_at"]) \
        == ("2026-11-23 02:30:00.000000", "2026-11-23 02:00:00.000000",
            "2026-11-23 02:45:00.000000", "2026-11-23 01:30:00.000000")
    # A CCCD booking keeps no phone and no number: its hash only.
    await book(server, at(9, 30))
    cccd_row = rows(database_path)[1]
    assert cccd_row["phone"] is None and CCCD not in str(cccd_row)
    desk = server.service.bookings
    found = await desk.find(booked.code.lower(), booked.key)
    assert found is not None and found[1].id == row["id"]
    assert await desk.find(booked.code, "0" * 16) is None
    assert desk.code_of(found[1]) == booked.code


async def test_places_count_down_and_a_full_slot_is_refused(server: RunningServer) -> None:
    site = server.service.sites[SITE].settings
    desk = server.service.bookings
    slots = open_slots(site, "HT", at(9, 0).date(), at(8, 0))
    assert slots[0].start == at(8, 30) and len(slots) == 31  # 08:30 .. 23:30, no hours kept
    for index, identity in enumerate(("001051000001", "001051000002", "001051000003")):
        await book(server, at(10, 0), identity=identity)
        places = await desk.places(site, "HT", slots[:4])
        assert [item.left for item in places] == [3, 3, 3, 3 - (index + 1)]
    full = await refused(server, at(10, 0), identity="001051000004")
    assert full.key == "err_slot_full"
    for gone in (at(7, 30), at(10, 10), at(9, 0, days=7)):
        assert (await refused(server, gone, identity="001051000004")).key == "err_slot_gone"


async def test_the_limits_per_person(server: RunningServer) -> None:
    await book(server, at(9, 0))  # HT, field TP
    field = await refused(server, at(11, 0))
    assert (field.key, field.values["limit"], field.values["field_vi"]) == (
        "err_limit_field", 1, "Tư pháp - Hộ tịch")
    await book(server, at(9, 0), service="DD-NOP")  # field DD
    day = await refused(server, at(14, 0), service="DD-TRA")
    assert (day.key, day.values) == ("err_limit_day", {"limit": 2, "day": "23/11/2026"})
    # Another day is another day's limit; three open bookings are the most one holds.
    await book(server, at(9, 0, days=1))
    still_open = await refused(server, at(9, 0, days=2))
    assert (still_open.key, still_open.values) == ("err_limit_open", {"limit": 3})
    # Someone else is not limited by it; a phone and a CCCD are two people to the limits.
    await book(server, at(9, 0, days=2), identity=OTHER_CCCD)
    await book(server, at(14, 0), service="DD-TRA", identity=PHONE, kind=IdentityKind.PHONE)


async def test_a_cancelled_booking_gives_its_place_and_turn_back(
    server: RunningServer, database_path: Path
) -> None:
    desk = server.service.bookings
    booked = await book(server, at(9, 0))
    with pytest.raises(BookingRefused) as wrong_key:
        await desk.cancel(booked.code, "0123456789abcdef")
    assert wrong_key.value.key == "err_booking_unknown"
    cancelled = await desk.cancel(booked.code, booked.key)
    assert cancelled.status is BookingStatus.CANCELLED
    with pytest.raises(BookingRefused) as twice:
        await desk.cancel(booked.code, booked.key)
    assert twice.value.key == "err_cancel_closed"
    assert rows(database_path)[0]["status"] == "cancelled"
    # The per-field limit counts it no more.
    await book(server, at(9, 30))


async def test_a_number_now_is_a_remote_ticket_through_the_rules(
    server: RunningServer, server_clock: ManualClock, database_path: Path, connect: Any
) -> None:
    display = await connect("display")
    kiosk = await connect("kiosk")
    await kiosk.request("issue", service="HT", request_key="walk-in")
    booked = await book(server, None)
    assert booked.ticket is not None
    ticket = booked.ticket
    # The same numbering as the kiosk's, marked remote; the hall's display is told.
    assert (ticket.number, ticket.remote, ticket.service) == ("A002", True, "HT")
    event = await display.next_event("ticket.issued")
    while event.data["number"] != "A002":
        event = await display.next_event("ticket.issued")
    assert event.data["remote"] is True
    [row] = rows(database_path)
    assert (row["kind"], row["status"], row["ticket_id"], row["phone"]) == (
        "now", "checked_in", ticket.id, None)
    # Its status page (the tracking code of its QR) finds it like a kiosk's ticket.
    found = server.service.find_track(track_code(SECRET, ticket.id))
    assert found is not None and found[1].id == ticket.id
    # Cancelled from the booking's page while it waits: the ticket is cancelled too.
    await server.service.bookings.cancel(booked.code, booked.key)
    assert server.service.sites[SITE].committed.tickets[ticket.id].status.value == "cancelled"
    # The rules' refusals come through: the service's daily limit.
    await kiosk.request("issue", service="DD-NOP", request_key="a")
    server.service.sites[SITE].follow(_with_daily_limit(server, "DD-NOP", 1))
    limit = await refused(server, None, service="DD-NOP", identity=OTHER_CCCD)
    assert limit.key == "err_issue_refused" and "daily limit" in str(limit.values["reason"])
    assert [row["kind"] for row in rows(database_path)] == ["now"]


def _with_daily_limit(server: RunningServer, service: str, limit: int) -> Any:
    from dataclasses import replace

    site = server.service.sites[SITE].settings
    services = tuple(replace(item, daily_limit=limit) if item.code == service else item
                     for item in site.services)
    return replace(site, services=services)


async def test_bookings_are_refused_where_none_are_taken(server: RunningServer) -> None:
    from dataclasses import replace

    runtime = server.service.sites[SITE]
    runtime.follow(replace(runtime.settings, booking=replace(
        runtime.settings.booking, services=("HT",))))
    assert (await refused(server, at(9, 0), service="DD-NOP")).key == "err_not_bookable"
    runtime.follow(replace(runtime.settings, booking=replace(
        runtime.settings.booking, enabled=False)))
    assert (await refused(server, at(9, 0))).key == "err_not_bookable"
    assert (await refused(server, None)).key == "err_not_bookable"
