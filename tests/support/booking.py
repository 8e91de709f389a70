"""Shared test data for bookings: the test site taking them, a Monday morning, CCCD numbers,
and a booking made straight through the server's desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.app.serve import RunningServer
from server.booking.desk import Booked, BookingRequest
from server.booking.model import IdentityKind
from support.servers import SITE, site_config

# 08:00 in Hồ Chí Minh City on Monday 23/11/2026.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
# CCCD numbers: born 1951 in Hà Nội (75 on the Monday's 20/01 birthday), born 1990 in HCMC.
CCCD = "001051012345"
OTHER_CCCD = "079090004321"
PHONE = "0912345678"

BOOKING: dict[str, Any] = {
    "enabled": True, "slot_minutes": 30, "capacity": 3, "policy": "from_booking",
    "check_in_early_minutes": 30, "check_in_late_minutes": 15, "per_address_per_hour": 100,
    "reminder_minutes_before": 60, "personal_data_days": 30,
}


def booking_config(**booking: Any) -> dict[str, Any]:
    """The test site taking bookings (``booking`` changes keys of :data:`BOOKING`), with
    the age rule "75 and over: NCT"."""
    config = site_config()
    site = config["sites"][0]
    site["booking"] = {**BOOKING, **booking}
    site["priority_by_age"] = {"group": "NCT", "age": 75}
    return config


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local time of the test's Monday (or ``days`` later), as the server's clock has it."""
    return MORNING + timedelta(days=days, hours=hour - 8, minutes=minute)


async def book(server: RunningServer, start: datetime | None, identity: str = CCCD,
               service: str = "HT", kind: IdentityKind = IdentityKind.CCCD) -> Booked:
    """A booking made through the server's desk (a slot at ``start``, or a number now)."""
    return await server.service.bookings.book(BookingRequest(SITE, service, start, kind,
                                                             identity))
