"""The booking jobs on the server's clock, moved by the test: a booking not checked in by the
end of its window expires and frees its place and its holder's turn; a reminder goes once,
at its time, through the SMS sender; personal data goes after ``personal_data_days`` (the
phone as soon as a booking closes), and nothing else is touched."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from support.booking import PHONE, at, book
from support.clock import ManualClock
from support.servers import SITE

from server.app.serve import RunningServer
from server.booking.desk import BookingRefused
from server.booking.model import IdentityKind, shown_code
from server.booking.sms import LogSender


def rows(database: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM bookings ORDER BY id")]
    finally:
        connection.close()


async def test_a_booking_not_checked_in_expires_and_frees_its_place(
    server: RunningServer, server_clock: ManualClock, database_path: Path
) -> None:
    desk = server.service.bookings
    site = server.service.sites[SITE].settings
    for index in range(3):
        await book(server, at(9, 0), identity=f"00105100000{index}")
    await book(server, at(9, 30), identity="001051000000", service="DD-NOP")
    await book(server, at(9, 0, days=1), identity="001051000000", service="DD-TRA")
    open_limit = None
    try:
        await book(server, at(9, 0, days=2), identity="001051000000")
    except BookingRefused as refused:
        open_limit = refused.key
    assert open_limit == "err_limit_open"
    slots = _slots(server, 9, 0)
    assert [item.left for item in await desk.places(site, "HT", slots)] == [0]
    # 09:14:59: still within the window (it ends 15 minutes after the slot's start).
    server_clock.now = at(9, 14) + timedelta(seconds=59)
    await desk.jobs.pass_now()
    assert [row["status"] for row in rows(database_path)] == ["booked"] * 5
    server_clock.now = at(9, 15)
    await desk.jobs.pass_now()
    assert [row["status"] for row in rows(database_path)] == [
        "expired", "expired", "expired", "booked", "booked"]
    assert [item.left for item in await desk.places(site, "HT", slots)] == [3]
    # An expired booking is not open any more: its holder may book again.
    await book(server, at(9, 0, days=2), identity="001051000000")


def _slots(server: RunningServer, hour: int, minute: int) -> list[Any]:
    from server.booking.slots import Slot

    start = at(hour, minute).astimezone(server.service.sites[SITE].settings.timezone)
    return [Slot(start, start + timedelta(minutes=30))]


async def test_a_reminder_goes_once_at_its_time(
    server: RunningServer, server_clock: ManualClock, database_path: Path
) -> None:
    desk = server.service.bookings
    sender = desk.sender
    assert isinstance(sender, LogSender)
    booked = await book(server, at(10, 0), identity=PHONE, kind=IdentityKind.PHONE)
    cancelled = await book(server, at(10, 0), identity="0987654321", kind=IdentityKind.PHONE,
                           service="DD-NOP")
    await desk.cancel(cancelled.code, cancelled.key)
    assert rows(database_path)[1]["phone"] is None  # erased as the booking closed
    server_clock.now = at(8, 59)
    await desk.jobs.pass_now()
    assert sender.sent == []
    server_clock.now = at(9, 0)
    await desk.jobs.pass_now()
    await desk.jobs.pass_now()
    assert len(sender.sent) == 1
    phone, text = sender.sent[0]
    assert phone == PHONE
    assert text == (
        "Nhac lich hen Trung tam Phuc vu hanh chinh cong thu nghiem: Dang ky khai sinh, 10:00 "
        f"ngay 23/11/2026. Ma lich hen {shown_code(booked.code)}. Nhan so tai kiosk tu 09:30. "
        f"Xem/huy: {server.service.server.public_url}/dat-lich/ma/{booked.code}"
        f"?k={booked.key}")
    row = rows(database_path)[0]
    assert row["reminded_at"] == "2026-11-23 02:00:00.000000" and row["phone"] == PHONE


async def test_personal_data_goes_after_its_days_and_nothing_else(
    server: RunningServer, server_clock: ManualClock, database_path: Path, connect: Any
) -> None:
    desk = server.service.bookings
    await book(server, at(9, 0), identity=PHONE, kind=IdentityKind.PHONE)  # Monday 23/11
    await book(server, at(9, 0, days=1))  # Tuesday 24/11
    used = await book(server, at(9, 30), identity="079090004321", service="DD-NOP")
    # A booking of a site since removed from the configuration keeps the default 30 days.
    gone = replace(used.booking, site="xa-da-bo", code_hash="f" * 64)
    await server.service.writer.write(desk.store.insert_plan(gone, 9, 9, 9, 9))
    server_clock.now = at(9, 10)
    kiosk = await connect("kiosk")
    await kiosk.request("check_in", code=used.code, request_key="k")
    before = rows(database_path)
    assert before[2]["status"] == "checked_in" and before[2]["phone"] is None
    # 30 days after the Monday: kept. One more day: the Monday's bookings lose their person.
    server_clock.now = at(9, 0, days=30)
    await desk.jobs.pass_now()
    after_30 = rows(database_path)
    assert [row["identity_hash"] is not None for row in after_30] == [True, True, True, True]
    server_clock.now = at(9, 0, days=31)
    await desk.jobs.pass_now()
    after_31 = rows(database_path)
    assert [row["identity_hash"] is None for row in after_31] == [True, False, True, True]
    assert [row["personal_erased_at"] is not None for row in after_31] == [
        True, False, True, True]
    assert all(row["phone"] is None for row in after_31)
    # Nothing else changed: statuses as the expiry left them, codes, tickets, times.
    for old, new in zip(after_30, after_31, strict=True):
        changed = {key for key in old if old[key] != new[key]}
        assert changed <= {"identity_hash", "personal_erased_at"}
